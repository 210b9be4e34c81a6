/**
 * The composition root: builds the bus and every service, starts them in dependency order,
 * announces `system.ready` (the spool then replays unfinished mail) and stops them in reverse.
 */
import { Bus, SystemClock, type Clock, type Logger, type PetrelConfig, type Service, type ServiceContext } from '@petrel/core';
import { ControlService } from '@petrel/control';
import { reloadConfig, type ReloadResult } from './reload.js';
import { Classifier } from '@petrel/bounce';
import { EventLog } from '@petrel/eventlog';
import { DsnService } from './dsn/index.js';
import { Listener } from '@petrel/listener';
import { OutboundService } from '@petrel/outbound';
import { QueueManager } from '@petrel/queue';
import { RoutingService } from '@petrel/routing';
import { Spool } from '@petrel/spool';

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
}

export async function startDaemon(config: PetrelConfig, logger: Logger, clock: Clock = new SystemClock()): Promise<Daemon> {
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
  const reload = async (): Promise<ReloadResult> => {
    const { next, result } = reloadConfig(current, current.source);
    current = next;
    // Services drop what they derived from the old config (routing's resolver and assigner,
    // throttle buckets, idle connections on an old route): "applied" must be true when we say it.
    if (result.applied.length > 0) bus.publish('config.reloaded', { time: clock.now(), applied: result.applied });
    logger.info(result, 'configuration reloaded');
    return result;
  };
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  // One classifier for the daemon, handed to every service that classifies, so that the event
  // log, the Momentum logs and the DSNs' bounce records always name the same class for a reply.
  const classifier = Classifier.fromConfig(config.bounce);
  const eventlog = new EventLog(ctx('eventlog'), { classifier });
  const listener = new Listener(ctx('listener'), { stopDeadlineMs: config.stop_timeout });
  // Start order = data flow order, so that every subscriber exists before its publisher runs.
  const services: Service[] = [
    eventlog,
    // Bounces: reads a failed message's body in the failure's own turn, before the spool deletes it.
    new DsnService(ctx('dsn'), classifier),
    new Spool(ctx('spool')),
    new RoutingService(ctx('routing')),
    new QueueManager(ctx('queue')),
    new OutboundService(ctx('outbound'), { stopTimeoutMs: config.stop_timeout }),
    listener,
    new ControlService(ctx('control'), {
      stop: () => stop(),
      reopenLogs: () => {
        eventlog.reopen();
        // SIGHUP is also how a renewed STARTTLS certificate and changed AUTH users are picked up.
        listener.reloadTls();
        listener.reloadUsers();
      },
      reloadConfig: reload,
    }),
  ];
  const started: Service[] = [];
  try {
    for (const s of services) {
      await s.start();
      started.push(s);
    }
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
  bus.publish('system.ready', { time: clock.now() });
  function stop(): Promise<void> {
    return (stopping ??= (async () => {
      for (const s of [...services].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          logger.error({ err, service: s.name }, 'service failed to stop cleanly');
        }
      }
      resolveStopped();
    })());
  }
  return {
    bus,
    services,
    stopped,
    reopenLogs: () => {
      eventlog.reopen();
      // SIGHUP: also picks up a renewed STARTTLS certificate and changed AUTH users.
      listener.reloadTls();
      listener.reloadUsers();
    },
    reloadConfig: reload,
    stop,
  };
}
