import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeXtext, encodeXtext } from './xtext.js';

test('xtext round-trips UTF-8 and specials octet by octet (RFC 3461 §4)', () => {
  for (const s of ['plain', 'a+b=c d', 'é-1', 'ü@bücher.example', '']) {
    assert.equal(decodeXtext(encodeXtext(s)), s);
  }
  assert.equal(encodeXtext('é-1'), '+C3+A9-1');
  assert.equal(decodeXtext('+C3+A9-1'), 'é-1');
  assert.equal(decodeXtext('+c3'), undefined, 'upper-case hex only');
});

test('utf-8 address type (RFC 6533 §3): \\x{HEX} form both ways, raw UTF-8 only when allowed', async () => {
  const { decodeUtf8Addr, encodeUtf8AddrXtext } = await import('./xtext.js');
  assert.equal(encodeUtf8AddrXtext('üser+1=2\\@example.com'), '\\x{FC}ser\\x{2B}1\\x{3D}2\\x{5C}@example.com');
  assert.equal(encodeUtf8AddrXtext('😀@例え.jp'), '\\x{1F600}@\\x{4F8B}\\x{3048}.jp');
  for (const s of ['üser@example.com', 'a+b=c\\d@x.test', '😀@例え.jp', '"a b"@x.test']) {
    assert.equal(decodeUtf8Addr(encodeUtf8AddrXtext(s), false), s, s);
    assert.equal(
      decodeUtf8Addr(
        s.replace(/[+=\\ ]/g, (c) => `\\x{${c.charCodeAt(0).toString(16).toUpperCase()}}`),
        true,
      ),
      s,
    );
  }
  assert.equal(decodeUtf8Addr('üser@example.com', false), undefined, 'raw UTF-8 needs SMTPUTF8');
  assert.equal(decodeUtf8Addr('\\x{fc}ser@example.com', false), 'üser@example.com', 'hex digits in either case');
  for (const bad of [
    'a+2Bb@x.test',
    'a=b@x.test',
    'a b@x.test',
    '\\x{41}@x.test',
    '\\x{0FC}@x.test',
    '\\x{D800}@x.test',
    '\\x{110000}@x.test',
    '\\x{FC@x.test',
    '\\xFC@x.test',
    'noat',
    '@x.test',
    'a@',
    '',
  ]) {
    assert.equal(decodeUtf8Addr(bad, true), undefined, bad);
  }
});
