#!/usr/bin/env node
// Issue 19's benchmark: messages injected per second through the HTTP API (POST /v1/inject) against
// SMTP injection (Postfix's smtp-source) into the same Petrel, in one run, variants alternating so
// that machine noise hits each alike. Delivery is suspended: this measures reception up to the
// fsync'd spool commit (the 250 or the 201), nothing after. Variants, each with `--clients`
// concurrent clients on kept-alive connections, 1 KB messages, one recipient per message:
//   smtp          smtp-source -d (connection reuse), one message per transaction
//   http raw      one raw RFC 5322 message per request (node:http, keep-alive agent)
//   http batch    10 recipients per request, content parts composed by nodemailer with {{name}} substitutions
//   http fetch    as http raw, through Node's fetch (undici) instead of node:http
// Writes bench/results/inject-http.jsonl, docs/performance/http-inject.md and then docs/performance.md
// (through bench/gen-performance.mjs).
//
// usage: node bench/inject-http.mjs [--messages 2000] [--clients 10] [--runs 3]
//        node bench/inject-http.mjs --doc-only   (the docs again from the last results)
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { hashPassword } from '../packages/passwords/dist/index.js';
import {
  ROOT,
  environment,
  fmt,
  heading,
  readJsonl,
  regeneratePerformancePage,
  stats,
  writeSection,
} from './lib/doc.mjs';
import { cpuSeconds, freePort, run, spawnPetrel, waitForPort } from './lib/procs.mjs';
import { parseArgs, petrelRelayConfig, smtpSourceArgs } from './lib/relay-common.mjs';
import { record, resultsFile, rotate, runEnv } from './lib/relay-run.mjs';

const CLI = join(ROOT, 'packages/petrel/dist/cli.js');
const args = parseArgs(process.argv.slice(2));
const M = Number(args.messages ?? 2000);
const C = Number(args.clients ?? 10);
const RUNS = Number(args.runs ?? 3);
const OUT = join(ROOT, 'bench/results/inject-http.jsonl');
const VARIANTS = ['smtp', 'http raw', 'http batch', 'http fetch'];
const BODY = `${'x'.repeat(76)}\r\n`.repeat(12);

async function once(variant, dir) {
  const listenPort = await freePort();
  const httpPort = await freePort();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokens'), `bench:${await hashPassword('secret')}\n`);
  const extra = `[http]\nlisten = "127.0.0.1:${httpPort}"\ntokens_file = "tokens"\nmax_recipients = 100\n`;
  // Delivery suspended (the gateway port is never dialled): reception only.
  const config = petrelRelayConfig(listenPort, 9, C, extra).replace(
    'tls = "no"',
    'tls = "no"\nsuspend_delivery = true',
  );
  writeFileSync(join(dir, 'petrel.toml'), config);
  const petrel = spawnPetrel(join(dir, 'petrel.toml'));
  const { child } = petrel;
  try {
    await waitForPort('127.0.0.1', listenPort);
    await waitForPort('127.0.0.1', httpPort);
    const cpu0 = cpuSeconds(child.pid);
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    if (variant === 'smtp') {
      const r = await run('smtp-source', smtpSourceArgs({ port: listenPort, sessions: C, messages: M, reuse: true }));
      if (r.code !== 0) throw new Error(`smtp-source failed: ${r.out}`);
    } else await httpLoad(httpPort, variant === 'http batch' ? 10 : 1, variant === 'http fetch' ? postFetch : postHttp);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid) - cpu0;
    const used = process.cpuUsage(client0);
    // The Node HTTP clients run in this process; smtp-source's CPU is not measured.
    const clientCpu = variant === 'smtp' ? null : (used.user + used.system) / 1e6;
    const stored = await spoolCount(dir);
    await petrel.stop();
    return { rate: M / seconds, seconds, cpu_s: cpu, client_cpu_s: clientCpu, stored };
  } catch (e) {
    throw new Error(`${e.message}\n${petrel.stderr()}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: C });
const HEADERS = { authorization: 'Bearer bench.secret', 'content-type': 'application/json' };

/** One POST through node:http on a kept-alive connection: { status, text }. */
function postHttp(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function postFetch(url, body) {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body });
  return { status: res.status, text: await res.text() };
}

/** C clients, each POSTing its share of M messages, `perRequest` recipients per request; every answer must be 201. */
async function httpLoad(port, perRequest, post) {
  const requests = Math.ceil(M / perRequest);
  let next = 0;
  const body = (n) =>
    perRequest === 1
      ? {
          sender: 'sender@test.local',
          recipients: [`rcpt${n}@relay.test`],
          content: { raw: `From: sender@test.local\r\nSubject: bench ${n}\r\n\r\n${BODY}` },
        }
      : {
          sender: 'sender@test.local',
          recipients: Array.from({ length: perRequest }, (_, i) => ({
            address: `rcpt${n}-${i}@relay.test`,
            substitutions: { name: `R${n}-${i}` },
          })),
          content: { from: 'sender@test.local', subject: 'bench {{name}}', text: `Dear {{name}},\r\n${BODY}` },
        };
  const worker = async () => {
    while (next < requests) {
      const n = next++;
      const res = await post(`http://127.0.0.1:${port}/v1/inject`, JSON.stringify(body(n)));
      if (res.status !== 201) throw new Error(`HTTP ${res.status}: ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: C }, worker));
}

/** Messages received since start, read through the CLI (`petrel summary --json`; the daemon is still up). */
async function spoolCount(dir) {
  const r = await run(process.execPath, [CLI, 'summary', '--json', '--config', join(dir, 'petrel.toml')]);
  try {
    return JSON.parse(r.out).received ?? null;
  } catch {
    return null;
  }
}

function writeDoc() {
  const recs = readJsonl(OUT);
  const env = recs[0].env;
  const of = (v, k) => stats(recs.filter((r) => r.variant === v).map((r) => r[k]));
  const rows = VARIANTS.map((v) => {
    const mine = recs.filter((r) => r.variant === v);
    const complete = mine.every((r) => r.stored === null || r.stored >= M) ? 'yes' : 'NO';
    const client = v === 'smtp' ? 'n/a' : fmt(of(v, 'client_cpu_s'), 1);
    return `| ${v} | ${fmt(of(v, 'rate'))} | ${fmt(of(v, 'cpu_s'), 1)} | ${client} | ${complete} |`;
  });
  const smtp = of('smtp', 'rate');
  const ratio = (v) => (smtp && of(v, 'rate') ? (of(v, 'rate').median / smtp.median).toFixed(2) : 'n/a');
  return writeSection(
    'http-inject',
    `${heading('HTTP injection vs SMTP injection (`bench/inject-http.mjs`, issue 19)', 'bench/inject-http.mjs')}Messages accepted per second into one Petrel (delivery suspended: reception up to the fsync'd spool
commit, i.e. up to the \`250\` or the \`201\`), ${env.clients} concurrent clients on kept-alive
connections, 1 KB messages, one recipient per message. \`smtp\`: Postfix's smtp-source with connection
reuse; \`http raw\`: node:http with a keep-alive agent, one raw message per POST /v1/inject; \`http batch\`:
10 recipients per POST, content parts composed by nodemailer with a \`{{name}}\` substitution (10 messages
per request); \`http fetch\`: as http raw through Node's fetch (undici), to show what the client costs.
The order of the variants rotates from run to run.

- Command: \`node bench/inject-http.mjs --messages ${env.messages} --clients ${env.clients} --runs ${Math.max(...recs.map((r) => r.run))}\`
- Environment: ${environment(env)}; a shared, noisy machine:
  read the ratios, not the absolute rates
- Figures: min / **median** / max over the runs; CPU is user + system during the run, of the daemon and of
  the Node HTTP clients (they share the machine's cores with it; smtp-source's is not measured).

| variant | msg/s | daemon CPU s | client CPU s | all stored |
|---|---|---|---|---|
${rows.join('\n')}

HTTP raw / SMTP, median: **${ratio('http raw')}×**; HTTP batch / SMTP: **${ratio('http batch')}×**; HTTP
through fetch / SMTP: **${ratio('http fetch')}×**.
`,
  );
}

const env = runEnv({ messages: M, clients: C });
if (args['doc-only'] !== 'true') {
  resultsFile(OUT);
  await rotate(RUNS, VARIANTS, 'bench-http-', async (variant, run, dir) => {
    const r = await once(variant, dir);
    record(OUT, { bench: 'inject-http', variant, run, ...r, env });
    console.log(JSON.stringify({ variant, run, rate: Math.round(r.rate), cpu: r.cpu_s, stored: r.stored }));
  });
}
agent.destroy();
const doc = writeDoc();
regeneratePerformancePage();
console.log(`wrote ${doc} and docs/performance.md`);
