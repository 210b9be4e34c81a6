import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { spoolFixture } from './spool-fixture.js';

/**
 * The child stores messages as fast as it can (32 in flight) and prints each id only after its
 * spool.store promise resolved, i.e. after the listener would have answered 250.
 */
function childScript(spoolDir: string): string {
  const core = import.meta.resolve('@petrel/core');
  const spool = new URL('./index.js', import.meta.url).href;
  return `
import { Bus, parseConfig, silentLogger, SystemClock } from ${JSON.stringify(core)};
import { Spool } from ${JSON.stringify(spool)};
const logger = silentLogger();
const config = parseConfig(${JSON.stringify(`spool_dir = ${JSON.stringify(spoolDir)}\n`)}, ${JSON.stringify(join(spoolDir, '..', 'petrel.toml'))});
const bus = new Bus(logger);
const spool = new Spool({ config, bus, logger, clock: new SystemClock() }, { minFreeSpace: 0 });
await spool.start();
const envelope = { id: '', sender: 'a@test', recipients: [{ address: 'b@example.test', domain: 'example.test' }], receivedAt: Date.now(), size: 0, protocol: 'esmtp' };
let n = 0;
async function worker() {
  for (;;) {
    const i = n++;
    const { id } = await bus.request('spool.store', { envelope, body: Buffer.from('Subject: ' + i + '\\r\\n\\r\\nbody\\r\\n') });
    process.stdout.write(id + '\\n');
  }
}
for (let w = 0; w < 32; w++) worker();
`;
}

test('after kill -9 mid-stream, every id the child saw acknowledged is in the spool', async (t) => {
  const fx = spoolFixture(t);
  const script = join(fx.root, 'child.mjs');
  writeFileSync(script, childScript(fx.spoolDir));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let killed = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    // Kill once well into the stream, while stores are certainly in flight.
    if (!killed && out.length > 27 * 3000) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `child exited on its own (code ${code})`);
  // A line cut by the kill was never fully printed: only complete lines count as acknowledged.
  const acked = out.split('\n').slice(0, -1);
  assert.ok(acked.length >= 3000, `acknowledged ${acked.length}`);

  const { spool, ctx, spooled } = await fx.open();
  const result = await spool.recover();
  const present = new Set(spooled.map((e) => e.envelope.id));
  const missing = acked.filter((id) => !present.has(id));
  assert.deepEqual(missing, []);
  for (const id of acked.slice(-5))
    assert.ok((await ctx.bus.request('spool.body', { id })).toString().startsWith('Subject: '));
  t.diagnostic(
    `acknowledged ${acked.length} before SIGKILL; spool holds ${result.messages} (in-flight extras are allowed)`,
  );
});
