/**
 * IP warm-up (docs/shaping.md "Warm-up"): a binding's schedule says, from day N of its start date
 * on, how many messages it may hand out per hour and per day, in total or per destination site.
 * Mail over the budget stays queued (the queue wakes it at the next window); nothing fails. The
 * counters are written to the ShapingStore, so a restart does not grant a fresh budget.
 */
import type { Clock, ShapingStore, TimerHandle, WarmupConfig, WarmupCounter, WarmupStep } from '@petrel/core';

/** The budget in force at `now`: the step for the day, and the window indexes counters belong to. */
export interface WarmupWindow {
  readonly step: WarmupStep;
  /** Day number, 1 = the start date (days before the start count as day 1). */
  readonly dayNumber: number;
  readonly hourIndex: number;
  readonly dayIndex: number;
  /** Epoch ms when the current hour and day windows end. */
  readonly hourEnds: number;
  readonly dayEnds: number;
}

/** The schedule step and windows at `now` (pure: the hour maths the unit tests check). */
export function warmupWindow(w: WarmupConfig, now: number): WarmupWindow {
  const since = now - w.start;
  const dayIndex = Math.floor(since / w.day);
  const hourIndex = Math.floor(since / w.hour);
  const dayNumber = Math.max(1, dayIndex + 1);
  let step = w.schedule[0]!;
  for (const s of w.schedule) if (s.day <= dayNumber) step = s;
  return {
    step,
    dayNumber,
    hourIndex,
    dayIndex,
    hourEnds: w.start + (hourIndex + 1) * w.hour,
    dayEnds: w.start + (dayIndex + 1) * w.day,
  };
}

/** How often counters are written to the store (and at stop). */
export const WARMUP_FLUSH_MS = 1000;

export class WarmupLedger {
  private readonly counts = new Map<string, { window: number; count: number }>();
  private readonly dirty = new Set<string>();
  private flushTimer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly schedules: () => readonly WarmupConfig[],
    private readonly store: () => ShapingStore | undefined,
  ) {}

  /** Loads the stored counters (at start). */
  load(): void {
    for (const c of this.store()?.loadCounters() ?? []) this.counts.set(c.key, { window: c.window, count: c.count });
  }

  private schedule(binding: string): WarmupConfig | undefined {
    const list = this.schedules();
    if (list.length === 0) return undefined;
    return list.find((w) => w.binding === binding);
  }

  private keys(w: WarmupConfig, destination: string): { hour: string; day: string } {
    const who = w.per === 'site' ? destination : '*';
    return { hour: `${w.binding}\u0000${who}\u0000h`, day: `${w.binding}\u0000${who}\u0000d` };
  }

  private used(key: string, window: number): number {
    const c = this.counts.get(key);
    return c !== undefined && c.window === window ? c.count : 0;
  }

  /** 0 when the binding may hand out one more message to `destination` (its site) now, else ms until it may. */
  wait(binding: string, destination: string, now: number): number {
    const w = this.schedule(binding);
    if (w === undefined) return 0;
    const win = warmupWindow(w, now);
    const k = this.keys(w, destination);
    if (win.step.daily !== undefined && this.used(k.day, win.dayIndex) >= win.step.daily) return win.dayEnds - now;
    if (win.step.hourly !== undefined && this.used(k.hour, win.hourIndex) >= win.step.hourly) return win.hourEnds - now;
    return 0;
  }

  /** Counts one message handed out. */
  consume(binding: string, destination: string, now: number): void {
    const w = this.schedule(binding);
    if (w === undefined) return;
    const win = warmupWindow(w, now);
    const k = this.keys(w, destination);
    this.bump(k.hour, win.hourIndex);
    this.bump(k.day, win.dayIndex);
    this.flushTimer ??= this.clock.setTimer(WARMUP_FLUSH_MS, () => {
      this.flushTimer = undefined;
      this.flush();
    });
  }

  private bump(key: string, window: number): void {
    const c = this.counts.get(key);
    if (c !== undefined && c.window === window) c.count++;
    else this.counts.set(key, { window, count: 1 });
    this.dirty.add(key);
  }

  /** Writes changed counters to the store. */
  flush(): void {
    const store = this.store();
    if (store === undefined || this.dirty.size === 0) return;
    const out: WarmupCounter[] = [];
    for (const key of this.dirty) {
      const c = this.counts.get(key);
      if (c) out.push({ key, window: c.window, count: c.count });
    }
    this.dirty.clear();
    store.putCounters(out);
  }

  stop(): void {
    if (this.flushTimer !== undefined) this.clock.clearTimer(this.flushTimer);
    this.flushTimer = undefined;
    this.flush();
  }
}
