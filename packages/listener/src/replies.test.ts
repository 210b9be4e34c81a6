import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPLIES } from './replies.js';

test('every listener reply text is US-ASCII (RFC 5321 §2.4) with a 3-digit code and an enhanced code', () => {
  for (const [name, r] of Object.entries(REPLIES)) {
    const text = r.lines.join(' ');
    assert.match(text, /^[\x20-\x7e]*$/, `${name}: "${text}"`);
    assert.ok(r.code >= 200 && r.code < 600, name);
  }
});
