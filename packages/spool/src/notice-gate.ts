/**
 * A failure is recorded only once its DSN is durable. Recording a recipient as failed ends its
 * life in the spool (the message row goes with its last recipient), so were the failure committed
 * first, a kill -9 before the DSN's own commit would lose the notice for good. Held until the
 * bounce service answers `bounce.settled`, a crash in between leaves the recipient pending: it is
 * tried again after the restart and the DSN is made then (at least once, RFC 5321 §6.1). Postfix
 * keeps the same order: the bounce logfile is written before the queue file forgets the recipient.
 * A deferral waits the same way for its delay DSN, so the schedule that made the notice due is
 * only written once the notice is.
 */
import type { Bus, Logger } from '@petrel/core';

interface Held {
  readonly messageId: string;
  readonly record: () => void;
}

export class NoticeGate {
  private readonly held = new Set<Promise<void>>();
  /** What this turn held so far: asked about in one request at the end of the turn. */
  private turn: Held[] | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  /** Runs `record` once the message's DSNs are stored; at once when no bounce service runs. */
  hold(messageId: string, record: () => void): void {
    if (!this.bus.hasHandler('bounce.settled')) {
      record();
      return;
    }
    if (this.turn === undefined) {
      const turn: Held[] = [];
      this.turn = turn;
      // Asked after the turn's other subscribers ran, so the bounce service has begun these DSNs;
      // one request per turn, however many failures it holds (an expiry sweep, `petrel fail`).
      const p = Promise.resolve()
        .then(() => this.ask(turn))
        .finally(() => this.held.delete(p));
      this.held.add(p);
    }
    this.turn.push({ messageId, record });
  }

  private async ask(items: readonly Held[]): Promise<void> {
    this.turn = undefined;
    const messageIds = [...new Set(items.map((i) => i.messageId))];
    let unstored: readonly string[];
    try {
      unstored = await this.bus.request('bounce.settled', { messageIds });
    } catch (err) {
      for (const id of messageIds) this.unrecorded(id, err);
      return;
    }
    const failed = new Set(unstored);
    for (const i of items) if (!failed.has(i.messageId)) i.record();
    for (const id of failed) this.unrecorded(id);
  }

  /** Resolves when no failure waits for its DSN (those arriving meanwhile included). */
  async settled(): Promise<void> {
    while (this.held.size > 0) await Promise.allSettled([...this.held]);
  }

  private unrecorded(messageId: string, err?: unknown): void {
    this.logger.error(
      { messageId, err },
      'spool: a DSN could not be stored; the failure stays unrecorded and the recipient is tried again after a restart',
    );
  }
}
