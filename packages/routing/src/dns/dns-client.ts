/**
 * The DNS queries routing needs, behind a small interface so that tests (counting wrappers, fakes)
 * and other servers (a SERVFAIL server on dns2) plug in. Failures reject with a Node-style error
 * whose `code` is one of node:dns's codes (ENOTFOUND, ENODATA, ESERVFAIL, ETIMEOUT, …).
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { PetrelError, parseHostPort, type DnsOptions } from '@petrel/core';

export interface MxRecordData {
  /** The exchange host name; "" (or ".") in a null MX (RFC 7505). */
  readonly exchange: string;
  readonly priority: number;
}

export interface AddressRecordData {
  readonly address: string;
  /** Seconds. */
  readonly ttl: number;
}

export interface DnsClient {
  resolveMx(name: string): Promise<readonly MxRecordData[]>;
  /** A records; CNAME chains are followed by the server/resolver. */
  resolve4(name: string): Promise<readonly AddressRecordData[]>;
  /** AAAA records. */
  resolve6(name: string): Promise<readonly AddressRecordData[]>;
  /** TXT records, each as its character-strings (MTA-STS discovery); absent in clients that cannot. */
  resolveTxt?(name: string): Promise<readonly (readonly string[])[]>;
}

/** Turns config entries "ip" / "ip:port" / "[v6]:port" into the form Resolver.setServers takes. */
export function serverList(entries: readonly string[]): string[] {
  return entries.map((entry) => {
    const hp = parseHostPort(entry, 53);
    const family = hp ? isIP(hp.host) : 0;
    if (!hp || family === 0) {
      throw new PetrelError(
        'PETREL_ERR_DNS',
        `dns.servers: expected an IP address with an optional port, found ${JSON.stringify(entry)}`,
        { entry },
      );
    }
    return family === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
  });
}

/**
 * A DnsClient on node:dns/promises. With no servers configured it uses the system resolver
 * (production only: tests always configure a server on loopback).
 */
export function createDnsClient(options: Pick<DnsOptions, 'servers' | 'timeout' | 'tries'>): DnsClient {
  const resolver = new Resolver({ timeout: options.timeout, tries: options.tries });
  if (options.servers.length > 0) resolver.setServers(serverList(options.servers));
  return {
    resolveMx: (name) => resolver.resolveMx(name),
    resolve4: (name) => resolver.resolve4(name, { ttl: true }),
    resolve6: (name) => resolver.resolve6(name, { ttl: true }),
    resolveTxt: (name) => resolver.resolveTxt(name),
  };
}

/** RFC 7505 §3: a null MX is a single MX record whose exchange is the root ("."), node shows it as "". */
export function isNullMx(records: readonly MxRecordData[]): boolean {
  return records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.');
}
