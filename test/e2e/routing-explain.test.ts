import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario } from '../lib/scenario.js';
import { CLI } from '../lib/petrel.js';
import { run } from '@petrel/testkit';

const CONFIG = (dns: string): string => `hostname = "petrel.test"
[dns]
servers = ["${dns}"]
timeout = "1s"
tries = 1
[global]
max_outbound_connections = 30
[domain."example.test"]
message_expiration = "2h"
[binding_group.group1]
max_outbound_connections = 5
[binding_group.group1.binding.example]
bind_address = "127.0.0.2"
ehlo_hostname = "out2.petrel.test"
[binding_group.group1.binding.example.domain."example.test"]
max_outbound_connections = 15
[[binding_rule]]
sender_domain = "news.test"
binding = "example"
`;

test('petrel route explain prints binding, rule, MX hosts and each option with its scope, without a daemon', async (t) => {
  const s = await scenario(t);
  const dir = join(s.dir, 'explain');
  mkdirSync(dir);
  const file = join(dir, 'petrel.toml');
  writeFileSync(file, CONFIG(s.dns.server));

  const human = await run(
    process.execPath,
    [CLI, 'route', 'explain', 'bob@example.test', '--sender', 'a@news.test', '--config', file],
    { timeoutMs: 15_000 },
  );
  assert.equal(human.code, 0, human.stdout + human.stderr);
  const out = human.stdout;
  assert.match(out, /^binding: +example$/m);
  assert.match(out, /^group: +group1$/m);
  assert.match(out, /^rule: +binding_rule 1 \(line 17\): sender_domain = "news.test" → binding "example"$/m);
  assert.match(out, /^ +MX 10 mx1\.example\.test 127\.0\.0\.2 \(ttl 60s\)$/m);
  assert.match(out, /^ +MX 20 mx2\.example\.test 127\.0\.0\.3 \(ttl 60s\)$/m);
  assert.ok(out.indexOf('MX 10') < out.indexOf('MX 20'), 'preference order');
  assert.match(
    out,
    /^ +max_outbound_connections +15 +binding_group "group1" binding "example" domain "example.test"$/m,
  );
  assert.match(out, /^ +message_expiration +"2h" +domain "example.test"$/m);
  assert.match(out, /^ +retry_interval +"20m" +default$/m);

  const json = await run(process.execPath, [CLI, 'route', 'explain', 'bob@example.test', '--config', file, '--json'], {
    timeoutMs: 15_000,
  });
  assert.equal(json.code, 0, json.stderr);
  const x = JSON.parse(json.stdout) as {
    binding: string;
    rule: string;
    route: { mx: { hosts: { name: string; preference: number; addresses: { address: string }[] }[] } };
    options: Record<string, { value: unknown; scope: string }>;
  };
  assert.equal(x.binding, 'default');
  assert.equal(x.rule, 'default');
  assert.deepEqual(
    x.route.mx.hosts.map((h) => [h.preference, h.name, h.addresses.map((a) => a.address)]),
    [
      [10, 'mx1.example.test', ['127.0.0.2']],
      [20, 'mx2.example.test', ['127.0.0.3']],
    ],
  );
  assert.deepEqual(x.options.max_outbound_connections, { value: 30, scope: 'global' });
  assert.deepEqual(x.options.message_expiration, { value: 7_200_000, scope: 'domain "example.test"' });

  const nullmx = await run(process.execPath, [CLI, 'route', 'explain', 'x@nullmx.test', '--config', file], {
    timeoutMs: 15_000,
  });
  assert.match(nullmx.stdout, /failure: 556 5\.1\.10 \[internal\] Recipient address has null MX \(permanent\)/);
});
