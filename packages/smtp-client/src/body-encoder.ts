/**
 * DATA body encoding on the fly (RFC 5321 §4.5.2 transparency, §2.3.8 line ends): a leading "."
 * on any line is doubled, and a bare CR or bare LF becomes CRLF so that every server sees the
 * same lines we stuffed (a stray LF is how SMTP smuggling starts). The output is a series of
 * segments that are views of the caller's buffer plus a few constant fillers: no second copy of
 * a large body is made.
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const DOT_BUF = Buffer.from('.');
/** The end-of-data indication (RFC 5321 §4.1.1.4). */
export const END_OF_DATA = Buffer.from('.\r\n');

/** One write's worth of segments; `inputEnd` is the body offset consumed so far. */
export interface BodyBlock {
  readonly segments: readonly Buffer[];
  readonly bytes: number;
}

/**
 * Yields blocks covering about `blockSize` input octets each. The last block ends with CRLF
 * even when the body did not, so that END_OF_DATA may follow directly.
 */
export function* encodeBody(body: Buffer, blockSize = 64 * 1024): Generator<BodyBlock> {
  let atLineStart = true;
  let pos = 0;
  let lastWasLf = body.length === 0; // an empty body needs no CRLF before the dot
  while (pos < body.length) {
    const limit = Math.min(body.length, pos + blockSize);
    const segments: Buffer[] = [];
    let bytes = 0;
    let runStart = pos;
    const flush = (end: number): void => {
      if (end > runStart) {
        segments.push(body.subarray(runStart, end));
        bytes += end - runStart;
      }
    };
    const add = (b: Buffer): void => {
      segments.push(b);
      bytes += b.length;
    };
    let nextCr = -2; // cached next CR / LF positions (-1 none, -2 unknown): plain runs need no octet loop
    let nextLf = -2;
    while (pos < limit) {
      const c = body[pos]!;
      if (!atLineStart && c !== CR && c !== LF) {
        if (nextCr !== -1 && nextCr < pos) nextCr = body.indexOf(CR, pos);
        if (nextLf !== -1 && nextLf < pos) nextLf = body.indexOf(LF, pos);
        // The run stays in the current segment (runStart unchanged); only the position moves.
        pos = Math.min(limit, nextCr === -1 ? limit : nextCr, nextLf === -1 ? limit : nextLf);
        lastWasLf = false;
        continue;
      }
      if (atLineStart && c === DOT) {
        flush(pos);
        add(DOT_BUF); // the stuffed dot; the original follows in the next run
        runStart = pos;
      }
      if (c === LF) {
        if (pos === 0 || body[pos - 1] !== CR) {
          flush(pos);
          add(CRLF);
          runStart = pos + 1;
        }
        atLineStart = true;
        lastWasLf = true;
      } else if (c === CR) {
        if (body[pos + 1] !== LF) {
          flush(pos);
          add(CRLF);
          runStart = pos + 1;
          atLineStart = true;
          lastWasLf = true;
        } else {
          atLineStart = false;
          lastWasLf = false;
        }
      } else {
        atLineStart = false;
        lastWasLf = false;
      }
      pos++;
    }
    // A CR at the block edge is judged with the next block's first octet: body[pos] is readable.
    flush(pos);
    if (pos >= body.length && !lastWasLf) add(CRLF);
    yield { segments, bytes };
  }
}
