/**
 * Operator suspensions (Momentum `config set … suspend_delivery true`, Petrel `petrel suspend`):
 * per domain, per binding, per binding::domain or everything, optionally timed and with a reason. Mail of a
 * suspended destination stays queued and counted; nothing is handed to a connection.
 *
 * A lookup is three Map probes; queues cache the answer against `generation`, which changes on
 * every suspend or resume, so the hot path (`queue.take`) pays one integer compare.
 */
import type { Suspension } from '@petrel/core';

const key = (binding: string | undefined, domain: string | undefined): string => `${binding ?? ''}\u0000${domain ?? ''}`;

export class SuspensionTable {
  private readonly byKey = new Map<string, Suspension>();
  private gen = 0;

  /** Changes whenever a suspension is added or removed. */
  get generation(): number {
    return this.gen;
  }

  /** Adds (or replaces) the suspension of its (binding, domain) selector. */
  add(s: Suspension): void {
    this.byKey.set(key(s.binding, s.domain), s);
    this.gen++;
  }

  /** Removes the suspension set exactly for (binding, domain); returns it, if there was one. */
  remove(binding: string | undefined, domain: string | undefined): Suspension | undefined {
    const k = key(binding, domain);
    const s = this.byKey.get(k);
    if (s === undefined) return undefined;
    this.byKey.delete(k);
    this.gen++;
    return s;
  }

  /** Removes `s` if it is still the one in force for its selector (a timed suspension ending). */
  expire(s: Suspension): boolean {
    const k = key(s.binding, s.domain);
    if (this.byKey.get(k) !== s) return false;
    this.byKey.delete(k);
    this.gen++;
    return true;
  }

  /** True when a suspension covers (binding, domain). */
  covers(binding: string, domain: string): boolean {
    if (this.byKey.size === 0) return false;
    return (
      this.byKey.has(key(binding, domain)) ||
      this.byKey.has(key(binding, undefined)) ||
      this.byKey.has(key(undefined, domain)) ||
      this.byKey.has(key(undefined, undefined))
    );
  }

  list(): Suspension[] {
    return [...this.byKey.values()];
  }
}
