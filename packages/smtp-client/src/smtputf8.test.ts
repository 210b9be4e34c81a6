import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsSmtputf8 } from './smtputf8.js';

const rcpts = (...a: string[]) => a.map((address) => ({ address }));

test('needsSmtputf8: a UTF-8 sender, recipient or header field needs it; ASCII envelope and headers do not', () => {
  const ascii = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
  assert.equal(needsSmtputf8({ sender: 'a@x.test', recipients: rcpts('b@x.test') }, ascii), false);
  assert.equal(needsSmtputf8({ sender: '', recipients: rcpts('b@x.test') }, ascii), false);
  assert.equal(needsSmtputf8({ sender: 'ü@x.test', recipients: rcpts('b@x.test') }, ascii), true);
  assert.equal(needsSmtputf8({ sender: 'a@x.test', recipients: rcpts('b@x.test', '用户@x.test') }, ascii), true);
  assert.equal(
    needsSmtputf8({ sender: 'a@x.test', recipients: rcpts('b@x.test') }, Buffer.from('Subject: 你好\r\n\r\nbody\r\n')),
    true,
  );
  assert.equal(
    needsSmtputf8(
      { sender: 'a@x.test', recipients: rcpts('b@x.test') },
      Buffer.from('X-A: 1\r\nSubject: x\r\n  folded ü\r\n\r\nbody\r\n'),
    ),
    true,
  );
});

test('needsSmtputf8: 8-bit octets after the header section (the body) do not need it', () => {
  const env = { sender: 'a@x.test', recipients: rcpts('b@x.test') };
  assert.equal(needsSmtputf8(env, Buffer.from('Subject: hi\r\n\r\nhéllo 用户\r\n')), false);
  assert.equal(needsSmtputf8(env, Buffer.from('\r\nhéllo\r\n')), false, 'no header section at all');
  assert.equal(needsSmtputf8(env, Buffer.from('Subject: hé')), true, 'no empty line: it is all header');
});
