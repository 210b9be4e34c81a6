import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { waitFor } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

function post(socketPath: string, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    request(
      {
        socketPath,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
      },
    )
      .on('error', reject)
      .end(payload);
  });
}

test('control API: dryRun "yes" on /v1/fail is a 400 naming the field, and the held mail is not failed', async (t) => {
  const s = await scenario(t);
  const p = await startScenarioPetrel(s);
  assert.equal((await petrelCli(p, ['suspend', '--domain', 'example.test'])).code, 0);
  const r = await swaksVia(s.listenPort, 'a@test.local', 'held@example.test');
  assert.equal(r.code, 0, r.out);
  const held = async (): Promise<number> =>
    (await petrelJson<{ domain: string; active: number; delayed: number }[]>(p, ['queue']))
      .filter((x) => x.domain === 'example.test')
      .reduce((n, x) => n + x.active + x.delayed, 0);
  await waitFor('the message held in the queue', async () => (await held()) === 1, 10_000, 100);

  const sock = join(p.dir, 'spool', 'control.sock');
  const bad = await post(sock, '/v1/fail', { domain: 'example.test', dryRun: 'yes' });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json, {
    error: {
      code: 'BAD_FIELD',
      message: 'dryRun: expected a boolean (true or false), found "yes"',
      field: 'dryRun',
      expected: 'a boolean (true or false)',
    },
  });
  const typo = await post(sock, '/v1/fail', { domain: 'example.test', dryrun: true });
  assert.equal(typo.status, 400);
  assert.equal((typo.json as { error: { field: string } }).error.field, 'dryrun');
  assert.equal(await held(), 1, 'nothing was failed');
  assert.ok(!p.events().some((e) => e.type === 'permanent_failure'), 'no permanent failure logged');

  // The well-typed dry run counts, and still fails nothing.
  const dry = await post(sock, '/v1/fail', { domain: 'example.test', dryRun: true, quiet: true });
  assert.deepEqual([dry.status, dry.json], [200, { failed: 1 }]);
  assert.equal(await held(), 1);
});
