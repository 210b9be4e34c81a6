import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../lib/petrel.js';
import { run } from '@petrel/testkit';

function tempConfig(t: { after: (fn: () => void) => void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'petrel.toml');
  writeFileSync(file, text);
  return file;
}

test('petrel start on a config with a wrong type exits non-zero naming file, line and key', async (t) => {
  const file = tempConfig(t, '[listener]\nlisten = ["127.0.0.1:1"]\nmax_message_size = "huge"\n');
  const r = await run(process.execPath, [CLI, 'start', '--config', file]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.trim(),
    `petrel: ${file}:3: listener.max_message_size: expected a size such as "25MB" or a number of octets, found "huge"`,
  );
});

test('petrel start on invalid TOML exits non-zero with line and column', async (t) => {
  const file = tempConfig(t, 'hostname = "x"\n[listener\n');
  const r = await run(process.execPath, [CLI, 'start', '--config', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`^petrel: ${file.replace(/[.]/g, '\\.')}:2:\\d+: `));
});

test('petrel config check names every unknown key and passes the shipped default config', async (t) => {
  const file = tempConfig(t, '[global]\nretry_intervall = "5m"\n[dns]\nservers = "127.0.0.1"\n');
  const bad = await run(process.execPath, [CLI, 'config', 'check', file]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /:2: global\.retry_intervall: unknown key/);
  assert.match(bad.stderr, /:4: dns\.servers: expected a list of "host:port" strings, found "127\.0\.0\.1"/);
  const good = await run(process.execPath, [CLI, 'config', 'check']);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /petrel\.toml: ok/);
});

test('a missing config file is a clear error', async () => {
  const r = await run(process.execPath, [CLI, 'start', '--config', '/nonexistent/petrel.toml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^petrel: \/nonexistent\/petrel\.toml: cannot read the configuration file/);
});
