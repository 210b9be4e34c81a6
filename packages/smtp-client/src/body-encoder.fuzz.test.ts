import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBody } from './body-encoder.js';

/** RFC 5321 §4.5.2 and §2.3.8, slowly: every line end becomes CRLF, a leading dot is doubled. */
function reference(body: string): string {
  if (body === '') return '';
  const lines = body.split(/\r\n|\r|\n/);
  const endsWithEol = /(\r\n|\r|\n)$/.test(body);
  if (endsWithEol) lines.pop();
  return `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}\r\n`;
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

test('dot-stuffing with the fast run scan matches the reference on 3,000 random bodies and block sizes', () => {
  const alphabet = ['a', '.', '..', '\r', '\n', '\r\n', 'hello', '\r\n.'];
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    const body = Array.from({ length: Math.floor(r() * 30) }, () => alphabet[Math.floor(r() * alphabet.length)]!).join(
      '',
    );
    const block = 1 + Math.floor(r() * 9);
    const got = [...encodeBody(Buffer.from(body, 'latin1'), block)]
      .flatMap((b) => b.segments.map((s) => s.toString('latin1')))
      .join('');
    assert.equal(got, reference(body), `seed ${seed} block ${block} body ${JSON.stringify(body)}`);
  }
});
