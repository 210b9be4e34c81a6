import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.js';
import { parseConfig } from './config/loader.js';
import { ThrottleRegistry, TokenBucket } from './throttle.js';

test('a bucket allows a burst of one period, then refills at the rate', () => {
  const clock = new ManualClock(0);
  const b = new TokenBucket({ count: 2, perMs: 1000 }, clock);
  assert.equal(b.tryTake(), true);
  assert.equal(b.tryTake(), true);
  assert.equal(b.tryTake(), false);
  assert.equal(b.waitMs(), 500);
  clock.advance(500);
  assert.equal(b.tryTake(), true);
});

test('narrower scopes that inherit a throttle share its defining scope bucket', () => {
  const c = parseConfig(
    `[binding_group.g]\noutbound_throttle_messages = "10"\n[binding_group.g.binding.b1]\n[binding_group.g.binding.b2]\n[binding.solo]\noutbound_throttle_messages = "10"\n`,
    'x.toml',
  );
  const reg = new ThrottleRegistry(c.delivery, new ManualClock(0));
  const a = reg.bucket('outbound_throttle_messages', 'b1', 'a.test');
  assert.ok(a);
  assert.equal(reg.bucket('outbound_throttle_messages', 'b2', 'z.test'), a, 'same group scope, same bucket');
  assert.notEqual(reg.bucket('outbound_throttle_messages', 'solo', 'a.test'), a, 'a different defining scope');
  assert.equal(reg.bucket('outbound_throttle_messages', 'default', 'a.test'), undefined, 'unset = no throttle');
});

test('a registry over the live config follows a reload: same rate keeps its bucket, a new rate gets a fresh one, unset means none', () => {
  let config = parseConfig('[global]\noutbound_throttle_messages = "2"\n', 'a.toml');
  const reg = new ThrottleRegistry(() => config.delivery, new ManualClock(0));
  const before = reg.bucket('outbound_throttle_messages', 'default', 'a.test');
  assert.ok(before?.tryTake());
  config = parseConfig('[global]\noutbound_throttle_messages = "2"\nretry_interval = "30m"\n', 'a.toml');
  assert.equal(reg.bucket('outbound_throttle_messages', 'default', 'a.test'), before, 'unchanged rate: tokens kept');
  config = parseConfig('[global]\noutbound_throttle_messages = "5"\n', 'a.toml');
  const after = reg.bucket('outbound_throttle_messages', 'default', 'a.test');
  assert.ok(after && after !== before, 'a new rate: a new bucket');
  config = parseConfig('[global]\n', 'a.toml');
  assert.equal(reg.bucket('outbound_throttle_messages', 'default', 'a.test'), undefined, 'throttle removed');
});
