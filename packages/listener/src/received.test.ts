import { test } from 'node:test';
import assert from 'node:assert/strict';
import { receivedHeader, rfc5322Date } from './received.js';

test('the date is RFC 5322 §3.3 in UTC', () => {
  assert.equal(rfc5322Date(Date.UTC(2026, 2, 3, 4, 5, 6)), 'Tue, 3 Mar 2026 04:05:06 +0000');
});

test('the Received header is folded with CRLF+TAB and names the one recipient', () => {
  const h = receivedHeader({
    helo: 'client.test',
    clientAddress: '127.0.0.1',
    hostname: 'mx.test',
    protocol: 'ESMTP',
    id: 'ID1',
    recipient: 'x@example.test',
    time: Date.UTC(2026, 0, 1),
  });
  assert.equal(
    h,
    'Received: from client.test ([127.0.0.1])\r\n\tby mx.test (Petrel) with ESMTP id ID1\r\n\tfor <x@example.test>; Thu, 1 Jan 2026 00:00:00 +0000\r\n',
  );
});

test('an IPv6 client is written as an IPv6 address literal and no "for" without one recipient', () => {
  const h = receivedHeader({
    helo: 'c',
    clientAddress: '::1',
    hostname: 'mx.test',
    protocol: 'SMTP',
    id: 'I',
    time: 0,
  });
  assert.match(
    h,
    /^Received: from c \(\[IPv6:::1\]\)\r\n\tby mx\.test \(Petrel\) with SMTP id I; Thu, 1 Jan 1970 00:00:00 \+0000\r\n$/,
  );
});
