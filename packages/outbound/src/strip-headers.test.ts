import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stripHeaders } from './strip-headers.js';

const msg = Buffer.from(
  'Received: x\r\nX-Binding: b1\r\nX-Binding-Group:\r\n  bulk\r\nSubject: s\r\n\r\nX-Binding: body line\r\n',
);

test('removes the named header fields with their folded lines and leaves the body alone', () => {
  assert.equal(
    stripHeaders(msg, ['x-binding', 'X-Binding-Group']).toString(),
    'Received: x\r\nSubject: s\r\n\r\nX-Binding: body line\r\n',
  );
});

test('returns the same buffer when there is nothing to strip', () => {
  assert.equal(stripHeaders(msg, undefined), msg);
  assert.equal(stripHeaders(msg, ['X-Other']), msg);
});
