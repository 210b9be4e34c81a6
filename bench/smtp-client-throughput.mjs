#!/usr/bin/env node
// Client-only throughput: @petrel/smtp-client sessions vs nodemailer's SMTP pool, both into the
// same smtp-sink (Postfix) in the same run. Connections are reused (RSET between messages, as
// outbound does). Prints one JSON line per run.
//
// usage: node bench/smtp-client-throughput.mjs [--messages 20000] [--sessions 20] [--size 1000] [--runs 3]
import { cpus } from 'node:os';
import { SmtpSession } from '../packages/smtp-client/dist/index.js';
import { startSmtpSink } from '../test/kit/dist/index.js';
import nodemailer from '../test/node_modules/nodemailer/dist/esm/nodemailer.js';

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]]] : [])),
);
const MESSAGES = Number(args.messages ?? 20000);
const SESSIONS = Number(args.sessions ?? 20);
const SIZE = Number(args.size ?? 1000);
const RUNS = Number(args.runs ?? 3);
const ONLY = args.only; // 'petrel' | 'nodemailer' (profiling one side)

function body(size) {
  const head = 'From: a@client.test\r\nTo: b@sink.test\r\nSubject: bench\r\n\r\n';
  const line = `${'x'.repeat(70)}\r\n`;
  let text = head;
  while (text.length + line.length <= size) text += line;
  return Buffer.from(`${text + 'y'.repeat(Math.max(0, size - text.length - 2))}\r\n`);
}

const timeouts = {
  connect: 10000,
  banner: 10000,
  ehlo: 10000,
  mailfrom: 10000,
  rcptto: 10000,
  data: 10000,
  dataBlock: 10000,
  body: 10000,
  rset: 10000,
  quit: 2000,
};

async function runPetrel(port, msg) {
  let next = 0;
  let delivered = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      const s = await SmtpSession.open({
        host: '127.0.0.1',
        port,
        ehloName: 'client.test',
        timeouts,
        tls: 'no',
        tlsVerify: 'no',
      });
      let first = true;
      while (next < MESSAGES) {
        next++;
        if (!first && !(await s.reset())) throw new Error('RSET failed');
        first = false;
        const r = await s.send({ sender: 'a@client.test', recipients: [{ address: 'b@sink.test' }], body: msg });
        if (r.recipients[0].status !== 'delivered') throw new Error(`not delivered: ${r.recipients[0].reply.code}`);
        delivered++;
      }
      await s.quit();
    }),
  );
  const ms = performance.now() - t0;
  return { delivered, ms, perSec: Math.round((delivered / ms) * 1000) };
}

async function runNodemailer(port, msg) {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: SESSIONS,
    maxMessages: Infinity,
  });
  let delivered = 0;
  const t0 = performance.now();
  // Keep SESSIONS × 2 sends in flight so the pool is never starved (nodemailer queues the rest).
  let next = 0;
  await Promise.all(
    Array.from({ length: SESSIONS * 2 }, async () => {
      while (next < MESSAGES) {
        next++;
        await transport.sendMail({ envelope: { from: 'a@client.test', to: ['b@sink.test'] }, raw: msg });
        delivered++;
      }
    }),
  );
  const ms = performance.now() - t0;
  transport.close();
  return { delivered, ms, perSec: Math.round((delivered / ms) * 1000) };
}

const msg = body(SIZE);
const sink = await startSmtpSink();
try {
  for (let run = 1; run <= RUNS; run++) {
    // Alternate the order so neither side always runs on a warmer sink.
    const order = run % 2 ? ['petrel', 'nodemailer'] : ['nodemailer', 'petrel'];
    const out = {
      bench: 'smtp-client-throughput',
      run,
      messages: MESSAGES,
      sessions: SESSIONS,
      size: msg.length,
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
    };
    for (const who of order) {
      if (ONLY && ONLY !== who) continue;
      out[who] = who === 'petrel' ? await runPetrel(sink.port, msg) : await runNodemailer(sink.port, msg);
    }
    if (out.petrel && out.nodemailer) out.ratio = Math.round((out.petrel.perSec / out.nodemailer.perSec) * 100) / 100;
    console.log(JSON.stringify(out));
  }
} finally {
  await sink.stop();
}
