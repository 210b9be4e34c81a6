import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPetrelError } from '@petrel/core';
import type { SmtpSessionError } from './errors.js';
import { SmtpSession } from './session.js';
import { StateMachine, getStateMachine } from './state-machine.js';
import type { SmtpState } from './state.js';
import { options } from './fixtures.js';
import { ScriptedPeer, startSmtpSink } from '@petrel/testkit';

const noop = (name: string, arg = name): SmtpState => ({
  name,
  stage: 11,
  timeout: 'ehlo',
  send: () => [`NOOP ${arg}`],
});

test('the default machine lists the built-in states in Momentum order, with phases and stage codes', () => {
  const list = getStateMachine();
  assert.deepEqual(
    list.map((s) => s.name),
    [
      'connect',
      'banner',
      'ehlo',
      'helo',
      'starttls',
      'auth',
      'pipelined-rset',
      'mail',
      'rcpt',
      'data',
      'bdat',
      'body',
      'rset',
      'quit',
    ],
  );
  assert.deepEqual(
    list.map((s) => s.stage),
    [0, 12, 10, 10, 15, 11, 13, 2, 4, 6, 8, 8, 13, 1],
  );
  assert.equal(list.find((s) => s.name === 'mail')!.phase, 'transaction');
});

test('registerState inserts after a named state or before the banner, returns an id, and refuses duplicates', () => {
  const m = new StateMachine();
  const id = m.registerState(noop('probe'), { after: 'ehlo' });
  const first = m.registerState(noop('early'), { after: null });
  const chained = m.registerState(noop('probe2'), { after: id });
  const names = m.getStateMachine().map((s) => s.name);
  assert.deepEqual(names.slice(0, 6), ['connect', 'early', 'banner', 'ehlo', 'probe', 'probe2']);
  assert.equal(m.getState(id)!.name, 'probe');
  assert.equal(m.getState('probe2')!.id, chained);
  assert.equal(m.getState(first)!.phase, 'session');
  assert.throws(
    () => m.registerState(noop('probe'), { after: 'ehlo' }),
    (e) => isPetrelError(e, 'PETREL_ERR_SMTP_STATE'),
  );
  assert.throws(
    () => m.registerState(noop('x'), { after: 'nope' }),
    (e) => isPetrelError(e, 'PETREL_ERR_SMTP_STATE'),
  );
  // The shared default machine is untouched.
  assert.equal(
    getStateMachine().some((s) => s.name === 'probe'),
    false,
  );
});

test('a custom NOOP state registered after EHLO runs in order against smtp-sink', async () => {
  const sink = await startSmtpSink();
  const m = new StateMachine();
  const replies: number[] = [];
  m.registerState({ ...noop('noop-probe'), on: { positive: (_c, r) => void replies.push(r.code) } }, { after: 'ehlo' });
  const transcript: string[] = [];
  try {
    const s = await SmtpSession.open(
      options(sink.port, { machine: m, onTranscript: (d, l) => d === 'c' && transcript.push(l) }),
    );
    assert.deepEqual(transcript, ['EHLO client.test', 'NOOP noop-probe']);
    assert.deepEqual(replies, [250]);
    const r = await s.send({ sender: 'a@b.test', recipients: [{ address: 'c@d.test' }], body: Buffer.from('x\r\n') });
    assert.equal(r.recipients[0]!.status, 'delivered');
    await s.quit();
  } finally {
    await sink.stop();
  }
});

test('a state that calls next() skips the default successor', async () => {
  const peer = await ScriptedPeer.start({});
  const m = new StateMachine();
  m.registerState({ ...noop('a'), on: { positive: (ctx) => ctx.next('c') } }, { after: 'ehlo' });
  m.registerState(noop('b'), { after: 'a' });
  m.registerState(noop('c'), { after: 'b' });
  try {
    const s = await SmtpSession.open(options(peer.port, { machine: m }));
    assert.deepEqual(
      peer.lines.filter((l) => l.startsWith('NOOP')),
      ['NOOP a', 'NOOP c'],
    );
    await s.quit();
  } finally {
    await peer.stop();
  }
});

test('a custom state whose command is refused fails open() with its reply and stage', async () => {
  const peer = await ScriptedPeer.start({ reply: (l) => (l.startsWith('NOOP') ? '502 5.5.1 no NOOP' : undefined) });
  const m = new StateMachine();
  m.registerState(noop('probe'), { after: 'ehlo' });
  try {
    await assert.rejects(
      SmtpSession.open(options(peer.port, { machine: m })),
      (err: SmtpSessionError) => err.reply.code === 502 && err.stage === 11,
    );
  } finally {
    await peer.stop();
  }
});
