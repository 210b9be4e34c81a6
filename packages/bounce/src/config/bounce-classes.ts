/**
 * Validates `[[bounce.classes]]` (Momentum custom_classes): codes below 100 that no built-in class
 * uses, unique, a name, and one of Momentum's categories. Plugged into core's loader as its
 * bounceClasses extension; errors name the entry's [[…]] header line.
 */
import type { BounceClassConfig, ConfigContext, ConfigExtension, ConfigExtensions } from '@petrel/core';
import { BOUNCE_CATEGORIES, BUILTIN_CLASSES } from '../classes.js';

const BOUNCE_CLASS_FIELDS: readonly string[] = ['code', 'name', 'description', 'category'];

/** Codes of the built-in classes (reference §9): an operator class may not reuse one. */
const BUILTIN_CODES: ReadonlySet<number> = new Set(BUILTIN_CLASSES.map((k) => k.code));

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The operator classes at `path` (bounce.classes), each validated on its own; undefined when any is wrong. */
export function parseBounceClasses(
  ctx: ConfigContext,
  path: readonly string[],
  raw: unknown,
): BounceClassConfig[] | undefined {
  const show = (v: unknown): string => ctx.show(v);
  if (!Array.isArray(raw)) {
    ctx.fail(
      path,
      'expected a list of bounce class tables written [[bounce.classes]] or { code = 55, name = "…" }, ' +
        `found ${show(raw)}`,
    );
    return undefined;
  }
  const before = ctx.errors.length;
  const headers = ctx.arrayTableLines(path.join('\\.'));
  const fallback = ctx.lineOf(path);
  const out: BounceClassConfig[] = [];
  const seen = new Map<number, number>();
  for (const [i, t] of (raw as unknown[]).entries()) {
    const where = [...path.slice(0, -1), `${path[path.length - 1]}[${i + 1}]`];
    const fail = (key: string | undefined, what: string): void =>
      ctx.failAt(headers[i] ?? fallback, key ? [...where, key] : where, what);
    if (!isTable(t)) {
      fail(undefined, `expected a table { code = …, name = "…" }, found ${show(t)}`);
      continue;
    }
    for (const k of Object.keys(t))
      if (!BOUNCE_CLASS_FIELDS.includes(k)) fail(k, `unknown key (known keys: ${BOUNCE_CLASS_FIELDS.join(', ')})`);
    const { code, name, description = '', category = 'Undetermined' } = t;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 2 || code > 99)
      fail('code', `expected a whole number from 2 to 99, found ${show(code)}`);
    else if (BUILTIN_CODES.has(code)) fail('code', `expected a code no built-in bounce class uses, found ${code}`);
    else if (seen.has(code))
      fail('code', `expected a code unique among the classes, found ${code} (also classes[${seen.get(code)}])`);
    else seen.set(code, i + 1);
    if (typeof name !== 'string' || name.trim() === '')
      fail('name', `expected a non-empty string, found ${show(name)}`);
    if (typeof description !== 'string') fail('description', `expected a string, found ${show(description)}`);
    if (typeof category !== 'string' || !(BOUNCE_CATEGORIES as readonly string[]).includes(category)) {
      fail(
        'category',
        `expected one of ${BOUNCE_CATEGORIES.map((c) => JSON.stringify(c)).join(', ')}, found ${show(category)}`,
      );
    }
    out.push({ code, name, description, category } as BounceClassConfig);
  }
  return ctx.errors.length > before ? undefined : out;
}

/** The `bounce.classes` slot of the loader (core's ConfigExtensions.bounceClasses). */
export const bounceClassesExtension: ConfigExtension<readonly BounceClassConfig[] | undefined> = {
  validate: (raw, ctx) => parseBounceClasses(ctx, ['bounce', 'classes'], raw),
};

/** The config slots @petrel/bounce owns, for `loadConfig(file, { extensions })`. */
export const bounceConfigExtensions = { bounceClasses: bounceClassesExtension } as const satisfies ConfigExtensions;
