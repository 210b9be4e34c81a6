/**
 * Test fixtures (compiled for tests only, never into dist/): session options with short timeouts
 * and a temporary directory. Real and scripted peers come from @petrel/testkit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionOptions, SessionTimeouts } from './types.js';

export function timeouts(over: Partial<SessionTimeouts> = {}): SessionTimeouts {
  return {
    connect: 3000,
    banner: 3000,
    ehlo: 3000,
    mailfrom: 3000,
    rcptto: 3000,
    data: 3000,
    dataBlock: 3000,
    body: 3000,
    rset: 3000,
    quit: 1000,
    ...over,
  };
}

export function options(port: number, over: Partial<SessionOptions> = {}): SessionOptions {
  return {
    host: '127.0.0.1',
    port,
    ehloName: 'client.test',
    timeouts: timeouts(),
    tls: 'no',
    tlsVerify: 'no',
    ...over,
  };
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-smtp-client-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
