import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInjector } from './test-support.js';

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { field: string; expected: string }[];
}

const good = {
  sender: 's@shop.test',
  recipients: ['a@a.test'],
  content: { from: 's@shop.test', subject: 'x', text: 'y' },
};

test('401 without or with a wrong token, with a Bearer challenge', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const none = await fetch(`${h.url}/v1/inject`, { method: 'POST', body: '{}' });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="petrel"');
  assert.equal(none.headers.get('content-type'), 'application/problem+json');
  const wrong = await h.inject(good, {}, 'app.not-the-secret');
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  const unknown = await h.inject(good, {}, 'ghost.app-secret');
  assert.equal(unknown.status, 401);
  assert.equal(h.stored.length, 0);
});

test('422 names every bad field with what was expected', async (t) => {
  const h = await startInjector({ http: ['max_recipients = 2'] });
  t.after(() => h.close());
  const res = await h.inject({
    sender: 'not an address',
    recipients: ['a@a.test', { address: 'b@', substitutions: { 'bad name': 1 } }],
    content: { from: 's@shop.test', text: 'y', headers: { Subject: 'no' }, colour: 'red' },
  });
  assert.equal(res.status, 422);
  const p = (await res.json()) as Problem;
  assert.equal(p.type, 'https://petrel.dev/problems/validation-failed');
  assert.deepEqual(p.errors?.map((e) => e.field).sort(), [
    '/content/colour',
    '/content/headers/Subject',
    '/content/subject',
    '/recipients/1/address',
    '/recipients/1/substitutions/bad name',
    '/sender',
  ]);
  assert.match(p.errors!.find((e) => e.field === '/sender')!.expected, /mailbox/);
  const many = await h.inject({ ...good, recipients: ['a@a.test', 'b@b.test', 'c@c.test'] });
  assert.equal(many.status, 422);
  assert.match(((await many.json()) as Problem).detail, /at most 2 recipients \(http\.max_recipients\)/);
});

test('a substitution without a value is 422 for that recipient, and nothing of the request is stored', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const res = await h.inject({
    sender: 's@shop.test',
    recipients: [{ address: 'a@a.test', substitutions: { name: 'A' } }, 'b@b.test'],
    content: { from: 's@shop.test', subject: 'Hi {{name}}', text: 'y' },
  });
  assert.equal(res.status, 422);
  const p = (await res.json()) as Problem;
  assert.deepEqual(
    p.errors?.map((e) => e.field),
    ['/recipients/1/substitutions/name'],
  );
  assert.equal(h.stored.length, 0);
});

test('400 for malformed JSON or Idempotency-Key, 415 for another media type, 404 and 405', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  assert.equal((await h.inject('{"sender":')).status, 400);
  assert.equal((await h.inject(good, { 'idempotency-key': '' })).status, 400);
  const form = await h.inject('a=b', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(form.status, 415);
  assert.equal(((await form.json()) as Problem).type, 'https://petrel.dev/problems/unsupported-media-type');
  assert.equal((await fetch(`${h.url}/v2/inject`)).status, 404);
  const get = await fetch(`${h.url}/v1/inject`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
});

test('413 for a body over max_request_size and for a message over listener.max_message_size', async (t) => {
  const h = await startInjector({ http: ['max_request_size = "2KiB"'], listener: ['max_message_size = 1500'] });
  t.after(() => h.close());
  const big = await h.inject({ ...good, content: { ...good.content, text: 'x'.repeat(4000) } });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as Problem).type, 'https://petrel.dev/problems/request-too-large');
  const msg = await h.inject({ ...good, content: { ...good.content, text: 'x'.repeat(1500) } });
  assert.equal(msg.status, 413);
  assert.equal(((await msg.json()) as Problem).type, 'https://petrel.dev/problems/message-too-large');
  assert.equal(h.stored.length, 0);
});

test('429 with Retry-After past http.rate_limit, per token', async (t) => {
  const h = await startInjector({ http: ['rate_limit = "2/1h"'] });
  t.after(() => h.close());
  assert.equal((await h.inject(good)).status, 201);
  assert.equal((await h.inject(good)).status, 201);
  const third = await h.inject(good);
  assert.equal(third.status, 429);
  assert.ok(Number(third.headers.get('retry-after')) >= 1);
  assert.equal((await h.inject(good, {}, h.tokens.pinned)).status, 201, 'another token has its own bucket');
});

test('a recipient in listener.local_domains is refused as in SMTP (outbound only)', async (t) => {
  const h = await startInjector({ listener: ['local_domains = ["here.test"]'] });
  t.after(() => h.close());
  const res = await h.inject({ ...good, recipients: ['a@a.test', 'me@here.test'] });
  assert.equal(res.status, 422);
  assert.deepEqual(
    ((await res.json()) as Problem).errors?.map((e) => e.field),
    ['/recipients/1'],
  );
});

test('503 with the messages already stored when the spool refuses part of a request', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  h.failStores(1, 1);
  const res = await h.inject({ ...good, recipients: ['a@a.test', 'b@b.test'] });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '30');
  const p = (await res.json()) as Problem & { stored: { recipient: string; id: string }[] };
  assert.deepEqual(
    p.stored.map((s) => s.recipient),
    ['a@a.test'],
  );
});
