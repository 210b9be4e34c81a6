/**
 * Renders docs/configuration.md from the schema, so the reference cannot drift from the code
 * (a test compares the file with this output; `pnpm gen-docs` rewrites it).
 */
import {
  BINDING_KEYS,
  BOUNCE_KEYS,
  EVENTLOG_KEYS,
  BINDING_RULE_KEYS,
  ROUTING_KEYS,
  POLICY_KEYS,
  HTTP_KEYS,
  WEBHOOK_KEYS,
  CONTROL_KEYS,
  DELIVERY_OPTIONS,
  DNS_KEYS,
  LISTENER_KEYS,
  SPOOL_KEYS,
  TLS_POLICY_KEYS,
  CLUSTER_KEYS,
  ROOT_KEYS,
  SHAPING_KEYS,
  DKIM_KEYS,
  DKIM_OPTIONS_KEYS,
  type OptionSpec,
} from './schema.js';
import { formatDuration } from './units.js';

function showDefault(name: string, spec: OptionSpec): string {
  const d = spec.default;
  if (name === 'hostname') return "the machine's host name";
  if (d === undefined) return 'unset';
  if (spec.type === 'duration' && typeof d === 'number') return `"${formatDuration(d)}"`;
  if (spec.type === 'size' && typeof d === 'number') return d % 1_048_576 === 0 ? `"${d / 1_048_576}MiB"` : String(d);
  return JSON.stringify(d);
}

function typeName(spec: OptionSpec): string {
  if (spec.type === 'enum') return spec.values!.map((v) => `"${v}"`).join(' \\| ');
  // Lower bounds of durations (ms) and sizes, which the loader enforces; integers show theirs in the doc text.
  if (spec.min !== undefined && spec.type === 'duration') return `duration ≥ ${formatDuration(spec.min)}`;
  if (spec.min !== undefined && spec.type === 'size') return `size ≥ ${spec.min}`;
  return spec.type;
}

function table(specs: Record<string, OptionSpec>, scopes = false): string {
  const head = scopes
    ? '| key | type | default | scopes | meaning | example |\n|---|---|---|---|---|---|'
    : '| key | type | default | meaning | example |\n|---|---|---|---|---|';
  const rows = Object.entries(specs).map(([k, s]) => {
    const sc = scopes ? ` ${((s as { scopes?: readonly string[] }).scopes ?? []).join(', ')} |` : '';
    return `| \`${k}\` | ${typeName(s)} | ${showDefault(k, s)} |${sc} ${s.doc} | \`${s.example ?? ''}\` |`;
  });
  return `${head}\n${rows.join('\n')}`;
}

export function renderConfigReference(): string {
  return `# Configuration reference

<!-- Generated from packages/core/src/config/schema.ts by \`pnpm gen-docs\`; a test fails when it is stale. -->

Petrel reads one TOML file: \`config/petrel.toml\` by default, or \`petrel start --config FILE\`.
Unknown keys and wrong types are errors reported as \`FILE:LINE: key.path: expected …, found …\`
(\`petrel config check FILE\` validates without starting). Relative paths are relative to the
config file's directory.

Units: durations are \`"500ms"\`, \`"90s"\`, \`"20m"\`, \`"12h"\`, \`"5d"\`, \`"1h30m"\` or a bare number
of seconds (Momentum's unit); sizes are \`"25MB"\` (10^6), \`"25MiB"\` (2^20), \`"512k"\` (2^10) or a
number of octets; rates are \`"N"\` per second or \`"N/S"\` per S (\`"100/60"\`, \`"100/1h"\`).

## Top level

${table(ROOT_KEYS)}

## [listener]

${table(LISTENER_KEYS)}

## [dns]

${table(DNS_KEYS)}

## [spool]

${table(SPOOL_KEYS)}

## [control]

${table(CONTROL_KEYS)}

## [bounce]

${table(BOUNCE_KEYS)}

## [eventlog]

${table(EVENTLOG_KEYS)}

## [tls_policy]

MTA-STS policy fetching (RFC 8461); the per-scope switches \`mta_sts\` and \`dane\` are delivery
options below. See docs/tls-policy.md.

${table(TLS_POLICY_KEYS)}
## [shaping]

Reply-driven traffic shaping, MX rollup sites, connection limits per site and per remote IP, IP
warm-up (docs/shaping.md). The rule files' own format (\`[[rule]]\`, \`[[site]]\`) is described there.

${table(SHAPING_KEYS)}

## [cluster]

Several nodes sharing throttles, connection limits and suspensions through Redis: see docs/scaling.md.

${table(CLUSTER_KEYS)}

## Delivery options and scopes

Delivery options can be set in \`[global]\`, per domain, per binding, per binding group, and per
domain inside a binding or group. Petrel resolves each option for a (binding, domain) in
Momentum's order, first hit wins:

1. \`[binding_group.G.binding.B.domain."d"]\` — domain inside a binding (inside its group)
2. \`[binding.B.domain."d"]\` — domain inside a binding outside any group
3. \`[binding_group.G.domain."d"]\` — domain inside the binding's group
4. \`[binding_group.G.binding.B]\` / \`[binding.B]\` — the binding
5. \`[binding_group.G]\` — the binding group (Petrel's reading of Momentum's bg scope)
6. \`[domain."d"]\` — global domain table
7. \`[global]\`
8. the default below

Domain tables match the recipient domain exactly (case-insensitive) or, when the name is written
\`"/regex/"\`, by regular expression; exact names are tried before regexes, regexes in declaration
order. A binding belongs to one group; \`default\` (binding and group) always exists and takes
\`[global] bind_address\`.

${table(DELIVERY_OPTIONS, true)}

## Binding keys

Only in \`[binding.B]\`, \`[binding_group.G.binding.B]\` and \`[global]\` (for the \`default\` binding).

${table(BINDING_KEYS)}

## [routing]

${table(ROUTING_KEYS)}

## [[binding_rule]]: binding assignment

An ordered list of rules (Momentum's validate_set_binding phase, as data); the first rule whose
match keys all match decides the binding of a (message, recipient domain). A rule without match
keys matches everything. The result is \`binding\` or \`binding_group\` (a weighted random pick
among the group's bindings not suspended for the domain, by \`weight\`). When no rule matches, or
the result cannot take mail, the message goes to the \`default\` binding. A rule naming an
undefined binding or group is an error at load. Header rules read \`X-Binding\` /
\`X-Binding-Group\` from the message and are allowed only with \`[routing] allow_binding_header =
true\`; both headers are removed before delivery. \`petrel route explain\` shows which rule matched.

${table(BINDING_RULE_KEYS)}

\`\`\`toml
[[binding_rule]]
sender_domain = "news.example.com"
binding_group = "marketing"

[[binding_rule]]
client_network = ["10.1.0.0/16"]
binding = "transactional"
\`\`\`

## [[policy]]: policy modules

Operator code in JavaScript or TypeScript compiled to JavaScript, with hooks at every phase
(docs/policy.md). Modules load in file order at start (a module that fails to load stops the
start, naming the file and the reason); \`petrel config reload\` and SIGHUP load them again and
swap the set only when all load (new sessions use the new code, sessions in flight finish on the
old). \`petrel policy check\` loads and validates them without a daemon.

${table(POLICY_KEYS)}

\`\`\`toml
[[policy]]
module = "policy/acme.mjs"

[[policy]]
module = "policy/slow-lookup.mjs"
timeout = "10s"
\`\`\`

## [http]: HTTP injection API

\`POST /v1/inject\` with bearer tokens (docs/http-api.md). Off unless \`listen\` is set.

${table(HTTP_KEYS)}

## [[webhook]]: event webhooks

Event-log records delivered as signed, batched HTTP POSTs, at least once, with a durable cursor
in the spool database (docs/webhooks.md).

${table(WEBHOOK_KEYS)}

\`\`\`toml
[[webhook]]
name = "crm"
url = "https://hooks.example.com/petrel"
secret = "a-long-random-secret"
events = ["delivery", "permanent_failure"]
\`\`\`

## [[dkim]]: DKIM signing keys

Each table is one signing key (RFC 6376; Ed25519 per RFC 8463); docs/dkim.md is the operator
guide. Mail is signed once, at reception, after the \`data\` policy phase and before the spool
commit, so the stored bytes are what leaves. A message gets one signature per table that applies
to it (RSA and Ed25519, author domain and ESP domain), narrowed per message by the \`dkimSign\`
policy hook. The key file is read at load: an unreadable or malformed key is an error naming the
file, one readable by group or others a warning; \`petrel config reload\` re-reads it (rotation).

${table(DKIM_KEYS)}

\`\`\`toml
[[dkim]]
domain = "example.com"
selector = "s2026"
key_file = "keys/example.com.s2026.pem"

[[dkim]]
domain = "esp.example.net"
selector = "ed2026"
key_file = "keys/esp.ed2026.pem"
match = "all"
\`\`\`

## [dkim_options]

${table(DKIM_OPTIONS_KEYS)}

## Example

\`\`\`toml
hostname = "mta1.example.com"
spool_dir = "/var/spool/petrel"

[listener]
listen = ["0.0.0.0:25"]
relay_networks = ["10.0.0.0/8"]

[global]
retry_interval = "20m"
message_expiration = "5d"

[domain."example.net"]
max_outbound_connections = 5

[binding_group.marketing.binding.mkt1]
bind_address = "192.0.2.10"
ehlo_hostname = "mkt1.example.com"

[binding_group.marketing.binding.mkt1.domain."example.net"]
max_outbound_connections = 2
\`\`\`
`;
}
