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
