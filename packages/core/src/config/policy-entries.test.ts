import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from './loader.js';
import { isPetrelError } from '../errors.js';

test('[[policy]] tables are kept in order, module made absolute against the config file, timeout defaulting to 5 s', () => {
  const c = parseConfig(
    '[[policy]]\nmodule = "policy/a.mjs"\n\n[[policy]]\nmodule = "/abs/b.js"\ntimeout = "250ms"\n',
    '/etc/petrel/petrel.toml',
  );
  assert.deepEqual(c.policy, [
    { module: '/etc/petrel/policy/a.mjs', timeout: 5000, line: 1 },
    { module: '/abs/b.js', timeout: 250, line: 4 },
  ]);
  assert.deepEqual(parseConfig('', '/x/p.toml').policy, []);
});

test('[[policy]] errors name the file, the line of the table and the key', () => {
  const bad = (text: string): string => {
    try {
      parseConfig(text, '/etc/p.toml');
    } catch (e) {
      assert.ok(isPetrelError(e, 'PETREL_ERR_CONFIG_KEY'));
      return e.message;
    }
    assert.fail('expected an error');
  };
  assert.match(bad('[[policy]]\ntimeout = "1s"\n'), /^\/etc\/p\.toml:1: policy\[1\]\.module: expected the module file/);
  assert.match(
    bad('[[policy]]\nmodule = "a.ts"\n'),
    /policy\[1\]\.module: expected a \.mjs or \.js file \(compile TypeScript first/,
  );
  assert.match(
    bad('[[policy]]\nmodule = "a.mjs"\nfile = "x"\n'),
    /policy\[1\]: unknown key "file" \(known keys: module, timeout\)/,
  );
  assert.match(bad('[[policy]]\nmodule = "a.mjs"\ntimeout = "soon"\n'), /policy\[1\]\.timeout: expected/);
  assert.match(bad('policy = "a.mjs"\n'), /policy: expected an array of tables written \[\[policy\]\]/);
});
