/**
 * Coalesces `queue.demand`: however many jobs a queue gains in one event-loop turn (a routed
 * batch, a burst of due jobs), outbound hears once per queue, with the counts as they stand
 * when the turn ends.
 */
import type { DestinationQueue } from './destination-queue.js';

export class DemandCoalescer {
  private readonly pending = new Set<DestinationQueue>();
  private immediate: NodeJS.Immediate | undefined;

  constructor(private readonly publish: (queue: DestinationQueue) => void) {}

  mark(queue: DestinationQueue): void {
    this.pending.add(queue);
    // setImmediate rather than a microtask: it also gathers jobs routed from several promise
    // continuations of the same turn (the spool's group commit resolves many stores at once).
    this.immediate ??= setImmediate(() => this.flush());
  }

  stop(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.pending.clear();
  }

  private flush(): void {
    this.immediate = undefined;
    const queues = [...this.pending];
    this.pending.clear();
    for (const q of queues) if (q.active.length > 0) this.publish(q);
  }
}
