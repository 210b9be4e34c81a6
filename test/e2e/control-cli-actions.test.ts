import { test } from 'node:test';
import assert from 'node:assert/strict';
import { petrelCli, petrelJson } from '../lib/cli.js';
import { scenario } from '../lib/scenario.js';
import { swaksVia } from '../lib/submit.js';
import { type EventRecord, startScenarioPetrel } from '../lib/petrel.js';
import { startSink, waitFor } from '@petrel/testkit';

// Senders live in other.test, whose MX is the same sink: DSNs to them flow while example.test is held.
const ZONE = ['mx-host=other.test,mx1.example.test,10'];

test('operator actions change what happens to real queued mail: flush, message retry, fail with DSN, message fail', async (t) => {
  const s = await scenario(t, ZONE);
  // A one-hour retry: nothing is tried again on its own within this test.
  const p = await startScenarioPetrel(s, {
    global: 'retry_interval = "1h"\nmax_retry_interval = "1h"\nmessage_expiration = "1d"',
  });
  const cli = async (args: string[]): Promise<string> => {
    const r = await petrelCli(p, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const submit = async (tag: string): Promise<string> => {
    const r = await swaksVia(s.listenPort, `${tag}@other.test`, `${tag}@example.test`, ['--header', `Subject: ${tag}`]);
    assert.equal(r.code, 0, r.out);
    return /queued as (\S+)/.exec(r.out)![1]!;
  };
  const of =
    (id: string, type: string) =>
    (e: EventRecord[]): boolean =>
      e.some((x) => x.type === type && x.message_id === id);

  // No MX is listening yet: both messages are deferred for an hour.
  const a = await submit('flushed');
  const b = await submit('retried');
  await p.waitForEvents('both deferred', (e) => of(a, 'transient_failure')(e) && of(b, 'transient_failure')(e));
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));

  // message retry: only that message goes now.
  assert.match(await cli(['message', 'retry', b]), /^Message requeued for delivery/);
  await p.waitForEvents('the retried message delivered', of(b, 'delivery'));
  assert.ok(!of(a, 'delivery')(p.events()), 'the other message still waits out its hour');
  assert.match(await cli(['message', 'retry', b]), /^Message has nothing delayed to requeue/);

  // flush: the domain's delayed mail becomes due now.
  assert.match(await cli(['flush', '--domain', 'example.test']), /^example\.test flushed\.\s+1 messages requeued\./);
  await p.waitForEvents('the flushed message delivered', of(a, 'delivery'));

  // fail (not quiet): held mail fails permanently and its sender gets a DSN.
  await cli(['suspend', '--domain', 'example.test']);
  const c = await submit('purged');
  const d = await submit('single');
  await waitFor(
    'both held in the queue',
    async () => {
      const row = (await petrelJson<{ domain: string; active: number; delayed: number }[]>(p, ['queue'])).find(
        (r) => r.domain === 'example.test',
      );
      return row !== undefined && row.active + row.delayed === 2;
    },
    10_000,
    100,
  );
  assert.match(await cli(['message', 'fail', d]), /^Message failed \(1 recipient\(s\)\)/);
  assert.match(await cli(['fail', '--domain', 'example.test']), /^example\.test purged\. 1 messages failed\./);
  const ev = await p.waitForEvents(
    'two DSNs delivered to the senders',
    (e) =>
      e.filter(
        (x) => x.type === 'delivery' && x.sender === '' && /^(purged|single)@other\.test$/.test(String(x.recipient)),
      ).length === 2,
  );
  assert.deepEqual(
    ev
      .filter((x) => x.type === 'permanent_failure')
      .map((x) => x.message_id)
      .sort(),
    [c, d].sort(),
  );
  const dsns = sink.messages().filter((m) => m.includes('Action: failed'));
  assert.equal(dsns.length, 2);
  assert.ok(dsns.some((m) => m.includes('purged@example.test')) && dsns.some((m) => m.includes('single@example.test')));
  assert.equal(
    sink.messages().filter((m) => /^X-Rcpt-Args: <(purged|single)@example\.test>/m.test(m)).length,
    0,
    'failed mail was never delivered',
  );
  assert.equal(
    sink.messages().filter((m) => /^X-Rcpt-Args: <(flushed|retried)@example\.test>/m.test(m)).length,
    2,
    'flushed and retried mail was',
  );
});

test('`petrel queue` counts the open connection of a delivery in progress (mailq C column); `petrel domain` shows its SMTP state', async (t) => {
  const s = await scenario(t);
  // The MX holds its RCPT reply 10 s: long enough for every look below on a loaded machine (2 s was
  // not: the delivery could finish between two CLI calls).
  s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort, ['-W', 'rcpt:10']));
  const p = await startScenarioPetrel(s);
  const r = await swaksVia(s.listenPort, 'a@test.local', 'slow1@example.test');
  assert.equal(r.code, 0, r.out);
  const row = await waitFor(
    'a row with the delivery in flight',
    async () => {
      const q = await petrelJson<{ domain: string; connections: number; inFlight: number }[]>(p, ['queue']);
      return q.find((x) => x.domain === 'example.test' && x.inFlight === 1);
    },
    10_000,
    50,
  );
  assert.equal(row.connections, 1);
  const human = await petrelCli(p, ['queue']);
  assert.match(human.stdout, /^default\/default\s+example\.test\s+1\s+0\s+0\s+1\s/m);
  // petrel domain: the connection, its host and the SMTP state it is in (the MX is holding its reply).
  const dom = await petrelJson<{
    sessions: { id: string; host: string; ip: string; state: string; deliveries: number }[];
  }>(p, ['domain', 'example.test']);
  assert.equal(dom.sessions.length, 1);
  assert.deepEqual(
    { ...dom.sessions[0]!, state: 'x' },
    {
      id: dom.sessions[0]!.id,
      binding: 'default',
      domain: 'example.test',
      host: 'mx1.example.test',
      ip: '127.0.0.2',
      state: 'x',
      deliveries: 0,
    },
  );
  assert.match(
    dom.sessions[0]!.state,
    /RCPT|DATA|BODY|confirmation/,
    `a transaction stage, not ${dom.sessions[0]!.state}`,
  );
  const text = await petrelCli(p, ['domain', 'example.test']);
  assert.match(
    text.stdout,
    /^Connections:\nID\s+Binding\s+Host\s+IP\s+State\s+Delivered\nc\d+\s+default\s+mx1\.example\.test\s+127\.0\.0\.2\s+\S.*\s0$/m,
  );
});
