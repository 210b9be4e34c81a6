/** Test-only: a ServiceContext from TOML text, and a DnsClient that counts the queries it passes on. */
import { Bus, ManualClock, parseConfig, silentLogger, type Clock, type ServiceContext } from '@petrel/core';
import { routingConfigExtensions } from './config/extensions.js';
import type { DnsClient } from './dns/dns-client.js';

export function contextFrom(toml: string, clock: Clock = new ManualClock()): ServiceContext {
  const logger = silentLogger();
  return {
    config: parseConfig(toml, 'routing-test.toml', { extensions: routingConfigExtensions }),
    bus: new Bus(logger),
    logger,
    clock,
  };
}

/**
 * The head of a test config: the dnsmasq server, a short DNS timeout, and two bindings bound to
 * 127.0.0.1 (v4) and ::1 (v6). `global` goes into [global]; `rest` follows (more tables).
 */
export function dnsTestConfig(dnsServer: string, o: { global?: string; v6Ehlo?: string; rest?: string } = {}): string {
  return `hostname = "petrel.test"
${o.global ? `[global]\n${o.global}\n` : ''}[dns]
servers = ["${dnsServer}"]
timeout = "500ms"
tries = 1
[binding.v4]
bind_address = "127.0.0.1"
[binding.v6]
bind_address = "::1"
${o.v6Ehlo ? `ehlo_hostname = "${o.v6Ehlo}"\n` : ''}${o.rest ?? ''}`;
}

export interface CountingDnsClient extends DnsClient {
  /** "MX example.test", "A mx1.example.test", … in the order sent. */
  readonly queries: string[];
  count(prefix: string): number;
}

export function countingDns(inner: DnsClient): CountingDnsClient {
  const queries: string[] = [];
  return {
    queries,
    count: (prefix) => queries.filter((q) => q === prefix || q.startsWith(`${prefix} `)).length,
    resolveMx: (n) => {
      queries.push(`MX ${n}`);
      return inner.resolveMx(n);
    },
    resolve4: (n) => {
      queries.push(`A ${n}`);
      return inner.resolve4(n);
    },
    resolve6: (n) => {
      queries.push(`AAAA ${n}`);
      return inner.resolve6(n);
    },
  };
}
