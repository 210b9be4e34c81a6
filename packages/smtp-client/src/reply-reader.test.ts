import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyReader, type ParsedReply } from './reply-reader.js';

function reader(enhancedAdvertised = false) {
  const replies: ParsedReply[] = [];
  const warnings: string[] = [];
  const r = new ReplyReader({ onReply: (p) => replies.push(p), onWarning: (m) => warnings.push(m) });
  r.enhancedAdvertised = enhancedAdvertised;
  return { r, replies, warnings };
}

test('a multi-line reply becomes one SmtpReply with every line', () => {
  const { r, replies } = reader();
  r.push(Buffer.from('250-mx.test hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n'));
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.reply.code, 250);
  assert.deepEqual(replies[0]!.reply.lines, ['mx.test hello', 'PIPELINING', 'SIZE 1000']);
});

test("smtp-sink's empty '250 ' last line ends the reply", () => {
  const { r, replies, warnings } = reader();
  r.push(Buffer.from('250-sink\r\n250-PIPELINING\r\n250 \r\n'));
  assert.equal(replies.length, 1);
  assert.deepEqual(replies[0]!.reply.lines, ['sink', 'PIPELINING', '']);
  assert.deepEqual(warnings, []);
});

test('a reply split byte by byte parses the same as in one chunk', () => {
  const { r, replies } = reader(true);
  for (const b of Buffer.from('550-5.1.1 no such\r\n550 5.1.1 user\r\n')) r.push(Buffer.from([b]));
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.reply.enhanced, '5.1.1');
  assert.deepEqual(replies[0]!.reply.lines, ['no such', 'user']);
});

test('an enhanced code whose class disagrees is text unless ENHANCEDSTATUSCODES was advertised', () => {
  const plain = reader(false);
  plain.r.push(Buffer.from('250 4.0.0 odd\r\n'));
  assert.equal(plain.replies[0]!.reply.enhanced, undefined);
  assert.deepEqual(plain.replies[0]!.reply.lines, ['4.0.0 odd']);
  const plausible = reader(false);
  plausible.r.push(Buffer.from('451 4.3.0 try later\r\n'));
  assert.equal(plausible.replies[0]!.reply.enhanced, '4.3.0');
});

test('a malformed line gives a syntax warning and a transient internal reply, never a throw', () => {
  const { r, replies, warnings } = reader();
  r.push(Buffer.from('hello there\r\n'));
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.malformed, true);
  assert.equal(replies[0]!.reply.code, 451);
  assert.ok(warnings.length >= 1);
});

test('a bare LF line end is accepted and an over-long line is truncated with a warning', () => {
  const { r, replies, warnings } = reader();
  r.push(Buffer.from('250 ok\n'));
  r.push(Buffer.from(`250 ${'x'.repeat(10_000)}\r\n`));
  assert.equal(replies.length, 2);
  assert.equal(replies[0]!.reply.lines[0], 'ok');
  assert.ok(replies[1]!.reply.lines[0]!.length < 4100);
  assert.ok(warnings.some((w) => w.includes('longer')));
});
