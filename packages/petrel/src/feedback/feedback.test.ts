import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bus,
  ManualClock,
  parseConfig,
  silentLogger,
  verpAddress,
  type DeliveryJob,
  type InboundReported,
  type SuppressionEntry,
  type SuppressionStore,
} from '@petrel/core';
import { Classifier } from '@petrel/bounce';
import { InboundReportService } from './inbound-service.js';
import { SuppressionService } from './suppression-service.js';

/** The narrow store interface, in memory (what a shared store would implement). */
class MemoryStore implements SuppressionStore {
  readonly rows = new Map<string, SuppressionEntry>();
  add(entries: readonly SuppressionEntry[]): Promise<number> {
    for (const e of entries) this.rows.set(`${e.address} ${e.scope}`, e);
    return Promise.resolve(entries.length);
  }
  remove(address: string, scope?: string): Promise<number> {
    let n = 0;
    for (const [k, e] of this.rows)
      if (e.address === address && (scope === undefined || e.scope === scope)) n += this.rows.delete(k) ? 1 : 0;
    return Promise.resolve(n);
  }
  find(address: string, scopes: readonly string[]): Promise<SuppressionEntry | undefined> {
    const keys = [address, address.slice(address.lastIndexOf('@'))];
    for (const k of keys)
      for (const s of scopes) if (this.rows.has(`${k} ${s}`)) return Promise.resolve(this.rows.get(`${k} ${s}`));
    return Promise.resolve(undefined);
  }
  list(): Promise<readonly SuppressionEntry[]> {
    return Promise.resolve([...this.rows.values()]);
  }
  counts() {
    return Promise.resolve({ hard_bounce: 0, out_of_band: 0, complaint: 0, manual: 0 });
  }
}

const classifier = Classifier.load();
const classify = (r: Parameters<Classifier['classify']>[0], d: string) => classifier.classify(r, d);

async function setup(t: { after(fn: () => unknown): void }, bounce: string) {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-feedback-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(
    `hostname = "petrel.test"\nspool_dir = "${dir}"\n[bounce]\nreturn_path_domains = ["rp.test"]\n${bounce}\n`,
    join(dir, 'petrel.toml'),
  );
  const bus = new Bus();
  const ctx = { config, bus, clock: new ManualClock(Date.UTC(2026, 0, 1)), logger: silentLogger() };
  const store = new MemoryStore();
  const suppression = new SuppressionService(ctx, { open: () => store, classify });
  const inbound = new InboundReportService(ctx, { classify });
  await suppression.start();
  await inbound.start();
  t.after(() => Promise.all([suppression.stop(), inbound.stop()]));
  const reported: InboundReported[] = [];
  bus.subscribe('inbound.reported', (e) => void reported.push(e));
  return { dir, bus, store, reported };
}

function job(recipients: string[]): DeliveryJob {
  return {
    id: 'M1/default/example.test/0',
    messageId: 'M1',
    sender: 'a@sender.test',
    binding: 'default',
    bindingGroup: 'default',
    domain: 'example.test',
    recipients: recipients.map((address, index) => ({ address, domain: 'example.test', index })),
    size: 10,
    receivedAt: 0,
    attempts: 0,
    nextAttemptAt: 0,
  };
}

function dsn(to: string, finalRecipient: string, status: string, diag: string): Buffer {
  return Buffer.from(
    [
      'From: MAILER-DAEMON@mx.example.test',
      `To: ${to}`,
      'Subject: Undelivered Mail Returned to Sender',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
      '',
      '--B',
      'Content-Type: text/plain',
      '',
      'It failed.',
      '--B',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.test',
      '',
      `Final-Recipient: rfc822; ${finalRecipient}`,
      'Action: failed',
      `Status: ${status}`,
      `Diagnostic-Code: smtp; ${diag}`,
      '--B--',
      '',
    ].join('\r\n'),
  );
}

test('permanent failures of hard classes join the list; soft ones and a switched-off feed do not', async (t) => {
  const { bus, store } = await setup(t, '');
  const outcome = (address: string, code: number, enhanced: string, text: string) => ({
    index: 0,
    address,
    status: 'permanent' as const,
    reply: { code, enhanced, lines: [text] },
    stage: 5,
  });
  bus.publish('delivery.attempted', {
    job: job(['gone@example.test', 'full@example.test']),
    outcomes: [
      outcome('Gone@Example.test', 550, '5.1.1', 'user unknown'),
      outcome('full@example.test', 552, '5.2.2', 'mailbox full'),
    ],
    startedAt: 0,
    finishedAt: 1,
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    [...store.rows.values()].map((e) => [e.address, e.reason, e.bounceClass, e.source]),
    [['gone@example.test', 'hard_bounce', 10, 'M1']],
  );
  assert.equal((await bus.request('suppression.check', { address: 'GONE@example.test' }))?.reason, 'hard_bounce');

  const off = await setup(t, 'suppress_hard_failures = false');
  off.bus.publish('delivery.attempted', {
    job: job(['gone@example.test']),
    outcomes: [outcome('gone@example.test', 550, '5.1.1', 'user unknown')],
    startedAt: 0,
    finishedAt: 1,
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(off.store.rows.size, 0);
});

test('with a VERP secret only a report tied by a verified VERP address suppresses; the switch turns it off', async (t) => {
  const { bus, store, reported } = await setup(t, 'verp_secret = "k"');
  const verp = verpAddress({ prefix: 'b', secret: 'k' }, 'M1', 'gone@example.test', 'rp.test');
  // A forged DSN naming an address, sent to a plain return-path address: recorded, not suppressed.
  await bus.request('inbound.receive', {
    sender: '',
    recipients: ['bounces@rp.test'],
    client: { address: '192.0.2.1' },
    body: dsn('bounces@rp.test', 'victim@example.test', '5.1.1', '550 5.1.1 no such user'),
  });
  assert.equal(store.rows.size, 0);
  assert.equal(reported[0]?.report.kind, 'bounce');
  assert.deepEqual(reported[0]?.suppressed, []);
  // The real one, to its VERP address.
  await bus.request('inbound.receive', {
    sender: '',
    recipients: [verp],
    client: { address: '192.0.2.1' },
    body: dsn(verp, 'gone@example.test', '5.1.1', '550 5.1.1 no such user'),
  });
  assert.deepEqual(
    [...store.rows.values()].map((e) => [e.address, e.reason, e.bounceClass]),
    [['gone@example.test', 'out_of_band', 10]],
  );
  assert.equal(reported[1]?.report.messageId, 'M1');
  assert.deepEqual(reported[1]?.suppressed, ['gone@example.test']);

  const off = await setup(t, 'verp_secret = "k"\nsuppress_out_of_band = false');
  await off.bus.request('inbound.receive', {
    sender: '',
    recipients: [verp],
    client: { address: '192.0.2.1' },
    body: dsn(verp, 'gone@example.test', '5.1.1', '550 5.1.1 no such user'),
  });
  assert.equal(off.store.rows.size, 0);
  assert.equal(off.reported[0]?.report.kind, 'bounce');
});

test('a soft out-of-band bounce, a not-spam report and switched-off complaints suppress nothing', async (t) => {
  const { bus, store } = await setup(t, 'suppress_complaints = false');
  await bus.request('inbound.receive', {
    sender: '',
    recipients: ['b@rp.test'],
    client: { address: '192.0.2.1' },
    body: dsn('b@rp.test', 'full@example.test', '4.2.2', '452 4.2.2 mailbox full'),
  });
  const arf = (type: string): Buffer =>
    Buffer.from(
      `To: fbl@rp.test\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nreport\r\n--X\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: ${type}\r\nOriginal-Rcpt-To: <c@example.test>\r\n--X--\r\n`,
    );
  await bus.request('inbound.receive', {
    sender: '',
    recipients: ['fbl@rp.test'],
    client: { address: '192.0.2.1' },
    body: arf('abuse'),
  });
  assert.equal(store.rows.size, 0);
  const on = await setup(t, '');
  await on.bus.request('inbound.receive', {
    sender: '',
    recipients: ['fbl@rp.test'],
    client: { address: '192.0.2.1' },
    body: arf('not-spam'),
  });
  assert.equal(on.store.rows.size, 0);
  await on.bus.request('inbound.receive', {
    sender: '',
    recipients: ['fbl@rp.test'],
    client: { address: '192.0.2.1' },
    body: arf('abuse'),
  });
  assert.deepEqual(
    [...on.store.rows.values()].map((e) => [e.address, e.reason]),
    [['c@example.test', 'complaint']],
  );
});

test('unparsed mail is kept byte for byte before the request resolves, and the event says where', async (t) => {
  const { dir, bus, reported } = await setup(t, '');
  const body = Buffer.from('Subject: hi\r\n\r\nplease unsubscribe me\r\n\x00\xff');
  const { id } = await bus.request('inbound.receive', {
    sender: 'someone@x.test',
    recipients: ['b@rp.test'],
    client: { address: '192.0.2.1' },
    body,
  });
  const file = join(dir, 'unparsed', `${id}.eml`);
  assert.ok(existsSync(file));
  assert.deepEqual(readFileSync(file), body);
  assert.equal(reported[0]?.report.kind, 'unparsed');
  assert.equal(reported[0]?.storedAt, file);
});
