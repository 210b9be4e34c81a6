import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPetrelError } from '@petrel/core';
import { redactUrl } from './redis-link.js';
import { openLink, startRedis, until, type Redis } from './test-support.js';

describe('redis link', () => {
  let redis: Redis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it('a Redis that stops answering fails the call within command_timeout, and the link comes back', async () => {
    const link = await openLink(redis, 'slow', { commandTimeoutMs: 150 });
    try {
      assert.equal(link.up, true);
      redis.pause();
      const t0 = Date.now();
      const err = await link.call(['PING']).then(
        () => undefined,
        (e: unknown) => e,
      );
      const took = Date.now() - t0;
      redis.resume();
      assert.ok(isPetrelError(err, 'PETREL_ERR_CLUSTER_REDIS'), String(err));
      assert.ok(took < 1000, `took ${took} ms`);
      assert.equal(link.up, false);
      assert.equal(link.degradations, 1);
      await until('a probe to succeed', () => link.probe());
      assert.equal(link.up, true);
      assert.equal(link.degradedSince, undefined);
    } finally {
      redis.resume();
      await link.stop();
    }
  });

  it('reconnects by itself after Redis restarts, and runs the up listeners', async () => {
    const link = await openLink(redis, 'restart');
    try {
      let ups = 0;
      link.onUp(() => ups++);
      await redis.restart();
      await until('the link to reconnect', async () => ups > 0 && (await link.probe()), 8000);
      assert.equal(await link.call(['PING']), 'PONG');
    } finally {
      await link.stop();
    }
  });

  it('starts degraded when Redis is not there, without throwing', async () => {
    const link = await openLink({ url: 'redis://127.0.0.1:1' }, 'absent');
    try {
      assert.equal(link.up, false);
      assert.equal(link.degradations, 1);
    } finally {
      await link.stop();
    }
  });

  it('shows URLs without their password', () => {
    assert.equal(redactUrl('redis://user:secret@h:6379/0'), 'redis://user:***@h:6379/0');
    assert.equal(redactUrl('redis://h:6379'), 'redis://h:6379');
  });
});
