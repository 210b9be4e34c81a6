/**
 * The composition root: builds the bus and every service, starts them in dependency order,
 * announces `system.ready` (the spool then replays unfinished mail) and stops them in reverse.
 */
import {
  Bus,
  SystemClock,
  type Clock,
  type Logger,
  type PetrelConfig,
  type Service,
  type ServiceContext,
  type ShapingStore,
} from '@petrel/core';
import { ControlService } from '@petrel/control';
import { reloadConfig, type ReloadResult } from './reload.js';
import { Classifier } from '@petrel/bounce';
import { EventLog } from '@petrel/eventlog';
import { DsnService } from './dsn/index.js';
import { Listener } from '@petrel/listener';
import { HttpInjector } from '@petrel/http-injector';
import { WebhooksService } from '@petrel/webhooks';
import { httpReception } from './http-signing.js';
import { OutboundService } from '@petrel/outbound';
import { ClusterService } from '@petrel/cluster';
import { QueueManager } from '@petrel/queue';
import { RoutingService } from '@petrel/routing';
import { Spool } from '@petrel/spool';
import { InboundReportService, SuppressionService } from './feedback/index.js';
import { ShapingService } from '@petrel/shaping';
import { startWatchdog, type Watchdog } from '@petrel/policy';
import { PolicyHost } from './policy/host.js';
import { dkimSignerSource } from './dkim/signing.js';

export interface Daemon {
  readonly bus: Bus;
  readonly services: readonly Service[];
  /** Graceful stop: listener first (no new mail), spool and event log last (flush). */
  stop(): Promise<void>;
  /** Reopens log files (SIGHUP, logrotate). */
  reopenLogs(): void;
  /** Re-reads the config file; delivery options apply live. Throws on a bad file (old config stays). */
  reloadConfig(): Promise<ReloadResult>;
  /** Resolves when the daemon has stopped (e.g. through `petrel stop`). */
  readonly stopped: Promise<void>;
  /** The policy modules (docs/policy.md). */
  readonly policy: PolicyHost;
  /**
   * Loads the running config's policy modules again (SIGHUP); false when one failed (the old set stays, the error is
   * logged).
   */
  reloadPolicies(): Promise<boolean>;
}

export async function startDaemon(
  config: PetrelConfig,
  logger: Logger,
  clock: Clock = new SystemClock(),
): Promise<Daemon> {
  const bus = new Bus(logger.child({ service: 'bus' }));
  // Services read ctx.config on use, so a reload swaps the config under them and then announces
  // `config.reloaded` (delivery options, binding rules apply live; sections bound at start are
  // reported as needing a restart).
  let current = config;
  const ctx = (name: string): ServiceContext => ({
    get config() {
      return current;
    },
    bus,
    clock,
    logger: logger.child({ service: name }),
  });
  // Policy modules load before any service starts: a bad module stops the start, naming the file.
  const policy = new PolicyHost({ bus, clock, logger: logger.child({ service: 'policy' }), config: () => current });
  policy.swap(await policy.load(config.policy));
  const reload = async (): Promise<ReloadResult> => {
    const { next, result } = reloadConfig(current, current.source);
    // All or nothing: when a module of the new list fails, neither the config nor the modules change.
    const set = next.policy.length > 0 || policy.set.modules.length > 0 ? await policy.reload(next.policy) : undefined;
    current = next;
    // Services drop what they derived from the old config (routing's resolver and assigner,
    // throttle buckets, idle connections on an old route): "applied" must be true when we say it.
    const withPolicy = set
      ? { ...result, applied: [...result.applied, `policy modules (${set.modules.length} loaded)`] }
      : result;
    if (withPolicy.applied.length > 0)
      bus.publish('config.reloaded', { time: clock.now(), applied: withPolicy.applied });
    logger.info(withPolicy, 'configuration reloaded');
    return withPolicy;
  };
  const reloadPolicies = async (): Promise<boolean> => {
    try {
      await policy.reload(current.policy);
      return true;
    } catch {
      return false;
    }
  };
  // A synchronous infinite loop (e.g. in a hook) cannot be stopped from this thread: the watchdog kills the process.
  const watchdog: Watchdog | undefined =
    config.watchdog_timeout > 0 ? startWatchdog({ timeoutMs: config.watchdog_timeout }) : undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  // One classifier for the daemon (with the policy classify hook), handed to every service that
  // classifies, so that the event log, the Momentum logs and the DSNs' bounce records always agree.
  const classifier = policy.classifier(Classifier.fromConfig(config.bounce));
  const eventlog = new EventLog(ctx('eventlog'), { classifier });
  // DKIM: signed at reception, before the spool commit; keys come from the current config (reload rotates them).
  const signer = dkimSignerSource({
    config: () => current,
    logger: logger.child({ service: 'dkim' }),
    clock,
    policy: () => policy.set,
  });
  const listener = new Listener(ctx('listener'), {
    stopDeadlineMs: config.stop_timeout,
    policy: policy.inboundSource,
    signer,
  });
  // Shaping states and warm-up counters live in the spool database (docs/shaping.md), opened once,
  // on first use by the queue's start (after the spool holds its lock), closed after every stop.
  // Opened through the spool, so that their writes on a full disk share its outcome reserve.
  const spool = new Spool(ctx('spool'));
  let shapingStore: ShapingStore | undefined;
  const store = (): ShapingStore => (shapingStore ??= spool.openShapingStore());
  // The HTTP API's reception path: the same DKIM signer as the listener's (http-signing.ts).
  const http = new HttpInjector(ctx('http'), { stopDeadlineMs: config.stop_timeout, reception: httpReception(signer) });
  // [cluster] redis: shared throttles, connection limits, suspensions, shaping states and the
  // suppression list (docs/scaling.md). A single node builds none of it: the services get no
  // ports and keep their local code paths.
  const cluster = config.cluster.redis !== '' ? new ClusterService(ctx('cluster')) : undefined;
  // Start order = data flow order, so that every subscriber exists before its publisher runs.
  const services: Service[] = [
    ...(cluster ? [cluster] : []),
    eventlog,
    // Bounces: reads a failed message's body in the failure's own turn, before the spool deletes it.
    new DsnService(ctx('dsn'), classifier),
    spool,
    // After the spool (its lock, its database), before the listener that asks it at RCPT.
    new SuppressionService(ctx('suppression'), {
      // In a cluster the spool's list is this node's copy of the shared one (docs/scaling.md).
      open: () => {
        const local = spool.openSuppressionStore();
        return cluster ? cluster.suppressions.share(local) : local;
      },
      classify: (r, d, s) => classifier.classify(r, d, s),
    }),
    new InboundReportService(ctx('inbound'), { classify: (r, d, s) => classifier.classify(r, d, s) }),
    // After the spool (its cursors are spool records), before anything that makes event records.
    new WebhooksService(ctx('webhooks')),
    new RoutingService(ctx('routing'), { setBinding: policy.setBindingSource }),
    new QueueManager(ctx('queue'), {
      connectionGoal: policy.connectionGoal,
      shapingStore: store,
      ...(cluster ? { cluster: cluster.queuePorts } : {}),
    }),
    // After the queue: restoring a suspension is a queue.suspend, before the spool replays mail.
    new ShapingService(ctx('shaping'), { store, ...(cluster ? { shared: cluster.shaping } : {}) }),
    new OutboundService(ctx('outbound'), {
      stopTimeoutMs: config.stop_timeout,
      policy: policy.outboundSource,
      ...(cluster ? { cluster: cluster.outboundPorts } : {}),
    }),
    listener,
    http,
    new ControlService(ctx('control'), {
      stop: () => stop(),
      reopenLogs,
      reloadConfig: reload,
    }),
  ];
  const started: Service[] = [];
  policy.start();
  try {
    for (const s of services) {
      await s.start();
      started.push(s);
    }
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    shapingStore?.close();
    policy.stop();
    watchdog?.stop();
    throw err;
  }
  bus.publish('system.ready', { time: clock.now() });
  function stop(): Promise<void> {
    stopping ??= (async () => {
      for (const s of [...services].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          logger.error({ err, service: s.name }, 'service failed to stop cleanly');
        }
      }
      shapingStore?.close();
      policy.stop();
      watchdog?.stop();
      resolveStopped();
    })();
    return stopping;
  }
  function reopenLogs(): void {
    // Fire and forget (SIGHUP, `petrel log reopen`): a failed open keeps the old file in use, and
    // anything else that goes wrong is logged here rather than left as an unhandled rejection.
    void eventlog.reopen().catch((err: unknown) => logger.error({ err }, 'reopening the event logs failed'));
    // SIGHUP is also how a renewed STARTTLS certificate and changed AUTH users are picked up.
    listener.reloadTls();
    listener.reloadUsers();
    http.reloadTokens();
  }
  return {
    bus,
    services,
    stopped,
    reopenLogs,
    reloadConfig: reload,
    stop,
    policy,
    reloadPolicies,
  };
}
