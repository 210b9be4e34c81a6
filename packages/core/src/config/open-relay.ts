/**
 * Open-relay detection: relay_networks that together cover the whole IPv4 or IPv6 address space
 * let anyone who reaches a non-loopback listener relay through Petrel (RFC 5321 §3.6.2 and
 * RFC 2505 §2: an MTA must not relay for arbitrary clients). The loader refuses that unless the
 * operator says `allow_open_relay = true`, and then warns.
 */
import { isIP } from 'node:net';
import { parseCidr, parseHostPort } from '../net.js';

function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
  // Expand "::" and an embedded IPv4 tail ("::ffff:1.2.3.4") into eight 16-bit groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = addressBits(v4[1]!, 4);
    text = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** True when the networks of one family, merged, span every address of that family. */
function coversAll(networks: readonly string[], family: 4 | 6): boolean {
  const bits = family === 4 ? 32n : 128n;
  const ranges = networks
    .map((n) => parseCidr(n))
    .filter((c): c is NonNullable<typeof c> => c !== undefined && c.family === family)
    .map((c) => {
      const size = 1n << (bits - BigInt(c.prefix));
      const start = (addressBits(c.address, family) / size) * size;
      return [start, start + size] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let reached = 0n;
  for (const [start, end] of ranges) {
    if (start > reached) return false;
    if (end > reached) reached = end;
  }
  return reached === 1n << bits;
}

/** The address families ("IPv4", "IPv6") whose whole space `networks` covers. */
export function openRelayFamilies(networks: readonly string[]): string[] {
  return [...(coversAll(networks, 4) ? ['IPv4'] : []), ...(coversAll(networks, 6) ? ['IPv6'] : [])];
}

/** Listen addresses other clients than this host can reach (anything but loopback). */
export function publicListenAddresses(listen: readonly string[]): string[] {
  return listen.filter((a) => {
    const host = parseHostPort(a)?.host;
    if (host === undefined || host === 'localhost') return false;
    const family = isIP(host);
    if (family === 4) return !host.startsWith('127.');
    return family === 6 && addressBits(host, 6) !== 1n;
  });
}
