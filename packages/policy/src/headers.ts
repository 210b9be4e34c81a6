/**
 * An editable header section (RFC 5322 §2.2, §3.5): fields kept as their raw lines, so a field
 * nobody touches is stored byte for byte (DKIM signatures stay valid); edits are whole fields.
 */
import type { HeaderFields } from './types.js';

interface Field {
  /** Name as written. */
  readonly name: string;
  readonly lower: string;
  /** The whole field, folded lines included, with its final CRLF. */
  readonly raw: string;
}

/** RFC 5322 §3.6.8: a field name is printable US-ASCII except colon. */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

function checkField(name: string, value: string): void {
  if (!FIELD_NAME.test(name))
    throw new TypeError(`invalid header field name ${JSON.stringify(name)} (RFC 5322 §3.6.8)`);
  if (/[\r\n\0]/.test(value)) throw new TypeError(`header field ${name}: the value may not contain CR, LF or NUL`);
}

function unfold(raw: string): string {
  const colon = raw.indexOf(':');
  // RFC 5322 §2.2.3: unfolding removes each CRLF that precedes WSP.
  const v = raw
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/\r\n$/, '')
    .replace(/^[ \t]+/, '');
  // Raw text is latin1 (one char per octet); values are read as UTF-8 (RFC 6532).
  return /[\x80-\xff]/.test(v) ? Buffer.from(v, 'latin1').toString('utf8') : v;
}

export class HeaderSection implements HeaderFields {
  private parsed: Field[] | undefined;
  /** True once a field was added, removed or changed. */
  changed = false;

  private constructor(
    fields: Field[] | undefined,
    /** The text the fields come from, until first use (a hook that never reads headers costs no parse). */
    private source: (() => string) | undefined,
  ) {
    this.parsed = fields;
  }

  private get fields(): Field[] {
    if (!this.parsed) {
      this.parsed = HeaderSection.fieldsOf(this.source ? this.source() : '');
      this.source = undefined;
    }
    return this.parsed;
  }

  private set fields(f: Field[]) {
    this.parsed = f;
  }

  /** Parses a header section (latin1 text, octet for octet), ending before the blank line. */
  static parse(head: string): HeaderSection {
    return new HeaderSection(HeaderSection.fieldsOf(head), undefined);
  }

  /** A section whose text is read and parsed only when a hook first looks at it. */
  static lazy(head: () => string): HeaderSection {
    return new HeaderSection(undefined, head);
  }

  private static fieldsOf(head: string): Field[] {
    const fields: Field[] = [];
    let i = 0;
    while (i < head.length) {
      let end = head.indexOf('\r\n', i);
      if (end < 0) end = head.length - 2;
      // Continuation lines (starting with WSP) belong to the field above.
      while (end + 2 < head.length && (head[end + 2] === ' ' || head[end + 2] === '\t')) {
        const next = head.indexOf('\r\n', end + 2);
        end = next < 0 ? head.length - 2 : next;
      }
      const raw = head.slice(i, end + 2);
      const colon = raw.indexOf(':');
      const name = colon > 0 ? raw.slice(0, colon).trimEnd() : raw.replace(/\r\n$/, '');
      fields.push({ name, lower: name.toLowerCase(), raw });
      i = end + 2;
    }
    return fields;
  }

  get(name: string): string | undefined {
    const l = name.toLowerCase();
    const f = this.fields.find((x) => x.lower === l);
    return f ? unfold(f.raw) : undefined;
  }

  getAll(name: string): string[] {
    const l = name.toLowerCase();
    return this.fields.filter((x) => x.lower === l).map((f) => unfold(f.raw));
  }

  has(name: string): boolean {
    const l = name.toLowerCase();
    return this.fields.some((x) => x.lower === l);
  }

  add(name: string, value: string): void {
    checkField(name, value);
    this.fields.push(make(name, value));
    this.changed = true;
  }

  prepend(name: string, value: string): void {
    checkField(name, value);
    this.fields.unshift(make(name, value));
    this.changed = true;
  }

  set(name: string, value: string): void {
    checkField(name, value);
    const l = name.toLowerCase();
    const at = this.fields.findIndex((x) => x.lower === l);
    if (at < 0) {
      this.add(name, value);
      return;
    }
    this.fields = this.fields.filter((x, i) => i === at || x.lower !== l);
    this.fields[at] = make(name, value);
    this.changed = true;
  }

  remove(name: string): number {
    const l = name.toLowerCase();
    const before = this.fields.length;
    this.fields = this.fields.filter((x) => x.lower !== l);
    const n = before - this.fields.length;
    if (n > 0) this.changed = true;
    return n;
  }

  entries(): [string, string][] {
    return this.fields.map((f) => [f.name, unfold(f.raw)]);
  }

  /** The section as latin1 text (one char per octet), each field with its CRLF (no blank line). */
  toString(): string {
    let s = '';
    for (const f of this.fields) s += f.raw;
    return s;
  }
}

function make(name: string, value: string): Field {
  return { name, lower: name.toLowerCase(), raw: Buffer.from(`${name}: ${value}\r\n`, 'utf8').toString('latin1') };
}

const BLANK = Buffer.from('\r\n\r\n');

/**
 * Splits a message into its header section (text, with the last field's CRLF) and the rest
 * (the blank line's CRLF and the body). A message without a blank line is all header.
 */
export function splitMessage(message: Buffer): { head: string; rest: Buffer } {
  if (message.length >= 2 && message[0] === 0x0d && message[1] === 0x0a) return { head: '', rest: message };
  const at = message.indexOf(BLANK);
  if (at < 0) return { head: message.toString('latin1'), rest: Buffer.alloc(0) };
  return { head: message.subarray(0, at + 2).toString('latin1'), rest: message.subarray(at + 2) };
}
