/**
 * The daemon's policy host: owns the current module set (an immutable PolicySet), swaps it on
 * reload only when every module of the new list loads, and hands services their hook points.
 * Hook points read the current set when a session or connection starts (listener, outbound) or
 * per message (routing), so work in flight keeps the set it started with.
 */
import type { Bus, Clock, Logger, PetrelConfig, PolicyModuleConfig } from '@petrel/core';
import type { Classifier } from '@petrel/bounce';
import type { InboundPolicy, InboundPolicySource } from '@petrel/listener';
import type { OutboundPolicy, OutboundPolicySource } from '@petrel/outbound';
import {
  buildInjectRequest,
  loadPolicySet,
  PolicyMetrics,
  PolicySet,
  type InjectMessage,
  type PolicyEnv,
} from '@petrel/policy';
import { defaultConnectionGoal, type ConnectionGoalFn } from '@petrel/queue';
import type { SetBindingHook, SetBindingSource } from '@petrel/routing';
import { inboundAdapter, messageInfo, outboundAdapter, replyView, setBindingAdapter } from './adapters.js';

export interface PolicyHostOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The running config (hostname for inject(), bindings for setBinding checks). */
  readonly config: () => PetrelConfig;
}

interface Adapted {
  readonly set: PolicySet;
  readonly inbound: InboundPolicy | undefined;
  readonly outbound: OutboundPolicy | undefined;
  readonly setBinding: SetBindingHook | undefined;
}

export class PolicyHost {
  readonly metrics = new PolicyMetrics();
  private current: Adapted;
  private injected = 0;
  private readonly undo: (() => void)[] = [];

  constructor(private readonly options: PolicyHostOptions) {
    this.current = this.adapt(new PolicySet([], this.env()));
  }

  /** The environment every set runs in: logger, shared metrics, inject(). */
  env(): PolicyEnv {
    return {
      logger: this.options.logger,
      metrics: this.metrics,
      inject: (m) => this.inject(m),
      shaping: {
        set: (state) => this.options.bus.request('shaping.set', { ...state, source: 'policy' }),
        clear: (id) => this.options.bus.request('shaping.clear', { id }),
        list: () => this.options.bus.request('shaping.list', {}),
      },
    };
  }

  get set(): PolicySet {
    return this.current.set;
  }

  /** Loads a list of modules into a new set without installing it; throws PETREL_ERR_POLICY naming the file. */
  load(entries: readonly PolicyModuleConfig[]): Promise<PolicySet> {
    return loadPolicySet(
      entries.map((e) => ({ file: e.module, timeoutMs: e.timeout })),
      this.env(),
    );
  }

  /** Installs a set: new sessions, connections and messages use it from now on. */
  swap(set: PolicySet): void {
    this.current = this.adapt(set);
    this.options.logger.info(
      { modules: set.modules.map((m) => m.file), hooks: set.hookNames() },
      set.modules.length > 0 ? 'policy modules loaded' : 'no policy modules',
    );
  }

  /** Loads and installs; on failure logs it, keeps the old set and rethrows. */
  async reload(entries: readonly PolicyModuleConfig[]): Promise<PolicySet> {
    try {
      const set = await this.load(entries);
      this.swap(set);
      return set;
    } catch (err) {
      this.options.logger.error({ err }, 'policy reload failed; the previous modules stay');
      throw err;
    }
  }

  private adapt(set: PolicySet): Adapted {
    const exists = (t: { binding: string } | { bindingGroup: string }): boolean => {
      const tree = this.options.config().scopes;
      return 'binding' in t ? tree.bindings.has(t.binding) : tree.groups.has(t.bindingGroup);
    };
    return {
      set,
      inbound: inboundAdapter(set),
      outbound: outboundAdapter(set),
      setBinding: setBindingAdapter(set, exists),
    };
  }

  // ---- hook points for services ----------------------------------------------------------------

  readonly inboundSource: InboundPolicySource = () => this.current.inbound;
  readonly outboundSource: OutboundPolicySource = () => this.current.outbound;
  readonly setBindingSource: SetBindingSource = () => this.current.setBinding;

  /** The queue's connection goal: the default curve, replaced by a module's connectionGoal. */
  readonly connectionGoal: ConnectionGoalFn = (input) => {
    const d = defaultConnectionGoal(input);
    const set = this.current.set;
    return set.has('connectionGoal') ? set.connectionGoal({ ...input, defaultGoal: d }) : d;
  };

  /** The classifier with modules' classify applied after the rules (Momentum: after smtp_error_classify's rules). */
  classifier(base: Classifier): Classifier {
    const wrapped = Object.create(base) as Classifier;
    wrapped.classify = (reply, domain = '', stage) => {
      const c = base.classify(reply, domain, stage);
      const set = this.current.set;
      if (!set.has('classify')) return c;
      const view =
        typeof reply === 'string' ? { code: Number(reply.slice(0, 3)), text: reply.slice(4) } : replyView(reply);
      const code = set.classify(
        { reply: view, domain, bounceClass: c.code, bounceClassName: c.name },
        (k) => base.classForId(k) !== undefined,
      );
      if (code === undefined || code === c.code) return c;
      const k = base.classForId(code)!;
      return { code: k.code, name: k.name, category: k.category, rule: 'policy classify' };
    };
    return wrapped;
  }

  // ---- observers -------------------------------------------------------------------------------

  /** Subscribes the observer hooks to bus events; each checks the current set, so a reload needs nothing here. */
  start(): void {
    const { bus } = this.options;
    const s = (): PolicySet => this.current.set;
    this.undo.push(
      bus.handle('policy.stats', () => ({
        modules: this.current.set.modules.length,
        hooks: this.metrics.list().map((x) => ({ ...x })),
      })),
      bus.subscribe('message.spooled', (e) => {
        if (e.recovered || !s().has('onReception')) return;
        s().observe('onReception', () => ({ message: messageInfo(e.envelope), protocol: e.envelope.protocol }));
      }),
      bus.subscribe('delivery.attempted', (a) => {
        const set = s();
        if (!set.has('onDelivery') && !set.has('onTransientFailure') && !set.has('onPermanentFailure')) return;
        for (const o of a.outcomes) {
          const hook =
            o.status === 'delivered'
              ? 'onDelivery'
              : o.status === 'transient'
                ? 'onTransientFailure'
                : 'onPermanentFailure';
          set.observe(hook, () => ({
            messageId: a.job.messageId,
            sender: a.job.sender,
            recipient: o.address,
            binding: a.job.binding,
            domain: a.job.domain,
            reply: replyView(o.reply),
            ...(a.remote ? { remote: { host: a.remote.host, ip: a.remote.ip } } : {}),
          }));
        }
      }),
      bus.subscribe('delivery.failed', (f) => {
        const set = s();
        if (!set.has('onPermanentFailure')) return;
        for (const i of f.indexes) {
          const r = f.job.recipients.find((x) => x.index === i);
          set.observe('onPermanentFailure', () => ({
            messageId: f.job.messageId,
            sender: f.job.sender,
            recipient: r?.address ?? '',
            binding: f.job.binding,
            domain: f.job.domain,
            reply: replyView(f.reply),
            reason: f.reason,
          }));
        }
      }),
      bus.subscribe('bounce.generated', (b) => {
        if (!s().has('onBounce')) return;
        s().observe('onBounce', () => ({
          dsnId: b.dsnId,
          messageId: b.job.messageId,
          action: b.action,
          recipients: b.recipients.map((r) => ({
            address: r.address,
            bounceClass: r.bounceClass,
            reply: [String(r.reply.code), r.reply.enhanced, r.reply.lines.join(' ')].filter(Boolean).join(' '),
          })),
        }));
      }),
      bus.subscribe('message.rejected', (r) => {
        if (!s().has('onRejection')) return;
        s().observe('onRejection', () => ({
          phase: r.phase,
          reply: [String(r.reply.code), r.reply.enhanced, r.reply.lines.join(' ')].filter(Boolean).join(' '),
          client: r.client,
          connectionId: r.connectionId,
          ...(r.sender !== undefined ? { sender: r.sender } : {}),
          ...(r.recipient !== undefined ? { recipient: r.recipient } : {}),
        }));
      }),
    );
  }

  stop(): void {
    for (const off of this.undo.splice(0)) off();
  }

  // ---- inject() --------------------------------------------------------------------------------

  /** ec_internal_inject: builds the message and stores it; routing and queues take it from there. */
  async inject(m: InjectMessage): Promise<{ id: string }> {
    const req = buildInjectRequest(m, {
      hostname: this.options.config().hostname,
      now: this.options.clock.now(),
      seq: ++this.injected,
    });
    const { id } = await this.options.bus.request('spool.store', req);
    this.options.logger.info(
      { id, sender: req.envelope.sender, recipients: req.envelope.recipients.map((r) => r.address) },
      'policy inject(): message stored',
    );
    return { id };
  }
}
