/**
 * Per-transaction bookkeeping: one result slot per recipient, filled exactly once.
 */
import type { SmtpReply } from '@petrel/core';
import type { RecipientResult, Transaction } from './types.js';

export class TransactionState {
  private readonly results: (RecipientResult | undefined)[];
  /** Indexes of recipients a RCPT accepted, in order. */
  readonly accepted: number[] = [];
  mailReply: SmtpReply | undefined;
  /** MAIL was refused (or refused before sending): no RCPT/DATA matter any more. */
  mailRefused = false;
  /** DATA got 354: the body (or at least the final dot) must follow. */
  dataAccepted = false;
  /** Commands sent whose replies are not read yet (a pipelined group being built). */
  batching = false;

  /** The body as it goes on the wire (the caller's, or its 7-bit downconversion). */
  body: Buffer;
  /** BODY= as sent in MAIL (8BITMIME may be dropped after a downconversion). */
  bodyType: Transaction['bodyType'];

  constructor(readonly tx: Transaction) {
    this.results = tx.recipients.map(() => undefined);
    this.body = tx.body;
    this.bodyType = tx.bodyType;
  }

  isSettled(index: number): boolean {
    return this.results[index] !== undefined;
  }

  /** True when every recipient has its final result. */
  get settled(): boolean {
    return this.results.every((r) => r !== undefined);
  }

  /**
   * Records a recipient's result unless it already has one. 2xx = delivered, 4xx (and oddities) = transient, 5xx =
   * permanent.
   */
  settle(index: number, reply: SmtpReply, stage: number, force?: RecipientResult['status']): void {
    const rcpt = this.tx.recipients[index];
    if (!rcpt || this.results[index] !== undefined) return;
    const status =
      force ?? (reply.code >= 200 && reply.code < 300 ? 'delivered' : reply.isPermanent() ? 'permanent' : 'transient');
    this.results[index] = { address: rcpt.address, status, reply, stage };
  }

  /** Every recipient still without a result (or only the accepted ones) gets this reply. */
  settleAll(
    reply: SmtpReply,
    stage: number,
    which: 'pending' | 'accepted' = 'pending',
    force?: RecipientResult['status'],
  ): void {
    const idx = which === 'accepted' ? this.accepted : this.tx.recipients.map((_, i) => i);
    for (const i of idx) this.settle(i, reply, stage, force);
  }

  /** The results, in transaction order; `fallback` fills any slot left empty. */
  finish(fallback: SmtpReply, stage: number): RecipientResult[] {
    this.settleAll(fallback, stage);
    return this.results.map((r) => r!);
  }
}
