import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '@petrel/core';
import { checkSecretsReadable } from './secrets.js';

test('warns when a config with gateway_auth_password is world-readable, and not once it is not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.toml');
  writeFileSync(
    file,
    '[domain."relay.test"]\ngateway = ["127.0.0.7"]\ngateway_auth_user = "u"\ngateway_auth_password = "p"\n',
  );
  chmodSync(file, 0o644);
  assert.match(
    checkSecretsReadable(loadConfig(file)) ?? '',
    /contains gateway_auth_password and is world-readable \(mode 644\)/,
  );
  chmodSync(file, 0o640);
  assert.equal(checkSecretsReadable(loadConfig(file)), undefined);
});

test('no warning for a world-readable config without a password', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.toml');
  writeFileSync(file, '[global]\ngateway_auth_user = "u"\n');
  chmodSync(file, 0o644);
  assert.equal(checkSecretsReadable(loadConfig(file)), undefined);
});
