import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from './loader.js';
import { isPetrelError } from '../errors.js';

const F = '/etc/petrel/petrel.toml';

test('an empty file gives every default', () => {
  const c = parseConfig('', F);
  assert.equal(c.listener.max_message_size, 26_214_400);
  assert.deepEqual(c.listener.listen, ['127.0.0.1:2525']);
  assert.equal(c.delivery.get('retry_interval', 'default', 'example.com'), 1_200_000);
  assert.equal(c.delivery.get('max_retry_interval', 'default', 'example.com'), 43_200_000);
  assert.equal(c.spool_dir, '/etc/petrel/spool');
});

test('units are parsed: durations, sizes, rates and integer seconds', () => {
  const c = parseConfig(
    `[listener]\nmax_message_size = "10MB"\n[global]\nretry_interval = 600\nmessage_expiration = "4d"\noutbound_throttle_messages = "100/1m"\n`,
    F,
  );
  assert.equal(c.listener.max_message_size, 10_000_000);
  assert.equal(c.delivery.get('retry_interval', 'default', 'x'), 600_000);
  assert.equal(c.delivery.get('message_expiration', 'default', 'x'), 4 * 86_400_000);
  assert.deepEqual(c.delivery.get('outbound_throttle_messages', 'default', 'x'), { count: 100, perMs: 60_000 });
});

test('a wrong type names the file, line, key path, what was expected and what was found', () => {
  const text = `hostname = "a"\n\n[listener]\nlisten = ["127.0.0.1:2525"]\nmax_message_size = "lots"\n`;
  assert.throws(
    () => parseConfig(text, F),
    (e) =>
      isPetrelError(e, 'PETREL_ERR_CONFIG_KEY') &&
      e.message ===
        `${F}:5: listener.max_message_size: expected a size such as "25MB" or a number of octets, found "lots"`,
  );
});

test('unknown keys are errors, all problems reported at once', () => {
  const text = `colour = "blue"\n[global]\nretry_intervall = "5m"\nmax_outbound_connections = "many"\n`;
  assert.throws(
    () => parseConfig(text, F),
    (e) => {
      if (!isPetrelError(e, 'PETREL_ERR_CONFIG_KEY')) return false;
      const errors = e.details.errors as string[];
      assert.equal(errors.length, 3);
      assert.match(errors[0]!, /^\/etc\/petrel\/petrel.toml:1: colour: unknown key/);
      assert.match(errors[1]!, /:3: global\.retry_intervall: unknown key/);
      assert.match(errors[2]!, /:4: global\.max_outbound_connections: expected an integer ≥ 1, found "many"/);
      return true;
    },
  );
});

test('TOML syntax errors carry line and column', () => {
  assert.throws(
    () => parseConfig('hostname = \n', F),
    (e) => isPetrelError(e, 'PETREL_ERR_CONFIG_SYNTAX') && /^\/etc\/petrel\/petrel.toml:1:\d+: /.test(e.message),
  );
});

test('a binding defined twice (in two groups) is refused', () => {
  const text = `[binding_group.g1.binding.b1]\nbind_address = "127.0.0.2"\n[binding_group.g2.binding.b1]\nbind_address = "127.0.0.3"\n`;
  assert.throws(
    () => parseConfig(text, F),
    (e) =>
      isPetrelError(e, 'PETREL_ERR_CONFIG_KEY') &&
      /binding "b1" is already defined in binding_group "g1"/.test(e.message),
  );
});

test('a missing file is PETREL_ERR_CONFIG_READ naming the file', () => {
  assert.throws(
    () => loadConfig('/nonexistent/petrel.toml'),
    (e) => isPetrelError(e, 'PETREL_ERR_CONFIG_READ') && e.message.startsWith('/nonexistent/petrel.toml: '),
  );
});

test('loadConfig anchors relative paths at the config file directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-cfg-'));
  try {
    writeFileSync(join(dir, 'petrel.toml'), 'spool_dir = "sp"\nlog_dir = "/var/log/p"\n');
    const c = loadConfig(join(dir, 'petrel.toml'));
    assert.equal(c.spool_dir, join(dir, 'sp'));
    assert.equal(c.log_dir, '/var/log/p');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('listen entries must be IP:port and DNS servers IPs; unknown sections carry their header line', () => {
  assert.throws(
    () => parseConfig('[listener]\nlisten = ["nowhere"]\n[dns]\nservers = ["dns.example"]\n\n[bogus]\nx = 1\n', F),
    (e) => {
      if (!isPetrelError(e, 'PETREL_ERR_CONFIG_KEY')) return false;
      const errors = e.details.errors as string[];
      assert.ok(
        errors.some((x) => /:2: listener\.listen: expected "ip:port" entries/.test(x)),
        errors.join('\n'),
      );
      assert.ok(
        errors.some((x) => /:4: dns\.servers: expected IP addresses/.test(x)),
        errors.join('\n'),
      );
      assert.ok(
        errors.some((x) => /:6: bogus: unknown key/.test(x)),
        errors.join('\n'),
      );
      return true;
    },
  );
});

test('a relative trace_file is relative to the config file, like spool_dir; an absolute one stays', () => {
  const c = parseConfig(
    '[domain."a.test"]\ntrace_file = "log/trace-a.txt"\n[domain."b.test"]\ntrace_file = "/var/log/trace-b.txt"\n',
    '/etc/petrel/petrel.toml',
  );
  assert.equal(c.delivery.get('trace_file', 'default', 'a.test'), '/etc/petrel/log/trace-a.txt');
  assert.equal(c.delivery.get('trace_file', 'default', 'b.test'), '/var/log/trace-b.txt');
});

function configErrors(text: string): string {
  try {
    parseConfig(text, F);
  } catch (e) {
    if (isPetrelError(e)) return e.message;
    throw e;
  }
  assert.fail('expected a config error');
}

test('durations below their lower bound are refused with file:line, key and the bound; 0 stays where it means something', () => {
  const msg = configErrors(
    '[global]\nretry_interval = "0s"\nmessage_expiration = "0s"\nmax_retry_interval = 0\nconnect_timeout = "0s"\n[domain."x.test"]\nbody_timeout = "0s"\n[dns]\ntimeout = "0s"\n[eventlog]\nheartbeat = "0s"\n[listener]\nidle_timeout = "0s"\nmax_message_size = 0\n',
  );
  assert.match(msg, /petrel\.toml:2: global\.retry_interval: expected a duration ≥ 1s, found "0s"/);
  assert.match(msg, /petrel\.toml:3: global\.message_expiration: expected a duration ≥ 1s, found "0s"/);
  assert.match(msg, /petrel\.toml:4: global\.max_retry_interval: expected a duration ≥ 1s, found 0/);
  assert.match(msg, /petrel\.toml:5: global\.connect_timeout: expected a duration ≥ 100ms/);
  assert.match(msg, /petrel\.toml:7: domain\."x\.test"\.body_timeout: expected a duration ≥ 100ms/);
  assert.match(msg, /petrel\.toml:9: dns\.timeout: expected a duration ≥ 100ms/);
  assert.match(msg, /petrel\.toml:11: eventlog\.heartbeat: expected a duration ≥ 1s/);
  assert.match(msg, /petrel\.toml:13: listener\.idle_timeout: expected a duration ≥ 100ms/);
  assert.match(msg, /petrel\.toml:14: listener\.max_message_size: expected a size ≥ 1, found 0/);
  // Documented zeros: no limit, no fuzz, a delay DSN at every deferral, greet at once, no free-space check.
  const c = parseConfig(
    'stop_timeout = "0s"\n[global]\nmax_deliveries_per_connection = 0\ndelayed_binding_domain_fuzz = "0s"\ndelay_dsn_retry_interval = "0s"\nidle_timeout = "0s"\n[listener]\ngreeting_delay = "0s"\n[spool]\nmin_free_space = 0\n',
    F,
  );
  assert.equal(c.delivery.get('delay_dsn_retry_interval', 'default', 'x'), 0);
});

test('relay_networks covering every address on a non-loopback listener is refused unless allow_open_relay, then a warning', () => {
  const open = '[listener]\nlisten = ["192.0.2.1:25"]\nrelay_networks = ["0.0.0.0/1", "128.0.0.0/1"]\n';
  assert.match(
    configErrors(open),
    /petrel\.toml:3: listener\.relay_networks: expected networks that do not cover every address \(relay_networks covers every IPv4 address .*192\.0\.2\.1:25.*\); set listener\.allow_open_relay = true/,
  );
  assert.match(
    configErrors('[listener]\nlisten = ["[::]:25"]\nrelay_networks = ["::/0"]\n'),
    /listener\.relay_networks: .*every IPv6 address/,
  );
  const allowed = parseConfig(`${open}allow_open_relay = true\n`, F);
  assert.equal(allowed.warnings.length, 1);
  assert.match(
    allowed.warnings[0]!,
    /^\/etc\/petrel\/petrel\.toml:3: listener\.relay_networks: relay_networks covers every IPv4 address .* anyone who can connect may relay/,
  );
  // Loopback-only listeners and networks with a gap are fine, without a warning.
  assert.deepEqual(
    parseConfig('[listener]\nlisten = ["127.0.0.1:25", "[::1]:25"]\nrelay_networks = ["0.0.0.0/0", "::/0"]\n', F)
      .warnings,
    [],
  );
  assert.deepEqual(
    parseConfig('[listener]\nlisten = ["0.0.0.0:25"]\nrelay_networks = ["0.0.0.0/1", "128.0.0.0/2", "::/1"]\n', F)
      .warnings,
    [],
  );
});

test('a slot whose package extension was not given is refused, not accepted unchecked', () => {
  const text = `[global]\nroutes = ["smtp://[::1"]\n\n[[binding_rule]]\nbinding = "nowhere"\n`;
  assert.throws(
    () => parseConfig(text, F),
    (e) => {
      if (!isPetrelError(e, 'PETREL_ERR_CONFIG_KEY')) return false;
      assert.deepEqual(e.details.errors, [
        `${F}:2: global.routes: cannot be validated: no config extension "routes" was given to the loader (the app passes those of @petrel/routing and @petrel/bounce)`,
        `${F}:4: binding_rule: cannot be validated: no config extension "bindingRules" was given to the loader (the app passes those of @petrel/routing and @petrel/bounce)`,
      ]);
      return true;
    },
  );
});

test('extensions validate their slot through the loader context, and their result lands on the config', () => {
  const seen: unknown[] = [];
  const c = parseConfig(`[[binding_rule]]\nbinding = "default"\n[global]\ngateway = ["127.0.0.1"]\n`, F, {
    extensions: {
      bindingRules: {
        validate: (raw, ctx, env) => {
          seen.push(JSON.stringify(raw), env.bindings.has('default'), ctx.where(['binding_rule']));
          return [{ index: 1, binding: 'default' }];
        },
      },
      routes: { validate: (raw, _ctx, env) => void seen.push(env.path.join('.'), raw) },
    },
  });
  assert.deepEqual(c.bindingRules, [{ index: 1, binding: 'default' }]);
  assert.deepEqual(seen, ['global', undefined, '[{"binding":"default"}]', true, `${F}:1`]);
});

test('verp_domain must name one of bounce.return_path_domains, in any scope', () => {
  const ok = parseConfig('[bounce]\nreturn_path_domains = ["RP.example"]\n[global]\nverp_domain = "rp.example"\n', F);
  assert.equal(ok.delivery.get('verp_domain', 'default', 'x'), 'rp.example');
  assert.throws(
    () =>
      parseConfig(
        '[bounce]\nreturn_path_domains = ["rp.example"]\n\n[domain."a.test"]\nverp_domain = "other.example"\n',
        F,
      ),
    (e) =>
      isPetrelError(e, 'PETREL_ERR_CONFIG_KEY') &&
      e.message.includes(
        `${F}:5: domain."a.test".verp_domain: expected one of bounce.return_path_domains (rp.example), found "other.example"`,
      ),
  );
});

test('[cluster]: empty by default (a single node); the node name defaults to hostname; bad values are named', () => {
  const none = parseConfig('hostname = "mta1.test"\n', 'p.toml');
  assert.equal(none.cluster.redis, '');
  assert.equal(none.cluster.node, 'mta1.test');
  const on = parseConfig(
    '[cluster]\nredis = "redis://127.0.0.1:6390"\nnode = "n2"\ncommand_timeout = "250ms"\n',
    'p.toml',
  );
  assert.deepEqual(
    [on.cluster.redis, on.cluster.node, on.cluster.command_timeout],
    ['redis://127.0.0.1:6390', 'n2', 250],
  );
  assert.throws(
    () => parseConfig('[cluster]\nredis = "127.0.0.1:6379"\nheartbeat_interval = "5s"\nnode_ttl = "2s"\n', 'p.toml'),
    (e: unknown) =>
      isPetrelError(e, 'PETREL_ERR_CONFIG_KEY') &&
      /p\.toml:2: cluster\.redis: expected a URL such as "redis:\/\/127\.0\.0\.1:6379", found "127\.0\.0\.1:6379"/.test(
        e.message,
      ) &&
      /p\.toml:4: cluster\.node_ttl: expected more than heartbeat_interval \(5s\), found 2s/.test(e.message),
  );
});
