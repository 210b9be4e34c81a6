#!/usr/bin/env node
// Issue 16's DKIM benchmark. (1) The relay (smtp-source → Petrel → counting sink, 1 KB, one
// recipient, new connection per message) with every message signed by an RSA-2048 key, against
// the same relay unsigned, in one run, alternating (machine noise hits both alike). Target: signed
// ≥ 0.8× unsigned, end to end. (2) The signer alone: CPU per 1 KB message for @petrel/dkim and
// for mailauth's dkimSign (the library considered, docs/decisions.md), RSA-2048 and Ed25519.
// Results go to bench/results/relay-dkim.jsonl and, with --doc, into docs/performance/dkim.md and
// docs/performance.md (bench/gen-performance.mjs).
//
// usage: node bench/relay-dkim.mjs [--messages 3000] [--sessions 10] [--runs 3] [--doc]
//        node bench/relay-dkim.mjs --doc-only   (the docs again from the last results)
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ROOT,
  abRatio,
  abRow,
  environment,
  fmt,
  heading,
  readJsonl,
  regeneratePerformancePage,
  stats,
  writeSection,
} from './lib/doc.mjs';
import { parseArgs } from './lib/relay-common.mjs';
import { record, relayOnce, resultsFile, rotate, runEnv } from './lib/relay-run.mjs';

const args = parseArgs(process.argv.slice(2));
const M = Number(args.messages ?? 3000);
const S = Number(args.sessions ?? 10);
const RUNS = Number(args.runs ?? 3);
const DOC_ONLY = args['doc-only'] === 'true';
const OUT = join(ROOT, 'bench/results/relay-dkim.jsonl');
const UNSIGNED = 'unsigned';
const SIGNED = 'RSA-2048 signed';

const pem = (type) =>
  generateKeyPairSync(type, type === 'rsa' ? { modulusLength: 2048 } : undefined)
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();

// smtp-source writes `From: <sender@test.local>`; tempfail makes an unsignable message fail the run
// instead of passing unsigned and flattering the figure.
const DKIM_CONFIG = `
[[dkim]]
domain = "test.local"
selector = "bench"
key_file = "dkim.pem"
[dkim_options]
on_failure = "tempfail"
`;

async function relayRuns(env) {
  const key = pem('rsa');
  await rotate(RUNS, [UNSIGNED, SIGNED], 'bench-dkim-', async (variant, run, dir) => {
    const r = await relayOnce({
      dir,
      sessions: S,
      messages: M,
      files: { 'dkim.pem': key },
      extra: variant === SIGNED ? DKIM_CONFIG : '',
    });
    record(OUT, { bench: 'relay-dkim', kind: 'relay', variant, run, ...r, env });
    console.log(JSON.stringify({ variant, run, e2e: Math.round(r.e2e_rate), cpu: r.cpu_s, complete: r.complete }));
  });
}

/** CPU µs per message to sign one 1 KB message, each signer on the same messages, alternating. */
async function signerCost(env) {
  const { signMessage, parseKey, parseCanonicalization } = await import(join(ROOT, 'packages/dkim/dist/index.js'));
  const require = createRequire(join(ROOT, 'packages/dkim/package.json'));
  const { dkimSign } = require('mailauth/lib/dkim/sign');
  const N = 500;
  const body = `${'x'.repeat(70)}\r\n`.repeat(12);
  const msg = (i) =>
    Buffer.from(
      `From: <sender@test.local>\r\nTo: <rcpt@relay.test>\r\nSubject: bench ${i}\r\nDate: Sun, 6 Dec 2026 08:00:00 +0000\r\nMessage-ID: <${i}@test.local>\r\n\r\n${body}`,
    );
  for (const alg of ['rsa', 'ed25519']) {
    const keyPem = pem(alg);
    const k = parseKey(keyPem, 'bench.pem');
    const ours = {
      domain: 'test.local',
      selector: 'bench',
      algorithm: k.algorithm,
      privateKey: k.privateKey,
      headers: ['From', 'To', 'Subject', 'Date', 'Message-ID'],
      oversignHeaders: ['From', 'Subject'],
      canonicalization: parseCanonicalization('relaxed/relaxed'),
    };
    const signers = {
      '@petrel/dkim': async (m) => signMessage(m, [ours]),
      'mailauth dkimSign': async (m) =>
        dkimSign(m, {
          canonicalization: 'relaxed/relaxed',
          signatureData: [
            { signingDomain: 'test.local', selector: 'bench', privateKey: keyPem, algorithm: `${alg}-sha256` },
          ],
        }),
    };
    for (let round = 0; round < 2; round++) {
      const names = round % 2 === 0 ? Object.keys(signers) : Object.keys(signers).reverse();
      for (const name of names) {
        const before = process.cpuUsage();
        for (let i = 0; i < N; i++) await signers[name](msg(i));
        const used = process.cpuUsage(before);
        const us = (used.user + used.system) / N;
        const rec = {
          bench: 'relay-dkim',
          kind: 'signer',
          signer: name,
          algorithm: `${alg}-sha256`,
          round: round + 1,
          us_per_message: us,
          messages: N,
          env,
        };
        record(OUT, rec);
        console.log(JSON.stringify({ signer: name, algorithm: rec.algorithm, us: Math.round(us) }));
      }
    }
  }
}

/**
 * Event-loop time per RSA-2048 signature on the thread pool, ten in flight: every job on one
 * KeyObject against jobs spread over four copies of it (why @petrel/dkim keeps copies).
 */
async function keyCopies(env) {
  const { sign, createPrivateKey } = await import('node:crypto');
  const { performance } = await import('node:perf_hooks');
  const der = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'der', type: 'pkcs8' });
  const copies = Array.from({ length: 4 }, () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  const data = Buffer.alloc(600, 0x61);
  const N = 1000;
  const once = async (pick) => {
    const e0 = performance.eventLoopUtilization();
    let i = 0;
    const lane = async () => {
      while (i < N) {
        const k = pick(i++);
        await new Promise((res, rej) => sign('sha256', data, k, (e, sig) => (e ? rej(e) : res(sig))));
      }
    };
    await Promise.all(Array.from({ length: 10 }, lane));
    return (performance.eventLoopUtilization(e0).active * 1000) / N;
  };
  for (let round = 0; round < 3; round++) {
    for (const [variant, pick] of [
      ['one KeyObject', () => copies[0]],
      ['four copies', (i) => copies[i % 4]],
    ]) {
      const us = await once(pick);
      record(OUT, { bench: 'relay-dkim', kind: 'copies', variant, round: round + 1, us_per_signature: us, env });
      console.log(JSON.stringify({ variant, us: Math.round(us) }));
    }
  }
}

function writeDoc() {
  const recs = readJsonl(OUT);
  const relay = recs.filter((r) => r.kind === 'relay');
  const env = recs[0].env;
  // Each run's pair (same run number: one right after the other) is the fairer comparison on a busy machine.
  const pairs = stats(
    relay
      .filter((r) => r.variant === SIGNED)
      .map((r) => r.e2e_rate / (relay.find((x) => x.variant === UNSIGNED && x.run === r.run)?.e2e_rate ?? Number.NaN))
      .filter((x) => Number.isFinite(x)),
  );
  const cpuPer = (v) => {
    const xs = relay.filter((r) => r.variant === v);
    return xs.length
      ? ((xs.reduce((a, r) => a + r.cpu_s, 0) / xs.reduce((a, r) => a + r.delivered, 0)) * 1000).toFixed(2)
      : 'n/a';
  };
  const signer = recs.filter((r) => r.kind === 'signer');
  const cost = (name, alg) => {
    const xs = signer.filter((r) => r.signer === name && r.algorithm === alg).map((r) => r.us_per_message);
    return xs.length ? Math.round(Math.min(...xs)) : 'n/a';
  };
  const copyStats = (v) =>
    stats(recs.filter((r) => r.kind === 'copies' && r.variant === v).map((r) => r.us_per_signature));
  const text = `${heading('DKIM signing (`bench/relay-dkim.mjs`, issue 16)', 'bench/relay-dkim.mjs --doc')}The relay (smtp-source → Petrel → counting sink, 1 KB, one recipient, new connection per message)
with every message DKIM-signed at reception by one RSA-2048 key (relaxed/relaxed, the default
header list), against the same relay unsigned, runs alternating in one invocation.

- Command: \`node bench/relay-dkim.mjs --messages ${env.messages} --sessions ${env.sessions} --runs ${Math.max(...relay.map((r) => r.run))} --doc\`
- Environment: ${environment(env)}
- Figures: min / **median** / max over the runs.

| variant | accept msg/s | end-to-end msg/s | CPU s | all delivered |
|---|---|---|---|---|
${abRow(relay, UNSIGNED)}
${abRow(relay, SIGNED)}

Signed / unsigned, end-to-end median: **${abRatio(relay, UNSIGNED, SIGNED)}×** (target ≥ 0.8×); per run (each signed run over
the unsigned run next to it): ${fmt(pairs, 2)}. Petrel's CPU per message (every thread): unsigned
${cpuPer(UNSIGNED)} ms, signed ${cpuPer(SIGNED)} ms.

The signer alone, CPU time per 1 KB message (best of two rounds of ${signer[0]?.messages ?? 0}, same process, alternating):

| signer | rsa-sha256 (2048) µs | ed25519-sha256 µs |
|---|---|---|
| @petrel/dkim (node:crypto) | ${cost('@petrel/dkim', 'rsa-sha256')} | ${cost('@petrel/dkim', 'ed25519-sha256')} |
| mailauth dkimSign 4.13 | ${cost('mailauth dkimSign', 'rsa-sha256')} | ${cost('mailauth dkimSign', 'ed25519-sha256')} |

Event-loop time per RSA-2048 signature on the thread pool, ten in flight (event-loop utilisation,
min / **median** / max of three rounds): every job on one KeyObject ${fmt(copyStats('one KeyObject'))} µs,
spread over four copies of the key ${fmt(copyStats('four copies'))} µs.
`;
  console.log(`wrote ${writeSection('dkim', text)}`);
}

const env = runEnv({ messages: M, sessions: S });
resultsFile(OUT, args.append === 'true' || DOC_ONLY);
if (!DOC_ONLY) {
  await signerCost(env);
  await keyCopies(env);
  await relayRuns(env);
}
if (args.doc === 'true' || DOC_ONLY) {
  writeDoc();
  regeneratePerformancePage();
}
