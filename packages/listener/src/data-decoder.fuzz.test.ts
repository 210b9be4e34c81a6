import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataDecoder } from './data-decoder.js';

/** The rules, octet by octet and slowly: the reference the fast decoder must match. */
function reference(
  input: Buffer,
  maxLine: number,
  normalize = false,
): { end: number; data: string; bareEol: boolean; longLine: boolean } {
  let lineStart = true;
  let dotOnly = false;
  let cr = false;
  let bareEol = false;
  let lineLen = 0;
  let longLine = false;
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = String.fromCharCode(input[i]!);
    if (c !== '\r' && c !== '\n' && !(lineStart && c === '.') && ++lineLen > maxLine) longLine = true;
    if (cr) {
      cr = false;
      if (c === '\n') {
        if (dotOnly) return { end: i + 1, data: out, bareEol, longLine };
        out += '\r\n';
        lineStart = true;
        lineLen = 0;
        continue;
      }
      bareEol = true;
      out += '\r';
      dotOnly = false;
    }
    if (c === '\r') {
      cr = true;
      lineStart = false;
      continue;
    }
    if (c === '\n' && normalize) {
      // bare_newline = "normalize": a line end stored as CRLF, never the end of the data.
      out += '\r\n';
      lineStart = true;
      lineLen = 0;
      dotOnly = false;
      continue;
    }
    if (c === '\n') {
      bareEol = true;
      out += '\n';
      lineStart = false;
      dotOnly = false;
      continue;
    }
    if (lineStart && c === '.') {
      lineStart = false;
      dotOnly = true;
      continue;
    }
    lineStart = false;
    dotOnly = false;
    out += c;
  }
  return { end: -1, data: out, bareEol, longLine };
}

// A small deterministic PRNG so a failure can be replayed from its seed.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

test('the fast DATA decoder matches the octet-by-octet rules on 3,000 random inputs split at random points, refusing and normalising bare LF', () => {
  const alphabet = ['a', 'b', '.', '\r', '\n', '\r\n', '\r\n.', '\r\n.\r\n', 'xyz'];
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    const parts: string[] = [];
    const n = 1 + Math.floor(r() * 40);
    for (let k = 0; k < n; k++) parts.push(alphabet[Math.floor(r() * alphabet.length)]!);
    const input = Buffer.from(parts.join(''), 'latin1');
    const maxLine = 1 + Math.floor(r() * 8);
    const normalize = seed % 2 === 0;
    const want = reference(input, maxLine, normalize);
    const d = new DataDecoder(1 << 20, maxLine, normalize);
    let consumed = 0;
    let end = -1;
    while (consumed < input.length && end < 0) {
      const size = 1 + Math.floor(r() * 7);
      const chunk = input.subarray(consumed, consumed + size);
      const e = d.write(chunk);
      if (e >= 0) end = consumed + e;
      consumed += chunk.length;
    }
    const got = d.result();
    const ctx = `seed ${seed}${normalize ? ' (normalize)' : ''}, input ${JSON.stringify(input.toString('latin1'))}, maxLine ${maxLine}`;
    assert.equal(end, want.end, ctx);
    assert.equal(got.bareEol, want.bareEol, ctx);
    assert.equal(got.longLine, want.longLine, ctx);
    assert.equal(Buffer.concat(got.parts).toString('latin1'), want.data, ctx);
  }
});
