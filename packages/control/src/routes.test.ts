import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus, ManualClock } from '@petrel/core';
import { Counters } from './counters.js';
import { matchRoute, type RouteContext } from './routes.js';
import type { HttpError } from './http-util.js';

/** What a route handler is given, around `bus`; the rest is unused by the routes tested here. */
function routeContext(bus: Bus): RouteContext {
  return { bus, config: {} as never, counters: new Counters(new ManualClock()), actions: {} as never, configFile: 'x' };
}

test('routes match method and path, with decoded parameters', () => {
  const m = matchRoute('GET', '/v1/messages/01ABC%2FX');
  assert.equal(m?.route.path, '/v1/messages/:id');
  assert.deepEqual(m?.params, { id: '01ABC/X' });
  assert.equal(matchRoute('POST', '/v1/messages/01ABC/retry')?.route.path, '/v1/messages/:id/retry');
  assert.equal(matchRoute('DELETE', '/v1/status'), undefined);
  assert.equal(matchRoute('GET', '/v1/nope'), undefined);
});

test('suspend without a domain or binding is a 400, not a bus call', async () => {
  const m = matchRoute('POST', '/v1/suspend')!;
  const bus = new Bus();
  let called = false;
  bus.handle('queue.suspend', () => {
    called = true;
    return { suspension: { since: 0 } };
  });
  await assert.rejects(
    async () => m.route.handle(routeContext(bus), {}, {}),
    /suspend needs a domain, a binding, or both/,
  );
  assert.equal(called, false);
});

test('summary counters follow the bus: received (not recovered), delivered, failed, rejected; reset clears', () => {
  const bus = new Bus();
  const clock = new ManualClock(0);
  const c = new Counters(clock);
  c.subscribe(bus);
  const envelope = { id: 'm', sender: '', recipients: [], receivedAt: 0, size: 1, protocol: 'esmtp' } as const;
  bus.publish('message.spooled', { envelope, recovered: false });
  bus.publish('message.spooled', { envelope, recovered: true });
  const job = {
    id: 'j',
    messageId: 'm',
    sender: '',
    binding: 'default',
    bindingGroup: 'default',
    domain: 'd',
    recipients: [],
    size: 1,
    receivedAt: 0,
    attempts: 0,
    nextAttemptAt: 0,
  };
  const reply = { code: 250, lines: ['ok'] };
  bus.publish('delivery.attempted', {
    job,
    startedAt: 0,
    finishedAt: 1,
    outcomes: [
      { index: 0, address: 'a@d', status: 'delivered', reply, stage: 9 },
      { index: 1, address: 'b@d', status: 'permanent', reply: { code: 550, lines: ['no'] }, stage: 4 },
      { index: 2, address: 'c@d', status: 'transient', reply: { code: 451, lines: ['later'] }, stage: 4 },
    ],
  });
  bus.publish('delivery.failed', {
    job,
    indexes: [2],
    reply: { code: 554, enhanced: '5.4.7', lines: ['expired'] },
    reason: 'expiration',
  });
  bus.publish('message.rejected', {
    time: 0,
    phase: 'awaiting rcptto',
    reply: { code: 554, lines: ['no'] },
    client: { address: '127.0.0.9', port: 1 },
    connectionId: 'c',
    recipient: 'b@d',
  });
  assert.deepEqual(c.totals, {
    received: 1,
    delivered: 1,
    failed: 2,
    transient: 1,
    rejected: 1,
    rejectedConnections: 0,
    expired: 1,
  });
  clock.advance(10_000);
  assert.equal(c.sinceReset(), 10);
  c.reset();
  assert.deepEqual(c.totals, {
    received: 0,
    delivered: 0,
    failed: 0,
    transient: 0,
    rejected: 0,
    rejectedConnections: 0,
    expired: 0,
  });
});

test('a request field of the wrong type is a 400 naming the field, never read as false: dryRun "yes" fails nothing', async () => {
  const m = matchRoute('POST', '/v1/fail')!;
  const bus = new Bus();
  let called = false;
  bus.handle('queue.fail', () => {
    called = true;
    return { failed: 1 };
  });
  const ctx = routeContext(bus);
  await assert.rejects(
    async () => m.route.handle(ctx, { domain: 'd.test', dryRun: 'yes' }, {}),
    (e: HttpError) =>
      e.status === 400 &&
      e.detail?.field === 'dryRun' &&
      /dryRun: expected a boolean \(true or false\), found "yes"/.test(e.message),
  );
  await assert.rejects(
    async () => m.route.handle(ctx, { domain: 'd.test', quiet: 1 }, {}),
    (e: HttpError) => e.status === 400 && e.detail?.field === 'quiet',
  );
  await assert.rejects(
    async () => m.route.handle(ctx, { domain: 'd.test', limit: 'many' }, {}),
    (e: HttpError) => e.status === 400 && e.detail?.field === 'limit',
  );
  await assert.rejects(
    async () => m.route.handle(ctx, { domain: 5 }, {}),
    (e: HttpError) => e.status === 400 && e.detail?.field === 'domain',
  );
  await assert.rejects(
    async () => m.route.handle(ctx, { domain: 'd.test', dryrun: true }, {}),
    (e: HttpError) => e.status === 400 && e.detail?.field === 'dryrun',
  );
  assert.equal(called, false);
  await m.route.handle(ctx, { domain: 'd.test', dryRun: false, quiet: true }, {});
  assert.equal(called, true);
});

test('Rejected Messages counts refused transactions only; refused connections are counted apart', () => {
  const bus = new Bus();
  const c = new Counters(new ManualClock(0));
  c.subscribe(bus);
  const base = {
    time: 0,
    reply: { code: 421, lines: ['too many'] },
    client: { address: '127.0.0.9', port: 1 },
    connectionId: 'c',
  };
  bus.publish('message.rejected', { ...base, phase: 'concurrency limit' });
  bus.publish('message.rejected', { ...base, phase: 'sending banner' });
  bus.publish('message.rejected', { ...base, phase: 'awaiting ehlo/helo' });
  bus.publish('message.rejected', { ...base, phase: 'awaiting rcptto', sender: 'a@x', recipient: 'b@y' });
  assert.equal(c.totals.rejected, 1);
  assert.equal(c.totals.rejectedConnections, 2);
});

test('/v1/cluster on a node without [cluster] is PETREL_ERR_CLUSTER_OFF; with it, the cluster status', async () => {
  const m = matchRoute('GET', '/v1/cluster')!;
  const bus = new Bus();
  const ctx = routeContext(bus);
  await assert.rejects(async () => m.route.handle(ctx, {}, {}), { code: 'PETREL_ERR_CLUSTER_OFF' });
  const status = {
    node: 'n1',
    redis: 'redis://127.0.0.1:6379',
    state: 'up' as const,
    degradations: 0,
    liveNodes: 1,
    nodes: [],
    suspensions: [],
    shaping: [],
    suppressions: 0,
    throttles: [],
    leases: [],
  };
  bus.handle('cluster.status', () => status);
  assert.deepEqual(await m.route.handle(ctx, {}, {}), status);
});
