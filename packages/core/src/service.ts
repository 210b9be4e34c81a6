import type { Bus } from './bus.js';
import type { Clock } from './clock.js';
import type { PetrelConfig } from './config/loader.js';
import type { Logger } from './logger.js';

/** What every service is constructed with (ARCHITECTURE.md: config, bus, logger; plus the clock). */
export interface ServiceContext {
  readonly config: PetrelConfig;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** A long-lived piece of the daemon: subscribes in start(), finishes or hands back work in stop(). */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
