import { type TestContext, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startSink, waitFor } from '@petrel/testkit';
import { curlInject, fetchInject, httpConfig, writeTokens } from '../lib/http.js';
import { scenarioConfig, startScenarioPetrel } from '../lib/petrel.js';
import { scenario } from '../lib/scenario.js';

const content = {
  from: 'Shop <news@shop.test>',
  subject: 'Offer for {{name}}',
  text: 'Dear {{name}}, your code is {{code}}.',
  html: '<p>Dear {{name}}</p>',
};

/** A scenario with a sink at the MX and a config with the HTTP API on its own port. */
async function setup(t: TestContext) {
  const s = await scenario(t);
  const sink = s.stopAfter(await startSink(s.dir, '127.0.0.2', s.mxPort));
  const httpPort = await freePort();
  const tokens = await writeTokens(s.dir);
  const cfg = scenarioConfig(s, {
    extra: httpConfig(httpPort, tokens.file),
  });
  return { s, sink, httpPort, tokens, cfg };
}

test('curl and fetch inject single and batch messages; each reaches the sink with its substitutions', async (t) => {
  const { s, sink, httpPort, tokens, cfg } = await setup(t);
  const petrel = await startScenarioPetrel(s, cfg);

  const single = await curlInject(httpPort, tokens.token, {
    sender: 'bounces@shop.test',
    recipients: [{ address: 'curl@example.test', substitutions: { name: 'Curly', code: 'C-1' } }],
    content,
  });
  assert.equal(single.status, 201, JSON.stringify(single.body));
  const batch = await fetchInject(httpPort, tokens.token, {
    sender: 'bounces@shop.test',
    substitutions: { code: 'SHARED' },
    recipients: [
      { address: 'ann@example.test', substitutions: { name: 'Ann & Co' } },
      { address: 'bob@example.test', substitutions: { name: 'Bob', code: 'B-7' } },
      { address: 'cy@example.test', substitutions: { name: 'Cy' } },
    ],
    content,
  });
  assert.equal(batch.status, 201, JSON.stringify(batch.body));
  assert.deepEqual(
    batch.body.messages?.map((m) => m.recipient),
    ['ann@example.test', 'bob@example.test', 'cy@example.test'],
  );
  const raw = await curlInject(httpPort, tokens.token, {
    sender: 'bounces@shop.test',
    recipients: ['raw1@example.test', 'raw2@example.test'],
    content: { raw: 'From: news@shop.test\nSubject: raw batch\n\nOne message, two recipients.\n' },
  });
  assert.equal(raw.status, 201);
  assert.equal(new Set(raw.body.messages?.map((m) => m.id)).size, 1);

  const dumps = await waitFor(
    '5 messages at the sink',
    () => (sink.messages().length >= 5 ? sink.messages() : undefined),
    30_000,
  );
  const find = (marker: RegExp): string => {
    const d = dumps.find((x) => marker.test(x));
    assert.ok(d, `a message matching ${marker} reached the sink`);
    return d;
  };
  assert.match(find(/Dear Curly, your code is C-1\./), /Subject: Offer for Curly/);
  const ann = find(/Dear Ann & Co, your code is SHARED\./);
  assert.match(ann, /<p>Dear Ann &amp; Co<\/p>/, 'HTML-escaped in the html part');
  assert.match(find(/Dear Bob, your code is B-7\./), /To: bob@example\.test/);
  find(/Dear Cy, your code is SHARED\./);
  assert.match(find(/Subject: raw batch/), /One message, two recipients\./);
  const receptions = petrel.events().filter((e) => e.type === 'reception');
  assert.ok(receptions.every((e) => e.protocol === 'http'));
});

test('the same Idempotency-Key twice, and again after kill -9 and a restart, delivers once', async (t) => {
  const { s, sink, httpPort, tokens, cfg } = await setup(t);
  const request = {
    sender: 'bounces@shop.test',
    recipients: [
      { address: 'once-a@example.test', substitutions: { name: 'A', code: '1' } },
      { address: 'once-b@example.test', substitutions: { name: 'B', code: '2' } },
    ],
    content,
  };
  const key = { 'Idempotency-Key': 'order-4711' };
  const first = await startScenarioPetrel(s, cfg);
  const a = await fetchInject(httpPort, tokens.token, request, key);
  assert.equal(a.status, 201);
  assert.equal(a.replayed, false);
  const b = await fetchInject(httpPort, tokens.token, request, key);
  assert.equal(b.status, 201);
  assert.equal(b.replayed, true);
  assert.deepEqual(b.body, a.body);
  await waitFor('both messages at the sink', () => sink.messages().length >= 2, 30_000);
  await first.kill9();

  const second = await startScenarioPetrel(s, cfg);
  await waitFor(
    'the HTTP API after the restart',
    () =>
      fetch(`http://127.0.0.1:${httpPort}/v1/openapi.json`).then(
        (r) => r.ok,
        () => false,
      ),
    20_000,
  );
  const c = await curlInject(httpPort, tokens.token, request, key);
  assert.equal(c.status, 201);
  assert.deepEqual(c.body, a.body, 'the first response, from the spool database');
  // A message after the replay: once it is at the sink, a duplicate stored by the replay would be too.
  const after = await fetchInject(httpPort, tokens.token, {
    ...request,
    recipients: ['sentinel@example.test'],
    substitutions: { name: 'S', code: '0' },
  });
  assert.equal(after.status, 201);
  await waitFor('the sentinel at the sink', () => sink.messages().some((m) => /Dear S,/.test(m)), 30_000);
  const copies = (re: RegExp): number => sink.messages().filter((m) => re.test(m)).length;
  assert.equal(copies(/Dear A, your code is 1\./), 1);
  assert.equal(copies(/Dear B, your code is 2\./), 1);
  const stored = second.events().filter((e) => e.type === 'reception' && e.recovered !== true);
  assert.equal(stored.length, 3, 'two messages from the first request, one sentinel: nothing from the replays');
});
