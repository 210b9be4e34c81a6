import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInjector } from './test-support.js';

const parts = {
  from: 'Shop <news@shop.test>',
  subject: 'Hello {{name}}',
  text: 'Dear {{name}}, your code is {{code}}.',
  html: '<p>Dear {{name}}</p><p>{{{banner}}}</p>',
  headers: { 'X-Campaign': '{{campaign}}' },
};

test('parts with substitutions: one message per recipient, 201 with their ids after the stores resolved', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const res = await h.inject({
    sender: 'bounces@shop.test',
    substitutions: { code: 42, banner: '<b>Sale</b>', campaign: 'winter' },
    recipients: [
      { address: 'ann@a.test', substitutions: { name: 'Ann <& "Co">' } },
      { address: 'bob@b.test', substitutions: { name: 'Bob', code: 'X7' } },
    ],
    content: parts,
  });
  assert.equal(res.status, 201);
  const body = (await res.json()) as { messages: { recipient: string; id: string }[] };
  assert.deepEqual(
    body.messages.map((m) => m.recipient),
    ['ann@a.test', 'bob@b.test'],
  );
  assert.deepEqual(
    body.messages.map((m) => m.id),
    h.stored.map((s) => s.envelope.id),
  );
  const [ann, bob] = h.stored.map((s) => s.body.toString('utf8'));
  assert.match(ann!, /^Received: from \[127\.0\.0\.1\]\r\n\tby mta\.petrel\.test \(Petrel\) with HTTP id /);
  assert.match(ann!, /Dear Ann <& "Co">, your code is 42\./, 'text: inserted as it is');
  assert.match(ann!, /<p>Dear Ann &lt;&amp; &quot;Co&quot;&gt;<\/p><p><b>Sale<\/b><\/p>/, 'html: escaped, {{{ }}} raw');
  assert.match(ann!, /\r\nTo: ann@a\.test\r\n/);
  assert.match(ann!, /\r\nX-Campaign: winter\r\n/);
  assert.match(bob!, /Subject: Hello Bob\r\n/);
  assert.match(bob!, /your code is X7\./);
  const env = h.stored[1]!.envelope;
  assert.equal(env.protocol, 'http');
  assert.equal(env.sender, 'bounces@shop.test');
  assert.deepEqual(env.recipients, [{ address: 'bob@b.test', domain: 'b.test' }]);
  assert.equal(env.client?.authUser, 'app');
});

test('a substituted header value cannot add a header field: CR and LF become spaces', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const res = await h.inject({
    sender: 's@shop.test',
    recipients: [{ address: 'ann@a.test', substitutions: { name: 'x\r\nBcc: victim@evil.test' } }],
    content: { ...parts, subject: 'Hi {{name}}', headers: {}, html: undefined, text: 'hi' },
  });
  assert.equal(res.status, 201);
  const msg = h.stored[0]!.body.toString();
  assert.doesNotMatch(msg, /\r\nBcc:/i);
  assert.match(msg, /Subject: Hi x {2}Bcc: victim@evil\.test\r\n/);
});

test('a raw message is one message for all its recipients, LF line ends made CRLF', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const res = await h.inject({
    sender: 's@shop.test',
    recipients: ['a@a.test', 'b@b.test'],
    content: { raw: 'From: s@shop.test\nSubject: raw\n\nbody line\n' },
  });
  assert.equal(res.status, 201);
  const { messages } = (await res.json()) as { messages: { recipient: string; id: string }[] };
  assert.equal(h.stored.length, 1);
  assert.deepEqual(
    messages.map((m) => [m.recipient, m.id]),
    [
      ['a@a.test', h.stored[0]!.envelope.id],
      ['b@b.test', h.stored[0]!.envelope.id],
    ],
  );
  assert.match(h.stored[0]!.body.toString(), /\r\nFrom: s@shop\.test\r\nSubject: raw\r\n\r\nbody line\r\n$/);
  assert.doesNotMatch(h.stored[0]!.body.toString(), /for </, 'no "for" clause with several recipients');
});

test('a pinned token stores its mail with the binding group; another group is 403', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  const req = { sender: 's@shop.test', recipients: ['a@a.test'], content: { ...parts, text: 'x', html: undefined } };
  const ok = await h.inject({ ...req, substitutions: { name: 'n', campaign: 'c' } }, {}, h.tokens.pinned);
  assert.equal(ok.status, 201);
  assert.equal(h.stored[0]!.envelope.bindingGroup, 'bulk');
  const other = await h.inject(
    { ...req, binding_group: 'default', substitutions: { name: 'n', campaign: 'c' } },
    {},
    h.tokens.pinned,
  );
  assert.equal(other.status, 403);
  assert.equal(((await other.json()) as { type: string }).type, 'https://petrel.dev/problems/forbidden');
});

test('the reception hook sees every message before it is stored (where DKIM signing plugs in)', async (t) => {
  const seen: string[] = [];
  const h = await startInjector({
    reception: ({ envelope, body }) => {
      seen.push(envelope.recipients[0]!.address);
      return Buffer.concat([Buffer.from('DKIM-Signature: test\r\n'), body]);
    },
  });
  t.after(() => h.close());
  const res = await h.inject({
    sender: 's@shop.test',
    recipients: ['a@a.test', 'b@b.test'],
    content: { from: 's@shop.test', subject: 'x', text: 'y' },
  });
  assert.equal(res.status, 201);
  assert.deepEqual(seen, ['a@a.test', 'b@b.test']);
  assert.ok(h.stored.every((s) => s.body.toString().startsWith('DKIM-Signature: test\r\n')));
  assert.ok(h.stored.every((s) => s.envelope.size === s.body.length));
});

test('a reception refusal answers 503 for a 4xx and 422 for a 5xx, storing nothing', async (t) => {
  const replies = [
    { code: 451, enhanced: '4.7.5', lines: ['cannot sign now'] },
    { code: 554, enhanced: '5.7.1', lines: ['no'] },
  ];
  const h = await startInjector({ reception: () => ({ refuse: replies.shift()! }) });
  t.after(() => h.close());
  const req = {
    sender: 's@shop.test',
    recipients: ['a@a.test'],
    content: { from: 's@shop.test', subject: 'x', text: 'y' },
  };
  const temp = await h.inject(req);
  assert.equal(temp.status, 503);
  assert.match(((await temp.json()) as { detail: string }).detail, /451 4\.7\.5 cannot sign now/);
  const perm = await h.inject(req);
  assert.equal(perm.status, 422);
  assert.equal(((await perm.json()) as { type: string }).type, 'https://petrel.dev/problems/message-refused');
  assert.equal(h.stored.length, 0);
});

test('a recipient on the suppression list makes the request a 422 naming it, and nothing is stored', async (t) => {
  const h = await startInjector();
  t.after(() => h.close());
  h.bus.handle('suppression.check', ({ address }) =>
    address === 'gone@b.test'
      ? { address, scope: 'global', reason: 'hard_bounce', bounceClass: 10, source: 'm1', createdAt: 0 }
      : null,
  );
  const res = await h.inject({
    sender: 's@shop.test',
    recipients: ['ok@a.test', 'gone@b.test'],
    content: { from: 's@shop.test', subject: 'x', text: 'y' },
  });
  assert.equal(res.status, 422);
  const body = (await res.json()) as { errors: { field: string; expected: string }[] };
  assert.deepEqual(
    body.errors.map((e) => e.field),
    ['/recipients/1'],
  );
  assert.match(body.errors[0]!.expected, /gone@b\.test is suppressed: hard_bounce/);
  assert.equal(h.stored.length, 0);
});
