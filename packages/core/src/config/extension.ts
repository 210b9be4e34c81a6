/**
 * Config extensions: the parts of petrel.toml whose meaning a package owns (bounce classes belong
 * to @petrel/bounce; binding rules and `routes` entries to @petrel/routing) are validated by code
 * of that package, plugged into the loader. Core keeps the generic machinery: TOML reading, the
 * schema walk, positions (`where`) and error collection; it never imports the packages (they sit
 * above it). The app passes every extension; a config that uses a slot whose extension was not
 * given is refused, never silently accepted (docs/decisions.md, Config extensions).
 */
import type { BindingRuleConfig, BounceClassConfig, DkimKeyConfig, OptionSpec } from './schema.js';
import type { BindingDef, BindingGroupDef } from './scopes.js';
import type { ShapingRulesConfig, WarmupConfig } from '../shaping.js';

/** What an extension may do with the loader: record errors at a key path, read positions, reuse the value checks. */
export interface ConfigContext {
  /** The config file's name, as messages show it. */
  readonly file: string;
  /** Every error recorded so far (read-only; compare lengths to see whether a check added one). */
  readonly errors: readonly string[];
  /** Records `FILE:LINE: key.path: what`, the line found from the key path. */
  fail(path: readonly string[], what: string): void;
  /** Records an error at a known line (array-of-tables entries, whose keys the path cannot locate). */
  failAt(line: number | undefined, path: readonly string[], what: string): void;
  /** `FILE:LINE` of a key path, or `FILE`: the one source of positions in messages. */
  where(path: readonly string[], line?: number): string;
  /** The line of a key path (the key's own line, else its table header's), when found. */
  lineOf(path: readonly string[]): number | undefined;
  /** The 1-based lines of every `[[name]]` header, in file order (`name` is a regex source: escape dots). */
  arrayTableLines(name: string): number[];
  /** Checks one value against a schema spec; errors go to `line` when given. Undefined after an error. */
  value(path: readonly string[], spec: OptionSpec, v: unknown, line?: number): unknown;
  /** A found value as messages show it (`"text"`, `a table`, `[1, 2]`). */
  show(v: unknown): string;
  /** Records a warning (valid but risky, e.g. a key file others can read): start and `config check` print it. */
  warn(path: readonly string[], what: string, line?: number): void;
}

/**
 * One slot: validates the raw TOML value into the typed result (called only when the file sets it,
 * except `routes`).
 */
export interface ConfigExtension<T, Env = void> {
  validate(raw: unknown, ctx: ConfigContext, env: Env): T;
}

/** What binding-rule validation needs from the rest of the file. */
export interface BindingRuleEnv {
  readonly bindings: ReadonlyMap<string, BindingDef>;
  readonly groups: ReadonlyMap<string, BindingGroupDef>;
  /** [routing] allow_binding_header: header rules are refused without it. */
  readonly allowHeader: boolean;
}

/** What [[dkim]] validation needs from the rest of the file: the names its binding filters may use. */
export interface DkimEnv {
  readonly bindings: ReadonlyMap<string, BindingDef>;
  readonly groups: ReadonlyMap<string, BindingGroupDef>;
}

/** A delivery option table (global, domain, binding, binding group) after the schema walk, and its key path. */
export interface OptionTableEnv {
  readonly path: readonly string[];
  /** The table's parsed options; the extension may adjust them (routes clears gateway, say). */
  readonly options: Record<string, unknown>;
}

/**
 * The extension slots, each typed by the PetrelConfig field it fills. The result types are the
 * contract between core and the owning package (schema.ts); their rules live in the package.
 */
export interface ConfigExtensions {
  /** `[[bounce.classes]]` → `bounce.classes` (@petrel/bounce); undefined after an error. */
  readonly bounceClasses?: ConfigExtension<readonly BounceClassConfig[] | undefined>;
  /** `[[binding_rule]]` → `bindingRules` (@petrel/routing). */
  readonly bindingRules?: ConfigExtension<readonly BindingRuleConfig[], BindingRuleEnv>;
  /**
   * `routes` of a delivery option table (@petrel/routing): called for every table, `raw` being the
   * parsed list of strings or undefined, since the routes/gateway precedence touches tables without routes.
   */
  readonly routes?: ConfigExtension<void, OptionTableEnv>;
  /**
   * `[shaping] rules_files` → `shaping.rules` (@petrel/shaping): called for every config, `raw` being the
   * list of absolute paths (empty = the shipped rules); undefined after an error.
   */
  readonly shapingRules?: ConfigExtension<ShapingRulesConfig | undefined>;
  /** `[[shaping.warmup]]` → `shaping.warmup` (@petrel/shaping); undefined after an error. */
  readonly shapingWarmup?: ConfigExtension<readonly WarmupConfig[] | undefined>;
  /** `[[dkim]]` → `dkim` (@petrel/dkim): the signing keys, loaded; undefined after an error. */
  readonly dkim?: ConfigExtension<readonly DkimKeyConfig[] | undefined, DkimEnv>;
}

/** Options of loadConfig / parseConfig. */
export interface LoadOptions {
  /** The package validators; the app passes all of them (those of @petrel/routing and @petrel/bounce). */
  readonly extensions?: ConfigExtensions;
}

/** The message for a slot used in the file with no extension given: loading goes on, the config is refused. */
export function missingExtension(slot: keyof ConfigExtensions): string {
  return (
    `cannot be validated: no config extension "${slot}" was given to the loader ` +
    '(the app passes those of @petrel/routing and @petrel/bounce)'
  );
}
