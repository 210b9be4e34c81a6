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
  /** Longest line of message text without CRLF (RFC 5322 §2.1.1: 998). */
  readonly maxDataLine?: number;
  /**
   * Longest AUTH command or SASL response line, CRLF included (RFC 4954 §4: the AUTH extension
   * raises the limit to 12288 octets, since initial responses and tokens can be long); maxLine if unset.
   */
  readonly maxSaslLine?: number;
  /** bare_newline = "normalize": a bare LF ends a command line and a data line (stored as CRLF). */
  readonly normalizeBareLf?: boolean;
}

/** "AUTH " in any case, the only command whose line may exceed maxLine. */
function startsWithAuth(buf: Buffer, at: number): boolean {
  return (
    buf.length - at >= 5 &&
    (buf[at]! | 0x20) === 0x61 &&
    (buf[at + 1]! | 0x20) === 0x75 &&
    (buf[at + 2]! | 0x20) === 0x74 &&
    (buf[at + 3]! | 0x20) === 0x68 &&
    buf[at + 4] === 0x20
  );
}

export class WireReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Dropping an over-long line up to its LF without holding it in memory. */
  private discarding = false;
  private decoder: DataDecoder | undefined;
  /** Octets of a BDAT chunk still to read (RFC 3030 §2); -1 outside a chunk. */
  private chunkLeft = -1;
  private chunkParts: Buffer[] = [];
  /** Octets held in chunkParts. */
  private chunkHeld = 0;
  /** Octets of a refused BDAT chunk still to drop before the next command. */
  private skipLeft = 0;

  constructor(private readonly opts: WireReaderOptions) {}

  push(chunk: Buffer): void {
    this.buf = this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** Octets received and not yet consumed. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /**
   * The next complete command line, or undefined when more input is needed. `saslResponse`: the
   * session awaits a SASL response line (RFC 4954 §4), which may be as long as an AUTH command.
   */
  nextCommand(saslResponse = false): CommandLine | undefined {
    if (this.decoder || this.chunkLeft >= 0)
      throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'nextCommand() during DATA or BDAT');
    if (this.skipLeft > 0) {
      const n = Math.min(this.skipLeft, this.buffered);
      this.skipLeft -= n;
      this.pos += n;
      if (this.skipLeft > 0) return undefined;
    }
    const lf = this.buf.indexOf(LF, this.pos);
    const limit =
      this.opts.maxSaslLine !== undefined && (saslResponse || startsWithAuth(this.buf, this.pos))
        ? this.opts.maxSaslLine
        : this.opts.maxLine;
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
      if (this.buffered > limit) {
        this.discarding = true;
        this.pos = this.buf.length;
      }
      return undefined;
    }
    const start = this.pos;
    this.pos = lf + 1;
    if (lf + 1 - start > limit) return { kind: 'error', error: 'too-long' };
    // The line must end in CRLF and hold no other CR (RFC 5321 §2.3.8); under "normalize" a
    // line ended by a bare LF is read as if it ended in CRLF.
    const cr = this.buf.indexOf(CR, start);
    if (cr === lf - 1) return { kind: 'line', text: this.buf.toString('utf8', start, lf - 1) };
    if (this.opts.normalizeBareLf === true && (cr < 0 || cr > lf))
      return { kind: 'line', text: this.buf.toString('utf8', start, lf) };
    return { kind: 'error', error: 'bare-eol' };
  }

  /** Switches to the DATA phase: the octets after the DATA command line are message data. */
  beginData(): void {
    this.decoder = new DataDecoder(this.opts.maxData, this.opts.maxDataLine, this.opts.normalizeBareLf === true);
  }

  /**
   * RFC 3030 §2: the next `size` octets are one BDAT chunk, counted, never parsed.
   */
  beginChunk(size: number): void {
    this.chunkLeft = size;
    this.chunkParts = [];
    this.chunkHeld = 0;
  }

  /**
   * Consumes buffered octets of the chunk; returns it once all its octets are in. Octets past
   * `limit` (the room left under max_message_size) are counted and dropped, never held.
   */
  readChunk(limit: number): Buffer | undefined {
    if (this.chunkLeft < 0) throw new PetrelError('PETREL_ERR_SERVICE_STATE', 'readChunk() outside BDAT');
    const n = Math.min(this.chunkLeft, this.buffered);
    if (n > 0) {
      const keep = Math.max(0, Math.min(n, limit - this.chunkHeld));
      // A view, not a copy: received buffers are never written again; the chunk is joined once below.
      if (keep > 0) this.chunkParts.push(this.buf.subarray(this.pos, this.pos + keep));
      this.chunkHeld += keep;
      this.pos += n;
      this.chunkLeft -= n;
    }
    if (this.chunkLeft > 0) return undefined;
    const data = Buffer.concat(this.chunkParts, this.chunkHeld);
    this.chunkLeft = -1;
    this.chunkParts = [];
    return data;
  }

  /** Drops the next `size` octets (a refused BDAT chunk) so they are never read as commands. */
  skip(size: number): void {
    this.skipLeft += size;
  }

  /**
   * Forgets input received and not yet consumed. RFC 3207 §5: octets sent in clear after
   * STARTTLS must not be processed as commands after the handshake (CVE-2011-0411).
   */
  discardBuffered(): number {
    const n = this.buffered;
    this.pos = this.buf.length;
    return n;
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
