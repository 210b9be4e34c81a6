// What the benchmarks share: their command line (parseArgs); for the relay benchmarks, the smtp-source load
// and Petrel's relay config.

/** `--name value` pairs (a flag without a value is 'true'). */
export function parseArgs(argv) {
  return Object.fromEntries(
    argv.flatMap((v, i, all) =>
      v.startsWith('--')
        ? [[v.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? 'true' : all[i + 1]]]
        : [],
    ),
  );
}

/**
 * smtp-source arguments: -m messages over -s sessions, -l size, -r recipients (relay.test), -d reuse;
 * `to` the recipient (with -r, smtp-source puts a number before it).
 */
export function smtpSourceArgs({
  port,
  sessions,
  messages,
  size = 1000,
  rcpts = 1,
  reuse = false,
  to = 'rcpt@relay.test',
}) {
  const a = ['-s', String(sessions), '-m', String(messages), '-l', String(size)];
  a.push('-M', 'test.local', '-f', 'sender@test.local', '-t', to);
  if (rcpts > 1) a.push('-r', String(rcpts));
  if (reuse) a.push('-d');
  a.push(`127.0.0.1:${port}`);
  return a;
}

/** Petrel as a relay of relay.test to the sink by IP (no DNS), `sessions` outbound connections; `extra` appended. */
export function petrelRelayConfig(listenPort, sinkPort, sessions, extra = '') {
  return `hostname = "petrel.bench"
spool_dir = "spool"
log_dir = "log"
log_level = "warn"
[listener]
listen = ["127.0.0.1:${listenPort}"]
relay_networks = ["127.0.0.0/8"]
max_recipients = 100
# Postfix exempts $mynetworks from its per-client connection limit (smtpd_client_event_limit_exceptions),
# so the bench's Postfix has none for the load generator; an open-loop paced sender can briefly hold more
# than the default 50 connections when the machine stalls.
max_connections_per_ip = 1000
[dns]
servers = ["127.0.0.1:9"]   # never asked: relay.test goes to its gateway by IP
[global]
max_outbound_connections = ${sessions}
tls = "no"
[domain."relay.test"]
gateway = ["127.0.0.1:${sinkPort}"]
${extra}`;
}

/** Warm-up messages after which Petrel counts as warm (its hot code compiled): the relay benchmarks' default --warmup. */
export const WARM_MESSAGES = 10_000;

/** The warm-up's recipient: its deliveries are told apart from the measured ones in the logs by it. */
export const WARMUP_RCPT = 'warmup@relay.test';
