// The relay section of docs/performance.md, from bench/results/relay.jsonl (see bench/relay.mjs).
import { WARM_MESSAGES } from './relay-common.mjs';

// the doc command for a full-size rerun on a quiet machine (the header names it)
export const FULL_COMMAND = 'node bench/relay.mjs --messages 10000 --sessions 20 --runs 4 --doc';

const stats = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const h = Math.floor(s.length / 2);
  // an even count has two middle values: their mean
  const median = s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
};
const fmt = (st, digits = 0) =>
  st ? `${st.min.toFixed(digits)} / **${st.median.toFixed(digits)}** / ${st.max.toFixed(digits)}` : 'n/a';
// latencies: Postfix logs two significant digits, so print no more than that carries
const ms = (x) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
const fmtMs = (st) => (st ? `${ms(st.min)} / **${ms(st.median)}** / ${ms(st.max)}` : 'n/a');
const PEERS = ['postfix', 'petrel', 'direct', 'postfix-control'];
// peers measured by their rates only (no latency, memory, CPU or fsync figures)
const RATE_ONLY = ['direct', 'postfix-control'];

/** `; 1-min load average after the runs min–max` (recorded since the runs carry it), or ''. */
export function loadNote(recs) {
  const l = stats(recs.map((r) => r.load_1m));
  return l ? `; 1-min load average after each run ${l.min.toFixed(1)}–${l.max.toFixed(1)}` : '';
}

/** The measured runs (not fsync or paced records). */
const measured = (recs) => recs.filter((r) => (r.kind ?? 'run') === 'run');

/** min / median / max of `peer`'s end-to-end rate on `variant` over its kept runs; null if none. */
export function e2eStats(recs, variant, peer) {
  return stats(
    measured(recs)
      .filter((r) => r.variant === variant && r.peer === peer && !r.dropped)
      .map((r) => r.e2e_rate),
  );
}

/** `a`'s end-to-end rate over `b`'s in each run where both were kept (min / median / max, n); null if none. */
export function pairedRatio(recs, variant, a, b) {
  const runs = measured(recs).filter((r) => r.variant === variant && !r.dropped);
  const xs = [];
  for (const ra of runs.filter((r) => r.peer === a)) {
    const rb = runs.find((r) => r.peer === b && r.run === ra.run);
    if (rb) xs.push(ra.e2e_rate / rb.e2e_rate);
  }
  return stats(xs);
}

/** The paced runs of `peer` (kept ones): stats of the peak, target and sent rates, sender lag and latencies. */
export function pacedStats(recs, peer) {
  const all = recs.filter((r) => r.kind === 'paced' && r.peer === peer);
  const kept = all.filter((r) => !r.dropped);
  const of = (f) => stats(kept.map(f));
  return {
    kept: kept.length,
    dropped: all.length - kept.length,
    fraction: all[0]?.fraction,
    peak: of((r) => r.peak_rate),
    target: of((r) => r.sender?.target_rate),
    sent: of((r) => r.sender?.send_rate),
    lag_p99: of((r) => r.sender?.lag_p99_ms),
    p50: of((r) => r.p50_ms),
    p99: of((r) => r.p99_ms),
  };
}

/** Was this run smaller than FULL_COMMAND (fewer messages, sessions, runs or warm-up messages, or only some variants)? */
export function small(env) {
  const full = Object.fromEntries([...FULL_COMMAND.matchAll(/--(\w+) (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  return (
    env.messages < full.messages ||
    env.sessions !== full.sessions ||
    (env.runs ?? 0) < full.runs ||
    (env.warmup ?? 0) < WARM_MESSAGES ||
    (env.variants ?? 'all') !== 'all'
  );
}

/** The latency-under-load table (paced records), or a line saying it was not run. */
function pacedTable(recs) {
  const peers = ['postfix', 'petrel'].map((p) => [p, pacedStats(recs, p)]).filter(([, s]) => s.kept + s.dropped);
  if (!peers.length) return '\nLatency under load: not run (`--paced no`, or results from before it existed).\n';
  const fr = peers[0][1].fraction;
  const rate = (st) => fmt(st);
  let out = `
### Latency under load: ${fr * 100}% of peak (issue 20: Petrel's p99 ≤ 50 ms)

After the variants, in each run and for each peer (alternating who goes first), 1 KB messages on a new
connection each at ${fr} × the end-to-end rate that peer reached on 1KB new-conn 1rcpt in the same run
(its peak), ${recs.find((r) => r.kind === 'paced' && r.expected_messages)?.expected_messages ?? 'n/a'} messages, from
\`bench/lib/paced-source.mjs\` (node:net, open-loop: message i is due at i / rate whether or not earlier ones were
answered; "sender lag" is how late it started them, which shows a sender that could not hold the pace). Latency
per recipient as in the table above (Petrel: reception → delivery from its events; Postfix: maillog delay=).

| peer | kept (dropped) | peak msg/s | target msg/s | sent msg/s | sender lag p99 ms | p50 ms | p99 ms |
|---|---|---|---|---|---|---|---|
`;
  for (const [peer, s] of peers)
    out += `| ${peer} | ${s.kept} (${s.dropped}) | ${rate(s.peak)} | ${rate(s.target)} | ${rate(s.sent)} | ${fmtMs(s.lag_p99)} | ${fmtMs(s.p50)} | ${fmtMs(s.p99)} |\n`;
  return out;
}

export function relaySection(recs) {
  const runs = measured(recs);
  const fs = recs.filter((r) => r.kind === 'fsync');
  const env = recs[0].env;
  const variants = [...new Set(runs.map((r) => r.variant))];
  const nRuns = Math.max(...runs.map((r) => r.run));
  const control = runs.some((r) => r.peer === 'postfix-control');
  const pfDecimals = Math.max(
    ...runs.filter((r) => r.peer === 'postfix' && r.latency_decimals != null).map((r) => r.latency_decimals),
  );
  const tsDecimals = runs.find(
    (r) => r.peer === 'postfix' && r.maillog_timestamp_decimals != null,
  )?.maillog_timestamp_decimals;
  let out = `## Relay: Petrel vs Postfix (issue 9)

smtp-source → relay → smtp-sink on one machine, the same load through each relay in the same session.
Petrel answers 250 only after an fsync'd commit (SQLite WAL, synchronous=FULL); Postfix as shipped
(a private instance, \`bench/lib/postfix.mjs\`, after the shared recipe).

- These figures: \`node bench/relay.mjs ${env.argv ?? `--messages ${env.messages} --sessions ${env.sessions}`}\`: ${env.messages} messages, ${env.sessions} sessions, ${nRuns} run(s) per variant${env.bound_s ? `, a run must deliver every message within ${env.bound_s} s` : ''}
- Environment: Node ${env.node}, ${env.cpu}, ${env.cores} cores, ${env.date.slice(0, 10)}${env.load ? `; load average at the start ${env.load.map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min)` : ''}${loadNote(recs)}
${small(env) ? `- **Not the full run**: fewer messages or runs than \`${FULL_COMMAND}\`${env.load && env.load[0] > env.cores ? ', on a machine busy with other work (load average above the core count)' : ''}. These figures check the machinery; rerun the full command on a quiet machine before quoting them.\n` : ''}- Figures: min / **median** / max over the kept runs. e2e = messages delivered to the sink per second from
  the first connection to the last delivery.
- **Order**: odd runs Postfix first, then direct, then Petrel; even runs Petrel first, then direct, then Postfix
  (column "first in": kept runs in which that peer went first); the control script runs last in every run.
- **Warm-up**: ${
    env.warmup
      ? `before the measured load, each peer (and the direct path) first gets ${env.warmup} messages of the same
  variant, to another recipient, not measured: left out of every column but "warm-up msg/s", which is the rate of
  that first phase from a cold start. Node compiles Petrel's hot code during its first ~10,000 messages; a relay
  runs for weeks, so the figures are those of the warm process. The control script has no warm-up (it is the shared recipe).`
      : 'none: every figure includes the first messages after a cold start.'
  }
- **Direct** (the ceiling): the same smtp-source load (sessions, size, recipients, new connection or
  not) straight into smtp-sink, no relay: one SMTP hop where a relay has two, so a relay's ceiling is about half of it.
  ${
    env.direct_messages && env.direct_messages !== env.messages
      ? `It sends ${env.direct_messages} messages (the relays ${env.messages}): the direct path is about 3× faster, so its
  window is about as long as a relay's, and a stall of the shared machine weighs about as much in both
  (over the 2–4 s of 10,000 messages one stall moved the direct rate by half).`
      : 'It sends as many messages as the relays.'
  }
- **Isolation**: after each peer stops, every one of its processes must be gone and its ports closed before the
  next starts (polled, bounded; the benchmark fails otherwise).
- **Dropped runs**: a run in which not every message reached the sink within the bound, smtp-source failed or
  the peer crashed (Petrel exited; Postfix's master died or a daemon logged fatal/panic/killed) is kept out of
  the figures and counted here.
- **Memory**: PSS from \`/proc/<pid>/smaps_rollup\`, summed over all processes of the peer (Postfix: master,
  smtpd, cleanup, qmgr, smtp, trivial-rewrite, … — every process whose environment names the instance's
  config dir; Petrel: its one process), sampled every 500 ms by walking the peer's process tree; peak and mean
  of the sums. Shared pages count once, unlike the summed RSS this table showed before. The time the sampling
  took is in the raw results (\`pss_sampling_ms\`).
- **Latency**, per recipient: Petrel from its event log, reception (stamped at the end of DATA) → delivery,
  millisecond timestamps. Postfix from its \`maillog_file\`: the \`delay=\` field of each \`status=sent\`
  line, which runs from the message's arrival time (smtpd, MAIL FROM; kept in microseconds) to the delivery,
  so it includes the DATA transfer Petrel's figure leaves out (it can only overstate Postfix by that).
  The maillog line timestamps ${tsDecimals === 0 ? 'have 1 s resolution in these runs, too coarse for this' : tsDecimals == null ? 'were not found' : `have ${tsDecimals} decimals in these runs, but are not used`}; \`delay=\` is logged with two significant
  digits (the bench sets \`delay_logging_resolution_limit = 6\`; finest seen in these runs: ${Number.isFinite(pfDecimals) ? `${pfDecimals} decimals` : 'n/a'}).
- **fsyncs/msg**: a separate short run per peer and variant (${fs[0] ? `${fs[0].messages} messages, ${env.sessions} sessions` : 'not measured'}), the
  peer's processes traced with \`strace -f -c -e trace=fsync,fdatasync,sync_file_range,syncfs,msync\` from
  attach (after start-up) to exit (shutdown included), calls divided by messages. strace slows the peer:
  only the count is used.
- **Control**: ${control ? '`bench/postfix-control.sh`' : 'not run (`--control no`)'}${control ? " is the shared Postfix recipe (shared/peers/postfix-relay-bench.sh, only ports, work directory and recipient count made parameters) run with the same load after each pair; its end-to-end clock stops when the queue directories are empty (0.1 s polling). If relay.mjs's Postfix figure is close to it, relay.mjs does not handicap Postfix." : ''}

| variant | peer | kept (dropped) | first in | accept msg/s | end-to-end msg/s | warm-up msg/s | p50 ms | p99 ms | peak PSS MiB | mean PSS MiB | CPU s | fsyncs/msg |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
`;
  const ratios = [];
  const drops = [];
  for (const v of variants) {
    const e2e = {};
    for (const peer of PEERS) {
      const all = runs.filter((r) => r.variant === v && r.peer === peer);
      if (!all.length) continue;
      const rs = all.filter((r) => !r.dropped);
      for (const r of all.filter((x) => x.dropped)) drops.push(`- ${v}, ${peer}, run ${r.run}: ${r.drop_reason}`);
      e2e[peer] = stats(rs.map((r) => r.e2e_rate));
      const first = rs.filter((r) => r.position === 1).length;
      const f = fs.find((r) => r.variant === v && r.peer === peer);
      const fsync = f ? `${f.per_message.toFixed(2)}${f.complete ? '' : ' (incomplete run)'}` : '—';
      const isControl = RATE_ONLY.includes(peer);
      const dash = '—';
      const warmRates = rs.map((r) => r.warmup_rate).filter((x) => x != null);
      const warm = warmRates.length ? fmt(stats(warmRates)) : dash;
      out += `| ${v} | ${peer} | ${rs.length} (${all.length - rs.length}) | ${isControl ? dash : first} | ${fmt(stats(rs.map((r) => r.accept_rate)))} | ${fmt(e2e[peer])} | ${warm} | ${isControl ? dash : fmtMs(stats(rs.map((r) => r.p50_ms)))} | ${isControl ? dash : fmtMs(stats(rs.map((r) => r.p99_ms)))} | ${isControl ? dash : fmt(stats(rs.map((r) => r.peak_pss_mib)))} | ${isControl ? dash : fmt(stats(rs.map((r) => r.mean_pss_mib)))} | ${isControl ? dash : fmt(stats(rs.map((r) => r.cpu_s)), 1)} | ${isControl ? dash : fsync} |\n`;
    }
    // per-run pairs: both peers kept in the same run
    const med = (a, b) => (a && b ? `${(a.median / b.median).toFixed(2)}×` : 'n/a');
    const pr = pairedRatio(recs, v, 'petrel', 'postfix');
    const pd = pairedRatio(recs, v, 'petrel', 'direct');
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    ratios.push(
      `| ${v} | ${med(e2e.petrel, e2e.postfix)} | ${pr ? `${pr.min.toFixed(2)}× / **${pr.median.toFixed(2)}×** / ${pr.max.toFixed(2)}× (${pr.n})` : 'n/a'} | ${pd ? `${pct(pd.min)} / **${pct(pd.median)}** / ${pct(pd.max)} (${pd.n})` : 'not run'} | ${control ? med(e2e.postfix, e2e['postfix-control']) : 'not run'} |`,
    );
  }
  for (const r of recs.filter((x) => x.kind === 'paced' && x.dropped))
    drops.push(`- paced load, ${r.peer}, run ${r.run}: ${r.drop_reason}`);
  out += `\nDropped runs: ${drops.length ? `${drops.length}\n\n${drops.join('\n')}` : 'none.'}\n`;
  out += `\nRatios of end-to-end rates. Targets: Petrel ≥ 2× Postfix; 1 KB new-conn: Petrel ≥ 35% of direct (issue 20). The last column should be near 1× (relay.mjs's Postfix vs the independent control script).\n
| variant | Petrel / Postfix (medians) | Petrel / Postfix per run (min / **median** / max, pairs) | Petrel / direct per run (min / **median** / max, pairs) | Postfix relay.mjs / control (medians) |
|---|---|---|---|---|
${ratios.join('\n')}
`;
  out += pacedTable(recs);
  const raw = recs.map(({ env: _e, bench: _b, ...r }) => JSON.stringify(r)).join('\n');
  out += `\n<details><summary>Raw results (bench/results/relay.jsonl without the env field)</summary>\n\n\`\`\`\n${raw}\n\`\`\`\n\n</details>\n`;
  return out;
}
