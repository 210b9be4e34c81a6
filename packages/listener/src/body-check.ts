/**
 * Line checks for BDAT chunks (RFC 3030), which arrive counted and unstuffed: a bare CR or LF
 * (RFC 5321 §2.3.8) or a line over the RFC 5322 §2.1.1 limit. DATA gets the same checks from
 * DataDecoder. A BINARYMIME body is exempt from both (RFC 3030 §3).
 */

const CR = 0x0d;
const LF = 0x0a;

export class LineChecker {
  private cr = false;
  private lineLen = 0;
  bareEol = false;
  longLine = false;

  constructor(private readonly maxLine: number) {}

  write(buf: Buffer): void {
    const len = buf.length;
    // Cached positions of the next CR and LF (-1: none left, -2: not looked up yet): the octets
    // between them are skipped with native memchr, as DataDecoder does, not inspected one by one.
    let nextCr = -2;
    let nextLf = -2;
    let i = 0;
    while (i < len) {
      const b = buf[i]!;
      if (!this.cr && b !== CR && b !== LF) {
        if (nextCr !== -1 && nextCr < i) nextCr = buf.indexOf(CR, i);
        if (nextLf !== -1 && nextLf < i) nextLf = buf.indexOf(LF, i);
        const stop = Math.min(nextCr === -1 ? len : nextCr, nextLf === -1 ? len : nextLf);
        this.lineLen += stop - i;
        if (this.lineLen > this.maxLine) this.longLine = true;
        i = stop;
        continue;
      }
      i++;
      if (this.cr) {
        this.cr = false;
        if (b === LF) {
          this.lineLen = 0;
          continue;
        }
        this.bareEol = true;
      }
      if (b === CR) this.cr = true;
      else if (b === LF) this.bareEol = true;
      else if (++this.lineLen > this.maxLine) this.longLine = true;
    }
  }

  /** Call at the end of the message: a CR as its last octet is bare too. */
  end(): void {
    if (this.cr) this.bareEol = true;
  }
}
