/** Parsers for the human units config files use: durations ("20m") and sizes ("25MB"). */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses "90s", "20m", "12h", "5d", "1h30m", or a bare integer of seconds (Momentum's unit).
 * Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 ? Math.round(total) : undefined;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/** Parses "25MB", "512KiB", "10k" or a bare integer of octets. Returns octets or undefined. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase() || 'b';
  const mult = SIZE_UNITS[unit];
  return mult === undefined ? undefined : Math.round(Number(m[1]) * mult);
}

/** A rate such as Momentum's outbound_throttle_messages: "N" per second or "N/S" per S seconds. */
export interface Rate {
  readonly count: number;
  readonly perMs: number;
}

export function parseRate(value: string | number): Rate | undefined {
  if (typeof value === 'number') return value > 0 ? { count: value, perMs: 1000 } : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\S+))?\s*$/.exec(value);
  if (!m) return undefined;
  const count = Number(m[1]);
  const per = m[2] === undefined ? 1000 : parseDuration(m[2]);
  if (per === undefined || per <= 0 || count <= 0) return undefined;
  return { count, perMs: per };
}

/** Formats milliseconds back to the shortest exact unit, for explain output and docs. */
export function formatDuration(ms: number): string {
  for (const [unit, mult] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= mult && ms % mult === 0) return `${ms / mult}${unit}`;
  }
  return `${ms}ms`;
}
