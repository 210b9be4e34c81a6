import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bus,
  ManualClock,
  parseConfig,
  silentLogger,
  SmtpReply,
  type BounceGenerated,
  type DeliveryDeferred,
  type DeliveryJob,
  type MessageEnvelope,
  type MessageSpooled,
} from '@petrel/core';
import { Classifier } from '@petrel/bounce';
import { Spool } from '@petrel/spool';
import { QueueManager } from '@petrel/queue';
import { retryWait } from '@petrel/queue';
import { DsnService, delayDsnDue, delayDsnPoints } from './dsn-service.js';
import { dsnIndexes } from './notify.js';

const BODY = Buffer.from('Subject: original subject\r\nMessage-ID: <orig@origin.test>\r\n\r\nsecret body text\r\n');

async function fixture(t: { after(fn: () => unknown): void }, toml = '') {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dsn-'));
  const config = parseConfig(
    `hostname = "petrel.test"\nspool_dir = "spool"\n[spool]\nmin_free_space = 0\n${toml}`,
    join(dir, 'petrel.toml'),
  );
  const bus = new Bus();
  const ctx = { config, bus, clock: new ManualClock(Date.UTC(2026, 0, 1)), logger: silentLogger() };
  // Inline writer: this tests the DSN service, not the spool's writer thread, and wants determinism.
  const spool = new Spool(ctx, { minFreeSpace: 0, writer: 'inline' });
  const dsn = new DsnService(ctx, Classifier.load());
  await dsn.start();
  await spool.start();
  const spooled: MessageSpooled[] = [];
  const bounces: BounceGenerated[] = [];
  bus.subscribe('message.spooled', (e) => void spooled.push(e));
  bus.subscribe('bounce.generated', (e) => void bounces.push(e));
  t.after(async () => {
    await dsn.stop();
    await spool.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const store = async (env: Partial<MessageEnvelope> = {}): Promise<MessageEnvelope> => {
    const envelope: MessageEnvelope = {
      id: '',
      sender: 'alice@origin.test',
      recipients: [
        { address: 'hard1@example.test', domain: 'example.test', orcpt: 'rfc822;hard1@example.test' },
        { address: 'hard2@example.test', domain: 'example.test', notify: ['NEVER'] },
        { address: 'hard3@example.test', domain: 'example.test', notify: ['FAILURE', 'DELAY'] },
      ],
      receivedAt: ctx.clock.now() - 5000,
      size: BODY.length,
      protocol: 'esmtp',
      ret: 'HDRS',
      envid: 'E1',
      ...env,
    };
    const { id } = await bus.request('spool.store', { envelope, body: BODY });
    return { ...envelope, id };
  };
  const jobOf = (e: MessageEnvelope): DeliveryJob => ({
    id: `${e.id}/default/example.test/0`,
    messageId: e.id,
    sender: e.sender,
    binding: 'default',
    bindingGroup: 'default',
    domain: 'example.test',
    recipients: e.recipients.map((r, index) => ({ ...r, index })),
    size: e.size,
    receivedAt: e.receivedAt,
    ...(e.ret ? { ret: e.ret } : {}),
    ...(e.envid ? { envid: e.envid } : {}),
    attempts: 0,
    nextAttemptAt: 0,
  });
  const attempt = (job: DeliveryJob): void =>
    bus.publish('delivery.attempted', {
      job,
      outcomes: job.recipients.map((r) => ({
        index: r.index,
        address: r.address,
        status: 'permanent' as const,
        reply: SmtpReply.parse(`550 5.1.1 <${r.address}>: user unknown`),
        stage: 4,
      })),
      remote: { host: 'mx1.example.test', ip: '127.0.0.2', port: 25 },
      startedAt: ctx.clock.now() - 10,
      finishedAt: ctx.clock.now(),
    });
  // Polls until n DSNs were generated, bounded in time (a DSN needs a spool.store round trip).
  const waitBounce = async (n: number): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (bounces.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  return {
    ctx,
    dsn,
    bus,
    spool,
    spooled,
    bounces,
    store,
    jobOf,
    attempt,
    waitBounce,
    readBody: (id: string) => bus.request('spool.body', { id }),
  };
}

test('a permanent failure of the last pending recipients yields one DSN from <> with the original headers; the spool then deletes the original', async (t) => {
  const f = await fixture(t);
  const env = await f.store();
  f.attempt(f.jobOf(env));
  await f.waitBounce(1);
  assert.equal(f.bounces.length, 1);
  const b = f.bounces[0]!;
  assert.deepEqual(
    b.recipients.map((r) => [r.address, r.bounceClass, r.bounceClassName]),
    [
      ['hard1@example.test', 10, 'Invalid Recipient'],
      ['hard3@example.test', 10, 'Invalid Recipient'],
    ],
    'NOTIFY=NEVER left out',
  );
  await f.spool.flush();
  await assert.rejects(f.readBody(env.id), /not in the spool/, 'the original is gone: the body was read in time');
  const dsnMsg = f.spooled.find((s) => s.envelope.id === b.dsnId)!;
  assert.equal(dsnMsg.envelope.sender, '');
  assert.equal(dsnMsg.envelope.protocol, 'internal');
  assert.deepEqual(
    dsnMsg.envelope.recipients.map((r) => r.address),
    ['alice@origin.test'],
  );
  const text = (await f.readBody(b.dsnId)).toString();
  assert.match(text, /From: Mail Delivery System <MAILER-DAEMON@petrel\.test>/);
  assert.match(text, /Original-Envelope-Id: E1/);
  assert.match(
    text,
    /Original-Recipient: rfc822;hard1@example\.test\r\nFinal-Recipient: rfc822;hard1@example\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx1\.example\.test/,
  );
  assert.doesNotMatch(text, /hard2@/);
  assert.match(text, /Content-Type: text\/rfc822-headers[\s\S]*Subject: original subject/, 'RET=HDRS: headers');
  assert.doesNotMatch(text, /secret body text/);
});

test('the failure is recorded only after its DSN is stored (bounce.settled): a crash between them cannot lose the notice', async (t) => {
  const f = await fixture(t);
  const env = await f.store();
  const order: string[] = [];
  f.bus.subscribe('bounce.generated', () => {
    order.push('dsn stored');
    // The spool has not recorded the failure yet: the original is still there.
    void f.readBody(env.id).then(
      () => order.push('original kept'),
      () => order.push('original gone'),
    );
  });
  f.attempt(f.jobOf(env));
  const unstored = await f.bus.request('bounce.settled', { messageIds: [env.id] });
  order.push(`settled, unstored: ${unstored.length}`);
  await new Promise((r) => setImmediate(r));
  await f.spool.flush();
  await assert.rejects(f.readBody(env.id), /not in the spool/, 'recorded once the DSN was stored');
  assert.deepEqual(order, ['dsn stored', 'original kept', 'settled, unstored: 0']);
  const none = await f.store({ sender: '' });
  assert.deepEqual(await f.bus.request('bounce.settled', { messageIds: [none.id] }), [], 'no DSN due: at once');
});

test('bounce.settled names the messages whose DSN could not be stored', async (t) => {
  const config = parseConfig('hostname = "petrel.test"\n', '/nonexistent/petrel.toml');
  const bus = new Bus();
  const ctx = { config, bus, clock: new ManualClock(Date.UTC(2026, 0, 1)), logger: silentLogger() };
  bus.handle('spool.body', () => BODY);
  bus.handle('spool.store', () => Promise.reject(new Error('disk on fire')));
  const dsn = new DsnService(ctx, Classifier.load());
  await dsn.start();
  t.after(() => dsn.stop());
  const job: DeliveryJob = {
    id: 'm1/default/example.test/0',
    messageId: 'm1',
    sender: 'alice@origin.test',
    binding: 'default',
    bindingGroup: 'default',
    domain: 'example.test',
    recipients: [{ address: 'x@example.test', domain: 'example.test', index: 0 }],
    size: BODY.length,
    receivedAt: ctx.clock.now(),
    attempts: 0,
    nextAttemptAt: 0,
  };
  bus.publish('delivery.failed', {
    job,
    indexes: [0],
    reply: new SmtpReply(554, '[internal] exceeded max time without delivery', '5.4.7'),
    reason: 'expiration',
  });
  assert.deepEqual(await bus.request('bounce.settled', { messageIds: ['m0', 'm1'] }), ['m1']);
});

test('RET=FULL returns the whole original; mailerdaemon from config is the From address', async (t) => {
  const f = await fixture(t, '[global]\nmailerdaemon = "bounces@petrel.test"\n');
  const env = await f.store({ ret: 'FULL' });
  f.attempt(f.jobOf(env));
  await f.waitBounce(1);
  const text = (await f.readBody(f.bounces[0]!.dsnId)).toString();
  assert.match(text, /From: Mail Delivery System <bounces@petrel\.test>/);
  assert.match(text, /Content-Type: message\/rfc822[\s\S]*secret body text/);
});

test('no DSN for mail from <>, for NOTIFY=NEVER only, for generate_bounces = false, or for a quiet fail', async (t) => {
  const f = await fixture(t, '[domain."nobounce.test"]\ngenerate_bounces = false\n');
  f.attempt(f.jobOf(await f.store({ sender: '' })));
  f.attempt(
    f.jobOf(await f.store({ recipients: [{ address: 'n@example.test', domain: 'example.test', notify: ['NEVER'] }] })),
  );
  f.attempt({ ...f.jobOf(await f.store()), domain: 'nobounce.test' });
  const job = f.jobOf(await f.store());
  f.bus.publish('delivery.failed', {
    job,
    indexes: [0],
    reply: new SmtpReply(554, '[internal] Message manually purged', '5.7.0'),
    reason: 'policy',
    quiet: true,
  });
  // A control: an expiry of the same kind of job does produce one, so the waits above were long enough.
  f.bus.publish('delivery.failed', {
    job,
    indexes: [0, 1, 2],
    reply: new SmtpReply(554, '[internal] exceeded max time without delivery', '5.4.7'),
    reason: 'expiration',
  });
  await f.waitBounce(1);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(f.bounces.length, 1);
  assert.equal(f.bounces[0]!.job.messageId, job.messageId);
  assert.deepEqual(
    f.bounces[0]!.recipients.map((r) => [r.index, r.bounceClass]),
    [
      [0, 24],
      [2, 24],
    ],
  );
});

test('NOTIFY decides per recipient: NEVER none, SUCCESS only none, FAILURE or absent yes', () => {
  const job = {
    sender: 'a@b.test',
    recipients: [
      { index: 0, address: 'x@d', domain: 'd' },
      { index: 1, address: 'y@d', domain: 'd', notify: ['NEVER'] },
      { index: 2, address: 'z@d', domain: 'd', notify: ['SUCCESS'] },
      { index: 3, address: 'w@d', domain: 'd', notify: ['SUCCESS', 'FAILURE'] },
      { index: 4, address: 'v@d', domain: 'd', notify: ['DELAY'] },
    ],
  } as unknown as DeliveryJob;
  assert.deepEqual(dsnIndexes(job, [0, 1, 2, 3, 4], 'failure', true), [0, 3]);
  assert.deepEqual(dsnIndexes(job, [0, 1, 2, 3, 4], 'delay', true), [0, 4]);
  assert.deepEqual(dsnIndexes(job, [0, 1, 2, 3, 4], 'success', true), [2, 3], 'success only on request');
  assert.deepEqual(dsnIndexes({ ...job, sender: '' }, [0, 3], 'failure', true), []);
  assert.deepEqual(dsnIndexes(job, [0, 3], 'failure', false), []);
});

test('NOTIFY=SUCCESS relayed to a hop without DSN earns a "relayed" DSN; a DSN-capable hop or no NOTIFY earns none', async (t) => {
  const f = await fixture(t);
  const env = await f.store({
    recipients: [
      { address: 'ok1@example.test', domain: 'example.test', notify: ['SUCCESS', 'FAILURE'] },
      { address: 'ok2@example.test', domain: 'example.test' },
    ],
  });
  const job = f.jobOf(env);
  const delivered = (remoteDsn: boolean): void =>
    f.bus.publish('delivery.attempted', {
      job,
      outcomes: job.recipients.map((r) => ({
        index: r.index,
        address: r.address,
        status: 'delivered' as const,
        reply: SmtpReply.parse('250 2.0.0 Ok'),
        stage: 9,
      })),
      remote: { host: 'mx1.example.test', ip: '127.0.0.2', port: 25 },
      startedAt: 0,
      finishedAt: 1,
      remoteDsn,
    });
  delivered(true);
  await f.waitBounce(1);
  assert.equal(f.bounces.length, 0, 'the next hop reports itself');
  delivered(false);
  await f.waitBounce(1);
  assert.equal(f.bounces.length, 1);
  const b = f.bounces[0]!;
  assert.equal(b.action, 'relayed');
  assert.deepEqual(
    b.recipients.map((r) => r.address),
    ['ok1@example.test'],
  );
  const text = (await f.readBody(b.dsnId)).toString();
  assert.match(text, /Subject: Successful Mail Delivery Report/);
  assert.match(text, /Final-Recipient: rfc822;ok1@example\.test\r\nAction: relayed\r\nStatus: 2\.0\.0/);
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test("the delay-DSN schedule is Momentum's: base, then doubling gaps capped by the max (1h, 3h, 7h, 15h, then every 12h)", () => {
  const pointsBy = (h: number): number => delayDsnPoints(h * HOUR, HOUR, 12 * HOUR);
  const firstAt = (n: number): number => {
    let h = 0;
    while (pointsBy(h) < n) h++;
    return h;
  };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(firstAt), [1, 3, 7, 15, 27, 39, 51]);
  assert.equal(delayDsnPoints(HOUR - 1, HOUR, 12 * HOUR), 0, 'nothing before the first point');
  assert.equal(delayDsnPoints(-5, HOUR, 12 * HOUR), 0, 'nothing before reception');
  assert.deepEqual(
    [1, 2, 3].map((n) => delayDsnPoints(n * HOUR, 2 * HOUR, HOUR)),
    [0, 1, 1],
    'a max below the base counts as the base: every 2h',
  );
  const policy = { delay_dsn_retry_interval: HOUR, delay_dsn_max_retry_interval: 12 * HOUR };
  assert.equal(delayDsnDue(0, 50 * MIN, 60 * MIN, policy), true, 'the point itself belongs to the deferral at it');
  assert.equal(delayDsnDue(0, 60 * MIN, 61 * MIN, policy), false, 'and not to the next one');
  assert.equal(delayDsnDue(0, 2 * HOUR, 8 * HOUR, policy), true, 'two points at once (3h, 7h): due');
  assert.equal(delayDsnDue(0, 5, 6, { ...policy, delay_dsn_retry_interval: 0 }), true, 'base 0: every deferral');
});

test('with generate_delay_dsn, a recipient deferred every 30 min for 16 h gets delay DSNs at the first deferral at or after 1h, 3h, 7h and 15h, by NOTIFY', async (t) => {
  const f = await fixture(t, '[global]\ngenerate_delay_dsn = true\nmessage_expiration = "5d"\n');
  const clock = f.ctx.clock;
  const env = await f.store({
    receivedAt: clock.now(),
    recipients: [
      { address: 'plain@example.test', domain: 'example.test' },
      { address: 'fail-only@example.test', domain: 'example.test', notify: ['FAILURE'] },
      { address: 'delay@example.test', domain: 'example.test', notify: ['DELAY'] },
      { address: 'never@example.test', domain: 'example.test', notify: ['NEVER'] },
    ],
  });
  const job = f.jobOf(env);
  const reply = SmtpReply.parse('451 4.3.0 try later');
  for (let k = 1; k <= 32; k++) {
    clock.advance(30 * MIN);
    f.bus.publish('delivery.deferred', {
      job: { ...job, attempts: k },
      attempts: k,
      nextAttemptAt: clock.now() + 30 * MIN,
      expiresAt: env.receivedAt + 5 * DAY,
      previousAttemptAt: clock.now() - 30 * MIN,
      reply,
    });
  }
  await f.dsn.stop(); // waits for every DSN in flight: the count below is final
  const at = await Promise.all(
    f.bounces.map(
      async (b) =>
        (Date.parse(/Last-Attempt-Date: (.+)\r\n/.exec((await f.readBody(b.dsnId)).toString())![1]!) - env.receivedAt) /
        HOUR,
    ),
  );
  assert.deepEqual(at, [1, 3, 7, 15], 'one notice per schedule point, no more');
  for (const b of f.bounces) {
    assert.equal(b.action, 'delayed');
    assert.deepEqual(
      b.recipients.map((r) => r.address),
      ['plain@example.test', 'delay@example.test'],
      'NOTIFY=FAILURE and NEVER get none',
    );
  }
});

test('no delay DSN without generate_delay_dsn, nor before the first point (the old first-deferral notice is gone)', async (t) => {
  const f = await fixture(
    t,
    '[domain."example.test"]\ndelay_dsn_retry_interval = "2h"\n[domain."on.test"]\ngenerate_delay_dsn = true\ndelay_dsn_retry_interval = "2h"\n',
  );
  const clock = f.ctx.clock;
  const env = await f.store({ receivedAt: clock.now() });
  const reply = SmtpReply.parse('451 4.3.0 try later');
  clock.advance(HOUR);
  f.bus.publish('delivery.deferred', {
    job: { ...f.jobOf(env), domain: 'on.test', attempts: 1 },
    attempts: 1,
    nextAttemptAt: 0,
    expiresAt: env.receivedAt + DAY,
    previousAttemptAt: env.receivedAt,
    reply,
  });
  clock.advance(2 * HOUR);
  f.bus.publish('delivery.deferred', {
    job: { ...f.jobOf(env), attempts: 2 },
    attempts: 2,
    nextAttemptAt: 0,
    expiresAt: env.receivedAt + DAY,
    previousAttemptAt: clock.now() - 2 * HOUR,
    reply,
  });
  // Control: the same job on the domain that turned it on, past its 2h point, does get one.
  f.bus.publish('delivery.deferred', {
    job: { ...f.jobOf(env), domain: 'on.test', attempts: 2 },
    attempts: 2,
    nextAttemptAt: 0,
    expiresAt: env.receivedAt + DAY,
    previousAttemptAt: clock.now() - 2 * HOUR,
    reply,
  });
  await f.dsn.stop();
  assert.deepEqual(
    f.bounces.map((b) => [b.job.domain, b.action]),
    [['on.test', 'delayed']],
  );
});

test('across restarts a point reported before is not reported again, and points passed while down are reported once', async (t) => {
  const f = await fixture(t, '[global]\ngenerate_delay_dsn = true\nmessage_expiration = "5d"\n');
  const clock = f.ctx.clock;
  const start = clock.now();
  const env = await f.store({ receivedAt: start, recipients: [{ address: 'r@example.test', domain: 'example.test' }] });
  const job = f.jobOf(env);
  const reply = SmtpReply.parse('451 4.3.0 try later');
  // What the queue publishes as previousAttemptAt: its last deferral, or after a restart the one it
  // derives from the spool's retry state (queue-retry.test.ts checks that derivation).
  let previous = start;
  const defer = (attempts: number, atMin: number, waitMin: number): void => {
    clock.advance(start + atMin * MIN - clock.now());
    f.bus.publish('delivery.deferred', {
      job: { ...job, attempts },
      attempts,
      nextAttemptAt: clock.now() + waitMin * MIN,
      expiresAt: start + 5 * DAY,
      previousAttemptAt: previous,
      reply,
    });
    previous = clock.now();
  };
  // A new DsnService knows nothing of earlier deferrals; the queue's derivation stands in.
  const restart = async (attempts: number, nextAtMin: number): Promise<DsnService> => {
    const next = new DsnService(f.ctx, Classifier.load());
    await next.start();
    previous = start + nextAtMin * MIN - retryWait(attempts, 20 * MIN, 12 * HOUR);
    return next;
  };
  // Default retry_interval 20m: waits 20m, 40m, 80m, 160m, 320m, …
  defer(3, 61, 80); // reports the 1h point
  await f.dsn.stop();
  const b = await restart(3, 141);
  defer(4, 70, 160); // an operator retry after the restart, before 141m: (61m, 70m] has no point
  await b.stop();
  const c = await restart(4, 230);
  defer(5, 600, 320); // down from 230m to 600m: 3h and 7h passed, one notice for both
  await c.stop();
  const d = await restart(5, 920);
  defer(6, 921, 640); // (600m, 921m]: 15h
  await d.stop();
  const at = await Promise.all(
    f.bounces.map(
      async (x) =>
        (Date.parse(/Last-Attempt-Date: (.+)\r\n/.exec((await f.readBody(x.dsnId)).toString())![1]!) - start) / MIN,
    ),
  );
  assert.deepEqual(at, [61, 600, 921]);
});

test("a delay DSN's Will-Retry-Until is the instant the queue expires the recipient, and its Remote-MTA the host that deferred it", async (t) => {
  // Retries every 60 s, expiry at 150 s: the try after 120 s would fall past it, so there is none.
  const f = await fixture(
    t,
    '[global]\ngenerate_delay_dsn = true\ndelay_dsn_retry_interval = "0s"\nretry_interval = "60s"\nmax_retry_interval = "60s"\nmessage_expiration = "150s"\n',
  );
  const queue = new QueueManager(f.ctx);
  await queue.start();
  t.after(() => queue.stop());
  const clock = f.ctx.clock;
  const env = await f.store({
    receivedAt: clock.now(),
    recipients: [{ address: 'slow@example.test', domain: 'example.test' }],
  });
  const deferred: DeliveryDeferred[] = [];
  const failed: number[] = [];
  f.bus.subscribe('delivery.deferred', (d) => void deferred.push(d));
  f.bus.subscribe('delivery.failed', () => void failed.push(clock.now()));
  f.bus.publish('message.routed', { envelope: env, recovered: false, jobs: [f.jobOf(env)] });
  const remote = { host: 'mx1.example.test', ip: '127.0.0.2', port: 25 };
  for (let i = 0; i < 10 && failed.length === 0; i++) {
    const job = await f.bus.request('queue.take', { binding: 'default', domain: 'example.test' });
    if (job) {
      f.bus.publish('delivery.attempted', {
        job,
        outcomes: [
          {
            index: 0,
            address: 'slow@example.test',
            status: 'transient',
            reply: SmtpReply.parse('451 4.3.0 try later'),
            stage: 9,
          },
        ],
        remote,
        startedAt: clock.now(),
        finishedAt: clock.now(),
      });
    }
    clock.advance(Math.max(1, deferred.at(-1)!.nextAttemptAt - clock.now()));
  }
  await f.dsn.stop();
  assert.equal(failed.length, 1, 'the recipient expired');
  const last = deferred.at(-1)!;
  assert.equal(last.expiresAt, env.receivedAt + 150_000);
  assert.equal(failed[0], last.expiresAt, 'the queue expires the recipient at the expiry it announced');
  const delayed = f.bounces.filter((b) => b.action === 'delayed');
  assert.ok(delayed.length >= 1);
  const text = (await f.readBody(delayed.at(-1)!.dsnId)).toString();
  const until = Date.parse(/Will-Retry-Until: (.+)\r\n/.exec(text)![1]!);
  assert.equal(until, failed[0], 'Will-Retry-Until is when the recipient expired');
  assert.match(text, /Remote-MTA: dns; mx1\.example\.test/, 'RFC 3464 §2.3.6: the reply came from the remote MTA');
  assert.deepEqual(delayed.at(-1)!.remote, remote);
  // The expiry DSN dates the last attempt (120 s), not the expiry (RFC 3464 §2.3.5).
  const expiry = (await f.readBody(f.bounces.find((b) => b.action === 'failed')!.dsnId)).toString();
  assert.equal(Date.parse(/Last-Attempt-Date: (.+)\r\n/.exec(expiry)![1]!), env.receivedAt + 120_000);
});
