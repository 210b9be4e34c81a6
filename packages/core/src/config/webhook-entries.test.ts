import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPetrelError } from '../errors.js';
import { parseConfig } from './loader.js';

function errors(toml: string): string[] {
  try {
    parseConfig(toml, 'p.toml');
  } catch (err) {
    assert.ok(isPetrelError(err, 'PETREL_ERR_CONFIG_KEY'));
    return (err.details.errors as string[]) ?? [];
  }
  return [];
}

test('[[webhook]] tables are validated: required keys, unique names, URL, secret, event types', () => {
  const got = errors(`
[[webhook]]
name = "crm"
url = "ftp://x"
secret = "short"
events = ["delivery", "delivered"]

[[webhook]]
name = "crm"
url = "https://hooks.example.com/"
secret = "a-secret-of-enough-length"
colour = "red"
`);
  assert.deepEqual(got, [
    'p.toml:2: webhook[1].url: expected an http:// or https:// URL, e.g. url = "https://hooks.example.com/"',
    'p.toml:2: webhook[1].events: expected event types among reception, delivery, transient_failure, ' +
      'permanent_failure, expiration, rejection, bounce; found "delivered"',
    'p.toml:2: webhook[1].secret: expected a secret of at least 16 characters (the HMAC key)',
    'p.toml:8: webhook[2]: unknown key "colour" (known keys: name, url, secret, events, batch_size, batch_wait, ' +
      'timeout, retry_interval, max_retry_interval)',
    'p.toml:8: webhook[2].name: expected a unique name; "crm" is used twice',
  ]);
});

test('[http] listen needs a tokens file; a valid webhook gets the defaults', () => {
  assert.deepEqual(errors('[http]\nlisten = "127.0.0.1:8025"\n'), [
    'p.toml:1: http.tokens_file: expected a tokens file: the HTTP API requires bearer tokens',
  ]);
  const c = parseConfig(
    '[[webhook]]\nname = "a"\nurl = "http://127.0.0.1:1/"\nsecret = "0123456789abcdef"\n',
    'p.toml',
  );
  assert.equal(c.http.listen, '');
  assert.deepEqual(
    { ...c.webhooks[0], line: undefined },
    {
      name: 'a',
      url: 'http://127.0.0.1:1/',
      secret: '0123456789abcdef',
      events: [],
      batch_size: 100,
      batch_wait: 1000,
      timeout: 10_000,
      retry_interval: 1000,
      max_retry_interval: 300_000,
      line: undefined,
    },
  );
});
