/** Runs the real `petrel start` daemon as a child process for end-to-end tests. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProc, waitFor, waitForPort, type Proc } from '@petrel/testkit';
import type { Scenario } from './scenario.js';

export const CLI = fileURLToPath(new URL('../../../packages/petrel/dist/cli.js', import.meta.url));

export interface ConfigOptions {
  listenPort: number;
  dnsServer: string;
  /** Destination port for every MX (the sinks listen on 127.0.0.x:remotePort). */
  remotePort: number;
  relayNetworks?: readonly string[];
  /** Extra keys for [global]. */
  global?: string;
  /** Extra TOML appended at the end (more tables). */
  extra?: string;
}

const GLOBAL_DEFAULTS: Record<string, string> = {
  remote_port: '0',
  retry_interval: '"2s"',
  max_retry_interval: '"10s"',
  message_expiration: '"1h"',
  idle_timeout: '"1s"',
  connect_timeout: '"3s"',
};

/** [global] lines: the test defaults, overridden key by key by `extra` ("key = value" lines). */
function globalTable(remotePort: number, extra = ''): string {
  const keys: Record<string, string> = { ...GLOBAL_DEFAULTS, remote_port: String(remotePort) };
  for (const line of extra.split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*(.+?)\s*$/.exec(line);
    if (m) keys[m[1]!] = m[2]!;
  }
  return Object.entries(keys)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
}

/** A complete test config: short retry interval, loopback everything, DNS from dnsmasq. */
export function testConfig(o: ConfigOptions): string {
  return `hostname = "petrel.test"
spool_dir = "spool"
log_dir = "log"
log_level = "warn"

[listener]
listen = ["127.0.0.1:${o.listenPort}"]
relay_networks = ${JSON.stringify(o.relayNetworks ?? ['127.0.0.0/8'])}
max_message_size = "10MB"

[dns]
servers = ["${o.dnsServer}"]
timeout = "1s"
tries = 1

[global]
${globalTable(o.remotePort, o.global)}
${o.extra ?? ''}
`;
}

/** What a scenario leaves open in a test config: its ports and DNS server come from the scenario. */
export type ScenarioConfigOptions = Omit<ConfigOptions, 'listenPort' | 'dnsServer' | 'remotePort'>;

/** testConfig for scenario `s`: Petrel listens on s.listenPort, asks s.dns, and reaches every MX on s.mxPort. */
export function scenarioConfig(s: Scenario, o: ScenarioConfigOptions = {}): string {
  return testConfig({ ...o, listenPort: s.listenPort, dnsServer: s.dns.server, remotePort: s.mxPort });
}

/**
 * A Petrel that sends with VERP return paths at rp.test and receives the reports that come back to
 * them: only 127.0.0.1 relays (reports come from anywhere); `bounce` adds [bounce] keys
 * (verp_secret, suppression_action …), `extra` further tables.
 */
export function returnPathConfig(bounce: readonly string[] = [], extra = ''): ScenarioConfigOptions {
  return {
    relayNetworks: ['127.0.0.1/32'],
    global: 'verp_domain = "rp.test"',
    extra: `[bounce]\nreturn_path_domains = ["rp.test"]\n${bounce.map((l) => `${l}\n`).join('')}${extra}`,
  };
}

/**
 * startPetrel for scenario `s`: in `home` (s.dir/petrel by default) on `config`, a whole TOML text or
 * the options of scenarioConfig; stopped after the test (stop() is idempotent, so a handle that a
 * test kills or stops itself is no harm).
 */
export async function startScenarioPetrel(
  s: Scenario,
  config: string | ScenarioConfigOptions = {},
  home = join(s.dir, 'petrel'),
): Promise<PetrelHandle> {
  const toml = typeof config === 'string' ? config : scenarioConfig(s, config);
  return s.stopAfter(await startPetrel(home, toml, s.listenPort));
}

export interface EventRecord {
  type: string;
  message_id?: string;
  recipient?: string;
  reply?: string;
  remote_ip?: string;
  [k: string]: unknown;
}

export interface PetrelHandle {
  readonly dir: string;
  readonly port: number;
  readonly configFile: string;
  /** Every record in log/events.jsonl so far. */
  events(): EventRecord[];
  waitForEvents(what: string, pred: (e: EventRecord[]) => boolean, ms?: number): Promise<EventRecord[]>;
  /** The first record of `type` for message `messageId`, once there is one, with every record so far. */
  waitForRecord(type: string, messageId: string, ms?: number): Promise<{ record: EventRecord; events: EventRecord[] }>;
  output(): string;
  /** SIGTERM (or the given signal) and wait for the exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** kill -9: no chance to flush anything. */
  kill9(): Promise<void>;
}

/** Writes `toml` to dir/petrel.toml and starts `petrel start --config` on it; resolves when it listens. */
export async function startPetrel(dir: string, toml: string, listenPort: number): Promise<PetrelHandle> {
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'petrel.toml');
  writeFileSync(configFile, toml);
  const proc: Proc = startProc(process.execPath, [CLI, 'start', '--config', configFile]);
  try {
    const exited = new Promise<never>((_, reject) =>
      proc.child.once('exit', (code) => reject(new Error(`petrel exited with code ${code}`))),
    );
    await Promise.race([waitForPort('127.0.0.1', listenPort, 20_000), exited]);
  } catch (e) {
    await proc.stop('SIGKILL');
    throw new Error(`petrel did not start: ${(e as Error).message}\n${proc.output()}`);
  }
  const eventsFile = join(dir, 'log', 'events.jsonl');
  const events = (): EventRecord[] =>
    existsSync(eventsFile)
      ? readFileSync(eventsFile, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as EventRecord)
      : [];
  const waitForEvents: PetrelHandle['waitForEvents'] = async (what, pred, ms = 20_000) => {
    try {
      return await waitFor(what, () => (pred(events()) ? events() : undefined), ms, 100);
    } catch (e) {
      throw new Error(
        `${(e as Error).message}\nevents so far:\n${events()
          .map((x) => JSON.stringify(x))
          .join('\n')}`,
      );
    }
  };
  return {
    dir,
    port: listenPort,
    configFile,
    events,
    waitForEvents,
    waitForRecord: async (type, messageId, ms) => {
      const of = (x: EventRecord): boolean => x.type === type && x.message_id === messageId;
      const all = await waitForEvents(`a ${type} record of ${messageId}`, (e) => e.some(of), ms);
      return { record: all.find(of)!, events: all };
    },
    output: () => proc.output(),
    stop: (signal: NodeJS.Signals = 'SIGTERM') => proc.stop(signal),
    kill9: async () => void (await proc.stop('SIGKILL')),
  };
}

export { freePort };
