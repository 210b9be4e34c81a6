/** Counters per (module, hook): calls, errors, timeouts, latency (the "metric per module and hook"). */
import type { HookName } from './types.js';

export interface HookStats {
  readonly module: string;
  readonly hook: HookName;
  calls: number;
  /** Throws, rejections and invalid results. */
  errors: number;
  timeouts: number;
  /** Sum of call durations, seconds (with `calls`: the mean). */
  latencySum: number;
  /** The longest call, seconds. */
  latencyMax: number;
}

/** Shared by every set a daemon loads, so counters survive a reload. */
export class PolicyMetrics {
  private readonly table = new Map<string, HookStats>();

  of(module: string, hook: HookName): HookStats {
    const key = `${module}\0${hook}`;
    let s = this.table.get(key);
    if (!s) {
      s = { module, hook, calls: 0, errors: 0, timeouts: 0, latencySum: 0, latencyMax: 0 };
      this.table.set(key, s);
    }
    return s;
  }

  list(): HookStats[] {
    return [...this.table.values()].map((s) => ({ ...s }));
  }
}
