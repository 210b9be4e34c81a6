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
