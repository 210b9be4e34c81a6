/** Several `petrel start` daemons sharing one private redis-server: the cluster scenarios (docs/scaling.md). */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { freePort, type Redis, type Sink } from '@petrel/testkit';
import { startPetrel, testConfig, type PetrelHandle } from './petrel.js';
import type { Scenario } from './scenario.js';

export interface ClusterNode extends PetrelHandle {
  readonly name: string;
  /** The node's binding source address (127.0.0.2x): the sink's X-Client-Addr tells the nodes apart. */
  readonly bindAddress: string;
}

/**
 * Starts `n` nodes, each with its own directory (spool, logs, control socket), listener port and
 * source address 127.0.0.(21 + i), all with `[cluster] redis` on `redis` and the same `extra` TOML.
 * Short heartbeat, reconcile and timeouts so the tests see changes quickly. `remotePort` is every
 * MX's port (default: the scenario's).
 */
export async function startNodes(
  s: Scenario,
  redis: Redis,
  n: number,
  extra = '',
  remotePort = s.mxPort,
): Promise<ClusterNode[]> {
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < n; i++) {
    const name = `node${i + 1}`;
    const bindAddress = `127.0.0.${21 + i}`;
    const listenPort = await freePort();
    const toml = testConfig({
      listenPort,
      dnsServer: s.dns.server,
      remotePort,
      global: `bind_address = "${bindAddress}"`,
      extra: `[cluster]
redis = "${redis.url}"
node = "${name}"
heartbeat_interval = "200ms"
node_ttl = "2s"
reconcile_interval = "1s"
command_timeout = "300ms"
connect_timeout = "1s"
${extra}`,
    });
    const p = await startPetrel(join(s.dir, name), toml, listenPort);
    s.defer(() => p.stop());
    nodes.push({ ...p, name, bindAddress });
  }
  return nodes;
}

/** Sends `ids.length` messages to `node` over a small pool, Message-ID `<id>` and a body naming the id. */
export async function sendMessages(node: ClusterNode, ids: readonly string[], to = 'rcpt@example.test'): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: node.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 3,
  });
  try {
    await Promise.all(
      ids.map((id) =>
        transport.sendMail({ from: 'sender@test.local', to, subject: id, messageId: `<${id}>`, text: bodyOf(id) }),
      ),
    );
  } finally {
    transport.close();
  }
}

/** The text each test message carries, so the sink's copy can be compared with what was sent. */
export function bodyOf(id: string): string {
  return `message ${id}\n${'x'.repeat(60)}\n`.repeat(20);
}

/** When each message reached the sink (the dump file's mtime: smtp-sink's last write, at the final dot), sorted. */
export function arrivalTimes(sink: Sink): number[] {
  return sink
    .files()
    .map((f) => statSync(f).mtimeMs)
    .sort((a, b) => a - b);
}

/** The most arrivals within any window of `ms` (sliding over the arrival times). */
export function maxInWindow(times: readonly number[], ms: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
