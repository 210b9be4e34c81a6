import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataDecoder } from './data-decoder.js';

/** Feeds the text in pieces of `step` octets; returns the result and what followed the end. */
function decode(
  text: string,
  step = Infinity,
  max = 1_000_000,
): { data: string; bareEol: boolean; oversize: boolean; size: number; rest: string | undefined } {
  const d = new DataDecoder(max);
  const buf = Buffer.from(text, 'latin1');
  for (let i = 0; i < buf.length; i += Math.min(step, buf.length)) {
    const piece = buf.subarray(i, Math.min(buf.length, i + step));
    const end = d.write(piece);
    if (end >= 0) {
      const r = d.result();
      return {
        data: Buffer.concat(r.parts).toString('latin1'),
        bareEol: r.bareEol,
        oversize: r.oversize,
        size: r.size,
        rest: Buffer.concat([piece.subarray(end), buf.subarray(i + piece.length)]).toString('latin1'),
      };
    }
  }
  return { data: '', bareEol: false, oversize: false, size: 0, rest: undefined };
}

test('data ends at CRLF.CRLF and keeps the last line’s CRLF; the rest is left for commands', () => {
  const r = decode('Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n');
  assert.equal(r.data, 'Subject: x\r\n\r\nhello\r\n');
  assert.equal(r.rest, 'QUIT\r\n');
  assert.equal(r.bareEol, false);
});

test('an empty message is a lone dot line right after DATA', () => {
  const r = decode('.\r\n');
  assert.equal(r.data, '');
  assert.equal(r.rest, '');
});

test('dot-unstuffing removes exactly one leading dot per line (RFC 5321 §4.5.2)', () => {
  const r = decode('..\r\n...x\r\n.y\r\na.b\r\n. \r\n.\r\n');
  assert.equal(r.data, '.\r\n..x\r\ny\r\na.b\r\n \r\n');
});

test('the same result whatever the read boundaries (byte by byte)', () => {
  const text = 'A\r\n..B\r\n\r\n.C\r\n.\r\nNEXT';
  const whole = decode(text);
  for (const step of [1, 2, 3, 5]) assert.deepEqual(decode(text, step), whole);
});

for (const [name, smuggle] of [
  ['\\n.\\n', '\n.\n'],
  ['\\r.\\r', '\r.\r'],
  ['\\n.\\r\\n', '\n.\r\n'],
  ['\\r\\n.\\r', '\r\n.\r'],
  ['\\r.\\r\\n', '\r.\r\n'],
  ['\\r\\n.\\n', '\r\n.\n'],
] as const) {
  test(`"${name}" does not end the data and marks it as having a bare line end`, () => {
    const r = decode(
      `Subject: a\r\n\r\nx${smuggle}MAIL FROM:<evil@x.test>\r\nRCPT TO:<v@example.test>\r\nDATA\r\nfake\r\n.\r\nQUIT\r\n`,
    );
    assert.equal(r.bareEol, true);
    assert.match(r.data, /MAIL FROM:<evil@x\.test>/);
    assert.equal(r.rest, 'QUIT\r\n');
  });
}

test('size is enforced while reading: the excess is counted, not kept', () => {
  const r = decode(`${'x'.repeat(100)}\r\n.\r\n`, 7, 50);
  assert.equal(r.oversize, true);
  assert.equal(r.data, '');
  assert.equal(r.size, 102);
});

test('a message exactly at the limit is accepted', () => {
  const r = decode(`${'x'.repeat(48)}\r\n.\r\n`, Infinity, 50);
  assert.equal(r.oversize, false);
  assert.equal(r.size, 50);
});

test('write() returns -1 while the end has not been seen', () => {
  const d = new DataDecoder(100);
  assert.equal(d.write(Buffer.from('abc\r\n.')), -1);
  assert.equal(d.write(Buffer.from('\r')), -1);
  assert.equal(d.write(Buffer.from('\nX')), 1);
  assert.equal(Buffer.concat(d.result().parts).toString(), 'abc\r\n');
});
