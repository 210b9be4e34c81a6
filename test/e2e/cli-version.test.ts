import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run } from '@petrel/testkit';
import { CLI } from '../lib/petrel.js';

test('petrel --version and -V print the package version and exit 0', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', `file://${CLI}`), 'utf8')) as {
    version: string;
  };
  assert.match(version, /^\d+\.\d+\.\d+/);
  for (const flag of ['--version', '-V']) {
    const r = await run(process.execPath, [CLI, flag], { timeoutMs: 30_000 });
    assert.deepEqual([r.code, r.stdout.trim(), r.stderr], [0, `petrel ${version}`, ''], flag);
  }
});
