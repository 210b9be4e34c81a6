import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../lib/petrel.js';
import { run, freePort } from '@petrel/testkit';

const EXAMPLES = fileURLToPath(new URL('../../../config/policy/examples/', import.meta.url));

function config(dir: string, port: number, modules: readonly string[]): string {
  const file = join(dir, 'petrel.toml');
  writeFileSync(
    file,
    `spool_dir = "spool"\nlog_dir = "log"\n[listener]\nlisten = ["127.0.0.1:${port}"]\n[dns]\nservers = ["127.0.0.1:1"]\n${modules.map((m) => `\n[[policy]]\nmodule = "${m}"\n`).join('')}`,
  );
  return file;
}

test('petrel policy check and policy test run the modules without a daemon; a bad module stops check and start naming file and reason', {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-policy-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const good = config(dir, port, [
    join(EXAMPLES, 'recipient-limits.mjs'),
    join(EXAMPLES, 'blocklist.mjs'),
    join(EXAMPLES, 'add-header.mjs'),
  ]);

  const check = await run(process.execPath, [CLI, 'policy', 'check', '--config', good]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /recipient-limits\.mjs: ok \(rcptTo; timeout 5000 ms\)/);
  assert.match(check.stdout, /add-header\.mjs: ok \(data; timeout 5000 ms\)/);

  const rcpt = await run(process.execPath, [
    CLI,
    'policy',
    'test',
    '--config',
    good,
    '--phase',
    'rcptTo',
    '--from',
    'newsletter@example.test',
    '--to',
    'a@x.test',
    'blocked@example.test',
    'b@x.test',
    'c@x.test',
    '--client',
    '192.0.2.7',
  ]);
  assert.equal(rcpt.code, 0, rcpt.stderr);
  assert.deepEqual(rcpt.stdout.trim().split('\n'), [
    'rcptTo a@x.test: accept',
    'rcptTo blocked@example.test: refuse 550 5.7.1 <blocked@example.test>: recipient is on the block list',
    'rcptTo b@x.test: accept',
    'rcptTo c@x.test: tempfail 452 4.5.3 Too many recipients for <newsletter@example.test> (limit 2)',
  ]);
  const data = await run(process.execPath, [
    CLI,
    'policy',
    'test',
    '--config',
    good,
    '--phase',
    'data',
    '--from',
    'a@x.test',
    '--to',
    'b@y.test',
    '--client',
    '192.0.2.7',
  ]);
  assert.match(data.stdout, /^data: accept\n[\s\S]*X-Petrel-Policy: checked; client=192\.0\.2\.7/);

  mkdirSync(join(dir, 'bad'));
  const badModule = join(dir, 'bad', 'typo.mjs');
  writeFileSync(badModule, 'export default { rcptTo() {}, onDelivry() {} };\n');
  const bad = config(join(dir, 'bad'), port, [badModule]);
  const badCheck = await run(process.execPath, [CLI, 'policy', 'check', '--config', bad]);
  assert.equal(badCheck.code, 2);
  assert.match(badCheck.stderr, new RegExp(`${badModule.replace(/\./g, '\\.')}: unknown hook "onDelivry"`));
  const start = await run(process.execPath, [CLI, 'start', '--config', bad], { timeoutMs: 60_000 });
  assert.notEqual(start.code, 0);
  assert.match(start.stderr, new RegExp(`cannot start: ${badModule.replace(/\./g, '\\.')}: unknown hook "onDelivry"`));
});
