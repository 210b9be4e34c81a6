import type { Clock, Logger } from '@petrel/core';
import type { Keys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { ReplicatedTable, type ReplicatedTableEnv } from './replicated-table.js';

/** What a node's sync of one kind of shared state is built from. */
export interface TableSyncEnv {
  readonly link: RedisLink;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly node: string;
  readonly reconcileIntervalMs: number;
}

/**
 * One kind of shared state kept in one ReplicatedTable (suspensions, the suppression list): the
 * lifecycle the cluster service drives is the table's own; subclasses add how their values are
 * keyed and applied.
 */
export abstract class TableSync<V> {
  protected readonly table: ReplicatedTable<V>;

  protected constructor(env: ReplicatedTableEnv<V>) {
    this.table = new ReplicatedTable<V>(env);
  }

  start(): Promise<void> {
    return this.table.start();
  }

  stop(): void {
    this.table.stop();
  }

  /** Resolves when every change asked for so far has been written (or found Redis down). */
  settled(): Promise<void> {
    return this.table.settled();
  }

  /** Catch-up rounds done (a re-read, or one skipped as nothing changed): tests wait on it. */
  get rounds(): number {
    return this.table.rounds;
  }

  /** Catch-up rounds that read the whole table (tests). */
  get reads(): number {
    return this.table.reads;
  }
}
