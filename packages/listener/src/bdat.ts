/**
 * The body of one message sent in BDAT chunks (RFC 3030 §2): chunks are counted octets, so there
 * is no dot-stuffing and no end marker to smuggle; line checks still apply unless BINARYMIME,
 * because the message may be relayed on with DATA later.
 */
import { LineChecker } from './body-check.js';
import type { DataResult } from './data-decoder.js';

export class BdatBody {
  private parts: Buffer[] = [];
  private held = 0;
  private size = 0;
  private readonly checker: LineChecker | undefined;

  constructor(
    private readonly maxSize: number,
    maxLine: number,
    binary: boolean,
  ) {
    this.checker = binary ? undefined : new LineChecker(maxLine);
  }

  /** Octets that may still be held before the size limit. */
  get room(): number {
    return Math.max(0, this.maxSize - this.held);
  }

  /** One chunk: `declared` octets arrived, `data` the part of them kept (all unless oversize). */
  add(data: Buffer, declared: number): void {
    this.size += declared;
    this.checker?.write(data);
    if (this.size > this.maxSize) {
      // Limits enforced, not flagged: past the limit nothing more is held.
      this.parts = [];
      return;
    }
    this.parts.push(data);
    this.held += data.length;
  }

  get oversize(): boolean {
    return this.size > this.maxSize;
  }

  result(): DataResult {
    this.checker?.end();
    const oversize = this.oversize;
    return {
      parts: oversize ? [] : this.parts,
      size: this.size,
      bareEol: this.checker?.bareEol ?? false,
      oversize,
      longLine: this.checker?.longLine ?? false,
    };
  }
}
