import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus, ManualClock, parseConfig, silentLogger, SmtpReply, type BounceGenerated, type DeliveryJob, type MessageEnvelope, type MessageSpooled } from '@petrel/core';
import { Classifier } from '@petrel/bounce';
import { Spool } from '@petrel/spool';
import { DsnService } from './dsn-service.js';
import { dsnIndexes } from './notify.js';

const BODY = Buffer.from('Subject: original subject\r\nMessage-ID: <orig@origin.test>\r\n\r\nsecret body text\r\n');

async function fixture(t: { after(fn: () => unknown): void }, toml = '') {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dsn-'));
  const config = parseConfig(`hostname = "petrel.test"\nspool_dir = "spool"\n[spool]\nmin_free_space = 0\n${toml}`, join(dir, 'petrel.toml'));
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
      outcomes: job.recipients.map((r) => ({ index: r.index, address: r.address, status: 'permanent' as const, reply: SmtpReply.parse(`550 5.1.1 <${r.address}>: user unknown`), stage: 4 })),
      remote: { host: 'mx1.example.test', ip: '127.0.0.2', port: 25 },
      startedAt: ctx.clock.now() - 10,
      finishedAt: ctx.clock.now(),
    });
  // Polls until n DSNs were generated, bounded in time (a DSN needs a spool.store round trip).
  const waitBounce = async (n: number): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (bounces.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  return { bus, spool, spooled, bounces, store, jobOf, attempt, waitBounce, readBody: (id: string) => bus.request('spool.body', { id }) };
}

test('a permanent failure of the last pending recipients yields one DSN from <> with the original headers, though the spool deletes the original in the next turn', async (t) => {
  const f = await fixture(t);
  const env = await f.store();
  f.attempt(f.jobOf(env));
  await f.waitBounce(1);
  assert.equal(f.bounces.length, 1);
  const b = f.bounces[0]!;
  assert.deepEqual(b.recipients.map((r) => [r.address, r.bounceClass, r.bounceClassName]), [['hard1@example.test', 10, 'Invalid Recipient'], ['hard3@example.test', 10, 'Invalid Recipient']], 'NOTIFY=NEVER left out');
  await assert.rejects(f.readBody(env.id), /not in the spool/, 'the original is gone: the body was read in time');
  const dsnMsg = f.spooled.find((s) => s.envelope.id === b.dsnId)!;
  assert.equal(dsnMsg.envelope.sender, '');
  assert.equal(dsnMsg.envelope.protocol, 'internal');
  assert.deepEqual(dsnMsg.envelope.recipients.map((r) => r.address), ['alice@origin.test']);
  const text = (await f.readBody(b.dsnId)).toString();
  assert.match(text, /From: Mail Delivery System <MAILER-DAEMON@petrel\.test>/);
  assert.match(text, /Original-Envelope-Id: E1/);
  assert.match(text, /Original-Recipient: rfc822;hard1@example\.test\r\nFinal-Recipient: rfc822;hard1@example\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx1\.example\.test/);
  assert.doesNotMatch(text, /hard2@/);
  assert.match(text, /Content-Type: text\/rfc822-headers[^]*Subject: original subject/, 'RET=HDRS: headers');
  assert.doesNotMatch(text, /secret body text/);
});

test('RET=FULL returns the whole original; mailerdaemon from config is the From address', async (t) => {
  const f = await fixture(t, '[global]\nmailerdaemon = "bounces@petrel.test"\n');
  const env = await f.store({ ret: 'FULL' });
  f.attempt(f.jobOf(env));
  await f.waitBounce(1);
  const text = (await f.readBody(f.bounces[0]!.dsnId)).toString();
  assert.match(text, /From: Mail Delivery System <bounces@petrel\.test>/);
  assert.match(text, /Content-Type: message\/rfc822[^]*secret body text/);
});

test('no DSN for mail from <>, for NOTIFY=NEVER only, for generate_bounces = false, or for a quiet fail', async (t) => {
  const f = await fixture(t, '[domain."nobounce.test"]\ngenerate_bounces = false\n');
  f.attempt(f.jobOf(await f.store({ sender: '' })));
  f.attempt(f.jobOf(await f.store({ recipients: [{ address: 'n@example.test', domain: 'example.test', notify: ['NEVER'] }] })));
  f.attempt({ ...f.jobOf(await f.store()), domain: 'nobounce.test' });
  const job = f.jobOf(await f.store());
  f.bus.publish('delivery.failed', { job, indexes: [0], reply: new SmtpReply(554, '[internal] Message manually purged', '5.7.0'), reason: 'policy', quiet: true });
  // A control: an expiry of the same kind of job does produce one, so the waits above were long enough.
  f.bus.publish('delivery.failed', { job, indexes: [0, 1, 2], reply: new SmtpReply(554, '[internal] exceeded max time without delivery', '5.4.7'), reason: 'expiration' });
  await f.waitBounce(1);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(f.bounces.length, 1);
  assert.equal(f.bounces[0]!.job.messageId, job.messageId);
  assert.deepEqual(f.bounces[0]!.recipients.map((r) => [r.index, r.bounceClass]), [[0, 24], [2, 24]]);
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
      outcomes: job.recipients.map((r) => ({ index: r.index, address: r.address, status: 'delivered' as const, reply: SmtpReply.parse('250 2.0.0 Ok'), stage: 9 })),
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
  assert.deepEqual(b.recipients.map((r) => r.address), ['ok1@example.test']);
  const text = (await f.readBody(b.dsnId)).toString();
  assert.match(text, /Subject: Successful Mail Delivery Report/);
  assert.match(text, /Final-Recipient: rfc822;ok1@example\.test\r\nAction: relayed\r\nStatus: 2\.0\.0/);
});
