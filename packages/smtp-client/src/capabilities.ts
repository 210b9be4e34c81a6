/**
 * EHLO parsed once into a capability map (STYLE.md §5): keyword upper-cased -> parameters.
 */
import type { ReplyData } from '@petrel/core';
import type { Capabilities } from './types.js';

/**
 * Reads the EHLO reply's lines after the first (RFC 5321 §4.1.1.1: the first line greets).
 * "AUTH=LOGIN PLAIN" (pre-RFC 4954 servers) counts as AUTH; repeated AUTH lines are merged.
 */
export function parseCapabilities(reply: ReplyData): Capabilities {
  const caps = new Map<string, string>();
  for (const line of reply.lines.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/.exec(line.trim());
    if (!m) continue;
    let key = m[1]!.toUpperCase();
    let params = (m[2] ?? '').trim();
    if (key === 'AUTH' || line.trim().toUpperCase().startsWith('AUTH=')) {
      key = 'AUTH';
      const prior = caps.get('AUTH');
      const mechs = new Set([...(prior ? prior.split(' ') : []), ...params.toUpperCase().split(/\s+/).filter(Boolean)]);
      params = [...mechs].join(' ');
    } else if (caps.has(key)) continue;
    caps.set(key, params);
  }
  return caps;
}

/** RFC 1870 §4: "SIZE 0" or "SIZE" alone means no fixed limit. */
export function sizeLimit(caps: Capabilities): number | undefined {
  const v = caps.get('SIZE');
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

export function authMechanisms(caps: Capabilities): readonly string[] {
  return (caps.get('AUTH') ?? '').split(' ').filter(Boolean);
}
