#!/usr/bin/env node
// Issue 6's benchmark: inbound accept rate with delivery suspended. The same smtp-source load goes
// to Petrel (suspend_delivery = true: each message fsync'd into the spool before 250, never sent)
// and to Postfix smtpd (every message put durably on the hold queue, never sent), in the same run,
// with a new connection per message and with reused connections (-d). 1 KB messages.
// Prints one JSON line per (peer, variant, run) and writes them to bench/results/listener-accept.jsonl;
// bench/gen-listener-doc.mjs turns them into docs/performance/listener.md.
//
// usage: node bench/listener-accept.mjs [--messages 10000] [--sessions 20] [--runs 3]
// needs: pnpm build && pnpm --filter @petrel/test build (for the Postfix helper); run as root.
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/doc.mjs';
import { cpuSeconds, spawnPetrel } from './lib/procs.mjs';
import { freePort, run, startPostfix, waitForPort } from '../test/kit/dist/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).flatMap((v, i, all) => (v.startsWith('--') ? [[v.slice(2), all[i + 1] ?? 'true']] : [])),
);
const M = Number(args.messages ?? 10000);
const S = Number(args.sessions ?? 20);
const RUNS = Number(args.runs ?? 3);
const SIZE = 1000;
const OUT = args.out ?? join(ROOT, 'bench/results/listener-accept.jsonl');
const VARIANTS = [
  { name: 'new connection per message', reuse: false },
  { name: 'reused connections (-d)', reuse: true },
];

async function load(port, reuse) {
  const a = [
    '-s',
    String(S),
    '-m',
    String(M),
    '-l',
    String(SIZE),
    '-M',
    'test.local',
    '-f',
    'sender@test.local',
    '-t',
    'rcpt@example.test',
  ];
  if (reuse) a.push('-d');
  a.push(`127.0.0.1:${port}`);
  const t0 = performance.now();
  const r = await run('smtp-source', a, { timeoutMs: 1_800_000 });
  if (r.code !== 0) throw new Error(`smtp-source failed: ${r.stdout}${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

async function petrel(dir, reuse) {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'petrel.toml'),
    `hostname = "petrel.bench"
spool_dir = "spool"
log_dir = "log"
log_level = "warn"
[listener]
listen = ["127.0.0.1:${port}"]
relay_networks = ["127.0.0.0/8"]
max_connections_per_ip = ${S * 4}
[dns]
servers = ["127.0.0.1:9"]   # never asked: the gateway is an IP, and nothing is delivered
[global]
suspend_delivery = true
gateway = ["127.0.0.1:9"]
`,
  );
  const petrel = spawnPetrel(join(dir, 'petrel.toml'));
  try {
    await waitForPort('127.0.0.1', port);
    const seconds = await load(port, reuse);
    return { seconds, cpu_s: cpuSeconds(petrel.child.pid) };
  } catch (e) {
    throw new Error(`${e.message}\n${petrel.stderr()}`);
  } finally {
    await petrel.stop();
  }
}

async function postfix(dir, reuse) {
  mkdirSync(dir, { recursive: true });
  const pf = await startPostfix(dir, { mode: 'hold' });
  try {
    const seconds = await load(pf.port, reuse);
    const held = pf.held();
    if (held < M) throw new Error(`postfix held ${held} of ${M}`);
    return { seconds };
  } finally {
    await pf.stop();
  }
}

const env = {
  ...machine(),
  messages: M,
  sessions: S,
  size: SIZE,
  command: `node bench/listener-accept.mjs --messages ${M} --sessions ${S} --runs ${RUNS}`,
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(OUT, '');
const work = mkdtempSync(join(tmpdir(), 'petrel-bench-accept-'));
chmodSync(work, 0o755); // Postfix's daemons run as user postfix and must reach their queue
try {
  for (let runNo = 1; runNo <= RUNS; runNo++) {
    for (const v of VARIANTS) {
      // Alternate the order so neither peer always runs on a warmer machine.
      const peers = runNo % 2 ? ['petrel', 'postfix'] : ['postfix', 'petrel'];
      for (const peer of peers) {
        const dir = join(work, `${peer}-${runNo}-${v.reuse ? 'reuse' : 'new'}`);
        const r = peer === 'petrel' ? await petrel(dir, v.reuse) : await postfix(dir, v.reuse);
        rmSync(dir, { recursive: true, force: true });
        const rec = {
          peer,
          variant: v.name,
          run: runNo,
          accept_rate: M / r.seconds,
          seconds: r.seconds,
          ...(r.cpu_s !== undefined ? { cpu_s: r.cpu_s } : {}),
          env,
        };
        console.log(JSON.stringify(rec));
        appendFileSync(OUT, `${JSON.stringify(rec)}\n`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
