/**
 * @petrel/shaping's config extensions (core config/extension.ts): `[shaping] rules_files` read and
 * validated into `shaping.rules`, and `[[shaping.warmup]]` tables into `shaping.warmup`. Errors go
 * to the loader, which names the config file and key; a rule file's own errors name that file,
 * the rule and the key after it.
 */
import {
  isPetrelError,
  parseDuration,
  type ConfigContext,
  type ConfigExtensions,
  type ShapingRulesConfig,
  type WarmupConfig,
  type WarmupStep,
} from '@petrel/core';
import { loadShapingFiles } from './rules-file.js';

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);
const WARMUP_KEYS = ['binding', 'start', 'per', 'hour', 'day', 'schedule'];
const show = (v: unknown): string => JSON.stringify(v);

function validateRules(raw: unknown, ctx: ConfigContext): ShapingRulesConfig | undefined {
  const files = Array.isArray(raw) ? (raw as string[]) : [];
  try {
    return loadShapingFiles(files);
  } catch (e) {
    if (!isPetrelError(e, 'PETREL_ERR_SHAPING_RULES')) throw e;
    for (const line of e.message.split('\n')) ctx.fail(['shaping', 'rules_files'], line);
    return undefined;
  }
}

function windowMs(t: Table, key: string, fallback: number, fail: (key: string, what: string) => void): number {
  const v = t[key];
  if (v === undefined) return fallback;
  const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
  if (ms !== undefined && ms >= 1000) return ms;
  fail(key, `expected a duration of at least 1s such as "1h", found ${show(v)}`);
  return fallback;
}

function validateWarmup(raw: unknown, ctx: ConfigContext): readonly WarmupConfig[] | undefined {
  if (!Array.isArray(raw)) {
    ctx.fail(['shaping', 'warmup'], `expected [[shaping.warmup]] tables, found ${ctx.show(raw)}`);
    return undefined;
  }
  const lines = ctx.arrayTableLines('shaping\\.warmup');
  const before = ctx.errors.length;
  const out: WarmupConfig[] = [];
  raw.forEach((entry, i) => {
    const line = lines[i];
    const fail = (key: string, what: string): void => ctx.failAt(line, ['shaping', 'warmup', key], what);
    if (!isTable(entry)) {
      fail('binding', 'expected a table with binding, start and schedule');
      return;
    }
    for (const k of Object.keys(entry))
      if (!WARMUP_KEYS.includes(k)) fail(k, `unknown key (known keys: ${WARMUP_KEYS.join(', ')})`);
    const binding = entry.binding;
    if (typeof binding !== 'string' || binding === '') fail('binding', 'expected a binding name');
    const startRaw = entry.start;
    let start = Number.NaN;
    if (typeof startRaw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(startRaw)) start = Date.parse(startRaw);
    else if (startRaw instanceof Date) start = startRaw.getTime();
    if (Number.isNaN(start)) fail('start', `expected a date "YYYY-MM-DD" (day 1), found ${show(startRaw)}`);
    const per = entry.per ?? 'overall';
    if (per !== 'site' && per !== 'overall') fail('per', `expected "site" or "overall", found ${show(per)}`);
    const hour = windowMs(entry, 'hour', 3_600_000, fail);
    const day = windowMs(entry, 'day', 86_400_000, fail);
    const steps: WarmupStep[] = [];
    if (!Array.isArray(entry.schedule) || entry.schedule.length === 0)
      fail('schedule', 'expected a list of tables { day = 1, hourly = 50, daily = 500 }');
    else
      for (const s of entry.schedule) {
        const ok =
          isTable(s) &&
          Number.isInteger(s.day) &&
          (s.day as number) >= 1 &&
          Object.keys(s).every((k) => ['day', 'hourly', 'daily'].includes(k)) &&
          ['hourly', 'daily'].every((k) => s[k] === undefined || (Number.isInteger(s[k]) && (s[k] as number) >= 0));
        if (!ok) {
          fail('schedule', `expected tables { day = N (≥ 1), hourly = N, daily = N }, found ${show(s)}`);
          continue;
        }
        const t = s as { day: number; hourly?: number; daily?: number };
        steps.push({
          day: t.day,
          ...(t.hourly !== undefined ? { hourly: t.hourly } : {}),
          ...(t.daily !== undefined ? { daily: t.daily } : {}),
        });
      }
    steps.sort((a, b) => a.day - b.day);
    if (typeof binding === 'string' && !Number.isNaN(start) && (per === 'site' || per === 'overall'))
      out.push({ binding, start, per, hour, day, schedule: steps, ...(line !== undefined ? { line } : {}) });
  });
  const seen = new Set<string>();
  for (const w of out) {
    if (seen.has(w.binding))
      ctx.failAt(w.line, ['shaping', 'warmup', 'binding'], `a second schedule for binding "${w.binding}"`);
    seen.add(w.binding);
  }
  return ctx.errors.length > before ? undefined : out;
}

/** The extensions the app passes to core's loader (with routing's and bounce's). */
export const shapingConfigExtensions: ConfigExtensions = {
  shapingRules: { validate: (raw, ctx) => validateRules(raw, ctx) },
  shapingWarmup: { validate: (raw, ctx) => validateWarmup(raw, ctx) },
};
