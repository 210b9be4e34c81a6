// The worked examples of docs/policy.md (config/policy/examples/), each loaded as the daemon
// loads it and run through the same runner and adapters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@petrel/core';
import { loadPolicySet, PolicyMetrics, type InjectMessage, type PolicySet } from '@petrel/policy';
import { inboundAdapter } from './adapters.js';

const EXAMPLES = fileURLToPath(new URL('../../../../config/policy/examples/', import.meta.url));
const session = { connectionId: 'c', client: { address: '127.0.0.1', port: 1 }, esmtp: true, tls: false };

async function load(name: string, inject?: (m: InjectMessage) => Promise<{ id: string }>): Promise<PolicySet> {
  return loadPolicySet([{ file: join(EXAMPLES, name) }], {
    logger: silentLogger(),
    metrics: new PolicyMetrics(),
    ...(inject ? { inject } : {}),
  });
}

async function rcpt(
  set: PolicySet,
  sender: string,
  recipient: string,
  accepted: string[] = [],
): Promise<string | undefined> {
  const r = await set.inbound('rcptTo', {
    session,
    sender,
    recipient,
    domain: recipient.split('@')[1]!,
    accepted,
    parameters: {},
  });
  return r && `${r.code} ${r.enhanced} ${r.lines.join(' ')}`;
}

/** The examples do not touch shaping states. */
const noShaping = {
  set: () => Promise.reject(new Error('no')),
  clear: () => Promise.reject(new Error('no')),
  list: async () => [],
};

test('recipient-limits.mjs: a limited sender gets 452 4.5.3 past its limit, others do not', async () => {
  const set = await load('recipient-limits.mjs');
  assert.equal(await rcpt(set, 'newsletter@example.test', 'c@d.test', ['a@d.test']), undefined);
  assert.equal(
    await rcpt(set, 'newsletter@example.test', 'c@d.test', ['a@d.test', 'b@d.test']),
    '452 4.5.3 Too many recipients for <newsletter@example.test> (limit 2)',
  );
  assert.equal(await rcpt(set, 'other@example.test', 'c@d.test', ['a@d.test', 'b@d.test']), undefined);
});

test('blocklist.mjs: listed addresses and domains get 550 5.7.1', async () => {
  const set = await load('blocklist.mjs');
  assert.equal(
    await rcpt(set, 's@x.test', 'Blocked@example.test'),
    '550 5.7.1 <Blocked@example.test>: recipient is on the block list',
  );
  assert.equal(
    await rcpt(set, 's@x.test', 'anyone@blocked.test'),
    '550 5.7.1 <anyone@blocked.test>: recipient is on the block list',
  );
  assert.equal(await rcpt(set, 's@x.test', 'fine@example.test'), undefined);
});

test('binding-by-sender.mjs: the sender domain picks the binding; <> and unknown domains keep the rules', async () => {
  const set = await load('binding-by-sender.mjs');
  const exists = (): boolean => true;
  const ask = (sender: string) =>
    set.setBinding(
      {
        message: { id: 'm', sender, recipients: ['r@x.test'], receivedAt: 0, size: 1 },
        domain: 'x.test',
        recipients: ['r@x.test'],
      },
      exists,
    );
  assert.deepEqual(await ask('a@alpha.test'), { binding: 'alpha' });
  assert.deepEqual(await ask('b@Beta.test'), { binding: 'beta' });
  assert.deepEqual(await ask('n@news.test'), { bindingGroup: 'bulk' });
  assert.equal(await ask(''), undefined);
  assert.equal(await ask('x@other.test'), undefined);
});

test('add-header.mjs: the data hook adds a header and removes X-Internal-Route; the rest is kept byte for byte', async () => {
  const set = await load('add-header.mjs');
  const hook = inboundAdapter(set)!.data!;
  const msg = Buffer.from('Subject: hi\r\nX-Internal-Route: secret\r\n\r\nbody line\r\n');
  const r = await hook(session, {
    sender: 's@x.test',
    recipients: ['r@y.test'],
    parts: [msg.subarray(0, 10), msg.subarray(10)],
  });
  assert.equal(
    Buffer.concat(r!.parts!).toString(),
    'Subject: hi\r\nX-Petrel-Policy: checked; client=127.0.0.1\r\n\r\nbody line\r\n',
  );
});

test('json-logger.mjs: observers append one JSON line per event', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'petrel-jsonlog-')), 'events.jsonl');
  process.env.PETREL_POLICY_JSON_LOG = file;
  const set = await load('json-logger.mjs');
  const m = set.modules[0]!.policy;
  const tools = {
    module: 'json-logger.mjs',
    log: silentLogger(),
    inject: async () => ({ id: '' }),
    shaping: noShaping,
  };
  await m.onDelivery!({
    ...tools,
    messageId: 'M1',
    sender: 's@x',
    recipient: 'r@y',
    binding: 'default',
    domain: 'y',
    reply: { code: 250, text: 'ok' },
  });
  await m.onRejection!({
    ...tools,
    phase: 'awaiting rcptto',
    reply: '550 5.7.1 no',
    client: { address: '127.0.0.1', port: 1 },
    connectionId: 'c',
    recipient: 'r@y',
  });
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => [l.type, l.id ?? l.phase]),
    [
      ['delivery', 'M1'],
      ['rejection', 'awaiting rcptto'],
    ],
  );
  assert.equal(lines[0]!.reply, '250 ok');
});

test('dsn-notice.mjs: a permanent failure injects a notice from <> to the sender; none for <>', async () => {
  const injected: InjectMessage[] = [];
  const set = await load('dsn-notice.mjs', async (m) => {
    injected.push(m);
    return { id: 'N1' };
  });
  const m = set.modules[0]!.policy;
  const ev = {
    module: 'dsn-notice.mjs',
    log: silentLogger(),
    inject: async (x: InjectMessage) => {
      injected.push(x);
      return { id: 'N1' };
    },
    shaping: noShaping,
    messageId: 'M1',
    recipient: 'gone@y.test',
    binding: 'default',
    domain: 'y.test',
    reply: { code: 550, enhanced: '5.1.1', text: 'no such user' },
  };
  await m.onPermanentFailure!({ ...ev, sender: 'alice@x.test' });
  await m.onPermanentFailure!({ ...ev, sender: '' });
  assert.equal(injected.length, 1);
  assert.equal(injected[0]!.from, '');
  assert.equal(injected[0]!.to, 'alice@x.test');
  assert.match(
    injected[0]!.text!,
    /could not be delivered to <gone@y\.test>[\s\S]*Remote reply: 550 5\.1\.1 no such user/,
  );
});
