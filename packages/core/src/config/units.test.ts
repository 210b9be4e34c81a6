import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseRate, parseSize, formatDuration } from './units.js';

test('durations: units, compounds and bare seconds', () => {
  assert.equal(parseDuration('20m'), 1_200_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration(1200), 1_200_000);
  assert.equal(parseDuration('1200'), 1_200_000);
  assert.equal(parseDuration('20 minutes'), undefined);
  assert.equal(parseDuration(''), undefined);
  assert.equal(formatDuration(43_200_000), '12h');
});

test('sizes: decimal and binary units', () => {
  assert.equal(parseSize('25MB'), 25_000_000);
  assert.equal(parseSize('512KiB'), 524_288);
  assert.equal(parseSize(1000), 1000);
  assert.equal(parseSize('big'), undefined);
  assert.equal(parseSize('5XB'), undefined);
});

test('rates: "N" per second and "N/S"', () => {
  assert.deepEqual(parseRate('10'), { count: 10, perMs: 1000 });
  assert.deepEqual(parseRate('100/60'), { count: 100, perMs: 60_000 });
  assert.deepEqual(parseRate('100/1h'), { count: 100, perMs: 3_600_000 });
  assert.equal(parseRate('0'), undefined);
  assert.equal(parseRate('x/y'), undefined);
});
