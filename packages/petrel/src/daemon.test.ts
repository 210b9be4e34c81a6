import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, silentLogger } from '@petrel/core';
import { Classifier } from '@petrel/bounce';
import { startDaemon } from './daemon.js';

test('the daemon builds one bounce classifier and hands it to every service that classifies', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(
    `hostname = "petrel.test"\nspool_dir = "spool"\nlog_dir = "log"\n[listener]\nlisten = ["127.0.0.1:0"]\n[spool]\nmin_free_space = 0\n`,
    join(dir, 'petrel.toml'),
  );
  const built: Classifier[] = [];
  const original = Classifier.fromConfig;
  Classifier.fromConfig = (bounce) => {
    const c = original.call(Classifier, bounce);
    built.push(c);
    return c;
  };
  t.after(() => {
    Classifier.fromConfig = original;
  });
  const daemon = await startDaemon(config, silentLogger());
  await daemon.stop();
  assert.equal(built.length, 1, `classifiers built: ${built.length}`);
});

test('a node without [cluster] builds no cluster service; with it, the cluster starts first (degraded if Redis is absent)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const base = `hostname = "petrel.test"\nspool_dir = "spool"\nlog_dir = "log"\n[listener]\nlisten = ["127.0.0.1:0"]\n[spool]\nmin_free_space = 0\n`;
  const single = await startDaemon(parseConfig(base, join(dir, 'petrel.toml')), silentLogger());
  const names = single.services.map((s) => s.name);
  assert.equal(single.bus.hasHandler('cluster.status'), false);
  await single.stop();
  assert.ok(!names.includes('cluster'), names.join(', '));
  // Port 1 refuses at once: the node starts anyway, degraded, within connect_timeout.
  const clustered = await startDaemon(
    parseConfig(
      `${base}[cluster]\nredis = "redis://127.0.0.1:1"\nconnect_timeout = "200ms"\n`,
      join(dir, 'petrel.toml'),
    ),
    silentLogger(),
  );
  try {
    assert.equal(clustered.services[0]?.name, 'cluster');
    const status = await clustered.bus.request('cluster.status', {});
    assert.equal(status.state, 'down');
    assert.equal(status.node, 'petrel.test');
  } finally {
    await clustered.stop();
  }
});
