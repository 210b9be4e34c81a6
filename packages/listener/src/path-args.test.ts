import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMailbox, parsePathArgs } from './path-args.js';

test('MAIL FROM arguments: path and upper-cased parameters', () => {
  const r = parsePathArgs('FROM:<a@test.local> size=100 BODY=8BITMIME SMTPUTF8', 'FROM:');
  assert.ok(r.ok);
  assert.equal(r.value.address, 'a@test.local');
  assert.deepEqual(
    [...r.value.params],
    [
      ['SIZE', '100'],
      ['BODY', '8BITMIME'],
      ['SMTPUTF8', undefined],
    ],
  );
});

test('the null path, a space after the colon and a source route are accepted', () => {
  assert.deepEqual(parsePathArgs('FROM:<>', 'FROM:'), { ok: true, value: { address: '', params: new Map() } });
  const spaced = parsePathArgs('from: <a@b.test>', 'FROM:');
  assert.ok(spaced.ok && spaced.value.address === 'a@b.test');
  const routed = parsePathArgs('TO:<@relay.test:u@d.test>', 'TO:');
  assert.ok(routed.ok && routed.value.address === 'u@d.test');
});

test('syntax errors, bad addresses and duplicate parameters are told apart', () => {
  assert.deepEqual(parsePathArgs('FROM:a@b.test', 'FROM:'), { ok: false, error: 'syntax' });
  assert.deepEqual(parsePathArgs('TO:<a@b.test', 'TO:'), { ok: false, error: 'syntax' });
  assert.deepEqual(parsePathArgs('FROM:<a@b.test>x', 'FROM:'), { ok: false, error: 'syntax' });
  assert.deepEqual(parsePathArgs('TO:<nodomain>', 'TO:'), { ok: false, error: 'address' });
  assert.deepEqual(parsePathArgs('FROM:<a@b.test> SIZE=1 size=2', 'FROM:'), { ok: false, error: 'duplicate-param' });
});

test('mailboxes: quoted local parts and address literals are valid; spaces and empty parts are not', () => {
  assert.equal(isMailbox('"a b"@example.test'), true);
  assert.equal(isMailbox('u@[192.0.2.1]'), true);
  assert.equal(isMailbox('jöran@exämple.test'), true);
  assert.equal(isMailbox('a b@example.test'), false);
  assert.equal(isMailbox('@example.test'), false);
  assert.equal(isMailbox('a@'), false);
  assert.equal(isMailbox('a@b..test'), false);
});
