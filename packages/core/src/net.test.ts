import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkList, parseHostPort } from './net.js';

test('a network list judges IPv4, IPv6 and IPv4-mapped clients, and answers the same from its memo', () => {
  const l = new NetworkList(['127.0.0.0/8', '10.1.0.0/16', '2001:db8::/32']);
  for (let round = 0; round < 2; round++) {
    assert.equal(l.has('127.0.0.1'), true);
    assert.equal(l.has('::ffff:127.0.0.2'), true);
    assert.equal(l.has('10.1.200.3'), true);
    assert.equal(l.has('10.2.0.1'), false);
    assert.equal(l.has('2001:db8::25'), true);
    assert.equal(l.has('2001:db9::25'), false);
    assert.equal(l.has('not-an-ip'), false);
  }
  // Past the memo's bound: it starts over, and the answers stay right.
  for (let i = 0; i < 5000; i++) assert.equal(l.has(`10.1.${i >> 8}.${i & 255}`), i >> 8 < 256);
  assert.equal(l.has('10.2.0.1'), false);
  assert.equal(l.has('127.9.9.9'), true);
});

test('host:port parsing takes bracketed IPv6, bare IPv6 and a default port', () => {
  assert.deepEqual(parseHostPort('[::1]:2525'), { host: '::1', port: 2525 });
  assert.deepEqual(parseHostPort('::1', 25), { host: '::1', port: 25 });
  assert.deepEqual(parseHostPort('mx.example.test', 25), { host: 'mx.example.test', port: 25 });
  assert.equal(parseHostPort('mx.example.test:99999'), undefined);
});
