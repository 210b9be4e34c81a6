import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineChecker } from './body-check.js';

/** The rules octet by octet: a CR must be followed by LF, an LF preceded by CR, lines ≤ maxLine. */
function reference(input: string, maxLine: number): { bareEol: boolean; longLine: boolean } {
  let cr = false;
  let lineLen = 0;
  let bareEol = false;
  let longLine = false;
  for (const c of input) {
    if (cr) {
      cr = false;
      if (c === '\n') {
        lineLen = 0;
        continue;
      }
      bareEol = true;
    }
    if (c === '\r') cr = true;
    else if (c === '\n') bareEol = true;
    else if (++lineLen > maxLine) longLine = true;
  }
  if (cr) bareEol = true;
  return { bareEol, longLine };
}

test('the BDAT line checker matches the octet-by-octet rules on 3,000 random inputs split at random points', () => {
  const alphabet = ['a', 'bc', '\r', '\n', '\r\n', 'xyzw', '.'];
  let x = 7;
  const rnd = (): number => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x / 4294967296;
  };
  for (let seed = 1; seed <= 3000; seed++) {
    const n = 1 + Math.floor(rnd() * 30);
    let input = '';
    for (let k = 0; k < n; k++) input += alphabet[Math.floor(rnd() * alphabet.length)]!;
    const maxLine = 1 + Math.floor(rnd() * 8);
    const c = new LineChecker(maxLine);
    const buf = Buffer.from(input, 'latin1');
    for (let at = 0; at < buf.length; ) {
      const size = 1 + Math.floor(rnd() * 6);
      c.write(buf.subarray(at, at + size));
      at += size;
    }
    c.end();
    assert.deepEqual(
      { bareEol: c.bareEol, longLine: c.longLine },
      reference(input, maxLine),
      `case ${seed}: ${JSON.stringify(input)} maxLine ${maxLine}`,
    );
  }
});
