import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { startAio, waitFor, run } from '@petrel/testkit';
import { startScenarioPetrel } from '../lib/petrel.js';

// Every observer hook and classify in a real daemon: a delivery, a transient failure (aiosmtpd
// soft* → 451), a permanent failure (hard* → 550) with its DSN (onBounce), a rejection (an unknown
// MAIL parameter, from python smtplib), and classify moving "550 5.1.1" to class 51.
const module = (log: string): string => `
import { appendFileSync } from 'node:fs';
const line = (type, fields) => appendFileSync(${JSON.stringify(log)}, JSON.stringify({ type, ...fields }) + '\\n');
export default {
  onReception: (e) => line('reception', { sender: e.message.sender, protocol: e.protocol }),
  onDelivery: (e) => line('delivery', { recipient: e.recipient, code: e.reply.code }),
  onTransientFailure: (e) => line('transient', { recipient: e.recipient, code: e.reply.code }),
  onPermanentFailure: (e) => line('permanent', { recipient: e.recipient, code: e.reply.code }),
  onBounce: (e) => line('bounce', { action: e.action, recipients: e.recipients.map((r) => r.address + ':' + r.bounceClass) }),
  onRejection: (e) => line('rejection', { phase: e.phase, reply: e.reply }),
  classify: (c) => (c.reply.enhanced === '5.1.1' ? 51 : undefined),
};
`;

test('observers see reception, delivery, transient and permanent failures, bounces and rejections; classify overrides the class', {
  timeout: 120_000,
}, async (t) => {
  const s = await scenario(t, ['mx-host=obs.test,mx.obs.test,10', 'host-record=mx.obs.test,127.0.0.5']);
  s.stopAfter(await startAio(s.dir, '127.0.0.5', s.mxPort));
  const dir = join(s.dir, 'petrel');
  const log = join(s.dir, 'observed.jsonl');
  mkdirSync(join(dir, 'policy'), { recursive: true });
  writeFileSync(join(dir, 'policy', 'observe.mjs'), module(log));
  const petrel = await startScenarioPetrel(
    s,
    {
      global: 'retry_interval = "1h"',
      extra: '\n[[policy]]\nmodule = "policy/observe.mjs"\n',
    },
    dir,
  );

  const r = await swaksVia(s.listenPort, 'alice@obs.test', 'ok@obs.test,soft-later@obs.test,hard-gone@obs.test');
  assert.equal(r.code, 0, r.out);
  const py = await run(
    '/usr/bin/python3',
    [
      '-c',
      `import smtplib; s = smtplib.SMTP('127.0.0.1', ${s.listenPort}); s.ehlo('c.test'); print(*s.mail('a@obs.test', ['FOO=1'])); s.quit()`,
    ],
    { timeoutMs: 30_000 },
  );
  assert.match(py.stdout, /^555 /, py.stderr);

  const read = (): Record<string, unknown>[] => {
    try {
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  const seen = await waitFor(
    'every observer',
    () => {
      const xs = read();
      const types = new Set(xs.map((x) => x.type));
      return ['reception', 'delivery', 'transient', 'permanent', 'bounce', 'rejection'].every((k) => types.has(k)) &&
        xs.some((x) => x.type === 'reception' && x.protocol === 'internal')
        ? xs
        : undefined;
    },
    60_000,
    100,
  );
  const of = (type: string): Record<string, unknown>[] => seen.filter((x) => x.type === type);
  assert.deepEqual(
    of('reception')
      .map((x) => x.protocol)
      .sort(),
    ['esmtp', 'internal'],
  );
  assert.ok(of('delivery').some((x) => x.recipient === 'ok@obs.test' && x.code === 250));
  assert.deepEqual(
    of('transient').map((x) => [x.recipient, x.code]),
    [['soft-later@obs.test', 451]],
  );
  assert.deepEqual(
    of('permanent').map((x) => [x.recipient, x.code]),
    [['hard-gone@obs.test', 550]],
  );
  assert.deepEqual(
    of('bounce').map((x) => [x.action, x.recipients]),
    [['failed', ['hard-gone@obs.test:51']]],
    'the DSN carries the class classify chose',
  );
  assert.ok(of('rejection').some((x) => /^555 5\.5\.4 Unsupported parameter: FOO/.test(String(x.reply))));
  // The event log's permanent record carries the overridden class too.
  const perm = await petrel.waitForEvents('the permanent record', (e) => e.some((x) => x.type === 'permanent_failure'));
  assert.equal(perm.find((x) => x.type === 'permanent_failure')!.bounce_class, 51);
});
