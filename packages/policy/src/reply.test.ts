import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicyReply } from './reply.js';

test('accepts a 5xx and a 4xx refusal with a matching enhanced code, text kept exactly', () => {
  const r = parsePolicyReply('550 5.7.1 sender blocked by policy', 'rcptTo');
  assert.ok(typeof r !== 'string');
  assert.equal(r.code, 550);
  assert.equal(r.enhanced, '5.7.1');
  assert.deepEqual(r.lines, ['sender blocked by policy']);
  const t = parsePolicyReply('451 4.7.1 try again later', 'mailFrom');
  assert.ok(typeof t !== 'string' && t.code === 451);
});

test('refuses 2xx and 3xx in every inbound phase: a hook can only refuse', () => {
  for (const phase of ['connect', 'ehlo', 'mailFrom', 'rcptTo', 'data'] as const) {
    assert.match(String(parsePolicyReply('250 2.0.0 ok', phase)), /only refuse/);
    assert.match(String(parsePolicyReply('354 go on', phase)), /only refuse/);
  }
});

test('refuses an enhanced code of another class than the reply code (RFC 3463)', () => {
  assert.match(String(parsePolicyReply('550 4.7.1 mixed', 'rcptTo')), /does not match/);
  assert.match(String(parsePolicyReply('451 5.7.1 mixed', 'data')), /does not match/);
});

test('an enhanced code is required after EHLO and optional at connect and ehlo', () => {
  assert.match(String(parsePolicyReply('550 no enhanced code', 'mailFrom')), /needs an enhanced status code/);
  const c = parsePolicyReply('554 go away', 'connect');
  assert.ok(typeof c !== 'string' && c.enhanced === undefined);
  assert.ok(typeof parsePolicyReply('550 bad helo', 'ehlo') !== 'string');
});

test('refuses malformed text: no code, CR/LF, non-ASCII, empty text, not a string', () => {
  assert.match(String(parsePolicyReply('refused', 'rcptTo')), /3-digit code/);
  assert.match(String(parsePolicyReply('550 5.7.1 a\r\n250 ok', 'rcptTo')), /printable US-ASCII/);
  assert.match(String(parsePolicyReply('550 5.7.1 refusé', 'rcptTo')), /printable US-ASCII/);
  assert.match(String(parsePolicyReply('550 5.7.1 ', 'rcptTo')), /empty/);
  assert.match(String(parsePolicyReply(550, 'rcptTo')), /expected a reply string/);
});
