/**
 * The reply reader: bytes in, SmtpReply values out. Kept apart from command handling (as
 * smtp-server keeps its parser apart) so that it can be tested byte by byte and never throws:
 * a malformed reply becomes a warning and a safe internal reply.
 */
import { SmtpReply } from '@petrel/core';
import { INTERNAL } from './internal-replies.js';

const LF = 0x0a;
const CR = 0x0d;
/** RFC 5321 §4.5.3.1.5 sets 512 octets per reply line; tolerate more, but bound memory. */
const MAX_LINE = 4096;
/** Bounds a multi-line reply (an EHLO reply has a few dozen lines at most). */
const MAX_LINES = 256;

export interface ParsedReply {
  readonly reply: SmtpReply;
  /** True when the reply was not well formed; the stream may be out of step. */
  readonly malformed: boolean;
}

export interface ReplyReaderHooks {
  onReply(parsed: ParsedReply): void;
  onWarning(message: string, line: string): void;
  onLine?(line: string): void;
}

const LINE_RE = /^(\d{3})(?:([ -])(.*))?$/s;
const ENHANCED_RE = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

export class ReplyReader {
  private partial: Buffer[] = [];
  private partialLength = 0;
  private overlong = false;
  private code = 0;
  private lines: string[] = [];
  private enhanced: string | undefined;
  private malformed = false;
  /**
   * When the server advertised ENHANCEDSTATUSCODES (RFC 2034), an x.y.z prefix is taken even if its
   * class disagrees with the basic code (with a warning); otherwise only when it agrees (plausible).
   */
  enhancedAdvertised = false;

  constructor(private readonly hooks: ReplyReaderHooks) {}

  /** Bytes that arrived but do not yet make a complete reply (RFC 3207 §5: none may precede TLS). */
  get pendingBytes(): number {
    return this.partialLength + (this.lines.length > 0 ? 1 : 0);
  }

  /** Forgets everything buffered (after STARTTLS, RFC 3207 §4.2). */
  reset(): void {
    this.partial = [];
    this.partialLength = 0;
    this.overlong = false;
    this.resetReply();
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        this.keep(chunk.subarray(start));
        return;
      }
      this.keep(chunk.subarray(start, lf));
      start = lf + 1;
      const raw = this.partialLength === 0 ? Buffer.alloc(0) : Buffer.concat(this.partial, this.partialLength);
      const overlong = this.overlong;
      this.partial = [];
      this.partialLength = 0;
      this.overlong = false;
      // Tolerate a bare LF line end: a reply is ours to read, not to judge (RFC 5321 §4.1.1 asks CRLF).
      const end = raw.length > 0 && raw[raw.length - 1] === CR ? raw.length - 1 : raw.length;
      const line = raw.toString('utf8', 0, end);
      if (overlong) this.hooks.onWarning(`reply line longer than ${MAX_LINE} octets, truncated`, line);
      this.line(line);
    }
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    const room = MAX_LINE - this.partialLength;
    if (room <= 0) {
      this.overlong = true;
      return;
    }
    // Copy: the socket may reuse its buffer, and we keep at most MAX_LINE octets.
    const take = part.length > room ? part.subarray(0, room) : part;
    if (take !== part) this.overlong = true;
    this.partial.push(Buffer.from(take));
    this.partialLength += take.length;
  }

  private line(line: string): void {
    this.hooks.onLine?.(line);
    const m = LINE_RE.exec(line);
    if (!m) {
      this.hooks.onWarning('reply line without a three-digit code', line);
      // The safe outcome: end whatever reply was open as a transient failure; never guess success.
      this.code = 0;
      this.lines.push(line);
      this.malformed = true;
      this.finish();
      return;
    }
    const code = Number(m[1]);
    const sep = m[2];
    let text = m[3] ?? '';
    if (code < 200 || code > 599) {
      this.hooks.onWarning('reply code outside 2xx-5xx', line);
      this.malformed = true;
    }
    if (this.lines.length === 0) this.code = code;
    else if (code !== this.code) {
      // RFC 5321 §4.2.1: every line of a multi-line reply carries the same code.
      this.hooks.onWarning(`multi-line reply changes code ${this.code} -> ${code}`, line);
    }
    text = this.takeEnhanced(text, code);
    this.lines.push(text);
    // "250" alone, or "250 " with nothing after it (smtp-sink's last EHLO line), ends a reply.
    if (sep !== '-' || this.lines.length >= MAX_LINES) {
      if (sep === '-') {
        this.hooks.onWarning(`multi-line reply longer than ${MAX_LINES} lines`, line);
        this.malformed = true;
      }
      this.finish();
    }
  }

  private takeEnhanced(text: string, code: number): string {
    const e = ENHANCED_RE.exec(text);
    if (!e) return text;
    const cls = e[1]!;
    const agrees = cls === String(code)[0];
    if (!agrees && !this.enhancedAdvertised) return text;
    if (!agrees) this.hooks.onWarning('enhanced status class disagrees with the reply code', text);
    const value = `${cls}.${Number(e[2])}.${Number(e[3])}`;
    // RFC 2034 §4: the code is on every line; the first one is the reply's.
    if (this.enhanced === undefined && this.lines.length === 0) this.enhanced = value;
    return text.slice(e[0].length);
  }

  private finish(): void {
    let reply: SmtpReply;
    if (this.malformed || this.code < 200 || this.code > 599) {
      const r = SmtpReply.parse(INTERNAL.malformedReply);
      reply = new SmtpReply(r.code, [...r.lines, ...this.lines], r.enhanced);
    } else {
      reply = new SmtpReply(this.code, this.lines, this.enhanced);
    }
    const malformed = this.malformed;
    this.resetReply();
    this.hooks.onReply({ reply, malformed });
  }

  private resetReply(): void {
    this.code = 0;
    this.lines = [];
    this.enhanced = undefined;
    this.malformed = false;
  }
}
