/**
 * Bounded fuzz: random and mutated command streams, binary garbage, huge lines and slow-loris
 * clients against a real Listener on a socket. The process must not crash, memory must stay
 * bounded, and the server must end every connection by itself (idle timeout, QUIT, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startListener } from './harness.js';

/** mulberry32: a small seeded PRNG so a failure can be replayed with the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  'EHLO fuzz.test',
  'HELO fuzz.test',
  'MAIL FROM:<a@test.local>',
  'MAIL FROM:<a@test.local> BODY=BINARYMIME SIZE=10 RET=FULL ENVID=x',
  'RCPT TO:<x@example.test>',
  'RCPT TO:<x@example.test> NOTIFY=SUCCESS ORCPT=rfc822;x+40y',
  'DATA',
  'BDAT 10',
  'BDAT 5 LAST',
  'RSET',
  'NOOP',
  'STARTTLS',
  'AUTH PLAIN',
  'AUTH LOGIN',
  'VRFY x',
  'HELP',
  'Subject: x',
  '.',
  '',
  'QUIT',
];

function mutate(line: string, rnd: () => number): string {
  const chars = [...line];
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(rnd() * (chars.length + 1));
    const op = rnd();
    const c = String.fromCharCode(Math.floor(rnd() * 256));
    if (op < 0.4) chars.splice(pos, 1);
    else if (op < 0.8) chars.splice(pos, 0, c);
    else chars.splice(pos, 0, ...'\r\n.\n\r'.slice(0, 1 + Math.floor(rnd() * 5)));
  }
  return chars.join('');
}

function stream(kind: number, rnd: () => number): Buffer[] {
  const parts: Buffer[] = [];
  const count = 5 + Math.floor(rnd() * 40);
  for (let i = 0; i < count; i++) {
    const base = VALID[Math.floor(rnd() * VALID.length)]!;
    switch (kind) {
      case 0: // valid verbs in random order
        parts.push(Buffer.from(`${base}\r\n`));
        break;
      case 1: // mutated commands, random line ends
        parts.push(Buffer.from(`${mutate(base, rnd)}${rnd() < 0.8 ? '\r\n' : rnd() < 0.5 ? '\n' : '\r'}`, 'latin1'));
        break;
      default: {
        // binary garbage
        const b = Buffer.alloc(Math.floor(rnd() * 2000));
        for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
        parts.push(b);
      }
    }
  }
  return parts;
}

/** Sends `parts` (each write split at random), never closes its side; resolves when the server closes. */
function client(port: number, parts: Buffer[], rnd: () => number, pauseMs: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.once('close', () => resolve());
    const writeAll = async (): Promise<void> => {
      for (const p of parts) {
        if (s.destroyed) return;
        const cut = Math.floor(rnd() * (p.length + 1));
        s.write(p.subarray(0, cut));
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        s.write(p.subarray(cut));
      }
    };
    s.once('connect', () => void writeAll());
  });
}

test('random, mutated and binary command streams, huge lines and slow-loris clients: no crash, bounded memory, every connection ended by the server', {
  timeout: 20_000,
}, async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
  t.diagnostic(`FUZZ_SEED=${seed}`);
  const rnd = prng(seed);
  const h = await startListener({
    listener: ['idle_timeout = "400ms"', 'max_message_size = "64KB"', 'max_connections_per_ip = 1000'],
  });
  t.after(() => h.close());
  const rssBefore = process.memoryUsage().rss;
  const clients: Promise<void>[] = [];
  for (let i = 0; i < 150; i++) clients.push(client(h.port, stream(i % 3, rnd), rnd, 0));
  // Huge lines with no LF: 8 clients × 4 MB each, in command and DATA state.
  const huge = Buffer.alloc(4 * 1024 * 1024, 0x41);
  for (let i = 0; i < 4; i++) clients.push(client(h.port, [huge], rnd, 0));
  for (let i = 0; i < 4; i++) {
    clients.push(
      client(
        h.port,
        [Buffer.from('EHLO x\r\nMAIL FROM:<a@test.local>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n'), huge, huge],
        rnd,
        0,
      ),
    );
  }
  // Slow loris: one octet every 50 ms of a command that would take 10 s; partial input must not
  // keep the session alive past idle_timeout (400 ms).
  const lorisStart = Date.now();
  const lorisEnded: number[] = [];
  for (let i = 0; i < 10; i++) {
    const drip = [...Buffer.from(`EHLO ${'x'.repeat(200)}`)].map((b) => Buffer.from([b]));
    clients.push(client(h.port, drip, () => 1, 50).then(() => void lorisEnded.push(Date.now() - lorisStart)));
  }
  const all = Promise.all(clients);
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref());
  assert.notEqual(
    await Promise.race([all, timeout]),
    'timeout',
    'every connection was ended by the server within 15 s',
  );
  assert.ok(Math.max(...lorisEnded) < 3_000, `slow-loris sessions ended after ${Math.max(...lorisEnded)} ms`);
  for (let i = 0; i < 100 && h.listener.stats().connectionsOpen > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.listener.stats().connectionsOpen, 0);
  const grown = process.memoryUsage().rss - rssBefore;
  t.diagnostic(`rss grew ${(grown / 1e6).toFixed(1)} MB; stored ${h.stored.length}; rejections ${h.rejected.length}`);
  // 168 clients sent ~40 MB in all; a listener holding input would grow by that much or more.
  assert.ok(grown < 150e6, `rss grew ${grown} bytes`);
  // The listener still works.
  const ok = await new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: h.port });
    s.setEncoding('utf8');
    s.once('data', (d: string) => {
      s.destroy();
      resolve(d);
    });
  });
  assert.match(ok, /^220 /);
});
