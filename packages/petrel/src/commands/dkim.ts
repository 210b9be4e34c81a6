/**
 * `petrel dkim keygen` writes a signing key and prints the TXT record to publish; `petrel dkim
 * check` looks the published records of the configured keys up through the configured resolver
 * ([dns] servers, never another) and says whether each matches its key. docs/dkim.md, docs/cli.md.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { isPetrelError, parseHostPort, type PetrelConfig } from '@petrel/core';
import { checkRecord, DEFAULT_RSA_BITS, dnsRecord, generateKey, parseKey, type RecordCheck } from '@petrel/dkim';
import { DEFAULT_CONFIG } from '../paths.js';
import { EXIT_CONFIG, EXIT_RUNTIME, fail, loadOrExit } from './common.js';

/** `petrel dkim check`: some record is missing or does not match its key. */
export const EXIT_DKIM_MISMATCH = 3;

/** A TXT record in zone-file form, its value cut into strings of at most 255 octets (RFC 1035 §3.3.14). */
export function zoneLine(name: string, record: string): string {
  const strings: string[] = [];
  for (let i = 0; i < record.length; i += 255) strings.push(`"${record.slice(i, i + 255)}"`);
  return `${name}. IN TXT ( ${strings.join(' ')} )`;
}

interface KeygenOptions {
  domain: string;
  selector: string;
  algorithm: string;
  bits: string;
  out?: string;
  json?: boolean;
}

function keygen(o: KeygenOptions): void {
  if (o.algorithm !== 'rsa' && o.algorithm !== 'ed25519')
    fail(`--algorithm: expected rsa or ed25519, found ${JSON.stringify(o.algorithm)}`, EXIT_CONFIG);
  const bits = Number(o.bits);
  const file = resolve(o.out ?? `${o.domain}.${o.selector}.pem`);
  let pem: string;
  try {
    pem = generateKey(o.algorithm, bits);
  } catch (e) {
    if (isPetrelError(e)) fail(`--bits: ${e.message}`, EXIT_CONFIG);
    throw e;
  }
  try {
    // wx: never overwrite a key that may be in use; 0600: only the daemon's user reads it.
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'the file exists (a key in use?); choose another --out' : (e as Error).message;
    fail(`${file}: cannot write the key: ${why}`, code === 'EEXIST' ? EXIT_CONFIG : EXIT_RUNTIME);
  }
  const key = parseKey(pem, file);
  const name = `${o.selector}._domainkey.${o.domain}`;
  const record = dnsRecord(key.privateKey);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ keyFile: file, algorithm: key.algorithm, name, record }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    [
      `wrote ${file} (${key.algorithm}${key.bits ? `, ${key.bits} bits` : ''}, mode 0600)`,
      '',
      'Publish this TXT record:',
      zoneLine(name, record),
      '',
      'and add to petrel.toml:',
      '[[dkim]]',
      `domain = "${o.domain}"`,
      `selector = "${o.selector}"`,
      `key_file = "${file}"`,
      '',
    ].join('\n'),
  );
}

interface CheckOptions {
  config: string;
  domain: string;
  selector?: string;
  json?: boolean;
}

/** The configured resolver: [dns] servers (tests and operators set them; an empty list is the system's). */
function resolverOf(config: PetrelConfig): Resolver {
  const r = new Resolver({ timeout: config.dns.timeout, tries: config.dns.tries });
  if (config.dns.servers.length > 0)
    r.setServers(
      config.dns.servers.map((s) => {
        const hp = parseHostPort(s, 53)!;
        return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
      }),
    );
  return r;
}

async function check(o: CheckOptions): Promise<void> {
  const config = loadOrExit(o.config);
  const domain = o.domain.toLowerCase().replace(/\.$/, '');
  const keys = config.dkim.filter(
    (k) => k.domain === domain && (o.selector === undefined || k.selector === o.selector),
  );
  if (keys.length === 0)
    fail(
      `${o.config}: no [[dkim]] key for domain ${domain}${o.selector ? ` and selector ${o.selector}` : ''}`,
      EXIT_CONFIG,
    );
  const resolver = resolverOf(config);
  const results: { name: string; keyFile: string; result: RecordCheck }[] = [];
  let lookupFailed = false;
  for (const k of keys) {
    const name = `${k.selector}._domainkey.${k.domain}`;
    let result: RecordCheck;
    try {
      const txt = await resolver.resolveTxt(name);
      result = checkRecord(
        txt.map((chunks) => chunks.join('')),
        k.privateKey,
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') result = { status: 'missing', why: `no TXT record (${code})` };
      else {
        lookupFailed = true;
        result = { status: 'missing', why: `lookup failed: ${code ?? (e as Error).message}` };
      }
    }
    results.push({ name, keyFile: k.keyFile, result });
  }
  if (o.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else
    for (const r of results) {
      const x = r.result;
      process.stdout.write(
        x.status === 'match'
          ? `${r.name}: ok, the record matches ${r.keyFile}\n`
          : `${r.name}: ${x.status === 'missing' ? 'MISSING' : 'MISMATCH'}: ${x.why}\n` +
              `  publish: ${zoneLine(r.name, dnsRecord(keys.find((k) => k.keyFile === r.keyFile)!.privateKey))}\n`,
      );
    }
  if (lookupFailed) process.exit(EXIT_RUNTIME);
  if (results.some((r) => r.result.status !== 'match')) process.exit(EXIT_DKIM_MISMATCH);
}

export function registerDkim(program: Command): void {
  const dkim = program.command('dkim').description('DKIM signing keys: generate, check the published DNS records');
  dkim
    .command('keygen')
    .description('write a new signing key (mode 0600) and print the DNS TXT record to publish')
    .requiredOption('--domain <domain>', 'signing domain (d=)')
    .requiredOption('--selector <selector>', 'selector (s=)')
    .option('--algorithm <alg>', 'rsa or ed25519', 'rsa')
    .option('--bits <n>', 'RSA key size', String(DEFAULT_RSA_BITS))
    .option('--out <file>', 'where to write the key (default <domain>.<selector>.pem); never overwritten')
    .option('--json', 'machine-readable JSON output')
    .action((o: KeygenOptions) => keygen(o));
  dkim
    .command('check')
    .description("look up the configured keys' TXT records through [dns] servers and compare them with the keys")
    .requiredOption('--domain <domain>', 'signing domain')
    .option('--selector <selector>', 'only this selector')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--json', 'machine-readable JSON output')
    .action((o: CheckOptions) => check(o));
}
