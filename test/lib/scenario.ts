/** Shared set-up for one end-to-end scenario: a temp dir, dnsmasq, ports; everything stopped after. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, startDns, type Dns } from '@petrel/testkit';

export interface Scenario {
  readonly dir: string;
  readonly dns: Dns;
  /** Port Petrel listens on (127.0.0.1). */
  readonly listenPort: number;
  /** Port every MX/sink listens on (127.0.0.2, 127.0.0.3, …): Petrel's remote_port. */
  readonly mxPort: number;
  /** Registers a cleanup that runs after the test, last registered first. */
  defer(fn: () => Promise<unknown> | unknown): void;
  /** Defers `peer.stop()` to after the test and hands `peer` back: `s.stopAfter(await startSink(…))`. */
  stopAfter<T extends { stop(): Promise<unknown> | unknown }>(peer: T): T;
}

/** `t`: a test's context, or anything with after() (a describe block's cleanup holder). */
export async function scenario(
  t: Pick<TestContext, 'after'> | { after(fn: () => Promise<void>): unknown },
  dnsExtra: readonly string[] = [],
): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-e2e-'));
  chmodSync(dir, 0o755); // smtp-sink drops to user nobody and must reach its dump directory
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
    if (!process.env.PETREL_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });
  const dns = await startDns(dir, dnsExtra);
  cleanups.push(() => dns.stop());
  // The MX port must be free on every 127.0.0.x the zone names; 127.0.0.1 free is a good proxy.
  const mxPort = await freePort('127.0.0.2');
  return {
    dir,
    dns,
    listenPort: await freePort(),
    mxPort,
    defer: (fn) => void cleanups.push(fn),
    stopAfter: (peer) => {
      cleanups.push(() => peer.stop());
      return peer;
    },
  };
}
