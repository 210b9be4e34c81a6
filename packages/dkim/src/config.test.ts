import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig, type PetrelConfig } from '@petrel/core';
import { dkimConfigExtensions } from './config.js';
import { generateKey } from './keys.js';
import { selectKeys } from './select.js';

function withKeys(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-dkim-conf-'));
  try {
    writeFileSync(join(dir, 'rsa.pem'), generateKey('rsa', 1024), { mode: 0o600 });
    writeFileSync(join(dir, 'ed.pem'), generateKey('ed25519'), { mode: 0o600 });
    writeFileSync(join(dir, 'bad.pem'), 'garbage', { mode: 0o600 });
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = (dir: string, toml: string): PetrelConfig =>
  parseConfig(toml, join(dir, 'petrel.toml'), { extensions: dkimConfigExtensions });

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    return ((e as { details?: { errors?: string[] } }).details?.errors ?? []) as string[];
  }
  assert.fail('expected a config error');
}

test('[[dkim]] tables load their keys, relative to the config file, with defaults', () => {
  withKeys((dir) => {
    const c = load(
      dir,
      `[[dkim]]\ndomain = "Example.COM"\nselector = "s1"\nkey_file = "rsa.pem"\n\n` +
        `[[dkim]]\ndomain = "esp.example"\nselector = "ed"\nkey_file = "ed.pem"\nmatch = "all"\n` +
        `canonicalization = "simple/simple"\nexpiration = "7d"\n[dkim_options]\non_failure = "tempfail"\n`,
    );
    assert.equal(c.dkim.length, 2);
    const [a, b] = c.dkim;
    assert.equal(a!.domain, 'example.com');
    assert.equal(a!.algorithm, 'rsa-sha256');
    assert.equal(a!.keyFile, join(dir, 'rsa.pem'));
    assert.equal(a!.match, 'from');
    assert.deepEqual(a!.canonicalization, { header: 'relaxed', body: 'relaxed' });
    assert.ok(a!.headers.includes('From') && a!.oversignHeaders.includes('Subject'));
    assert.equal(b!.algorithm, 'ed25519-sha256');
    assert.deepEqual(b!.canonicalization, { header: 'simple', body: 'simple' });
    assert.equal(b!.expiration, 7 * 86_400_000);
    assert.equal(c.dkimOptions.on_failure, 'tempfail');
    assert.deepEqual(c.warnings, []);
  });
});

test('bad [[dkim]] tables are config errors naming file, line, key and what was expected', () => {
  withKeys((dir) => {
    const F = join(dir, 'petrel.toml');
    const errors = errorsOf(() =>
      load(
        dir,
        [
          '[[dkim]]',
          'domain = "example.com"',
          'selector = "s1"',
          'key_file = "bad.pem"',
          '[[dkim]]',
          'domain = "example.com"',
          'selector = "s 2"',
          'key_file = "missing.pem"',
          'canonicalization = "loose"',
          'headers = ["To"]',
          'colour = "blue"',
          '[[dkim]]',
          'domain = "example.com"',
          'selector = "ed"',
          'key_file = "ed.pem"',
          'algorithm = "rsa-sha256"',
          'bindings = ["nope"]',
          '[[dkim]]',
          'selector = "x"',
        ].join('\n'),
      ),
    );
    const want = [
      `${F}:1: dkim[1].key_file: ${join(dir, 'bad.pem')}: expected a PEM private key`,
      `${F}:5: dkim[2].colour: unknown key`,
      `${F}:5: dkim[2].canonicalization: expected one of "relaxed/relaxed"`,
      `${F}:5: dkim[2].selector: expected a DNS label`,
      `${F}:5: dkim[2].headers: expected a list that contains "From"`,
      `${F}:5: dkim[2].key_file: ${join(dir, 'missing.pem')}: cannot read the DKIM key`,
      `${F}:12: dkim[3].bindings: expected a defined binding, found "nope"`,
      `${F}:12: dkim[3].algorithm: expected "ed25519-sha256" for the key in ${join(dir, 'ed.pem')}, found "rsa-sha256"`,
      `${F}:18: dkim[4].domain: expected a name: it is required`,
    ];
    for (const w of want)
      assert.ok(
        errors.some((e) => e.startsWith(w)),
        `missing: ${w}\nin:\n${errors.join('\n')}`,
      );
  });
});

test('a key file readable by group or others is a warning naming the file; the config still loads', () => {
  withKeys((dir) => {
    chmodSync(join(dir, 'ed.pem'), 0o644);
    const c = load(dir, '[[dkim]]\ndomain = "example.com"\nselector = "ed"\nkey_file = "ed.pem"\n');
    assert.equal(c.dkim.length, 1);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]!, /petrel\.toml:1: dkim\[1\]\.key_file: .*ed\.pem: the DKIM private key is readable/);
  });
});

test('[[dkim]] without the extension is refused, never accepted unchecked', () => {
  withKeys((dir) => {
    const errors = errorsOf(() =>
      parseConfig('[[dkim]]\ndomain = "a.example"\nselector = "s"\nkey_file = "ed.pem"\n', join(dir, 'petrel.toml')),
    );
    assert.match(errors[0]!, /:1: dkim: cannot be validated: no config extension "dkim"/);
  });
});

test('keys apply by From: domain (subdomains aligned), envelope sender, everything, or binding/group', () => {
  withKeys((dir) => {
    const c = load(
      dir,
      [
        '[binding_group.bulk.binding.b1]',
        '[binding.solo]',
        '[[dkim]]',
        'domain = "shop.example"',
        'selector = "author"',
        'key_file = "rsa.pem"',
        '[[dkim]]',
        'domain = "bounce.esp.example"',
        'selector = "env"',
        'key_file = "ed.pem"',
        'match = "envelope"',
        '[[dkim]]',
        'domain = "esp.example"',
        'selector = "all"',
        'key_file = "ed.pem"',
        'match = "all"',
        '[[dkim]]',
        'domain = "esp.example"',
        'selector = "bulk"',
        'key_file = "ed.pem"',
        'match = "all"',
        'binding_groups = ["bulk"]',
        '[[dkim]]',
        'domain = "esp.example"',
        'selector = "solo"',
        'key_file = "ed.pem"',
        'match = "all"',
        'bindings = ["solo"]',
      ].join('\n'),
    );
    const pick = (fromDomain: string | undefined, senderDomain: string, b: string[] = [], g: string[] = []): string[] =>
      selectKeys(c.dkim, { fromDomain, senderDomain, bindings: new Set(b), bindingGroups: new Set(g) }).map(
        (k) => k.selector,
      );
    assert.deepEqual(pick('news.shop.example', 'x.example'), ['author', 'all']);
    assert.deepEqual(pick('shop.example.evil', 'bounce.esp.example'), ['env', 'all']);
    assert.deepEqual(pick(undefined, '', ['default'], ['default']), ['all']);
    assert.deepEqual(pick(undefined, '', [], ['bulk']), ['all', 'bulk']);
    assert.deepEqual(pick(undefined, '', ['solo'], ['default']), ['all', 'solo']);
  });
});
