import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Bus,
  ManualClock,
  SmtpReply,
  parseConfig,
  silentLogger,
  type DeliveryAttempt,
  type Requests,
  type ShapingChanged,
  type ShapingState,
  type ShapingStore,
  type SharedTable,
  type SharedTableApply,
  type Suspension,
} from '@petrel/core';
import { shapingConfigExtensions } from './config-extension.js';
import { parseShapingToml } from './rules-file.js';
import { ShapingService } from './shaping-service.js';

const RULES = `
[[rule]]
name = "ts01"
domains = ["yahoo.test"]
regex = '\\[TS01\\]'
count = 2
within = "5m"
action = [{ action = "suspend", scope = "domain", duration = "1h" }]

[[rule]]
name = "slow"
enhanced = "4.7.650"
action = [{ action = "throttle", scope = "binding+domain", rate = "10/60", duration = "10m" }]

[[rule]]
name = "gone"
regex = 'domain closed for good'
code = "5xx"
action = { action = "bounce" }
`;

function memoryStore(states: ShapingState[] = []): ShapingStore & { states: Map<string, ShapingState> } {
  const map = new Map(states.map((s) => [s.id, s]));
  return {
    states: map,
    loadStates: () => [...map.values()],
    putState: (s) => void map.set(s.id, s),
    deleteState: (id) => void map.delete(id),
    loadCounters: () => [],
    putCounters: () => undefined,
    close: () => undefined,
  };
}

/** A bus with a stand-in queue that records suspensions and publishes `queue.suspension` as the real one does. */
function setUp(store: ShapingStore, shared?: SharedTable<ShapingState>) {
  const parsed = parseShapingToml(RULES, 'rules.toml');
  assert.deepEqual(parsed.errors, []);
  const base = parseConfig('', '/nonexistent/petrel.toml', { extensions: shapingConfigExtensions });
  const config = { ...base, shaping: { ...base.shaping, rules: { files: ['rules.toml'], ...parsed } } };
  const bus = new Bus();
  const clock = new ManualClock();
  const suspends: Requests['queue.suspend']['payload'][] = [];
  const changes: ShapingChanged[] = [];
  let held: Suspension[] = [];
  bus.handle('queue.suspend', (req) => {
    suspends.push(req);
    const s: Suspension = {
      ...(req.domain ? { domain: req.domain } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
      ...(req.source ? { source: req.source } : {}),
      ...(req.rule ? { rule: req.rule } : {}),
      since: req.since ?? clock.now(),
      ...(req.durationMs ? { until: clock.now() + req.durationMs } : {}),
    };
    held = [s];
    bus.publish('queue.suspension', { time: clock.now(), change: 'set', suspension: s });
    return { suspension: s };
  });
  bus.handle('queue.suspensions', () => held);
  const fails: Requests['queue.fail']['payload'][] = [];
  bus.handle('queue.fail', (req) => {
    fails.push(req);
    return { failed: 3 };
  });
  bus.subscribe('shaping.changed', (e) => {
    changes.push(e);
  });
  const service = new ShapingService(
    { config, bus, clock, logger: silentLogger() },
    { store: () => store, ...(shared ? { shared } : {}) },
  );
  return { bus, clock, service, suspends, changes, fails };
}

function attempt(domain: string, reply: SmtpReply): DeliveryAttempt {
  const job = { binding: 'b1', domain, id: 'j', messageId: 'm', recipients: [{ index: 0 }] } as never;
  return { job, outcomes: [{ index: 0, status: 'transient', reply, stage: 4 }] as never, startedAt: 0, finishedAt: 0 };
}

test('the second [TS01] within the window suspends the domain for the rule duration, and the store keeps it', async () => {
  const store = memoryStore();
  const { bus, service, suspends, changes } = setUp(store);
  await service.start();
  const ts01 = new SmtpReply(421, '[TS01] Messages from 192.0.2.1 temporarily deferred', '4.7.0');
  bus.publish('delivery.attempted', attempt('yahoo.test', ts01));
  assert.equal(suspends.length, 0, 'one match is below the trigger count');
  bus.publish('delivery.attempted', attempt('yahoo.test', ts01));
  await new Promise((r) => setImmediate(r));
  assert.equal(suspends.length, 1);
  assert.equal(suspends[0]!.domain, 'yahoo.test');
  assert.equal(suspends[0]!.durationMs, 3_600_000);
  assert.equal(suspends[0]!.rule, 'ts01');
  assert.match(suspends[0]!.reason ?? '', /\[TS01\]/);
  assert.equal(changes[0]?.change, 'set');
  assert.deepEqual([...store.states.keys()], ['suspend:domain:yahoo.test']);
  await service.stop();
});

test('a throttle state ends by itself: expired is announced and the store forgets it', async () => {
  const store = memoryStore();
  const { bus, clock, service, changes } = setUp(store);
  await service.start();
  bus.publish('delivery.attempted', attempt('x.test', new SmtpReply(451, 'rate limited', '4.7.650')));
  await new Promise((r) => setImmediate(r));
  const set = changes.find((c) => c.change === 'set')!;
  assert.equal(set.state.kind, 'throttle');
  assert.deepEqual(set.state.rate, { count: 10, perMs: 60_000 });
  assert.equal(store.states.size, 1);
  clock.advance(10 * 60_000);
  assert.equal(changes.at(-1)?.change, 'expired');
  assert.equal(store.states.size, 0);
  await service.stop();
});

test('at start, stored states come back with their remaining time; those that ended while down are dropped', async () => {
  const now = new ManualClock().now();
  const store = memoryStore([
    {
      id: 'suspend:domain:yahoo.test',
      kind: 'suspend',
      scope: 'domain',
      domain: 'yahoo.test',
      source: 'rule',
      rule: 'ts01',
      since: now - 60_000,
      until: now + 120_000,
    },
    {
      id: 'throttle:domain:old.test',
      kind: 'throttle',
      scope: 'domain',
      domain: 'old.test',
      rate: { count: 1, perMs: 1000 },
      source: 'operator',
      since: now - 60_000,
      until: now - 1,
    },
  ]);
  const { service, suspends, changes } = setUp(store);
  await service.start();
  assert.equal(suspends.length, 1);
  assert.equal(suspends[0]!.until, now + 120_000, 'its stored end, not a fresh hour');
  assert.equal(suspends[0]!.since, now - 60_000);
  assert.equal(changes[0]?.change, 'restored');
  assert.equal(store.states.has('throttle:domain:old.test'), false);
  await service.stop();
});

test('a bounce action fails what is queued for the destination with the reply; a 4xx does not match a 5xx rule', async () => {
  const { bus, service, fails } = setUp(memoryStore());
  await service.start();
  bus.publish('delivery.attempted', attempt('closed.test', new SmtpReply(450, 'domain closed for good')));
  await new Promise((r) => setImmediate(r));
  assert.equal(fails.length, 0);
  bus.publish('delivery.attempted', attempt('closed.test', new SmtpReply(554, 'domain closed for good', '5.7.1')));
  await new Promise((r) => setImmediate(r));
  assert.equal(fails.length, 1);
  assert.equal(fails[0]!.domain, 'closed.test');
  assert.equal(fails[0]!.binding, 'b1');
  assert.equal(fails[0]!.reply?.code, 554);
  await service.stop();
});

/**
 * The cluster's table as the nodes see it (Redis and pub/sub in @petrel/cluster, tested there): a
 * put or remove reaches every other attached node; attaching hands the node the whole table.
 */
class Hub {
  readonly table = new Map<string, ShapingState>();
  private readonly nodes = new Set<SharedTableApply<ShapingState>>();
  node(): SharedTable<ShapingState> & { puts: number } {
    let me: SharedTableApply<ShapingState> | undefined;
    const hub = this;
    return {
      puts: 0,
      put(id, value) {
        this.puts++;
        hub.table.set(id, value);
        for (const n of hub.nodes) if (n !== me) n.put(id, value);
      },
      remove(id) {
        hub.table.delete(id);
        for (const n of hub.nodes) if (n !== me) n.remove(id);
      },
      attach(apply) {
        me = apply;
        hub.nodes.add(apply);
        void apply.reconcile(new Map(hub.table));
        return () => hub.nodes.delete(apply);
      },
    };
  }
}

test('in a cluster a rule throttle set on one node is in force on the other, and a clear on either lifts it on both', async () => {
  const hub = new Hub();
  const a = setUp(memoryStore(), hub.node());
  const bShared = hub.node();
  const b = setUp(memoryStore(), bShared);
  await a.service.start();
  await b.service.start();
  a.bus.publish('delivery.attempted', attempt('x.test', new SmtpReply(451, 'rate limited', '4.7.650')));
  await new Promise((r) => setImmediate(r));
  const id = 'throttle:binding+domain:b1:x.test';
  assert.deepEqual([...hub.table.keys()], [id]);
  const onB = b.changes.find((c) => c.state.id === id);
  assert.equal(onB?.change, 'set', 'b enforces it (the queue and outbound read shaping.changed)');
  assert.deepEqual(onB.state.rate, { count: 10, perMs: 60_000 });
  assert.equal(bShared.puts, 0, 'b does not tell it back');
  assert.ok((await b.service.list()).some((st) => st.id === id));
  assert.deepEqual(await b.service.clear(id), { cleared: 1 });
  assert.equal(a.changes.at(-1)?.change, 'cleared');
  assert.equal(hub.table.size, 0);
  await a.service.stop();
  await b.service.stop();
});

test('in a cluster a node restores its own states at start, then drops those the cluster no longer has', async () => {
  const hub = new Hub();
  const now = new ManualClock().now();
  const lifted: ShapingState = {
    id: 'max_connections:domain:x.test',
    kind: 'max_connections',
    scope: 'domain',
    domain: 'x.test',
    connections: 2,
    source: 'operator',
    since: now - 1000,
  };
  const kept: ShapingState = { ...lifted, id: 'max_connections:domain:y.test', domain: 'y.test' };
  hub.table.set(kept.id, kept);
  const store = memoryStore([lifted, kept]);
  const shared = hub.node();
  const { service, changes } = setUp(store, shared);
  await service.start();
  assert.deepEqual(
    changes.map((c) => [c.change, c.state.domain]),
    [
      ['restored', 'x.test'],
      ['restored', 'y.test'],
      ['cleared', 'x.test'],
    ],
  );
  assert.deepEqual([...store.states.keys()], [kept.id]);
  assert.equal(shared.puts, 0, 'nothing restored is given back to the cluster');
  assert.deepEqual([...hub.table.keys()], [kept.id]);
  await service.stop();
});
