/**
 * The composition root: builds the bus and every service, starts them in dependency order,
 * announces `system.ready` (the spool then replays unfinished mail) and stops them in reverse.
 */
import { Bus, SystemClock, type Clock, type Logger, type PetrelConfig, type Service, type ServiceContext } from '@petrel/core';
import { EventLog } from '@petrel/eventlog';
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
}

export async function startDaemon(config: PetrelConfig, logger: Logger, clock: Clock = new SystemClock()): Promise<Daemon> {
  const bus = new Bus(logger.child({ service: 'bus' }));
  const ctx = (name: string): ServiceContext => ({ config, bus, clock, logger: logger.child({ service: name }) });
  const eventlog = new EventLog(ctx('eventlog'));
  // Start order = data flow order, so that every subscriber exists before its publisher runs.
  const services: Service[] = [
    eventlog,
    new Spool(ctx('spool')),
    new RoutingService(ctx('routing')),
    new QueueManager(ctx('queue')),
    new OutboundService(ctx('outbound')),
    new Listener(ctx('listener')),
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
  let stopping: Promise<void> | undefined;
  return {
    bus,
    services,
    reopenLogs: () => eventlog.reopen(),
    stop: () =>
      (stopping ??= (async () => {
        for (const s of [...services].reverse()) {
          try {
            await s.stop();
          } catch (err) {
            logger.error({ err, service: s.name }, 'service failed to stop cleanly');
          }
        }
      })()),
  };
}
