/**
 * Petrel's own listener addresses, so that routing never delivers to itself (RFC 5321 §6.3: a
 * loop is mail for a domain whose MX is this host; Postfix's "mail for X loops back to myself").
 * Without the check a domain whose MX resolves to our own listener is accepted, routed, delivered
 * to ourselves and accepted again, each time as a new spool message, with no end.
 *
 * The addresses come from the config's `[listener] listen` entries (routing never imports the
 * listener). A wildcard entry (0.0.0.0 or ::) accepts on every local address, so it matches any
 * address of this machine on its port: all of 127.0.0.0/8 and ::1 (loopback), and the addresses
 * of the network interfaces. Node listens dual-stack on "::", so :: also matches IPv4 addresses.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseHostPort } from '@petrel/core';

/** One listen entry as a matcher: a concrete address, or a wildcard of one or both families. */
interface SelfEntry {
  readonly port: number;
  /** Concrete addresses (normalised), empty for a wildcard. */
  readonly addresses: readonly string[];
  /** 0 = not a wildcard; 4 = 0.0.0.0; 6 = :: (dual-stack, also IPv4). */
  readonly wildcard: 0 | 4 | 6;
}

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) as the IPv4 address; lower case otherwise. */
function normalise(address: string): string {
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? mapped[1]! : a;
}

/** True for an address of this machine: loopback, unspecified, or one of the interfaces'. */
function isLocal(address: string, local: () => ReadonlySet<string>): boolean {
  if (isIP(address) === 4 && (address.startsWith('127.') || address === '0.0.0.0')) return true;
  if (address === '::1' || address === '::') return true;
  return local().has(address);
}

/** The addresses of this machine's interfaces, read once when first needed. */
function interfaceAddresses(): () => ReadonlySet<string> {
  let set: Set<string> | undefined;
  return () => {
    if (!set) {
      set = new Set<string>();
      for (const list of Object.values(networkInterfaces()))
        for (const i of list ?? []) set.add(normalise(i.address.replace(/%.*$/, '')));
    }
    return set;
  };
}

/** Recognises the (address, port) pairs Petrel itself accepts SMTP on. */
export class SelfAddresses {
  private readonly entries: readonly SelfEntry[];
  private readonly local = interfaceAddresses();

  /** `listen`: the `[listener] listen` entries, "host:port" or "[v6]:port". */
  constructor(listen: readonly string[]) {
    const entries: SelfEntry[] = [];
    for (const text of listen) {
      const hp = parseHostPort(text);
      if (!hp) continue;
      const host = normalise(hp.host);
      if (host === '0.0.0.0') entries.push({ port: hp.port, addresses: [], wildcard: 4 });
      else if (host === '::') entries.push({ port: hp.port, addresses: [], wildcard: 6 });
      else if (host === 'localhost') entries.push({ port: hp.port, addresses: ['127.0.0.1', '::1'], wildcard: 0 });
      else entries.push({ port: hp.port, addresses: [host], wildcard: 0 });
    }
    this.entries = entries;
  }

  /** True when a connection to address:port would reach one of our own listeners. */
  has(address: string, port: number): boolean {
    const a = normalise(address);
    for (const e of this.entries) {
      if (e.port !== port) continue;
      if (e.wildcard === 0) {
        if (e.addresses.includes(a)) return true;
        continue;
      }
      // 0.0.0.0 takes IPv4 only; :: is dual-stack in Node (ipv6Only is false by default).
      if (e.wildcard === 4 && isIP(a) !== 4) continue;
      if (isLocal(a, this.local)) return true;
    }
    return false;
  }
}
