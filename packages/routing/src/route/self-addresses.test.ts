import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { SelfAddresses } from './self-addresses.js';

test('a concrete listen address matches itself on its own port only', () => {
  const self = new SelfAddresses(['127.0.0.1:2525', '[::1]:2526']);
  assert.equal(self.has('127.0.0.1', 2525), true);
  assert.equal(self.has('::ffff:127.0.0.1', 2525), true, 'an IPv4-mapped address is the IPv4 address');
  assert.equal(self.has('127.0.0.1', 25), false, 'another port is another service');
  assert.equal(self.has('127.0.0.2', 2525), false, 'another loopback address is another host');
  assert.equal(self.has('::1', 2526), true);
  assert.equal(self.has('::1', 2525), false);
});

test('0.0.0.0 matches every local IPv4 address on its port; :: (dual-stack) every local address', () => {
  const v4 = new SelfAddresses(['0.0.0.0:25']);
  assert.equal(v4.has('127.0.0.7', 25), true);
  assert.equal(v4.has('::1', 25), false, '0.0.0.0 does not listen on IPv6');
  assert.equal(v4.has('192.0.2.1', 25), false, 'not an address of this machine');
  assert.equal(v4.has('127.0.0.7', 26), false);
  const any = new SelfAddresses(['[::]:25']);
  assert.equal(any.has('::1', 25), true);
  assert.equal(any.has('127.0.0.1', 25), true);
  assert.equal(any.has('2001:db8::1', 25), false);
  // An address of a network interface is ours too.
  const own = Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .find((i) => i.family === 'IPv4' && !i.internal);
  if (own) assert.equal(v4.has(own.address, 25), true, own.address);
});

test('localhost means both loopback addresses; nothing configured matches nothing', () => {
  const self = new SelfAddresses(['localhost:2525']);
  assert.equal(self.has('127.0.0.1', 2525), true);
  assert.equal(self.has('::1', 2525), true);
  assert.equal(new SelfAddresses([]).has('127.0.0.1', 2525), false);
});
