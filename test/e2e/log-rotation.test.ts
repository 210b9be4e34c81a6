import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { petrelCli } from '../lib/cli.js';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { type PetrelHandle, startScenarioPetrel } from '../lib/petrel.js';
import { petrelPid } from '../reliability/helpers.js';
import { startSink, waitFor } from '@petrel/testkit';

const LOGS = ['events.jsonl', 'mainlog', 'rejectlog'] as const;

test('logrotate: after a rename, `petrel log reopen` and SIGHUP each move events.jsonl, mainlog and rejectlog to fresh files', async (t) => {
  const s = await scenario(t);
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const extra = '[eventlog]\nmainlog = true\nrejectlog = true\n';
  const petrel = await startScenarioPetrel(s, {
    relayNetworks: ['127.0.0.1/32'],
    extra,
  });
  const logDir = join(petrel.dir, 'log');
  const read = (f: string): string => (existsSync(join(logDir, f)) ? readFileSync(join(logDir, f), 'utf8') : '');

  // One generation of traffic: a delivery (events.jsonl, mainlog) and a relay refusal (rejectlog).
  const traffic = async (tag: string): Promise<void> => {
    assert.equal((await swaksVia(s.listenPort, `${tag}@test.local`, `${tag}@example.test`)).code, 0);
    await swaksVia(s.listenPort, `${tag}@test.local`, `${tag}-denied@example.test`, ['--local-interface', '127.0.0.9']);
    await waitFor(
      `${tag}: every log written`,
      () =>
        read('mainlog').includes(`${tag}@example.test`) &&
        read('rejectlog').includes(`${tag}-denied@example.test`) &&
        read('events.jsonl').includes(`${tag}-denied@example.test`),
      20_000,
      100,
    );
  };
  const rotate = async (how: string, reopen: (p: PetrelHandle) => Promise<void>): Promise<void> => {
    for (const f of LOGS) renameSync(join(logDir, f), join(logDir, `${f}.${how}`));
    await reopen(petrel);
    await waitFor(`${how}: fresh files`, () => LOGS.every((f) => existsSync(join(logDir, f))), 10_000, 50);
  };

  await traffic('gen1');
  await rotate('cli', async (p) => assert.equal((await petrelCli(p, ['log', 'reopen'])).code, 0));
  await traffic('gen2');
  const pid = await petrelPid(petrel);
  await rotate('hup', async () => void process.kill(pid, 'SIGHUP'));
  await traffic('gen3');

  for (const f of LOGS) {
    const cli = readFileSync(join(logDir, `${f}.cli`), 'utf8');
    const hup = readFileSync(join(logDir, `${f}.hup`), 'utf8');
    const now = read(f);
    assert.ok(cli.includes('gen1') && !cli.includes('gen2'), `${f}.cli holds generation 1 only`);
    assert.ok(
      hup.includes('gen2') && !hup.includes('gen1') && !hup.includes('gen3'),
      `${f}.hup holds generation 2 only`,
    );
    assert.ok(now.includes('gen3') && !now.includes('gen2'), `${f} holds generation 3 only`);
  }
});
