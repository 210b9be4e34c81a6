/**
 * The runner: one immutable set of loaded modules and how their hooks are called. Modules run in
 * config order; each call of an async hook has the module's time limit. What a failure (throw,
 * rejection, timeout, invalid result) costs depends on the hook's kind (hooks.ts): inbound hooks
 * answer 451 4.3.0, delivery hooks defer or keep the default, sync hooks keep the default,
 * observers are skipped. Every failure is one log line (module, hook, error) and a metric.
 *
 * Zero cost when unused: a hook no module defines has no entry, and callers test `has()` (or the
 * adapter leaves the hook point undefined) before building any context.
 */
import { performance } from 'node:perf_hooks';
import { SmtpReply, type Logger, type ReplyData } from '@petrel/core';
import { defaultStateMachine, type StateMachine } from '@petrel/smtp-client';
import { HOOKS, type InboundHook, type ObserverHook } from './hooks.js';
import type { HookStats, PolicyMetrics } from './metrics.js';
import { formatParameters } from './params.js';
import { parsePolicyReply } from './reply.js';
import type {
  BeforeDeliveryContext,
  ClassifyContext,
  ConnectionGoalContext,
  DkimKeyInfo,
  DkimSignContext,
  HookName,
  InjectMessage,
  Policy,
  PolicyTools,
  SetBindingContext,
  ShapingTools,
} from './types.js';

/** Answer of an inbound hook that failed (RFC 3463 4.3.0: other or undefined mail system status). */
export const POLICY_FAILURE_REPLY = new SmtpReply(451, 'Error: local error in processing', '4.3.0');

/** Default time limit of one async hook call. */
export const DEFAULT_HOOK_TIMEOUT_MS = 5_000;

/** One module as loaded. */
export interface LoadedModule {
  /** Shown in logs and metrics: the file's base name. */
  readonly name: string;
  readonly file: string;
  readonly policy: Policy;
  readonly timeoutMs: number;
}

/** What the runner needs from its host. */
const noShaping = (): Promise<never> => Promise.reject(new Error('shaping is not available here (no daemon)'));
const NO_SHAPING: ShapingTools = { set: noShaping, clear: noShaping, list: noShaping };

export interface PolicyEnv {
  readonly logger: Logger;
  readonly metrics: PolicyMetrics;
  /** Stores an injected message; absent where there is no spool (policy test): inject() then rejects. */
  readonly inject?: (message: InjectMessage) => Promise<{ readonly id: string }>;
  /** Shaping states through the daemon's bus; absent where there is none (policy test): the calls reject. */
  readonly shaping?: ShapingTools;
}

interface Entry {
  readonly module: LoadedModule;
  readonly fn: (ctx: never) => unknown;
  readonly tools: PolicyTools;
  /** This (module, hook)'s counters, looked up once. */
  readonly stats: HookStats;
}

/** Thrown into a hook call's promise when its time limit passes. */
export class HookTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'HookTimeout';
  }
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function withTimeout<T>(p: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // Not unref'd: the limit must fire even where nothing else keeps the loop alive (petrel policy test).
    const t = setTimeout(() => reject(new HookTimeout(ms)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** An inbound hook's "no objection". */
const GO_ON: unique symbol = Symbol('go on');

/** A result that breaks the hook's contract: counted as an error like a throw. */
class InvalidResult extends Error {
  override name = 'InvalidResult';
}

export class PolicySet {
  private readonly table = new Map<HookName, Entry[]>();
  /** The SMTP client machine with the modules' states, when any module has clientStates. */
  readonly machine: StateMachine | undefined;

  /** Builds the set; runs clientStates now, so a bad registration fails the load (throws with the module named). */
  constructor(
    readonly modules: readonly LoadedModule[],
    private readonly env: PolicyEnv,
  ) {
    for (const m of modules) {
      const log = env.logger.child({ policy: m.name });
      const tools: PolicyTools = {
        module: m.name,
        log,
        inject: (message) =>
          env.inject ? env.inject(message) : Promise.reject(new Error('inject() is not available here (no spool)')),
        shaping: env.shaping ?? NO_SHAPING,
      };
      for (const [hook, fn] of Object.entries(m.policy) as [HookName, Entry['fn']][]) {
        if (typeof fn !== 'function') continue;
        let list = this.table.get(hook);
        if (!list) {
          list = [];
          this.table.set(hook, list);
        }
        list.push({ module: m, fn: fn.bind(m.policy) as Entry['fn'], tools, stats: env.metrics.of(m.name, hook) });
      }
    }
    const states = this.table.get('clientStates');
    if (states) {
      const machine = defaultStateMachine.clone();
      for (const e of states) {
        const r = e.fn({
          ...e.tools,
          register: (state: Parameters<StateMachine['registerState']>[0], o: { after: string }) =>
            void machine.registerState(state, { after: o.after }),
        } as never);
        if (isThenable(r)) throw new InvalidResult(`${e.module.file}: clientStates must be synchronous`);
      }
      this.machine = machine;
    } else this.machine = undefined;
  }

  /** Does any module define this hook? */
  has(hook: HookName): boolean {
    return this.table.has(hook);
  }

  /** The hooks a module set defines, for `petrel policy check`. */
  hookNames(): HookName[] {
    return [...this.table.keys()];
  }

  // ---- calling -------------------------------------------------------------------------------

  private fail(e: Entry, hook: HookName, err: unknown): void {
    const s = e.stats;
    if (err instanceof HookTimeout) s.timeouts++;
    else s.errors++;
    this.env.logger.error(
      { policy: e.module.name, file: e.module.file, hook, err },
      `policy hook ${hook} failed (${HOOKS[hook]} hook: ${consequence(hook)})`,
    );
  }

  private done(e: Entry, started: number): void {
    const s = e.stats;
    const secs = (performance.now() - started) / 1000;
    s.latencySum += secs;
    if (secs > s.latencyMax) s.latencyMax = secs;
  }

  /** One async call with the module's time limit; a throw, rejection or timeout is a failure. */
  private async call(e: Entry, hook: HookName, ctx: object): Promise<Outcome<unknown>> {
    e.stats.calls++;
    const started = performance.now();
    try {
      let v = e.fn({ ...e.tools, ...ctx } as never);
      if (isThenable(v)) v = await withTimeout(v, e.module.timeoutMs);
      this.done(e, started);
      return { ok: true, value: v };
    } catch (err) {
      this.done(e, started);
      this.fail(e, hook, err);
      return { ok: false };
    }
  }

  /** One synchronous call: a promise is a contract breach (the caller cannot wait). */
  private callSync(e: Entry, hook: HookName, ctx: object): Outcome<unknown> {
    e.stats.calls++;
    const started = performance.now();
    try {
      const v = e.fn({ ...e.tools, ...ctx } as never);
      this.done(e, started);
      if (isThenable(v)) throw new InvalidResult(`${hook} must be synchronous (returned a promise)`);
      return { ok: true, value: v };
    } catch (err) {
      this.fail(e, hook, err);
      return { ok: false };
    }
  }

  /**
   * An inbound phase: modules in order until one refuses. Gives the refusal, the 451 4.3.0
   * failure reply, or undefined (go on); never rejects. While hooks answer synchronously the
   * answer is synchronous too, so the listener does not have to wait (and flush) for a hook that
   * returned at once; the first promise makes the rest asynchronous.
   */
  inbound(hook: InboundHook, ctx: object): ReplyData | undefined | Promise<ReplyData | undefined> {
    const list = this.table.get(hook);
    return list ? this.inboundFrom(list, 0, hook, ctx) : undefined;
  }

  private inboundFrom(
    list: readonly Entry[],
    from: number,
    hook: InboundHook,
    ctx: object,
  ): ReplyData | undefined | Promise<ReplyData | undefined> {
    for (let i = from; i < list.length; i++) {
      const e = list[i]!;
      e.stats.calls++;
      const started = performance.now();
      let v: unknown;
      try {
        v = e.fn({ ...e.tools, ...ctx } as never);
      } catch (err) {
        this.done(e, started);
        this.fail(e, hook, err);
        return POLICY_FAILURE_REPLY;
      }
      if (isThenable(v)) {
        return withTimeout(v, e.module.timeoutMs).then(
          (value) => {
            this.done(e, started);
            const r = this.verdict(e, hook, value);
            return r === GO_ON ? this.inboundFrom(list, i + 1, hook, ctx) : r;
          },
          (err: unknown) => {
            this.done(e, started);
            this.fail(e, hook, err);
            return POLICY_FAILURE_REPLY;
          },
        );
      }
      this.done(e, started);
      const r = this.verdict(e, hook, v);
      if (r !== GO_ON) return r;
    }
    return undefined;
  }

  /** One inbound hook's result: go on, its refusal, or the failure reply when it breaks the reply rule. */
  private verdict(e: Entry, hook: InboundHook, v: unknown): ReplyData | typeof GO_ON {
    if (v === undefined || v === null) return GO_ON;
    const text = typeof v === 'object' && 'reply' in v ? (v as { reply: unknown }).reply : v;
    const reply =
      typeof v === 'object'
        ? parsePolicyReply(text, hook)
        : `expected nothing or { reply: "550 5.7.1 text" }, found ${JSON.stringify(v)}`;
    if (typeof reply === 'string') {
      this.fail(e, hook, new InvalidResult(reply));
      return POLICY_FAILURE_REPLY;
    }
    return reply;
  }

  /** setBinding: the first module that names a target wins; a failure falls back to the configured rules. */
  async setBinding(
    ctx: Omit<SetBindingContext, keyof PolicyTools>,
    exists: (t: { binding: string } | { bindingGroup: string }) => boolean,
  ): Promise<{ binding: string } | { bindingGroup: string } | undefined> {
    const list = this.table.get('setBinding');
    if (!list) return undefined;
    for (const e of list) {
      const r = await this.call(e, 'setBinding', ctx);
      if (!r.ok) return undefined;
      const v = r.value as Record<string, unknown> | undefined | null;
      if (v === undefined || v === null) continue;
      const target =
        typeof v.binding === 'string'
          ? { binding: v.binding }
          : typeof v.bindingGroup === 'string'
            ? { bindingGroup: v.bindingGroup }
            : undefined;
      if (!target) {
        this.fail(
          e,
          'setBinding',
          new InvalidResult(`expected { binding: "name" } or { bindingGroup: "name" }, found ${JSON.stringify(v)}`),
        );
        return undefined;
      }
      if (!exists(target)) {
        this.fail(
          e,
          'setBinding',
          new InvalidResult(
            `${'binding' in target ? `binding "${target.binding}"` : `binding group "${target.bindingGroup}"`} ` +
              `is not defined in the configuration`,
          ),
        );
        return undefined;
      }
      return target;
    }
    return undefined;
  }

  /**
   * dkimSign: each module in order may replace the chosen keys with others of `available`
   * (matched by domain and selector); a failure or an unknown key resolves `{ ok: false }`.
   */
  async dkimSign(
    ctx: Omit<DkimSignContext, keyof PolicyTools | 'keys'>,
    keys: readonly DkimKeyInfo[],
  ): Promise<{ ok: true; keys: readonly DkimKeyInfo[] } | { ok: false }> {
    let chosen = keys;
    for (const e of this.table.get('dkimSign') ?? []) {
      const r = await this.call(e, 'dkimSign', { ...ctx, keys: chosen });
      if (!r.ok) return { ok: false };
      if (r.value === undefined || r.value === null) continue;
      const picked = Array.isArray(r.value)
        ? (r.value as unknown[]).map((v) => {
            const want = v as { domain?: unknown; selector?: unknown } | null;
            return ctx.available.find(
              (k) =>
                typeof want?.domain === 'string' &&
                k.domain === want.domain.toLowerCase() &&
                k.selector === want.selector,
            );
          })
        : [undefined];
      if (picked.some((k) => k === undefined)) {
        this.fail(
          e,
          'dkimSign',
          new InvalidResult(
            `expected a list of configured keys [{ domain, selector }], found ${JSON.stringify(r.value)}`,
          ),
        );
        return { ok: false };
      }
      chosen = picked as DkimKeyInfo[];
    }
    return { ok: true, keys: chosen };
  }

  /** connectionGoal (sync): the first module that returns a finite number wins; else the default. */
  connectionGoal(ctx: Omit<ConnectionGoalContext, keyof PolicyTools>): number {
    const list = this.table.get('connectionGoal');
    if (!list) return ctx.defaultGoal;
    for (const e of list) {
      const r = this.callSync(e, 'connectionGoal', ctx);
      if (!r.ok) return ctx.defaultGoal;
      if (r.value === undefined || r.value === null) continue;
      if (typeof r.value !== 'number' || !Number.isFinite(r.value)) {
        this.fail(
          e,
          'connectionGoal',
          new InvalidResult(`expected a number of connections, found ${JSON.stringify(r.value)}`),
        );
        return ctx.defaultGoal;
      }
      return r.value;
    }
    return ctx.defaultGoal;
  }

  /** classify (sync): the last module that returns a valid class code wins over the rules. */
  classify(ctx: Omit<ClassifyContext, keyof PolicyTools>, valid: (code: number) => boolean): number | undefined {
    const list = this.table.get('classify');
    if (!list) return undefined;
    let out: number | undefined;
    for (const e of list) {
      const r = this.callSync(e, 'classify', { ...ctx, ...(out !== undefined ? { bounceClass: out } : {}) });
      if (!r.ok || r.value === undefined || r.value === null) continue;
      if (typeof r.value !== 'number' || !valid(r.value)) {
        this.fail(
          e,
          'classify',
          new InvalidResult(`expected a registered bounce class code, found ${JSON.stringify(r.value)}`),
        );
        continue;
      }
      out = r.value;
    }
    return out;
  }

  /**
   * beforeDelivery: every module in order; their additions are merged. A failure defers the
   * attempt: resolves `{ ok: false }`.
   */
  async beforeDelivery(
    ctx: Omit<BeforeDeliveryContext, keyof PolicyTools>,
  ): Promise<
    { ok: true; headers: [string, string][]; mailParameters: string[]; rcptParameters: string[] } | { ok: false }
  > {
    const headers: [string, string][] = [];
    const mailParameters: string[] = [];
    const rcptParameters: string[] = [];
    for (const e of this.table.get('beforeDelivery') ?? []) {
      const r = await this.call(e, 'beforeDelivery', ctx);
      if (!r.ok) return { ok: false };
      const v = r.value as { headers?: unknown; mailParameters?: unknown; rcptParameters?: unknown } | undefined | null;
      if (v === undefined || v === null) continue;
      try {
        if (typeof v !== 'object')
          throw new InvalidResult(
            `expected nothing or { headers, mailParameters, rcptParameters }, found ${JSON.stringify(v)}`,
          );
        for (const [k, val] of Object.entries((v.headers ?? {}) as Record<string, unknown>)) {
          if (!/^[\x21-\x39\x3b-\x7e]+$/.test(k) || typeof val !== 'string' || /[\r\n\0]/.test(val))
            throw new InvalidResult(`invalid header field ${JSON.stringify(k)}: ${JSON.stringify(val)}`);
          headers.push([k, val]);
        }
        mailParameters.push(...formatParameters(v.mailParameters as never));
        rcptParameters.push(...formatParameters(v.rcptParameters as never));
      } catch (err) {
        this.fail(e, 'beforeDelivery', err);
        return { ok: false };
      }
    }
    return { ok: true, headers, mailParameters, rcptParameters };
  }

  /**
   * An observer: each module's hook runs on a later turn of the event loop (never in the
   * publisher's), nobody waits for it; failures and timeouts are logged and counted.
   */
  observe(hook: ObserverHook, event: () => object): void {
    const list = this.table.get(hook);
    if (!list) return;
    setImmediate(() => {
      const ev = event();
      for (const e of list) void this.call(e, hook, ev);
    });
  }
}

function consequence(hook: HookName): string {
  switch (HOOKS[hook]) {
    case 'inbound':
      return 'answered 451 4.3.0';
    case 'delivery':
      return hook === 'setBinding' ? 'configured binding rules used' : 'attempt deferred';
    case 'sync':
      return 'default kept';
    case 'observer':
      return 'skipped';
  }
}
