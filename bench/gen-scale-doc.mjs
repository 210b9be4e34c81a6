#!/usr/bin/env node
// Writes docs/performance/scale.md (issue 20's targets, each figure next to its goal) from
// bench/results/queue-depth.jsonl (bench/queue-depth.mjs, both modes) and bench/results/relay.jsonl
// (bench/relay.mjs: Petrel vs Postfix, vs the direct ceiling, latency under a paced load) and
// reception-memory.jsonl (bench/reception-memory.mjs); then run
// bench/gen-performance.mjs to rebuild the page. Never hand-typed: a results file absent from this
// checkout keeps the rows and subsections the section had (generated earlier from it); a target
// never measured says so and names the command that measures it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, environment, readJsonl, stats, writeSection } from './lib/doc.mjs';
import { WARM_MESSAGES } from './lib/relay-common.mjs';
import { e2eStats, loadNote, pacedStats, pairedRatio, small } from './lib/relay-doc.mjs';

const depthRuns = readJsonl(join(ROOT, 'bench/results/queue-depth.jsonl'));
const depth = depthRuns.filter((r) => r.bench === 'queue-depth').pop();
/**
 * The previous depth run at the same size, for the restart figure: since the old swap file is moved
 * aside and deleted in the background, the start no longer waits for its unlink (a different run,
 * so a different load: both loads are printed).
 */
const restartBefore = () => {
  const prev = depthRuns
    .filter(
      (r) => r.bench === 'queue-depth' && r !== depth && r.messages === depth.messages && r.domains === depth.domains,
    )
    .pop();
  return prev === undefined
    ? ''
    : ` (load ${depth.load[0]}; the previous run at this size, ${prev.date}, load ${prev.load[0]}, before the old swap file` +
        ` was deleted in the background: ${prev.restartToFirstDeliveryMs} ms)`;
};
const drain = depthRuns.filter((r) => r.bench === 'queue-drain').pop();
const inject = depthRuns.filter((r) => r.bench === 'queue-inject').pop();
const isInjectRow = (row) =>
  labelOf(row).startsWith('sustained SMTP injection') || labelOf(row).includes('after injecting');
const profiled = depthRuns.filter((r) => r.bench === 'queue-drain' && r.profile).pop();
const relay = readJsonl(join(ROOT, 'bench/results/relay.jsonl'));
const relayEnv = relay[0]?.env;

/** The section as generated before: its table rows and its ### subsections (for absent results files). */
const before = (() => {
  const file = join(ROOT, 'docs/performance/scale.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const [head, ...subs] = text.split(/^(?=### )/m);
  // the targets table is the one before the first subsection
  const rows = head.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| target |'));
  return { rows, subs: (prefix) => subs.filter((x) => x.startsWith(prefix)).map((x) => `\n${x.trimEnd()}\n`) };
})();
// the first cell of each relay row (how the rows kept from before are told apart)
const RELAY_LABELS = ['100KB new-conn 1rcpt relay', '1KB new-conn relay', 'p99 reception → delivery'];
const labelOf = (row) => row.slice(2, row.indexOf(' |', 2));
const isRelayRow = (row) => RELAY_LABELS.some((l) => labelOf(row).startsWith(l));
const isDrainRow = (row) => labelOf(row).startsWith('drain ');
const reception = readJsonl(join(ROOT, 'bench/results/reception-memory.jsonl')).pop();
// the newest bench/relay-cpu.mjs invocation's records (one env.date per invocation)
const relayCpuAll = readJsonl(join(ROOT, 'bench/results/relay-cpu.jsonl'));
const relayCpuDate = relayCpuAll.at(-1)?.env.date;
const relayCpu = relayCpuAll.filter((r) => r.env.date === relayCpuDate);
// relay-cpu's unmeasured messages before its runs (records from before --warmup had 500)
const relayCpuWarmup = relayCpu.find((r) => r.bench === 'relay-cpu')?.warmup ?? 500;

const DEPTH_FULL = 'node bench/queue-depth.mjs --messages 10000000 --domains 3000';
const DRAIN_FULL = 'node bench/queue-depth.mjs --drain --messages 1000000 --domains 100';
const RELAY_FULL = 'node bench/relay.mjs --messages 10000 --sessions 20 --runs 4 --doc';
const RELAY_VARIANTS = ['1KB new-conn 1rcpt', '100KB new-conn 1rcpt'];
const yes = (ok) => (ok ? '**met**' : '**not met**');
/** A target stated at full size: a smaller run shows the figure, not the verdict. */
const atSize = (ok, full) =>
  full ? yes(ok) : `${ok ? 'within' : 'outside'} the goal at this size; **not shown at full size**`;
const env = (r) => `${environment(r)}; load average at the end ${r.load.join(' / ')} (1/5/15 min)`;

const rows = [];
if (!depth)
  rows.push(
    ...before.rows
      .filter((r) => !isRelayRow(r) && !isDrainRow(r) && !isInjectRow(r))
      .map((r) => r.slice(2, -2).split(' | ')),
  );
if (depth) {
  const n = depth.messages.toLocaleString('en');
  const full = depth.messages >= 10_000_000;
  const size = full ? '' : ` (at ${n}, not 10⁷)`;
  const apiMax = Math.max(
    ...['cliAfterRecovery', 'cliAfterSmtp'].flatMap((k) => Object.values(depth[k]).map((c) => c.apiMsMax)),
  );
  const cliMax = Math.max(
    ...['cliAfterRecovery', 'cliAfterSmtp'].flatMap((k) => Object.values(depth[k]).map((c) => c.cliMs)),
  );
  rows.push(
    [
      `RSS with ${n} queued${size}`,
      '≤ 1.5 GB at 10⁷',
      `peak ${depth.peakRssMiB} MiB`,
      atSize(depth.peakRssMiB <= 1536, full),
    ],
    [
      '`petrel queue`, `summary`, `queue shape` answer',
      '< 1 s',
      `daemon's answer (control API) ≤ ${apiMax} ms; whole CLI call ≤ ${cliMax} ms (node start-up included)`,
      apiMax < 1000 && cliMax >= 1000
        ? '**met by the daemon**; the CLI process start-up alone exceeds 1 s on this machine'
        : atSize(apiMax < 1000 && cliMax < 1000, full),
    ],
    [
      `restart → first delivery${size}`,
      '≤ 2 s',
      `${depth.restartToFirstDeliveryMs} ms from spawn to the first message at the sink` +
        (depth.restartListenMs !== undefined
          ? ` (listening after ${depth.restartListenMs} ms: process start-up; then ${depth.restartToFirstDeliveryMs - depth.restartListenMs} ms)`
          : ''),
      atSize(depth.restartToFirstDeliveryMs <= 2000, full),
    ],
    [`recovery: whole queue schedulable${size}`, '—', `${depth.recoverySecs} s after spawn`, '—'],
    [
      'SMTP injection into the deep queue',
      'documented',
      `${depth.smtpRate} msg/s sustained (${depth.smtpMessages.toLocaleString('en')} × 1 KB, 20 sessions)`,
      '—',
    ],
  );
}
if (!inject) rows.push(...before.rows.filter(isInjectRow).map((r) => r.slice(2, -2).split(' | ')));
if (inject) {
  const n = inject.messages.toLocaleString('en');
  const hours = (10_000_000 / inject.rate / 3600).toFixed(1);
  const apiMax = Math.max(...Object.values(inject.cliAfterInject).map((c) => c.apiMsMax));
  const cliMax = Math.max(...Object.values(inject.cliAfterInject).map((c) => c.cliMs));
  rows.push(
    [
      `sustained SMTP injection, 0 → ${n} queued`,
      'documented (10⁷)',
      `${inject.rate} msg/s over ${n} × 1 KB (smtp-source, 20 sessions; per ${inject.chunk.toLocaleString('en')}: ` +
        `${inject.minChunkRate}–${inject.maxChunkRate} msg/s); Petrel CPU ${inject.cpuUsPerMessage} µs per message` +
        (inject.messages < 10_000_000 ? `; 10⁷ at this rate is ${hours} h, not run` : ''),
      '—',
    ],
    [
      `\`petrel queue\`, \`summary\`, \`queue shape\` after injecting ${n}`,
      '< 1 s',
      `daemon's answer ≤ ${apiMax} ms; whole CLI call ≤ ${cliMax} ms (node start-up included)`,
      atSize(apiMax < 1000 && cliMax < 1000, inject.messages >= 10_000_000),
    ],
  );
}
if (!drain) rows.push(...before.rows.filter(isDrainRow).map((r) => r.slice(2, -2).split(' | ')));
if (drain) {
  const full = drain.messages >= 1_000_000;
  rows.push([
    `drain ${drain.messages.toLocaleString('en')} for ${drain.domains} domains${full ? '' : ' (not 10⁶)'}`,
    '≥ 0.8 × fresh relay',
    `${drain.drainRate} msg/s vs fresh ${drain.freshRateBefore} / ${drain.freshRateAfter} msg/s: **${drain.ratio}×**`,
    atSize(drain.ratio >= 0.8, full),
  ]);
}
if (relayEnv) rows.push(...relayRows());
else if (before.rows.some(isRelayRow))
  rows.push(...before.rows.filter(isRelayRow).map((r) => r.slice(2, -2).split(' | ')));
else
  rows.push(
    ['100KB new-conn 1rcpt relay', '≥ 2 × Postfix end to end', `not measured: \`${RELAY_FULL}\``, '—'],
    ['1KB new-conn relay', '≥ 35% of smtp-source → smtp-sink direct', `not measured: \`${RELAY_FULL}\``, '—'],
    ['p99 reception → delivery at 50% of peak, 1 KB', '≤ 50 ms', `not measured: \`${RELAY_FULL}\``, '—'],
  );

/** The relay targets from bench/results/relay.jsonl, each figure with the run's command and date. */
function relayRows() {
  const source = `\`node bench/relay.mjs ${relayEnv.argv}\`, ${relayEnv.date.slice(0, 10)}, load average ${relayEnv.load[0].toFixed(1)} at the start${loadNote(relay)} on ${relayEnv.cores} cores${small(relayEnv) ? '; smaller than the full run' : ''}`;
  const r2 = (x) => x.toFixed(2);
  const out = [];
  const [small1k, big] = RELAY_VARIANTS;
  {
    const p = e2eStats(relay, big, 'petrel');
    const x = e2eStats(relay, big, 'postfix');
    out.push(
      p && x
        ? [
            `${big} relay`,
            '≥ 2 × Postfix end to end',
            `Petrel ${p.median.toFixed(0)} msg/s, Postfix ${x.median.toFixed(0)} msg/s (medians of ${p.n} / ${x.n} runs): **${r2(p.median / x.median)}×** (${source})`,
            yes(p.median / x.median >= 2),
          ]
        : [`${big} relay`, '≥ 2 × Postfix end to end', `not in ${source}: \`${RELAY_FULL}\``, '—'],
    );
  }
  {
    const p = e2eStats(relay, small1k, 'petrel');
    const d = e2eStats(relay, small1k, 'direct');
    const pr = pairedRatio(relay, small1k, 'petrel', 'direct');
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    const cpuRuns = relayCpuWarmup >= WARM_MESSAGES ? relayCpu.filter((r) => r.bench === 'relay-cpu') : [];
    const cpuShare = cpuRuns.length
      ? { ...stats(cpuRuns.map((r) => r.relay.rate / r.direct.rate)), n: cpuRuns.length }
      : undefined;
    out.push(
      p && d && pr
        ? [
            '1KB new-conn relay',
            '≥ 35% of smtp-source → smtp-sink direct',
            `Petrel ${p.median.toFixed(0)} msg/s, direct ${d.median.toFixed(0)} msg/s (medians); Petrel / direct per run ${pct(pr.min)} / **${pct(pr.median)}** / ${pct(pr.max)} (min / median / max of ${pr.n}) (${source})${cpuShare ? `; the same ratio in \`bench/relay-cpu.mjs\`'s newest runs (${relayCpuDate.slice(0, 10)}): ${pct(cpuShare.min)} / **${pct(cpuShare.median)}** / ${pct(cpuShare.max)} (of ${cpuShare.n})` : ''}`,
            // Both benchmarks measure this ratio: the verdict says when they disagree.
            !cpuShare || pr.median >= 0.35 === cpuShare.median >= 0.35
              ? yes(pr.median >= 0.35)
              : `**${pr.median >= 0.35 ? 'met' : 'not met'} in relay.mjs, ${cpuShare.median >= 0.35 ? 'met' : 'not met'} in relay-cpu.mjs**`,
          ]
        : [
            '1KB new-conn relay',
            '≥ 35% of smtp-source → smtp-sink direct',
            `not in ${source} (no direct runs): \`${RELAY_FULL}\``,
            '—',
          ],
    );
  }
  {
    const s = pacedStats(relay, 'petrel');
    const label = `p99 reception → delivery at ${s.fraction === undefined ? 50 : s.fraction * 100}% of peak, 1 KB`;
    const ms = (x) => x.toFixed(0);
    out.push(
      s.p99
        ? [
            label,
            '≤ 50 ms',
            `Petrel p99 ${ms(s.p99.min)} / **${ms(s.p99.median)}** / ${ms(s.p99.max)} ms, p50 **${ms(s.p50.median)}** ms (min / median / max of ${s.p99.n} runs) at ${s.target.median.toFixed(0)} msg/s (peak ${s.peak.median.toFixed(0)} msg/s; sent ${s.sent.median.toFixed(0)} msg/s, sender lag p99 ${ms(s.lag_p99.max)} ms at most) (${source})`,
            s.p99.max <= 50 ? yes(true) : s.p99.min <= 50 ? '**not met** in every run' : yes(false),
          ]
        : [label, '≤ 50 ms', `not in ${source} (no paced runs): \`${RELAY_FULL}\``, '—'],
    );
  }
  return out;
}

let out = `## Scale: ten million queued, draining, large bodies (issue 20)

Generated by \`node bench/gen-scale-doc.mjs\` from \`bench/results/queue-depth.jsonl\` and \`bench/results/relay.jsonl\`
(rows and subsections whose results file was absent when it ran are kept as generated before).

| target | goal | figure | |
|---|---|---|---|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}
`;
if (depth) {
  const every = Math.max(1, Math.ceil(depth.rss.length / 24));
  const curve = depth.rss
    .filter((_, i) => i % every === 0 || i === depth.rss.length - 1)
    .map(([s, m]) => `${s}s ${m} MiB`)
    .join(' · ');
  const cli = (k) =>
    Object.entries(depth[k])
      .map(([name, c]) => `${name} ${c.apiMsMax} ms (CLI ${c.cliMs} ms)`)
      .join(', ');
  out += `
### Depth: ${depth.messages.toLocaleString('en')} queued, ${depth.domains} domains, delivery suspended

- Command: \`${depth.command}\`; the full target: \`${DEPTH_FULL}\`
- Environment: ${env(depth)}
- Fill: the bulk path (the spool's schema written with SQL, ${depth.fillSecs} s${depth.fillReused ? ', reused' : ''}); then
  \`petrel start\` on it: listening after ${depth.listenMs} ms, recovery streamed every message through routing
  into the queues (all but a window per queue swapped out) in ${depth.recoverySecs} s; ${depth.queued.toLocaleString('en')} counted.
- Answer times (API on the control socket, max of 3; CLI once): during recovery ${cli('cliDuringRecovery')};
  after recovery ${cli('cliAfterRecovery')}; after the SMTP load ${cli('cliAfterSmtp')}.
- SMTP into the deep queue: ${depth.smtpMessages.toLocaleString('en')} × 1 KB at ${depth.smtpRate} msg/s (smtp-source, 20 sessions);
  ${depth.queuedAfterSmtp.toLocaleString('en')} queued after.
- Restart (kill -9, then delivery allowed, the sink as every domain's gateway): first message at the sink
  ${depth.restartToFirstDeliveryMs} ms after spawn${restartBefore()}.
- RSS of the daemon over time (from spawn): ${curve}
`;
}
if (!depth) out += before.subs('### Depth').join('');
if (drain) {
  out += `
### Drain: ${drain.messages.toLocaleString('en')} held for ${drain.domains} domains, then released

- Command: \`${drain.command}\`; the full target: \`${DRAIN_FULL}\`
- Environment: ${env(drain)}
- Recovery ${drain.recoverySecs} s; fresh relay on the same daemon (${drain.relayMessages.toLocaleString('en')} × 1 KB,
  smtp-source 20 sessions, relay.test not held) before: ${drain.freshRateBefore} msg/s, after: ${drain.freshRateAfter} msg/s.
- Released by a config reload (suspend_delivery = false): ${drain.queued.toLocaleString('en')} delivered in ${drain.drainSecs} s =
  ${drain.drainRate} msg/s, **${drain.ratio}×** the mean fresh rate; peak RSS ${drain.peakRssMiB} MiB.
`;
  if (drain.cpuSecs !== undefined)
    out += `- CPU of the daemon (all threads, user + system, /proc) over its life: ${drain.cpuSecs} s for
  ${(drain.queued + 2 * drain.relayMessages).toLocaleString('en')} messages = **${drain.cpuUsPerMessage} µs per message**.
`;
}
if (!drain) out += before.subs('### Drain').join('');
if (inject) {
  const cli = Object.entries(inject.cliAfterInject)
    .map(([name, c]) => `${name} ${c.apiMsMax} ms (CLI ${c.cliMs} ms)`)
    .join(', ');
  out += `
### Inject: ${inject.messages.toLocaleString('en')} over SMTP into a held queue

- Command: \`${inject.command}\`
- Environment: ${env(inject)}
- Rate per ${inject.chunk.toLocaleString('en')} messages as the queue grows (msg/s, RSS after the chunk):
  ${inject.chunks.map((c) => `${(c.upTo / 1000).toLocaleString('en')}k ${c.rate} (${c.rssMiB} MiB)`).join(' · ')}
- ${inject.queued.toLocaleString('en')} queued at the end; answer times then (API max of 3; CLI once): ${cli}; peak RSS ${inject.peakRssMiB} MiB.
`;
}
if (!inject) out += before.subs('### Inject').join('');
if (!profiled) out += before.subs('### Where the CPU goes per message').join('');
if (profiled) {
  const p = profiled.profile;
  out += `
### Where the CPU goes per message (main thread, \`--profile\`)

\`${profiled.command}\` (${env(profiled)}): the daemon under \`node --cpu-prof\` over its whole life
(recovery, both fresh loads, the drain): ${p.busyMs} ms of main-thread CPU for
${(profiled.queued + 2 * profiled.relayMessages).toLocaleString('en')} messages = **${p.usPerMessage} µs per message** (the spool's
writer thread not included; on a machine this loaded, sampled time includes time the thread waited for a core).
Self time, largest first:

| % | function |
|---|---|
${p.top.map((t) => `| ${t.pct} | \`${t.fn}\` |`).join('\n')}
`;
}
if (relayCpu.length) out += relayCpuSection();
else out += before.subs('### Where the CPU goes: 1 KB relay').join('');

/** CPU per message of every process in the 1 KB new-connection relay, and what it implies for the rate. */
function relayCpuSection() {
  const runs = relayCpu.filter((r) => r.bench === 'relay-cpu');
  const prof = relayCpu.find((r) => r.bench === 'relay-cpu-profile');
  const e = runs[0]?.env ?? prof.env;
  const med = (f) => stats(runs.map(f)).median;
  const petrel = (r) =>
    r.relay.us.petrelMainUser + r.relay.us.petrelMainSys + r.relay.us.petrelWriter + r.relay.us.petrelHelpers;
  const row = (label, f, unit = ' µs') => {
    const st = stats(runs.map(f));
    return `| ${label} | ${st.min}${unit} | **${st.median}${unit}** | ${st.max}${unit} |`;
  };
  const relayAll = (r) => petrel(r) + r.relay.us.source + r.relay.us.sink;
  const directAll = (r) => r.direct.us.source + r.direct.us.sink;
  // The rate the machine's cores allow at this CPU per message (all processes share them).
  const ceiling = (us) => Math.round((e.cores * 1e6) / us);
  const share = (r) => r.relay.rate / r.direct.rate;
  const mainUs = (r) => r.relay.us.petrelMainUser + r.relay.us.petrelMainSys;
  /** The two ceilings of the relay's rate at these CPU costs, and what the 35 % target asks of each. */
  const bounds = () => {
    const main = Math.round(1e6 / med(mainUs));
    const machineBound = ceiling(med(relayAll));
    const target = Math.round(0.35 * med((r) => r.direct.rate));
    const peers = med((r) => r.relay.us.source + r.relay.us.sink);
    const measured = med((r) => r.relay.rate);
    const verdict =
      measured >= target
        ? 'The measured rate is above the target; what is left up to the lower bound is in how fully the cores are used (waits, scheduling), not in CPU per message.'
        : machineBound < target
          ? 'The machine bound is below the target: moving work to another thread cannot reach it; only less CPU per message can.'
          : main < target
            ? 'The machine bound is above the target and the main thread bound below it: work moved off the main thread (with no more CPU in all) would lift the rate towards the target.'
            : 'Both bounds are above the target: the gap is in how fully the cores are used (waits, scheduling), not in CPU per message.';
    return `Two ceilings bound the relay's rate at these costs (medians): the main thread, one core at most, allows
1 s ÷ ${med(mainUs)} µs = **${main} msg/s**; the machine, whose ${e.cores} cores the three processes share, allows
${e.cores} s ÷ ${med(relayAll)} µs = **${machineBound} msg/s**. Measured: ${measured} msg/s. The 35 % target is ${target} msg/s
here (35 % of the median direct rate): the main thread at most ${Math.round(1e6 / target)} µs per message (now ${med(mainUs)}) and Petrel,
all threads, at most ${Math.round((e.cores * 1e6) / target) - peers} µs (now ${med(petrel)}; smtp-source and smtp-sink take ${peers} µs of the
cores per relayed message), both at 100 % use. ${verdict}`;
  };
  /** The warm-up measured from a cold start (records since the warm-up was measured). */
  const coldRows = () => {
    const cold = runs.filter((r) => r.relay.cold);
    if (cold.length !== runs.length || !cold.length) return '';
    const n = cold[0].relay.cold.messages.toLocaleString('en');
    return `${row(`cold, the first ${n} messages after start: relay msg/s`, (r) => r.relay.cold.rate, '')}
${row(`cold, the first ${n} messages: Petrel, all threads`, (r) => r.relay.cold.petrel)}
${row(`cold, the first ${n} messages: Petrel's other threads (V8: JIT compilation, GC)`, (r) => r.relay.cold.petrelHelpers)}
`;
  };
  let text = `
### Where the CPU goes: 1 KB relay, new connection per message

\`node bench/relay-cpu.mjs ${e.argv}\` (${environment(e)}; load average ${e.load.map((x) => x.toFixed(2)).join(' / ')} at the start,
${e.loadEnd ? e.loadEnd.map((x) => x.toFixed(2)).join(' / ') : '?'} at the end): per run, smtp-source → smtp-sink direct${runs[0]?.direct.messages ? ` (${runs[0].direct.messages.toLocaleString('en')} messages, a window about as long as the relay's)` : ''}, then smtp-source → Petrel →
smtp-sink (${runs[0]?.messages.toLocaleString('en')} × 1 KB, ${runs[0]?.sessions} sessions, after ${relayCpuWarmup.toLocaleString('en')} warm-up messages on each path${relayCpuWarmup < WARM_MESSAGES ? ': Petrel still compiling its hot code, its helper threads busy with it' : ': a warm Petrel; the relay\'s warm-up, from a cold start, is in the "cold" rows'}), CPU (user + system) per message of each process from
/proc and the shell's \`times\`; min / **median** / max of ${runs.length} runs.

| | min | median | max |
|---|---|---|---|
${row('direct: msg/s', (r) => r.direct.rate, '')}
${row('direct: smtp-source + smtp-sink CPU per message', directAll)}
${row('relay: msg/s', (r) => r.relay.rate, '')}
${row('relay / direct', (r) => Math.round(share(r) * 1000) / 10, ' %')}
${row('relay: smtp-source CPU per message', (r) => r.relay.us.source)}
${row('relay: smtp-sink CPU per message', (r) => r.relay.us.sink)}
${row('Petrel main thread, user', (r) => r.relay.us.petrelMainUser)}
${row('Petrel main thread, system (the kernel side of its sockets)', (r) => r.relay.us.petrelMainSys)}
${row('Petrel spool writer thread', (r) => r.relay.us.petrelWriter)}
${row("Petrel's other threads (V8 platform, libuv pool)", (r) => r.relay.us.petrelHelpers)}
${row('Petrel, all threads', petrel)}
${row('all three processes', relayAll)}
${row('Petrel main thread busy (share of wall time)', (r) => Math.round(r.relay.mainBusy * 100), ' %')}
${coldRows()}
${bounds()}
`;
  if (prof)
    text += `
The main thread under \`node --cpu-prof\` (one more relay run, ${prof.rate} msg/s under the profiler; the profile covers the process's
whole life, start and warm-up included): self time by package
(node internals charged to the package that called them: socket writes are the listener's and the client's) and by function.

| % | package |
|---|---|
${prof.packages.map((p) => `| ${p.pct} | \`${p.name}\` |`).join('\n')}

| % | function |
|---|---|
${prof.top.map((t) => `| ${t.pct} | \`${t.fn}\` |`).join('\n')}
`;
  return text;
}

if (reception) {
  const r = reception;
  out += `
### \`queue shape\` counters with ${r.messages.toLocaleString('en')} queued received over ${r.hours} h

The depth run's fill dates every message alike; a real deep queue was received over hours. The
queue's reception counters (\`queue shape\`, the oldest job's age) for ${r.messages.toLocaleString('en')} jobs in ${r.domains} queues,
received evenly over ${r.hours} h, heap after a full GC and one shape over every queue (\`${r.command}\`;
${env(r)}):

| counting | heap | one \`queue shape\` (CPU / wall) |
|---|---|---|
| one entry per reception second per queue (before) | ${r.perSecond.heapMiB} MiB | ${r.perSecond.shapeCpuMs} / ${r.perSecond.shapeMs} ms |
| at most 512 buckets per queue (\`ReceptionIndex\`) | ${r.bounded.heapMiB} MiB | ${r.bounded.shapeCpuMs} / ${r.bounded.shapeMs} ms |
`;
}
writeSection('scale', out);
console.log('wrote docs/performance/scale.md');
