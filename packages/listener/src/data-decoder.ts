/**
 * Byte-level decoder of the DATA phase (RFC 5321 §4.1.1.4, §4.5.2), kept apart from command
 * handling. It ends the data only at <CRLF>.<CRLF>, removes the transparency dot, and flags any
 * bare CR or bare LF (RFC 5321 §2.3.8): a message so flagged is refused whole, which is what makes
 * SMTP smuggling (`\n.\n`, `\r.\r`, `\n.\r\n`, …) impossible. Size is enforced while reading.
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** The outcome of one message's data. */
export interface DataResult {
  /**
   * The message as received, CRLF line ends, dots unstuffed, in pieces (views of the buffers
   * read, not copies: joined once, with the trace header, when stored); empty when oversize.
   */
  readonly parts: readonly Buffer[];
  /** Octets of data after unstuffing, counted even past the limit. */
  readonly size: number;
  /** A CR not followed by LF, or an LF not preceded by CR, was seen. */
  readonly bareEol: boolean;
  /** The data went past the size limit; the excess was discarded. */
  readonly oversize: boolean;
  /** A line was longer than the line limit (RFC 5322 §2.1.1: 998 octets without CRLF). */
  readonly longLine: boolean;
}

/** A CR held back at the end of one buffer and emitted with the next. */
const CR_ONLY = Buffer.from([CR]);
/** What a bare LF becomes under bare_newline = "normalize". */
const CRLF = Buffer.from([CR, LF]);

export class DataDecoder {
  // The DATA command's own CRLF counts as the start of the first line (RFC 5321 §4.1.1.4).
  private lineStart = true;
  /** The current line so far is exactly one (removed) dot. */
  private dotOnly = false;
  /** The previous octet was a CR whose LF has not been seen yet. */
  private cr = false;
  private bareEol = false;
  private size = 0;
  private chunks: Buffer[] = [];
  /** Octets of the current line so far, dot-stuffing included (it is what crossed the wire). */
  private lineLen = 0;
  private longLine = false;

  /**
   * `normalizeBareLf` (bare_newline = "normalize", Postfix smtpd_forbid_bare_newline = normalize):
   * a bare LF ends a line as CRLF would and is stored as CRLF, but never ends the data: only
   * <CRLF>.<CRLF> does, so "\n.\n" still smuggles nothing. A bare CR is refused either way.
   */
  constructor(
    private readonly maxSize: number,
    private readonly maxLine = Infinity,
    private readonly normalizeBareLf = false,
  ) {}

  /**
   * Consumes octets; returns the index just past the end marker when the data ended in this
   * buffer (the rest belongs to the next command), or -1 when every octet was data.
   *
   * Output differs from input only where a transparency dot is dropped, at the end marker, and
   * for a CR that ended the previous buffer; everything else goes out as views of `buf` ("runs"
   * from runStart), so a body costs no per-line copy.
   */
  write(buf: Buffer): number {
    const len = buf.length;
    // A CR that ended the previous buffer: not emitted yet, and not in this one.
    let heldCr = this.cr;
    let runStart = 0;
    let end = -1;
    // Cached positions of the next CR and LF at or after i (-1: none left, -2: not looked up yet):
    // plain runs between them are skipped with native memchr, not octet by octet.
    let nextCr = -2;
    let nextLf = -2;
    let i = 0;
    while (i < len) {
      const b = buf[i]!;
      if (!this.cr && !this.lineStart && b !== CR && b !== LF) {
        if (nextCr !== -1 && nextCr < i) nextCr = buf.indexOf(CR, i);
        if (nextLf !== -1 && nextLf < i) nextLf = buf.indexOf(LF, i);
        const stop = Math.min(nextCr === -1 ? len : nextCr, nextLf === -1 ? len : nextLf);
        // RFC 5321 §4.5.3.1.6 / RFC 5322 §2.1.1: line length without CRLF.
        this.lineLen += stop - i;
        if (this.lineLen > this.maxLine) this.longLine = true;
        this.dotOnly = false;
        i = stop;
        continue;
      }
      i++;
      // RFC 5321 §4.5.3.1.6: the transparency dot does not count towards the line length.
      if (b !== CR && b !== LF && !(this.lineStart && b === DOT) && ++this.lineLen > this.maxLine) this.longLine = true;
      if (this.cr) {
        this.cr = false;
        if (b === LF) {
          if (this.dotOnly) {
            // The end marker: its CR (held, or at i - 2 where the run starts after the dot) and LF are not data.
            this.run(buf, runStart, heldCr ? runStart : i - 2);
            end = i;
            break;
          }
          if (heldCr) this.emit(CR_ONLY);
          heldCr = false;
          this.lineStart = true;
          this.lineLen = 0;
          continue;
        }
        // A CR not followed by LF: keep it (the message is refused anyway) and go on with b.
        this.bareEol = true;
        if (heldCr) this.emit(CR_ONLY);
        heldCr = false;
        this.dotOnly = false;
      }
      if (b === CR) {
        this.cr = true;
        this.lineStart = false;
        continue;
      }
      if (b === LF) {
        if (this.normalizeBareLf) {
          // Stored as CRLF; a line start for dot transparency, never the end of the data.
          this.run(buf, runStart, i - 1);
          this.emit(CRLF);
          runStart = i;
          this.lineStart = true;
          this.lineLen = 0;
          this.dotOnly = false;
          continue;
        }
        // A bare LF never ends a line: only CRLF does, so "\n.\n" cannot end the data.
        this.bareEol = true;
        this.lineStart = false;
        this.dotOnly = false;
        continue;
      }
      if (this.lineStart && b === DOT) {
        // RFC 5321 §4.5.2: a leading dot is removed; a line of just "." ends the data.
        this.run(buf, runStart, i - 1);
        runStart = i;
        this.lineStart = false;
        this.dotOnly = true;
        continue;
      }
      this.lineStart = false;
      this.dotOnly = false;
    }
    // A CR that ends this buffer waits for the next one (it may begin the end marker).
    if (end < 0) this.run(buf, runStart, this.cr && !heldCr ? len - 1 : len);
    return end;
  }

  /** The decoded message; call once write() has returned an end index. */
  result(): DataResult {
    const oversize = this.size > this.maxSize;
    return {
      parts: oversize ? [] : this.chunks,
      size: this.size,
      bareEol: this.bareEol,
      oversize,
      longLine: this.longLine,
    };
  }

  private run(buf: Buffer, from: number, to: number): void {
    if (to > from) this.emit(buf.subarray(from, to));
  }

  private emit(bytes: Buffer): void {
    this.size += bytes.length;
    // Past the limit the data is counted and dropped, never held (limits enforced, not flagged).
    if (this.size > this.maxSize) this.chunks = [];
    else this.chunks.push(bytes);
  }
}
