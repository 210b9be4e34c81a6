import { BlockList, isIP } from 'node:net';

/** "host:port", "[v6]:port", "host" (with a default port). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  const t = text.trim();
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else if (isIP(t) === 6) {
    host = t;
  } else {
    const i = t.lastIndexOf(':');
    if (i >= 0) {
      host = t.slice(0, i);
      portText = t.slice(i + 1);
    } else host = t;
  }
  if (host === '' || /\s/.test(host)) return undefined;
  const port = portText === undefined ? defaultPort : /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host, port };
}

/** A set of CIDR networks with O(1)-ish membership, for relay_networks and the like. */
export class NetworkList {
  private readonly list = new BlockList();
  /**
   * Answers by client address: BlockList.check builds a SocketAddress each call, and a relay sees
   * the same few injecting hosts on every connection. Bounded: cleared when full.
   */
  private readonly seen = new Map<string, boolean>();
  readonly entries: readonly string[];

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const parsed = parseCidr(c);
      if (!parsed) throw new TypeError(`not a network: ${c}`);
      this.list.addSubnet(parsed.address, parsed.prefix, parsed.family === 6 ? 'ipv6' : 'ipv4');
    }
    this.entries = [...cidrs];
  }

  has(address: string): boolean {
    let answer = this.seen.get(address);
    if (answer === undefined) {
      answer = this.check(address);
      if (this.seen.size >= 4096) this.seen.clear();
      this.seen.set(address, answer);
    }
    return answer;
  }

  private check(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    // An IPv4-mapped IPv6 client (::ffff:127.0.0.1) is judged by its IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.list.check(mapped[1]!, 'ipv4');
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

export function parseCidr(text: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const family = isIP(addr);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address: addr, prefix, family: family as 4 | 6 };
}

/** The lower-cased domain of an address, "" for the null path or a bare local part. */
export function domainOf(address: string): string {
  const i = address.lastIndexOf('@');
  return i < 0 ? '' : address.slice(i + 1).toLowerCase();
}
