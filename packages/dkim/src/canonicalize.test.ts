import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonBody, canonHeader, parseCanonicalization, splitMessage } from './canonicalize.js';

test('relaxed header canonicalisation follows the RFC 6376 §3.4.5 example', () => {
  const fields = splitMessage(Buffer.from('A: X\r\nB : Y\t\r\n Z  \r\n\r\n')).fields;
  assert.deepEqual(
    fields.map((f) => canonHeader(f.raw, 'relaxed')),
    ['a:X\r\n', 'b:Y Z\r\n'],
  );
  assert.deepEqual(
    fields.map((f) => canonHeader(f.raw, 'simple')),
    ['A: X\r\n', 'B : Y\t\r\n Z  \r\n'],
  );
});

test('body canonicalisation follows the RFC 6376 §3.4.5 example', () => {
  const body = ' C \r\nD \t E\r\n\r\n\r\n';
  assert.equal(canonBody(body, 'relaxed'), ' C\r\nD E\r\n');
  assert.equal(canonBody(body, 'simple'), ' C \r\nD \t E\r\n');
});

test('an empty body is CRLF under simple and empty under relaxed (RFC 6376 §3.4.3, §3.4.4)', () => {
  assert.equal(canonBody('', 'simple'), '\r\n');
  assert.equal(canonBody('\r\n\r\n', 'simple'), '\r\n');
  assert.equal(canonBody('', 'relaxed'), '');
  assert.equal(canonBody(' \r\n\t\r\n', 'relaxed'), '');
});

test('8-bit octets pass through canonicalisation unchanged', () => {
  const body = Buffer.from('Grüße  aus Köln \r\n', 'utf8').toString('latin1');
  assert.equal(Buffer.from(canonBody(body, 'relaxed'), 'latin1').toString('utf8'), 'Grüße aus Köln\r\n');
});

test('splitMessage keeps folded fields whole and finds the body', () => {
  const m = Buffer.from('Subject: a\r\n b\r\nFrom: x@y\r\n\r\nbody\r\n');
  const s = splitMessage(m);
  assert.deepEqual(
    s.fields.map((f) => f.name),
    ['Subject', 'From'],
  );
  assert.equal(s.fields[0]!.raw, 'Subject: a\r\n b\r\n');
  assert.equal(m.toString('latin1', s.bodyStart), 'body\r\n');
});

test('parseCanonicalization reads c= values, a lone algorithm meaning alg/simple', () => {
  assert.deepEqual(parseCanonicalization('relaxed'), { header: 'relaxed', body: 'simple' });
  assert.deepEqual(parseCanonicalization('simple/relaxed'), { header: 'simple', body: 'relaxed' });
  assert.equal(parseCanonicalization('loose/simple'), undefined);
});
