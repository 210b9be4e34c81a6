import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELIVERY_OPTIONS } from '@petrel/core';
import { createSessionTimeouts } from './timeouts.js';

test('createSessionTimeouts maps the RFC 5321 §4.5.3.2 config defaults, QUIT waiting like RSET', () => {
  const d = Object.fromEntries(Object.entries(DELIVERY_OPTIONS).map(([k, v]) => [k, v.default])) as Parameters<
    typeof createSessionTimeouts
  >[0];
  assert.deepEqual(createSessionTimeouts(d), {
    connect: 300_000,
    banner: 300_000,
    ehlo: 300_000,
    mailfrom: 300_000,
    rcptto: 300_000,
    data: 120_000,
    dataBlock: 180_000,
    body: 600_000,
    rset: 30_000,
    quit: 30_000,
  });
});
