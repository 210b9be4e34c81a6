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
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
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
