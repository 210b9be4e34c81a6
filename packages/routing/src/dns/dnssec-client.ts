/**
 * A small DNS client for the one thing node:dns cannot tell: whether the resolver validated an
 * answer (the AD bit, RFC 4035 §3.2.3). It asks with EDNS0 (RFC 6891) and the DO bit set, over
 * UDP, and again over TCP when the answer is truncated (RFC 7766). Only what DANE needs is parsed:
 * the header flags, RCODE and answer records (TLSA and their TTL); names in answers are skipped.
 * Used for TLSA lookups (RFC 7672) and for the AD bit of MX answers.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { PetrelError } from '@petrel/core';

export const TYPE_A = 1;
export const TYPE_MX = 15;
export const TYPE_TLSA = 52;

/** One answer record: its type, TTL (seconds) and raw RDATA. */
export interface RawRecord {
  readonly type: number;
  readonly ttl: number;
  readonly data: Buffer;
}

export interface SecureAnswer {
  /** RFC 1035 §4.1.1 RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, … */
  readonly rcode: number;
  /** Authenticated Data: the resolver validated the answer with DNSSEC. */
  readonly ad: boolean;
  readonly answers: readonly RawRecord[];
}

export interface DnssecServer {
  readonly host: string;
  readonly port: number;
}

/** RFC 1035 §4.1: a query for name/type with an OPT record (DO=1, 1232-byte UDP size, RFC 8020-era default). */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0120, 2); // RD (recursion desired) + AD (RFC 6840 §5.7: ask for the AD bit)
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(1, 10); // ARCOUNT: the OPT record
  parts.push(header);
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new PetrelError('PETREL_ERR_DNSSEC_QUERY', `label too long in ${name}`, { name });
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5 + 11);
  tail.writeUInt8(0, 0); // root label
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3); // class IN
  // OPT RR (RFC 6891 §6.1.2): root name, type 41, UDP size, ext-rcode/version 0, flags DO (0x8000), no RDATA.
  tail.writeUInt8(0, 5);
  tail.writeUInt16BE(41, 6);
  tail.writeUInt16BE(1232, 8);
  tail.writeUInt32BE(0x00008000, 10);
  tail.writeUInt16BE(0, 14);
  parts.push(tail);
  return Buffer.concat(parts);
}

/** Skips a (possibly compressed) name at `off`; returns the offset after it. */
function skipName(buf: Buffer, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    const len = buf.readUInt8(off);
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += 1 + len;
  }
  throw new Error('name too long');
}

/** Parses a reply to query `id`: flags, RCODE and the answer section. Throws on a malformed message. */
export function decodeReply(buf: Buffer, id: number): SecureAnswer & { readonly truncated: boolean } {
  if (buf.length < 12 || buf.readUInt16BE(0) !== id) throw new Error('reply does not match the query');
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = skipName(buf, off) + 4;
  const answers: RawRecord[] = [];
  for (let i = 0; i < an; i++) {
    off = skipName(buf, off);
    const type = buf.readUInt16BE(off);
    const ttl = buf.readUInt32BE(off + 4);
    const len = buf.readUInt16BE(off + 8);
    off += 10;
    if (off + len > buf.length) throw new Error('record overruns the message');
    answers.push({ type, ttl, data: buf.subarray(off, off + len) });
    off += len;
  }
  return { rcode: flags & 0x000f, ad: (flags & 0x0020) !== 0, truncated: (flags & 0x0200) !== 0, answers };
}

/**
 * Asks the servers in turn (each `tries` times within `timeoutMs`) and returns the first reply.
 * Rejects with PETREL_ERR_DNSSEC_QUERY when none answered.
 */
export async function querySecure(
  servers: readonly DnssecServer[],
  name: string,
  type: number,
  options: { readonly timeoutMs: number; readonly tries: number },
): Promise<SecureAnswer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < options.tries; attempt++) {
    for (const server of servers) {
      const id = randomInt(0, 0x10000);
      const query = encodeQuery(id, name, type);
      try {
        const udp = decodeReply(await exchangeUdp(server, query, options.timeoutMs), id);
        if (!udp.truncated) return udp;
        return decodeReply(await exchangeTcp(server, query, options.timeoutMs), id);
      } catch (err) {
        lastError = err;
      }
    }
  }
  throw new PetrelError(
    'PETREL_ERR_DNSSEC_QUERY',
    `DNSSEC query ${name}/${type} failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    { name, type },
    { cause: lastError },
  );
}

function exchangeUdp(server: DnssecServer, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, msg?: Buffer): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    sock.on('error', (err) => finish(err));
    // Only a reply from the server asked counts (a spoofed source is dropped; the id is checked by decodeReply).
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address === server.host && rinfo.port === server.port) finish(undefined, msg);
    });
    sock.send(query, server.port, server.host);
  });
}

/** RFC 7766 §8: DNS over TCP, each message with a two-octet length prefix. */
function exchangeTcp(server: DnssecServer, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => finish(new Error(`TCP timeout after ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, msg?: Buffer): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(msg!);
    };
    sock.on('error', (err) => finish(err));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0))
        finish(undefined, all.subarray(2, 2 + all.readUInt16BE(0)));
    });
    sock.on('end', () => finish(new Error('TCP connection closed before the reply')));
  });
}
