/**
 * The byte-level reader of one SMTP connection: splits command lines and hands the DATA phase to
 * DataDecoder. It knows nothing of verbs or states; the session pulls one item at a time, so a
 * pipelined batch is taken strictly in order and the mode switch after DATA happens exactly
 * where the session decides (RFC 2920 §3.1: the server processes commands in sequence).
 */
import { PetrelError } from '@petrel/core';
import { DataDecoder, type DataResult } from './data-decoder.js';

const CR = 0x0d;
const LF = 0x0a;

export type CommandLine =
  | { readonly kind: 'line'; readonly text: string }
  /** too-long: over the limit (RFC 5321 §4.5.3.1.4); bare-eol: a CR or LF not in a CRLF pair. */
  | { readonly kind: 'error'; readonly error: 'too-long' | 'bare-eol' };

export interface WireReaderOptions {
  /** Longest command line, CRLF included (RFC 5321 §4.5.3.1.4: 512). */
  readonly maxLine: number;
  /** Largest message data accepted. */
  readonly maxData: number;
}

export class WireReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Dropping an over-long line up to its LF without holding it in memory. */
  private discarding = false;
  private decoder: DataDecoder | undefined;

  constructor(private readonly opts: WireReaderOptions) {}

  push(chunk: Buffer): void {
    this.buf = this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** Octets received and not yet consumed. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /** The next complete command line, or undefined when more input is needed. */
  nextCommand(): CommandLine | undefined {
    if (this.decoder) throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'nextCommand() during DATA');
    const lf = this.buf.indexOf(LF, this.pos);
    if (this.discarding) {
      if (lf < 0) {
        this.pos = this.buf.length;
        return undefined;
      }
      this.pos = lf + 1;
      this.discarding = false;
      return { kind: 'error', error: 'too-long' };
    }
    if (lf < 0) {
      if (this.buffered > this.opts.maxLine) {
        this.discarding = true;
        this.pos = this.buf.length;
      }
      return undefined;
    }
    const start = this.pos;
    this.pos = lf + 1;
    if (lf + 1 - start > this.opts.maxLine) return { kind: 'error', error: 'too-long' };
    // The line must end in CRLF and hold no other CR (RFC 5321 §2.3.8).
    const cr = this.buf.indexOf(CR, start);
    if (cr !== lf - 1) return { kind: 'error', error: 'bare-eol' };
    return { kind: 'line', text: this.buf.toString('utf8', start, lf - 1) };
  }

  /** Switches to the DATA phase: the octets after the DATA command line are message data. */
  beginData(): void {
    this.decoder = new DataDecoder(this.opts.maxData);
  }

  /** Consumes buffered octets as data; returns the result once <CRLF>.<CRLF> has been read. */
  readData(): DataResult | undefined {
    const decoder = this.decoder;
    if (!decoder) throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'readData() outside DATA');
    if (this.buffered === 0) return undefined;
    const end = decoder.write(this.buf.subarray(this.pos));
    if (end < 0) {
      this.pos = this.buf.length;
      return undefined;
    }
    this.pos += end;
    this.decoder = undefined;
    return decoder.result();
  }
}
