import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBody } from './body-encoder.js';

const encode = (s: string | Buffer, block?: number): string =>
  Buffer.concat(
    [...encodeBody(Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1'), block)].flatMap((b) => b.segments),
  ).toString('latin1');

test('lines starting with a dot are stuffed, the first line included', () => {
  assert.equal(encode('.a\r\nb\r\n..c\r\n.\r\n'), '..a\r\nb\r\n...c\r\n..\r\n');
});

test('bare LF and bare CR become CRLF, and a missing final CRLF is added', () => {
  assert.equal(encode('a\nb\rc'), 'a\r\nb\r\nc\r\n');
  assert.equal(encode('a\n.b'), 'a\r\n..b\r\n');
});

test('block edges do not change the result (CRLF and dots split across blocks)', () => {
  const body = 'x\r\n.y\r\n\r\n..z\nq\r';
  for (let block = 1; block <= body.length; block++) assert.equal(encode(body, block), encode(body), `block ${block}`);
});

test('an unchanged body is sent as views of the caller buffer, not copied', () => {
  const body = Buffer.from('Subject: x\r\n\r\nhello\r\n');
  const blocks = [...encodeBody(body)];
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0]!.segments.length, 1);
  assert.equal(blocks[0]!.segments[0]!.buffer, body.buffer);
});
