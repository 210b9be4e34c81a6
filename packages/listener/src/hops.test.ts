import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countReceived } from './hops.js';

const received = (n: number): string =>
  'Received: from a by b; Thu, 1 Jan 2026 00:00:00 +0000\r\n\tfolded (received: not a header)\r\n'.repeat(n);

test('countReceived counts Received: header lines of the header section only, any case', () => {
  assert.equal(
    countReceived([Buffer.from(`${received(3)}RECEIVED : x\r\nSubject: s\r\n\r\nReceived: in the body\r\n`)]),
    4,
  );
  assert.equal(countReceived([Buffer.from('Subject: none\r\nX-Received: no\r\nDelivered-To: a@b\r\n\r\nbody')]), 0);
  assert.equal(countReceived([Buffer.from('\r\nReceived: body only\r\n')]), 0, 'no header section');
  assert.equal(countReceived([Buffer.from(received(2))]), 2, 'a message without a body is all header section');
});

test('countReceived reads a header section split over several pieces', () => {
  const text = `${received(5)}Subject: x\r\n\r\n${received(5)}`;
  const pieces = [text.slice(0, 7), text.slice(7, 130), text.slice(130, 131), text.slice(131)].map((p) =>
    Buffer.from(p),
  );
  assert.equal(countReceived(pieces), 5);
});
