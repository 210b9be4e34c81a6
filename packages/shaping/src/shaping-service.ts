/**
 * The shaping service (docs/shaping.md): reads every delivery attempt's replies, counts rule
 * matches, and turns triggered rules into states: suspensions (through the queue's own
 * `queue.suspend`), throttles and connection limits (published as `shaping.changed` for the queue
 * and outbound to enforce), bounces (`queue.fail` with the reply). States end by themselves.
 *
 * It is also where states are durable: every state, and every suspension the queue reports
 * (operator ones too), is written to the ShapingStore and restored at start with its remaining
 * time, so a restart never hits a blocked provider at full speed again.
 */
import {
  PetrelError,
  formatReply,
  shapingStateId,
  siteMatches,
  type DeliveryAttempt,
  type ReplyData,
  type Service,
  type ServiceContext,
  type ShapingActionConfig,
  type ShapingChanged,
  type ShapingRuleConfig,
  type ShapingSetRequest,
  type ShapingState,
  type ShapingStore,
  type SharedTable,
  type Suspension,
  type SuspensionChanged,
  type TimerHandle,
} from '@petrel/core';
import { RuleMatcher, TriggerWindows, type ReplyOrigin } from './rule-matcher.js';

export interface ShapingServiceOptions {
  /** The store, opened on first use at start (after the spool holds its lock); none = in memory only. */
  readonly store?: () => ShapingStore;
  /**
   * Throttle and connection-limit states shared by every node of a cluster (docs/scaling.md):
   * set or cleared here → told to the others; theirs → put in force here. Suspensions are the
   * queue's and shared through it. Absent on a single node.
   */
  readonly shared?: SharedTable<ShapingState>;
}

/** A suspension as a shaping state (scope from its selector). */
export function suspensionState(s: Suspension): ShapingState {
  const scope = s.binding !== undefined && s.domain !== undefined ? 'binding+domain' : s.domain ? 'domain' : 'binding';
  return {
    id: shapingStateId('suspend', scope, s),
    kind: 'suspend',
    scope,
    ...(s.binding !== undefined ? { binding: s.binding } : {}),
    ...(s.domain !== undefined ? { domain: s.domain } : {}),
    source: s.source ?? 'operator',
    ...(s.rule !== undefined ? { rule: s.rule } : {}),
    ...(s.reason !== undefined ? { cause: s.reason } : {}),
    since: s.since,
    ...(s.until !== undefined ? { until: s.until } : {}),
  };
}

export class ShapingService implements Service {
  readonly name = 'shaping';
  private readonly states = new Map<string, { state: ShapingState; timer?: TimerHandle }>();
  private readonly windows = new TriggerWindows();
  private readonly undo: (() => void)[] = [];
  private store: ShapingStore | undefined;
  private matcherFor: object | undefined;
  private matcher: RuleMatcher | undefined;
  /** Suspension ids being restored: their `set` is reported as `restored`. */
  private readonly restoring = new Set<string>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: ShapingServiceOptions = {},
  ) {}

  async start(): Promise<void> {
    const { bus } = this.ctx;
    this.store = this.options.store?.();
    this.undo.push(
      bus.subscribe('delivery.attempted', (a) => this.onAttempted(a)),
      bus.subscribe('queue.suspension', (ev) => this.onSuspension(ev)),
      bus.handle('shaping.list', () => this.list()),
      bus.handle('shaping.set', (req) => this.setRequested(req)),
      bus.handle('shaping.clear', (req) => this.clear(req.id)),
    );
    await this.restore();
    // After the restore: the first shared read then lifts what was cleared cluster-wide while this
    // node was down (the cluster's copy is the word; a restored state is not told to the others).
    const shared = this.options.shared;
    if (shared)
      this.undo.push(
        shared.attach({
          put: (_id, st) => this.fromCluster(st),
          remove: (id) => this.drop(id, 'cleared', false),
          reconcile: (all) => this.reconcile(all),
          current: () => [...this.states.values()].map((e) => [e.state.id, e.state] as const),
        }),
      );
  }

  /** A state another node set: in force here, not told back. */
  private fromCluster(st: ShapingState): void {
    if (st.kind === 'suspend') return;
    if (st.until !== undefined && st.until <= this.ctx.clock.now()) return;
    const same = this.states.get(st.id);
    if (same !== undefined && JSON.stringify(same.state) === JSON.stringify(st)) return;
    this.put(st, 'set', false);
  }

  /** The cluster's full set of states: what is here and not there was cleared elsewhere. */
  private reconcile(all: ReadonlyMap<string, ShapingState>): void {
    for (const id of [...this.states.keys()]) if (!all.has(id)) this.drop(id, 'cleared', false);
    for (const st of all.values()) this.fromCluster(st);
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    for (const e of this.states.values()) if (e.timer) this.ctx.clock.clearTimer(e.timer);
    this.states.clear();
    // The app closes the store: the queue writes warm-up counters to it until it stops.
    this.store = undefined;
  }

  /** Every state in force: throttles and connection limits, and the queue's suspensions. */
  async list(): Promise<ShapingState[]> {
    const suspensions = await this.ctx.bus.request('queue.suspensions', {});
    return [...suspensions.map(suspensionState), ...[...this.states.values()].map((e) => e.state)];
  }

  /** `shaping.clear`: lifts a state by id (a suspension through `queue.resume`). */
  async clear(id: string): Promise<{ cleared: number }> {
    if (id.startsWith('suspend:')) {
      const s = (await this.ctx.bus.request('queue.suspensions', {})).find((x) => suspensionState(x).id === id);
      if (s === undefined) return { cleared: 0 };
      await this.ctx.bus.request('queue.resume', {
        ...(s.binding !== undefined ? { binding: s.binding } : {}),
        ...(s.domain !== undefined ? { domain: s.domain } : {}),
      });
      return { cleared: 1 };
    }
    const e = this.states.get(id);
    if (e === undefined) return { cleared: 0 };
    this.drop(id, 'cleared', true);
    return { cleared: 1 };
  }

  /** `shaping.set` from an operator or a policy module. */
  async setRequested(req: ShapingSetRequest): Promise<ShapingState> {
    const bad = (what: string): never => {
      throw new PetrelError('PETREL_ERR_SHAPING_STATE', what, { request: req });
    };
    const needs = { 'binding+domain': ['binding', 'domain'], domain: ['domain'], binding: ['binding'], site: ['site'] };
    const fields = needs[req.scope];
    if (fields === undefined) bad(`unknown scope "${String(req.scope)}" (binding+domain, domain, binding, site)`);
    for (const f of fields) if (!req[f as 'binding' | 'domain' | 'site']) bad(`scope ${req.scope} needs a ${f}`);
    if (req.durationMs !== undefined && !(req.durationMs > 0)) bad('durationMs must be positive');
    const now = this.ctx.clock.now();
    const where = {
      ...(req.binding ? { binding: req.binding } : {}),
      ...(req.domain ? { domain: req.domain.toLowerCase() } : {}),
      ...(req.site ? { site: req.site } : {}),
    };
    if (req.kind === 'suspend') {
      if (req.scope === 'site') bad('a suspension applies to a binding, a domain or both, not a site');
      const { suspension } = await this.ctx.bus.request('queue.suspend', {
        ...where,
        ...(req.durationMs !== undefined ? { durationMs: req.durationMs } : {}),
        ...(req.cause !== undefined ? { reason: req.cause } : {}),
        source: req.source,
      });
      return suspensionState(suspension);
    }
    if (req.kind === 'throttle' && req.rate === undefined) bad('a throttle needs a rate');
    if (req.kind === 'max_connections' && !(req.connections !== undefined && req.connections >= 1))
      bad('max_connections needs connections ≥ 1');
    if (req.kind !== 'throttle' && req.kind !== 'max_connections') bad(`unknown kind "${String(req.kind)}"`);
    const state: ShapingState = {
      id: shapingStateId(req.kind, req.scope, where),
      kind: req.kind,
      scope: req.scope,
      ...where,
      ...(req.kind === 'throttle' && req.rate ? { rate: req.rate } : {}),
      ...(req.kind === 'max_connections' && req.connections ? { connections: req.connections } : {}),
      source: req.source,
      ...(req.cause !== undefined ? { cause: req.cause } : {}),
      since: now,
      ...(req.durationMs !== undefined ? { until: now + req.durationMs } : {}),
    };
    this.put(state, 'set', true);
    return state;
  }

  private rules(): RuleMatcher {
    const cfg = this.ctx.config.shaping.rules;
    // A config reload brings new rules: recompile when the rules object changed.
    if (this.matcher === undefined || this.matcherFor !== cfg) {
      const sites = cfg.sites;
      this.matcher = new RuleMatcher(cfg.rules, (site) =>
        sites.filter((s) => siteMatches(s.mx, site)).map((s) => s.name.toLowerCase()),
      );
      this.matcherFor = cfg;
    }
    return this.matcher;
  }

  private onAttempted(a: DeliveryAttempt): void {
    const matcher = this.rules();
    const origin: ReplyOrigin = {
      binding: a.job.binding,
      domain: a.job.domain,
      ...(a.site !== undefined ? { site: a.site } : {}),
      ...(a.remote?.host !== undefined ? { host: a.remote.host } : {}),
    };
    // One reply per text per attempt: a 421 at MAIL gives every recipient the same reply.
    const seen = new Set<string>();
    for (const o of a.outcomes) {
      if (o.status === 'delivered' || o.reply === undefined) continue;
      const text = formatReply(o.reply);
      if (seen.has(text)) continue;
      seen.add(text);
      for (const rule of matcher.match(o.reply, origin)) this.matched(rule, o.reply, origin);
    }
  }

  private matched(rule: ShapingRuleConfig, reply: ReplyData, o: ReplyOrigin): void {
    const now = this.ctx.clock.now();
    const key = `${rule.file}\u0000${rule.name}\u0000${o.binding}\u0000${o.domain}`;
    this.windows.prune(now, 86_400_000);
    if (!this.windows.hit(key, now, rule.count, rule.within)) return;
    this.ctx.logger.info(
      { rule: rule.name, binding: o.binding, domain: o.domain, site: o.site },
      'shaping rule triggered',
    );
    for (const action of rule.actions) void this.act(rule, action, reply, o, now);
  }

  private async act(
    rule: ShapingRuleConfig,
    action: ShapingActionConfig,
    reply: ReplyData,
    o: ReplyOrigin,
    now: number,
  ): Promise<void> {
    const cause = formatReply(reply);
    const { bus } = this.ctx;
    try {
      switch (action.action) {
        case 'suspend': {
          const sel =
            action.scope === 'binding'
              ? { binding: o.binding }
              : action.scope === 'domain'
                ? { domain: o.domain }
                : { binding: o.binding, domain: o.domain };
          await bus.request('queue.suspend', {
            ...sel,
            durationMs: action.duration,
            reason: cause,
            source: 'rule',
            rule: rule.name,
          });
          return;
        }
        case 'bounce':
          // Fails what is queued for the destination with the reply, DSNs as for any failure.
          await bus.request('queue.fail', { binding: o.binding, domain: o.domain, reply });
          return;
        case 'throttle':
        case 'max_connections': {
          if (action.scope === 'site' && o.site === undefined) return;
          const where = {
            ...(action.scope !== 'domain' ? { binding: o.binding } : {}),
            ...(action.scope === 'binding+domain' || action.scope === 'domain' ? { domain: o.domain } : {}),
            ...(action.scope === 'site' && o.site !== undefined ? { site: o.site } : {}),
          };
          this.put(
            {
              id: shapingStateId(action.action, action.scope, where),
              kind: action.action,
              scope: action.scope,
              ...where,
              ...(action.rate ? { rate: action.rate } : {}),
              ...(action.connections ? { connections: action.connections } : {}),
              source: 'rule',
              rule: rule.name,
              cause,
              since: now,
              until: now + action.duration,
            },
            'set',
            true,
          );
          return;
        }
        default: {
          const never: never = action.action;
          return never;
        }
      }
    } catch (err) {
      this.ctx.logger.error({ err, rule: rule.name, action: action.action }, 'shaping action failed');
    }
  }

  /**
   * Puts a throttle or connection-limit state in force (replacing one of the same id) until its
   * end; `share`: set on this node (an operator, a rule, a module), so the other nodes are told.
   */
  private put(state: ShapingState, change: ShapingChanged['change'], share: boolean): void {
    const prior = this.states.get(state.id);
    if (prior?.timer) this.ctx.clock.clearTimer(prior.timer);
    const entry: { state: ShapingState; timer?: TimerHandle } = { state };
    if (state.until !== undefined) {
      entry.timer = this.ctx.clock.setTimer(Math.max(0, state.until - this.ctx.clock.now()), () => {
        // Every node ends a timed state on its own timer: nothing to tell.
        if (this.states.get(state.id) === entry) this.drop(state.id, 'expired', false);
      });
    }
    this.states.set(state.id, entry);
    this.persist(() => this.store?.putState(state));
    if (share) this.options.shared?.put(state.id, state);
    this.announce(change, state);
  }

  private drop(id: string, change: 'cleared' | 'expired', share: boolean): void {
    const e = this.states.get(id);
    if (e === undefined) return;
    if (e.timer) this.ctx.clock.clearTimer(e.timer);
    this.states.delete(id);
    this.persist(() => this.store?.deleteState(id));
    if (share) this.options.shared?.remove(id);
    this.announce(change, e.state);
  }

  /** The queue's suspensions (operator, rule or policy) are stored and announced here. */
  private onSuspension(ev: SuspensionChanged): void {
    const state = suspensionState(ev.suspension);
    if (ev.change === 'set') {
      this.persist(() => this.store?.putState(state));
      const restored = this.restoring.delete(state.id);
      this.announce(restored ? 'restored' : 'set', state);
    } else {
      this.persist(() => this.store?.deleteState(state.id));
      this.announce(ev.change === 'lifted' ? 'cleared' : 'expired', state);
    }
  }

  private announce(change: ShapingChanged['change'], state: ShapingState): void {
    this.ctx.bus.publish('shaping.changed', { time: this.ctx.clock.now(), change, state });
  }

  /**
   * A store that fails must not stop shaping: the state holds in memory. The spool's store does not
   * throw on a full disk (it writes into the spool's reserve, or keeps the change and retries it);
   * a store that throws loses the change at the next restart, hence the error.
   */
  private persist(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.logger.error({ err }, 'shaping store write failed; the state holds until restart only');
    }
  }

  /** At start: states still running get their remaining time; those that ended while down are dropped. */
  private async restore(): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const now = this.ctx.clock.now();
    for (const s of store.loadStates()) {
      if (s.until !== undefined && s.until <= now) {
        this.persist(() => store.deleteState(s.id));
        continue;
      }
      if (s.kind !== 'suspend') {
        this.put(s, 'restored', false);
        continue;
      }
      this.restoring.add(s.id);
      try {
        await this.ctx.bus.request('queue.suspend', {
          ...(s.binding !== undefined ? { binding: s.binding } : {}),
          ...(s.domain !== undefined ? { domain: s.domain } : {}),
          ...(s.until !== undefined ? { until: s.until } : {}),
          ...(s.cause !== undefined ? { reason: s.cause } : {}),
          ...(s.source !== 'operator' ? { source: s.source } : {}),
          ...(s.rule !== undefined ? { rule: s.rule } : {}),
          since: s.since,
        });
      } catch (err) {
        this.restoring.delete(s.id);
        this.ctx.logger.error({ err, state: s.id }, 'restoring a suspension failed');
      }
    }
  }
}
