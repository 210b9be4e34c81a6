/**
 * An SMTP reply as a value (STYLE.md §5): basic code, optional enhanced status code
 * (RFC 3463 class.subject.detail) and the text lines without the code prefix.
 */
export interface ReplyData {
  readonly code: number;
  /** Enhanced status code such as "5.1.1" (RFC 2034/3463), when the peer sent one. */
  readonly enhanced?: string;
  /** Text of each reply line, code and enhanced code removed. */
  readonly lines: readonly string[];
}

export class SmtpReply implements ReplyData {
  readonly code: number;
  readonly enhanced?: string;
  readonly lines: readonly string[];

  constructor(code: number, lines: readonly string[] | string, enhanced?: string) {
    this.code = code;
    this.lines = Object.freeze(typeof lines === 'string' ? [lines] : [...lines]);
    if (enhanced !== undefined) this.enhanced = enhanced;
    Object.freeze(this);
  }

  /** Parses a one-line reply such as "451 4.4.1 [internal] No valid hosts". */
  static parse(text: string): SmtpReply {
    const m = /^([2-5]\d\d)(?:[ -]|$)(.*)$/s.exec(text.trim());
    if (!m) return new SmtpReply(451, text.trim());
    const code = Number(m[1]);
    const rest = m[2] ?? '';
    const e = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)(.*)$/s.exec(rest);
    return e ? new SmtpReply(code, e[2] ?? '', e[1]) : new SmtpReply(code, rest);
  }

  static from(data: ReplyData): SmtpReply {
    return data instanceof SmtpReply ? data : new SmtpReply(data.code, data.lines, data.enhanced);
  }

  isPositive(): boolean {
    return this.code >= 200 && this.code < 400;
  }

  isTransient(): boolean {
    return this.code >= 400 && this.code < 500;
  }

  isPermanent(): boolean {
    return this.code >= 500;
  }

  /** The reply on one line, as logs and DSN Diagnostic-Code fields show it. */
  toString(): string {
    return formatReply(this);
  }
}

/** "550 5.1.1 text" on one line; several text lines are joined with a space. */
export function formatReply(r: ReplyData): string {
  const text = r.lines.join(' ').trim();
  return [String(r.code), r.enhanced, text].filter((s) => s !== undefined && s !== '').join(' ');
}
