/** The DO-bit DNS client: the query's flags, the AD bit and answers of the reply, TCP after truncation. */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { TYPE_TLSA, decodeReply, encodeQuery, querySecure } from './dnssec-client.js';

/** A reply to `query` with the given flags and one TLSA answer (name compressed to the question). */
function reply(query: Buffer, flags: number, rdata: Buffer): Buffer {
  const questionEnd = query.length - 11; // the query ends with the 11-byte OPT record
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 6); // ANCOUNT
  header.writeUInt16BE(0, 10); // no additional records
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
  rr.writeUInt16BE(TYPE_TLSA, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(300, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([header, query.subarray(12, questionEnd), rr, rdata]);
}

const TLSA = Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 0xab)]);
let udp: Socket;
let tcp: Server;
let port = 0;
const seen: Buffer[] = [];

before(async () => {
  tcp = createServer((s) =>
    s.once('data', (d: Buffer) => {
      const q = d.subarray(2);
      const r = reply(q, 0x81a0, TLSA); // QR RD RA AD
      const len = Buffer.alloc(2);
      len.writeUInt16BE(r.length);
      s.end(Buffer.concat([len, r]));
    }),
  );
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  port = (tcp.address() as { port: number }).port;
  udp = createSocket('udp4');
  udp.on('message', (q, rinfo) => {
    seen.push(q);
    // Names under "big." are truncated over UDP: the client must ask again over TCP.
    const truncated = q.includes(Buffer.from('big'));
    udp.send(reply(q, truncated ? 0x8380 : 0x8180, TLSA), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
});
after(() => {
  udp.close();
  tcp.close();
});

test('the query asks for recursion and the AD bit, with EDNS0 DO=1', () => {
  const q = encodeQuery(0x1234, '_25._tcp.mx.example.', TYPE_TLSA);
  assert.equal(q.readUInt16BE(2), 0x0120);
  assert.equal(q.readUInt16BE(10), 1, 'one OPT record');
  assert.equal(q.readUInt16BE(q.length - 10), 41, 'OPT type');
  assert.equal(q.readUInt32BE(q.length - 6) & 0x8000, 0x8000, 'DO bit');
});

test('a reply without the AD bit is reported as not authenticated; a foreign id is refused', () => {
  const q = encodeQuery(7, 'a.test', TYPE_TLSA);
  const r = decodeReply(reply(q, 0x8180, TLSA), 7);
  assert.deepEqual([r.rcode, r.ad, r.answers.length, r.answers[0]!.ttl], [0, false, 1, 300]);
  assert.throws(() => decodeReply(reply(q, 0x8180, TLSA), 8));
});

test('querySecure reads the answer and its AD bit over UDP', async () => {
  const a = await querySecure([{ host: '127.0.0.1', port }], '_25._tcp.mx.test', TYPE_TLSA, {
    timeoutMs: 1000,
    tries: 1,
  });
  assert.equal(a.ad, false);
  assert.deepEqual(a.answers[0]!.data, TLSA);
});

test('a truncated UDP reply is asked again over TCP (RFC 7766)', async () => {
  const a = await querySecure([{ host: '127.0.0.1', port }], '_25._tcp.big.test', TYPE_TLSA, {
    timeoutMs: 1000,
    tries: 1,
  });
  assert.equal(a.ad, true, 'the TCP answer, which sets AD');
});

test('no answer within the timeout is a PETREL_ERR_DNSSEC_QUERY error', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  try {
    await assert.rejects(
      querySecure([{ host: '127.0.0.1', port: silent.address().port }], 'x.test', TYPE_TLSA, {
        timeoutMs: 200,
        tries: 1,
      }),
      { code: 'PETREL_ERR_DNSSEC_QUERY' },
    );
  } finally {
    silent.close();
  }
});
