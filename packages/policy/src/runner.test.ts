import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@petrel/core';
import { PolicyMetrics } from './metrics.js';
import { POLICY_FAILURE_REPLY, PolicySet, type LoadedModule } from './runner.js';
import type { Policy } from './types.js';

function set(policies: Policy[], timeoutMs = 5000): { set: PolicySet; metrics: PolicyMetrics } {
  const metrics = new PolicyMetrics();
  const modules: LoadedModule[] = policies.map((policy, i) => ({
    name: `m${i}.mjs`,
    file: `/p/m${i}.mjs`,
    policy,
    timeoutMs,
  }));
  return { set: new PolicySet(modules, { logger: silentLogger(), metrics }), metrics };
}

const session = { connectionId: 'c1', client: { address: '192.0.2.1', port: 1 }, esmtp: true, tls: false };

test('inbound: modules run in order until one refuses; its reply is sent as given', async () => {
  const seen: string[] = [];
  const { set: s } = set([
    { rcptTo: (c) => void seen.push(`a:${c.recipient}`) },
    {
      rcptTo: (c) =>
        c.recipient.startsWith('blocked') ? { reply: '550 5.7.1 <blocked@x.test> is on the block list' } : undefined,
    },
    { rcptTo: () => void seen.push('c') },
  ]);
  const r = await s.inbound('rcptTo', {
    session,
    sender: 's@x.test',
    recipient: 'blocked@x.test',
    domain: 'x.test',
    accepted: [],
    parameters: {},
  });
  assert.deepEqual(r && { code: r.code, enhanced: r.enhanced, lines: r.lines }, {
    code: 550,
    enhanced: '5.7.1',
    lines: ['<blocked@x.test> is on the block list'],
  });
  assert.deepEqual(seen, ['a:blocked@x.test']);
  assert.equal(
    await s.inbound('rcptTo', {
      session,
      sender: '',
      recipient: 'ok@x.test',
      domain: 'x.test',
      accepted: [],
      parameters: {},
    }),
    undefined,
  );
  assert.deepEqual(seen, ['a:blocked@x.test', 'a:ok@x.test', 'c']);
});

test('inbound: a throw, a rejection and a reply that does not fit the phase give 451 4.3.0 and count an error', async () => {
  const { set: s, metrics } = set([
    {
      mailFrom: () => {
        throw new Error('boom');
      },
    },
  ]);
  assert.equal(await s.inbound('mailFrom', { session, sender: 'a@b', parameters: {} }), POLICY_FAILURE_REPLY);
  const { set: r } = set([{ mailFrom: async () => Promise.reject(new Error('no')) }]);
  assert.equal(await r.inbound('mailFrom', { session, sender: 'a@b', parameters: {} }), POLICY_FAILURE_REPLY);
  const { set: bad, metrics: m2 } = set([{ data: () => ({ reply: '250 2.0.0 fine' }) }]);
  assert.equal(await bad.inbound('data', {}), POLICY_FAILURE_REPLY);
  assert.deepEqual(
    metrics.list().map((x) => [x.module, x.hook, x.calls, x.errors, x.timeouts]),
    [['m0.mjs', 'mailFrom', 1, 1, 0]],
  );
  assert.equal(m2.list()[0]!.errors, 1);
  assert.equal(POLICY_FAILURE_REPLY.code, 451);
  assert.equal(POLICY_FAILURE_REPLY.enhanced, '4.3.0');
});

test('inbound: a hook past its time limit gives 451 4.3.0 and counts a timeout', async () => {
  const { set: s, metrics } = set([{ rcptTo: () => new Promise(() => undefined) }], 50);
  const started = Date.now();
  assert.equal(await s.inbound('rcptTo', {}), POLICY_FAILURE_REPLY);
  assert.ok(Date.now() - started >= 45);
  const st = metrics.list()[0]!;
  assert.deepEqual([st.calls, st.errors, st.timeouts], [1, 0, 1]);
  assert.ok(st.latencySum >= 0.045);
});

test('a hook no module defines is not there (has() false) and costs no call', async () => {
  const { set: s, metrics } = set([{ rcptTo: () => undefined }]);
  assert.equal(s.has('mailFrom'), false);
  assert.equal(await s.inbound('mailFrom', {}), undefined);
  assert.deepEqual(
    metrics.list().map((x) => [x.hook, x.calls]),
    [['rcptTo', 0]],
  );
});

test('every context carries the tools: module name, log, inject', async () => {
  let got: unknown;
  const { set: s } = set([
    {
      connect: (c) => {
        got = [c.module, typeof c.log.info, typeof c.inject, c.session.client.address];
      },
    },
  ]);
  await s.inbound('connect', { session });
  assert.deepEqual(got, ['m0.mjs', 'function', 'function', '192.0.2.1']);
});

test('connectionGoal: sync; a number wins, a throw or a promise keeps the default', () => {
  const ctx = {
    binding: 'b',
    domain: 'd',
    active: 5,
    inFlight: 0,
    maxOutboundConnections: 10,
    aggressiveness: 'normal' as const,
    defaultGoal: 3,
  };
  assert.equal(set([{ connectionGoal: () => 7 }]).set.connectionGoal(ctx), 7);
  assert.equal(
    set([{ connectionGoal: () => undefined }, { connectionGoal: (c) => c.defaultGoal * 2 }]).set.connectionGoal(ctx),
    6,
  );
  const t = set([
    {
      connectionGoal: () => {
        throw new Error('x');
      },
    },
  ]);
  assert.equal(t.set.connectionGoal(ctx), 3);
  assert.equal(t.metrics.list()[0]!.errors, 1);
  assert.equal(set([{ connectionGoal: (async () => 9) as never }]).set.connectionGoal(ctx), 3);
});

test('setBinding: first target wins; an unknown binding or a throw falls back (undefined)', async () => {
  const exists = (t: { binding: string } | { bindingGroup: string }): boolean =>
    'binding' in t ? t.binding === 'b2' : t.bindingGroup === 'g';
  const msg = { id: 'm', sender: 's@x', recipients: ['r@y'], receivedAt: 0, size: 1 };
  const ctx = { message: msg, domain: 'y', recipients: ['r@y'] };
  assert.deepEqual(
    await set([{ setBinding: () => undefined }, { setBinding: () => ({ binding: 'b2' }) }]).set.setBinding(ctx, exists),
    { binding: 'b2' },
  );
  assert.deepEqual(await set([{ setBinding: () => ({ bindingGroup: 'g' }) }]).set.setBinding(ctx, exists), {
    bindingGroup: 'g',
  });
  const u = set([{ setBinding: () => ({ binding: 'nope' }) }]);
  assert.equal(await u.set.setBinding(ctx, exists), undefined);
  assert.equal(u.metrics.list()[0]!.errors, 1);
  assert.equal(
    await set([
      {
        setBinding: () => {
          throw new Error('x');
        },
      },
    ]).set.setBinding(ctx, exists),
    undefined,
  );
});

test('beforeDelivery: additions of every module merge; a bad parameter or a throw defers', async () => {
  const ctx = {
    message: { id: 'm', sender: 's', recipients: [], receivedAt: 0, size: 0 },
    binding: 'b',
    domain: 'd',
    recipients: [],
    headers: { get: () => undefined, getAll: () => [], has: () => false, entries: () => [] },
  };
  const ok = await set([
    { beforeDelivery: () => ({ headers: { 'X-One': '1' }, mailParameters: { XVERP: true } }) },
    { beforeDelivery: async () => ({ headers: { 'X-Two': '2' }, rcptParameters: { 'X-Tag': 'a' } }) },
  ]).set.beforeDelivery(ctx);
  assert.deepEqual(ok, {
    ok: true,
    headers: [
      ['X-One', '1'],
      ['X-Two', '2'],
    ],
    mailParameters: ['XVERP'],
    rcptParameters: ['X-TAG=a'],
  });
  assert.deepEqual(
    await set([{ beforeDelivery: () => ({ mailParameters: { 'BAD KEY': true } }) }]).set.beforeDelivery(ctx),
    { ok: false },
  );
  assert.deepEqual(
    await set([{ beforeDelivery: () => ({ headers: { 'X-A': 'v\r\nBcc: evil' } }) }]).set.beforeDelivery(ctx),
    { ok: false },
  );
  assert.deepEqual(
    await set([
      {
        beforeDelivery: () => {
          throw new Error('x');
        },
      },
    ]).set.beforeDelivery(ctx),
    { ok: false },
  );
});

test('classify: a registered class code overrides the rules; an unknown one is an error and ignored', () => {
  const valid = (c: number): boolean => c === 51 || c === 10;
  const ctx = {
    reply: { code: 550, enhanced: '5.7.1', text: 'spam' },
    domain: 'd',
    bounceClass: 50,
    bounceClassName: 'Mail Block',
  };
  assert.equal(
    set([{ classify: (c) => (c.reply.text.includes('spam') ? 51 : undefined) }]).set.classify(ctx, valid),
    51,
  );
  const bad = set([{ classify: () => 99 }]);
  assert.equal(bad.set.classify(ctx, valid), undefined);
  assert.equal(bad.metrics.list()[0]!.errors, 1);
});

test("observers never run in the publisher's turn; a failing one does not stop the next", async () => {
  const seen: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const { set: s, metrics } = set([
    {
      onRejection: () => {
        throw new Error('observer bug');
      },
    },
    {
      onRejection: (e) => {
        seen.push(e.reply);
        done();
      },
    },
  ]);
  s.observe('onRejection', () => ({ reply: '550 x' }));
  assert.deepEqual(seen, []);
  await finished;
  assert.deepEqual(seen, ['550 x']);
  assert.equal(metrics.list().find((x) => x.module === 'm0.mjs')!.errors, 1);
});

test('hooks that answer at once give a verdict at once (no promise): the listener need not wait or flush', async () => {
  const { set: s } = set([
    { rcptTo: () => undefined },
    { rcptTo: (c) => (c.recipient === 'x@y' ? { reply: '550 5.7.1 no' } : undefined) },
  ]);
  const go = s.inbound('rcptTo', { recipient: 'ok@y' });
  assert.equal(go, undefined);
  const no = s.inbound('rcptTo', { recipient: 'x@y' });
  assert.ok(no !== undefined && !(no instanceof Promise) && no.code === 550);
  // One async module makes the verdict a promise; the modules after it still run.
  const { set: mixed } = set([{ rcptTo: async () => undefined }, { rcptTo: () => ({ reply: '550 5.7.1 second' }) }]);
  const p = mixed.inbound('rcptTo', {});
  assert.ok(p instanceof Promise);
  assert.deepEqual((await p)?.lines, ['second']);
});
