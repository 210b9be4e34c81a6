/**
 * Loads and validates petrel.toml. Every problem is reported as
 * `FILE:LINE: key.path: expected …, found …`, all of them at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { isIP } from 'node:net';
import { parse, TomlError } from 'smol-toml';
import { PetrelError } from '../errors.js';
import { parseCidr, parseHostPort } from '../net.js';
import {
  BINDING_KEYS,
  BOUNCE_KEYS,
  EVENTLOG_KEYS,
  DELIVERY_OPTIONS,
  CONTROL_KEYS,
  DNS_KEYS,
  LISTENER_KEYS,
  ROOT_KEYS,
  ROUTING_KEYS,
  SPOOL_KEYS,
  HTTP_KEYS,
  type HttpOptions,
  type WebhookConfig,
  CLUSTER_KEYS,
  type ClusterOptions,
  TLS_POLICY_KEYS,
  type ListenerOptions,
  type OptionSpec,
  type RootOptions,
  type BindingRuleConfig,
  type ValuesOf,
  type ControlOptions,
  type BounceOptions,
  type EventlogOptions,
  type TlsPolicyOptions,
  SHAPING_KEYS,
  type ShapingOptions,
  type DnsOptions,
  type SpoolOptions,
  type RoutingOptions,
  type PolicyModuleConfig,
  DKIM_OPTIONS_KEYS,
  type DkimKeyConfig,
  type DkimOptions,
} from './schema.js';
import { type ConfigContext, type ConfigExtensions, type LoadOptions, missingExtension } from './extension.js';
import { openRelayFamilies, publicListenAddresses } from './open-relay.js';
import { parsePolicyEntries } from './policy-entries.js';
import { parseWebhookEntries } from './webhook-entries.js';
import {
  DEFAULT_BINDING,
  DEFAULT_GROUP,
  ScopeResolver,
  type BindingDef,
  type BindingGroupDef,
  type DomainTables,
  type OptionTable,
  type ScopeTree,
} from './scopes.js';
import { formatDuration, parseDuration, parseRate, parseSize } from './units.js';
import type { ShapingRulesConfig } from '../shaping.js';

export interface PetrelConfig extends RootOptions {
  /** The file the config came from. */
  readonly source: string;
  readonly listener: ListenerOptions;
  readonly dns: DnsOptions;
  /** [spool] keys (group commit, free space, recovery). */
  readonly spool: SpoolOptions;
  /** Control API; `socket` is resolved to an absolute path. */
  readonly control: ControlOptions;
  /** [bounce]: classification; rule and override file paths are absolute. */
  readonly bounce: BounceOptions;
  /** [eventlog]: optional Momentum-format log files. */
  readonly eventlog: EventlogOptions;
  /** [tls_policy]: MTA-STS fetching (docs/tls-policy.md). */
  readonly tlsPolicy: TlsPolicyOptions;
  /** [shaping]: keys, warm-up schedules and the validated rule files (docs/shaping.md). */
  readonly shaping: ShapingOptions & { readonly rules: ShapingRulesConfig };
  readonly scopes: ScopeTree;
  /** Resolves delivery options per (binding, domain) in Momentum's scope order. */
  readonly delivery: ScopeResolver;
  /** [routing] keys. */
  readonly routing: RoutingOptions;
  /** [[binding_rule]] tables, validated, in file order (first match wins). */
  readonly bindingRules: readonly BindingRuleConfig[];
  /** [[policy]] modules, in file order (docs/policy.md). */
  readonly policy: readonly PolicyModuleConfig[];
  /** [http]: the HTTP injection API (docs/http-api.md); `listen` "" = off. */
  readonly http: HttpOptions;
  /** [[webhook]] endpoints, in file order (docs/webhooks.md). */
  readonly webhooks: readonly WebhookConfig[];
  /** [cluster]: shared state in Redis (docs/scaling.md); `redis` empty = a single node. */
  readonly cluster: ClusterOptions;
  /** [[dkim]] signing keys, loaded, in file order (docs/dkim.md). */
  readonly dkim: readonly DkimKeyConfig[];
  /** [dkim_options]. */
  readonly dkimOptions: DkimOptions;
  /** `weight` of the bindings that set one (default 1). */
  readonly bindingWeights: ReadonlyMap<string, number>;
  /**
   * Valid but dangerous settings (e.g. an allowed open relay), each `FILE:LINE: key: why`; start and
   * `config check` print them.
   */
  readonly warnings: readonly string[];
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (isTable(v)) return 'a table';
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return String(v);
}

const EXPECT: Record<OptionSpec['type'], string> = {
  string: 'a string',
  integer: 'an integer',
  boolean: 'true or false',
  duration: 'a duration such as "20m", "12h" or a number of seconds',
  size: 'a size such as "25MB" or a number of octets',
  rate: 'a rate "N" (per second) or "N/S" (per S, e.g. "100/60" or "100/1h")',
  retries: '"auto", "none" or a whole number',
  enum: 'one of',
  'string[]': 'a list of strings',
  'address[]': 'a list of "host:port" strings',
  'network[]': 'a list of networks such as "127.0.0.0/8"',
  // Never shown by value(): the bounceClasses extension checks the whole value (extension.ts).
  'class[]': 'a list of tables',
  // Never shown by value(): the shapingWarmup extension checks the whole value.
  'warmup[]': 'a list of tables',
};

/** The keys of a table header, `domain."example.com"` → ["domain", "example.com"]: dots inside quotes do not split. */
function headerParts(header: string): string[] {
  return (header.match(/\s*"[^"]*"\s*|[^."]+/g) ?? []).map((p) => p.trim().replace(/^"|"$/g, ''));
}

export class Validator implements ConfigContext {
  readonly errors: string[] = [];
  /** [bounce] return_path_domains, lower-cased: what a verp_domain may name (set once [bounce] is read). */
  returnPathDomains: ReadonlySet<string> = new Set();
  readonly warnings: string[] = [];
  private readonly lines: string[];

  constructor(
    readonly file: string,
    source: string,
    /** The package validators plugged in (extension.ts). */
    readonly extensions: ConfigExtensions = {},
  ) {
    this.lines = source.split(/\r?\n/);
  }

  /** Best effort: the line of `key` under the table header of `path`, for the error message. */
  private keyLineOf(path: readonly string[]): number | undefined {
    const key = path[path.length - 1]!;
    const table = path.slice(0, -1);
    let start = 0;
    if (table.length > 0) {
      const want = table.map((p) => p.replace(/^"|"$/g, ''));
      start = this.lines.findIndex((l) => {
        const m = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(l);
        if (!m) return false;
        const parts = headerParts(m[1]!);
        return parts.length === want.length && parts.every((p, i) => p === want[i]);
      });
      if (start < 0) return undefined;
    }
    for (let i = start + (table.length > 0 ? 1 : 0); i < this.lines.length; i++) {
      const l = this.lines[i]!;
      if (table.length === 0 && /^\s*\[/.test(l)) break;
      if (new RegExp(`^\\s*"?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\s*=`).test(l)) return i + 1;
      if (table.length > 0 && i > start && /^\s*\[/.test(l)) break;
    }
    return table.length > 0 ? start + 1 : undefined;
  }

  /** Records an error at a known line (array-of-tables entries, which lineOf cannot find). */
  failAt(line: number | undefined, path: readonly string[], what: string): void {
    this.errors.push(`${this.where(path, line)}: ${path.join('.')}: ${what}`);
  }

  /** The 1-based lines of every `[[name]]` header, in file order. */
  arrayTableLines(name: string): number[] {
    const re = new RegExp(`^\\s*\\[\\[\\s*${name}\\s*\\]\\]`);
    const out: number[] = [];
    this.lines.forEach((l, i) => {
      if (re.test(l)) out.push(i + 1);
    });
    return out;
  }

  /** The line of a table header that starts with `path` (e.g. an unknown [section] or [domain."x"]). */
  private headerLineOf(path: readonly string[]): number | undefined {
    const want = path.map((p) => p.replace(/^"|"$/g, ''));
    const i = this.lines.findIndex((l) => {
      const m = /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(l);
      if (!m) return false;
      const parts = headerParts(m[1]!);
      return want.every((w, k) => parts[k] === w);
    });
    return i < 0 ? undefined : i + 1;
  }

  /**
   * `FILE:LINE` of a key path (the key's line, else its table header's), or `FILE` when not found: the
   * one source of positions in messages.
   */
  where(path: readonly string[], line: number | undefined = this.lineOf(path)): string {
    return `${this.file}${line ? `:${line}` : ''}`;
  }

  /** The line of a key path: the key's own line, else its table header's. */
  lineOf(path: readonly string[]): number | undefined {
    return this.keyLineOf(path) ?? this.headerLineOf(path);
  }

  fail(path: readonly string[], what: string): void {
    this.errors.push(`${this.where(path)}: ${path.join('.')}: ${what}`);
  }

  show(v: unknown): string {
    return show(v);
  }

  /** Records a warning (a valid but dangerous setting) in the same `FILE:LINE: key: …` form. */
  warn(path: readonly string[], what: string, line?: number): void {
    this.warnings.push(`${this.where(path, line ?? this.lineOf(path))}: ${path.join('.')}: ${what}`);
  }

  /** A path from the file, absolute against the config file's directory (as spool_dir and log_dir are). */
  private resolve(p: string): string {
    return p === '' ? p : resolvePath(dirname(resolve(this.file)), p);
  }

  /**
   * Validates one value against its spec; returns the parsed value or undefined after recording an
   * error (at `line` when given).
   */
  value(path: readonly string[], spec: OptionSpec, v: unknown, line?: number): unknown {
    const bad = (): undefined => {
      const expected =
        spec.type === 'enum' ? `one of ${spec.values!.map((x) => JSON.stringify(x)).join(', ')}` : EXPECT[spec.type];
      const min = spec.min !== undefined && spec.type === 'integer' ? ` ≥ ${spec.min}` : '';
      this.failAt(line, path, `expected ${expected}${min}, found ${show(v)}`);
      return undefined;
    };
    // A well-formed duration or size under the spec's lower bound (e.g. retry_interval = "0s", which
    // would retry a deferred message in a busy loop).
    const below = (min: string): undefined => {
      this.failAt(
        line,
        path,
        `expected ${spec.type === 'duration' ? 'a duration' : 'a size'} ≥ ${min}, found ${show(v)}`,
      );
      return undefined;
    };
    switch (spec.type) {
      case 'string':
        return typeof v === 'string' ? (spec.path ? this.resolve(v) : v) : bad();
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v) && (spec.min === undefined || v >= spec.min) ? v : bad();
      case 'boolean':
        return typeof v === 'boolean' ? v : bad();
      case 'duration': {
        const d = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
        return d === undefined ? bad() : d < (spec.min ?? 0) ? below(formatDuration(spec.min!)) : d;
      }
      case 'size': {
        const s = typeof v === 'string' || typeof v === 'number' ? parseSize(v) : undefined;
        return s === undefined ? bad() : s < (spec.min ?? 0) ? below(String(spec.min)) : s;
      }
      case 'rate': {
        const r = typeof v === 'string' || typeof v === 'number' ? parseRate(v) : undefined;
        return r === undefined ? bad() : r;
      }
      case 'retries':
        return v === 'auto' || v === 'none' || (typeof v === 'number' && Number.isInteger(v) && v >= 0) ? v : bad();
      case 'enum':
        return typeof v === 'string' && spec.values!.includes(v) ? v : bad();
      case 'string[]':
        return Array.isArray(v) && v.every((x) => typeof x === 'string')
          ? spec.path
            ? v.map((x: string) => this.resolve(x))
            : v
          : bad();
      case 'address[]':
        return Array.isArray(v) && v.every((x) => typeof x === 'string' && parseHostPort(x, 0) !== undefined)
          ? v
          : bad();
      case 'network[]':
        return Array.isArray(v) && v.every((x) => typeof x === 'string' && parseCidr(x) !== undefined) ? v : bad();
      case 'class[]': {
        // The one class[] key is bounce.classes, whose rules @petrel/bounce owns.
        const ext = this.extensions.bounceClasses;
        if (!ext) return this.failAt(line, path, missingExtension('bounceClasses'));
        return ext.validate(v, this, undefined);
      }
      case 'warmup[]': {
        // The one warmup[] key is shaping.warmup, whose rules @petrel/shaping owns.
        const ext = this.extensions.shapingWarmup;
        if (!ext) return this.failAt(line, path, missingExtension('shapingWarmup'));
        return ext.validate(v, this, undefined);
      }
      default: {
        const never: never = spec.type;
        return never;
      }
    }
  }

  /** Validates a table of plain keys; `extra` names sub-tables the caller handles itself. */
  /**
   * The section's values, typed from its spec record (ValuesOf: each key's TypeOf its spec). Every
   * key of `specs` gets its default or what value() parsed under that very spec, so the one
   * assertion at the end is the schema's own promise, not a guess at a call site.
   */
  section<S extends Record<string, OptionSpec>>(
    path: string[],
    specs: S,
    table: Table,
    extra: readonly string[] = [],
  ): ValuesOf<S> {
    const out: Record<string, unknown> = {};
    for (const [k, spec] of Object.entries(specs)) out[k] = spec.default;
    for (const [k, v] of Object.entries(table)) {
      if (extra.includes(k)) continue;
      const spec = specs[k];
      if (!spec) {
        this.fail([...path, k], `unknown key (known keys: ${Object.keys(specs).concat(extra).join(', ')})`);
        continue;
      }
      const parsed = this.value([...path, k], spec, v);
      if (parsed !== undefined) out[k] = parsed;
    }
    return out as ValuesOf<S>;
  }

  /** A table of delivery options (plus binding keys where allowed); only keys present are kept. */
  options(
    path: string[],
    table: Table,
    allowed: readonly string[],
    bindingKeys: boolean,
  ): { options: OptionTable; bindAddress?: string } {
    const options: Record<string, unknown> = {};
    let bindAddress: string | undefined;
    for (const [k, v] of Object.entries(table)) {
      if (allowed.includes(k)) continue;
      if (bindingKeys && k in BINDING_KEYS) {
        const parsed = this.value([...path, k], BINDING_KEYS[k as keyof typeof BINDING_KEYS], v);
        if (typeof parsed === 'string') bindAddress = parsed;
        continue;
      }
      const spec = (DELIVERY_OPTIONS as Record<string, OptionSpec>)[k];
      if (!spec) {
        this.fail(
          [...path, k],
          `unknown key: not a delivery option${bindingKeys ? ' or binding key' : ''}` +
            (allowed.length ? ` (tables allowed here: ${allowed.join(', ')})` : ''),
        );
        continue;
      }
      const parsed = this.value([...path, k], spec, v);
      if (parsed !== undefined) options[k] = parsed;
    }
    const verp = options.verp_domain;
    if (typeof verp === 'string' && verp !== '' && !this.returnPathDomains.has(verp.toLowerCase()))
      this.fail(
        [...path, 'verp_domain'],
        `expected one of bounce.return_path_domains (${[...this.returnPathDomains].join(', ') || 'none set'}), ` +
          `found ${show(verp)}`,
      );
    const routes = this.extensions.routes;
    if (routes) routes.validate(options.routes, this, { path, options });
    else if (options.routes !== undefined) this.fail([...path, 'routes'], missingExtension('routes'));
    return bindAddress === undefined ? { options } : { options, bindAddress };
  }

  domains(path: string[], v: unknown): DomainTables {
    const exact = new Map<string, OptionTable>();
    const patterns: { source: string; re: RegExp; table: OptionTable }[] = [];
    if (v === undefined) return { exact, patterns };
    if (!isTable(v)) {
      this.fail(path, `expected tables such as [${path.join('.')}."example.com"], found ${show(v)}`);
      return { exact, patterns };
    }
    for (const [name, t] of Object.entries(v)) {
      const p = [...path, `"${name}"`];
      if (!isTable(t)) {
        this.fail(p, `expected a table of delivery options, found ${show(t)}`);
        continue;
      }
      const { options } = this.options(p, t, [], false);
      const m = /^\/(.*)\/([i]?)$/.exec(name);
      if (m) {
        try {
          patterns.push({ source: name, re: new RegExp(m[1]!, m[2] || 'i'), table: options });
        } catch (e) {
          this.fail(p, `expected a valid regular expression, found ${JSON.stringify(name)} (${(e as Error).message})`);
        }
      } else exact.set(name.toLowerCase(), options);
    }
    return { exact, patterns };
  }
}

function resolvePath(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

/** TOML text to a table; a syntax error names FILE:LINE:COLUMN (the parser's position, the one source for those). */
function parseToml(text: string, file: string): Table {
  try {
    return parse(text) as Table;
  } catch (e) {
    if (e instanceof TomlError)
      throw new PetrelError('PETREL_ERR_CONFIG_SYNTAX', `${file}:${e.line}:${e.column}: ${e.message.split('\n')[0]}`, {
        file,
        line: e.line,
        column: e.column,
      });
    throw e;
  }
}

/**
 * Parses and validates config text; `file` names it in errors and anchors relative paths. The
 * extensions validate what packages own; a slot the file uses without its extension is an error.
 */
export function parseConfig(text: string, file: string, options: LoadOptions = {}): PetrelConfig {
  const doc = parseToml(text, file);
  const extensions = options.extensions ?? {};
  const v = new Validator(file, text, extensions);
  const sections = [
    'listener',
    'dns',
    'spool',
    'control',
    'global',
    'domain',
    'binding',
    'binding_group',
    'routing',
    'binding_rule',
    'bounce',
    'eventlog',
    'policy',
    'http',
    'webhook',
    'cluster',
    'tls_policy',
    'shaping',
    'dkim',
    'dkim_options',
  ];
  const root = v.section([], ROOT_KEYS, doc, sections);
  const tableAt = (key: string): Table => {
    const t = doc[key];
    if (t === undefined) return {};
    if (!isTable(t)) {
      v.fail([key], `expected a table [${key}], found ${show(t)}`);
      return {};
    }
    return t;
  };
  const listener = v.section(['listener'], LISTENER_KEYS, tableAt('listener'));
  listener.listen.forEach((a) => {
    const hp = parseHostPort(a);
    if (!hp || !(isIP(hp.host) || hp.host === 'localhost'))
      v.fail(
        ['listener', 'listen'],
        `expected "ip:port" entries such as "127.0.0.1:2525" or "[::1]:2525", found ${show(a)}`,
      );
  });
  const openFamilies = openRelayFamilies(listener.relay_networks);
  const exposed = publicListenAddresses(listener.listen);
  if (openFamilies.length > 0 && exposed.length > 0) {
    const what =
      `relay_networks covers every ${openFamilies.join(' and ')} address on the non-loopback listener ` +
      `${exposed.join(', ')}: an open relay`;
    if (!listener.allow_open_relay)
      v.fail(
        ['listener', 'relay_networks'],
        `expected networks that do not cover every address (${what}); ` +
          'set listener.allow_open_relay = true if that is really meant',
      );
    else
      v.warn(
        ['listener', 'relay_networks'],
        `${what}, allowed by listener.allow_open_relay = true: anyone who can connect may relay mail through this host`,
      );
  }
  const dns = v.section(['dns'], DNS_KEYS, tableAt('dns'));
  dns.servers.forEach((a) => {
    const hp = parseHostPort(a, 53);
    if (!hp || !isIP(hp.host))
      v.fail(['dns', 'servers'], `expected IP addresses ("127.0.0.1" or "127.0.0.1:5353"), found ${show(a)}`);
  });
  const spool = v.section(['spool'], SPOOL_KEYS, tableAt('spool'));
  const routing = v.section(['routing'], ROUTING_KEYS, tableAt('routing'));
  const bindingWeights = new Map<string, number>();
  const control = v.section(['control'], CONTROL_KEYS, tableAt('control'));
  const bounce = v.section(['bounce'], BOUNCE_KEYS, tableAt('bounce'));
  v.returnPathDomains = new Set(bounce.return_path_domains.map((d) => d.toLowerCase()));
  const eventlog = v.section(['eventlog'], EVENTLOG_KEYS, tableAt('eventlog'));
  const cluster = v.section(['cluster'], CLUSTER_KEYS, tableAt('cluster'));
  if (cluster.redis !== '' && !/^rediss?:\/\/[^/\s]+/.test(cluster.redis))
    v.fail(['cluster', 'redis'], `expected a URL such as "redis://127.0.0.1:6379", found ${show(cluster.redis)}`);
  if (cluster.node_ttl <= cluster.heartbeat_interval)
    v.fail(
      ['cluster', 'node_ttl'],
      `expected more than heartbeat_interval (${formatDuration(cluster.heartbeat_interval)}), ` +
        `found ${formatDuration(cluster.node_ttl)}`,
    );
  const tlsPolicy = v.section(['tls_policy'], TLS_POLICY_KEYS, tableAt('tls_policy'));
  if (control.listen !== '') {
    const hp = parseHostPort(control.listen);
    if (!hp || !/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(hp.host))
      v.fail(
        ['control', 'listen'],
        `expected a loopback "host:port" such as "127.0.0.1:2026", found ${show(control.listen)}`,
      );
    if (control.token === '') v.fail(['control', 'token'], 'expected a token: the TCP control address requires one');
  }

  const globalT = v.options(['global'], tableAt('global'), [], true);
  const bindings = new Map<string, BindingDef>();
  const groups = new Map<string, BindingGroupDef>();
  const groupBindings = new Map<string, string[]>();
  const addBinding = (path: string[], name: string, group: string, t: unknown): void => {
    if (!isTable(t)) {
      v.fail(path, `expected a table of binding options, found ${show(t)}`);
      return;
    }
    if (!/^[^\s:]+$/.test(name)) {
      v.fail(path, 'expected a binding name without spaces or colons');
      return;
    }
    const prior = bindings.get(name);
    if (prior) {
      v.fail(
        path,
        `binding "${name}" is already defined` +
          (prior.group !== DEFAULT_GROUP ? ` in binding_group "${prior.group}"` : '') +
          '; a binding belongs to one group',
      );
      return;
    }
    const o = v.options(path, t, ['domain'], true);
    const def: BindingDef = {
      name,
      group,
      options: o.options,
      domains: v.domains([...path, 'domain'], t.domain),
      ...(o.bindAddress !== undefined ? { bindAddress: o.bindAddress } : {}),
    };
    bindings.set(name, def);
    if (typeof t.weight === 'number') bindingWeights.set(name, t.weight);
    groupBindings.set(group, [...(groupBindings.get(group) ?? []), name]);
  };
  for (const [gname, gt] of Object.entries(tableAt('binding_group'))) {
    const path = ['binding_group', gname];
    if (!isTable(gt)) {
      v.fail(path, `expected a table, found ${show(gt)}`);
      continue;
    }
    const o = v.options(path, gt, ['domain', 'binding'], false);
    groups.set(gname, {
      name: gname,
      options: o.options,
      domains: v.domains([...path, 'domain'], gt.domain),
      bindings: [],
    });
    const bt = gt.binding;
    if (bt !== undefined) {
      if (!isTable(bt)) v.fail([...path, 'binding'], `expected binding tables, found ${show(bt)}`);
      else for (const [bname, b] of Object.entries(bt)) addBinding([...path, 'binding', bname], bname, gname, b);
    }
  }
  for (const [bname, b] of Object.entries(tableAt('binding'))) addBinding(['binding', bname], bname, DEFAULT_GROUP, b);
  if (!bindings.has(DEFAULT_BINDING)) {
    bindings.set(DEFAULT_BINDING, {
      name: DEFAULT_BINDING,
      group: DEFAULT_GROUP,
      options: {},
      domains: { exact: new Map(), patterns: [] },
      ...(globalT.bindAddress !== undefined ? { bindAddress: globalT.bindAddress } : {}),
    });
    groupBindings.set(DEFAULT_GROUP, [DEFAULT_BINDING, ...(groupBindings.get(DEFAULT_GROUP) ?? [])]);
  }
  if (!groups.has(DEFAULT_GROUP))
    groups.set(DEFAULT_GROUP, {
      name: DEFAULT_GROUP,
      options: {},
      domains: { exact: new Map(), patterns: [] },
      bindings: [],
    });
  for (const [g, def] of groups) groups.set(g, { ...def, bindings: groupBindings.get(g) ?? [] });

  const globalDomains = v.domains(['domain'], doc.domain);
  let bindingRules: readonly BindingRuleConfig[] = [];
  if (doc.binding_rule !== undefined) {
    if (extensions.bindingRules)
      bindingRules = extensions.bindingRules.validate(doc.binding_rule, v, {
        bindings,
        groups,
        allowHeader: routing.allow_binding_header,
      });
    else v.failAt(v.arrayTableLines('binding_rule')[0], ['binding_rule'], missingExtension('bindingRules'));
  }
  const policy = parsePolicyEntries(v, doc.policy);
  const http = v.section(['http'], HTTP_KEYS, tableAt('http'));
  if (http.listen !== '') {
    const hp = parseHostPort(http.listen);
    if (!hp || !(isIP(hp.host) || hp.host === 'localhost'))
      v.fail(['http', 'listen'], `expected "ip:port" such as "127.0.0.1:8025", found ${show(http.listen)}`);
    if (http.tokens_file === undefined)
      v.fail(['http', 'tokens_file'], 'expected a tokens file: the HTTP API requires bearer tokens');
  }
  if ((http.tls_certificate === undefined) !== (http.tls_key === undefined))
    v.fail(
      ['http', http.tls_key === undefined ? 'tls_key' : 'tls_certificate'],
      'expected both tls_certificate and tls_key',
    );
  const webhooks = parseWebhookEntries(v, doc.webhook);
  const shaping = parseShaping(v, tableAt('shaping'), extensions, bindings);
  const dkimOptions = v.section(['dkim_options'], DKIM_OPTIONS_KEYS, tableAt('dkim_options'));
  let dkim: readonly DkimKeyConfig[] = [];
  if (doc.dkim !== undefined) {
    if (extensions.dkim) dkim = extensions.dkim.validate(doc.dkim, v, { bindings, groups }) ?? [];
    else v.failAt(v.arrayTableLines('dkim')[0], ['dkim'], missingExtension('dkim'));
  }
  if (v.errors.length > 0) {
    throw new PetrelError('PETREL_ERR_CONFIG_KEY', v.errors.join('\n'), { file, errors: v.errors });
  }
  const base = dirname(resolve(file));
  const scopes: ScopeTree = { global: globalT.options, domains: globalDomains, bindings, groups };
  return {
    ...root,
    spool_dir: resolvePath(base, root.spool_dir),
    log_dir: resolvePath(base, root.log_dir),
    source: file,
    listener,
    dns,
    spool,
    control: { ...control, socket: resolvePath(resolvePath(base, root.spool_dir), control.socket) },
    bounce,
    eventlog,
    tlsPolicy,
    shaping,
    scopes,
    delivery: new ScopeResolver(scopes),
    routing,
    bindingRules,
    bindingWeights,
    warnings: v.warnings,
    policy,
    http,
    webhooks,
    cluster: { ...cluster, node: cluster.node === '' ? root.hostname : cluster.node },
    dkim,
    dkimOptions,
  };
}

/** Reads, parses and validates a config file. Throws PetrelError with every problem found. */
export function loadConfig(file: string, options: LoadOptions = {}): PetrelConfig {
  return parseConfig(readConfigText(file), file, options);
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new PetrelError(
      'PETREL_ERR_CONFIG_READ',
      `${file}: cannot read the configuration file: ${(e as Error).message}`,
      { file },
      { cause: e },
    );
  }
}

/**
 * The control socket path named by a config file, read without validating the rest of it: the
 * CLI must reach a running daemon (to reload it, say) even while the file on disk has a key error.
 */
export function controlSocketOf(file: string): string {
  const doc = parseToml(readConfigText(file), file);
  const base = dirname(resolve(file));
  const spool = typeof doc.spool_dir === 'string' ? doc.spool_dir : (ROOT_KEYS.spool_dir.default as string);
  const control = isTable(doc.control) ? doc.control : {};
  const socket = typeof control.socket === 'string' ? control.socket : (CONTROL_KEYS.socket.default as string);
  return resolvePath(resolvePath(base, spool), socket);
}

/**
 * [shaping]: its keys, the warm-up schedules (bindings checked here, the tables by @petrel/shaping)
 * and the rule files, read and validated by @petrel/shaping's extension. Without that extension a
 * file with no [shaping] table gets no rules; one that has the table is refused (missingExtension).
 */
function parseShaping(
  v: Validator,
  table: Record<string, unknown>,
  extensions: ConfigExtensions,
  bindings: ReadonlyMap<string, BindingDef>,
): ShapingOptions & { readonly rules: ShapingRulesConfig } {
  const keys = v.section(['shaping'], SHAPING_KEYS, table);
  for (const w of keys.warmup)
    if (!bindings.has(w.binding))
      v.failAt(w.line, ['shaping', 'warmup', 'binding'], `expected a defined binding, found "${w.binding}"`);
  const none: ShapingRulesConfig = { files: [], rules: [], sites: [] };
  const ext = extensions.shapingRules;
  if (!ext) {
    if (Object.keys(table).length > 0) v.fail(['shaping'], missingExtension('shapingRules'));
    return { ...keys, rules: none };
  }
  return { ...keys, rules: ext.validate(keys.rules_files, v, undefined) ?? none };
}
