/**
 * The bounce service (ARCHITECTURE.md "a bounce service in the app"): turns permanent failures,
 * expirations and (optionally) deferrals into RFC 3464 DSNs rendered by @petrel/bounce and
 * injects them with `spool.store` from <> (Momentum's ec_internal_inject), so they are routed and
 * delivered like any message. One DSN per message and event covers all its reported recipients.
 *
 * Delay DSNs follow Momentum's delay_dsn schedule (delayDsnPoints): a deferral sends one when a
 * schedule point fell after the recipient's previous attempt and at or before this deferral.
 */
import {
  domainOf,
  type DeliveryDeferred,
  type DeliveryJob,
  type DeliveryOptions,
  type ReplyData,
  type RemoteEndpoint,
  type Service,
  type ServiceContext,
} from '@petrel/core';
import { inlineFor, isEightBit, renderDsn, type Classifier, type DsnAction } from '@petrel/bounce';
import { dsnIndexes } from './notify.js';

/**
 * How many delay-DSN schedule points lie at or before `elapsed` ms after reception. The points
 * are Momentum's delay_dsn schedule: the first at `base` (delay_dsn_retry_interval), each next one
 * a gap later that doubles from `base` up to `max` (delay_dsn_max_retry_interval; a max below base
 * counts as base) and then stays there. base 1h, max 12h: 1h, 3h, 7h, 15h, 27h, 39h, …
 * `base` must be > 0.
 */
export function delayDsnPoints(elapsed: number, base: number, max: number): number {
  const cap = Math.max(max, base);
  let n = 0;
  let at = 0;
  // The doubling part: at most log2(cap / base) steps.
  for (let gap = base; gap < cap; gap *= 2) {
    if (at + gap > elapsed) return n;
    at += gap;
    n++;
  }
  return elapsed < at + cap ? n : n + Math.floor((elapsed - at) / cap);
}

/**
 * Is a delay DSN due at a deferral at `now` for a message received at `receivedAt` whose previous
 * attempt (or reception) was at `since`? Yes when a schedule point lies in (since, now]; several
 * points passed at once (a long outage) still make one notice. A base of 0 means every deferral.
 */
export function delayDsnDue(
  receivedAt: number,
  since: number,
  now: number,
  policy: Pick<DeliveryOptions, 'delay_dsn_retry_interval' | 'delay_dsn_max_retry_interval'>,
): boolean {
  const base = policy.delay_dsn_retry_interval;
  if (base <= 0) return true;
  const max = policy.delay_dsn_max_retry_interval;
  return delayDsnPoints(now - receivedAt, base, max) > delayDsnPoints(since - receivedAt, base, max);
}

function recipientKey(messageId: string, index: number): string {
  return `${messageId} ${index}`;
}

interface Failure {
  readonly index: number;
  readonly address: string;
  readonly reply: ReplyData;
  readonly stage?: number;
}

export class DsnService implements Service {
  readonly name = 'dsn';
  private readonly undo: (() => void)[] = [];
  /**
   * Per message, whether the DSNs its reports started are stored (bounce.settled): the spool
   * records a failure only after this says true, so a kill -9 between the two cannot lose a notice.
   */
  private readonly settling = new Map<string, Promise<boolean>>();
  private generated = 0;
  /**
   * Time of each pending recipient's last deferral (`messageId index`), while delay DSNs are on
   * for it: the start of the window its next deferral checks. Before the first one this process
   * sees, the queue's `previousAttemptAt` stands in; dropped when the recipient is done.
   */
  private readonly lastDeferral = new Map<string, number>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly classifier: Classifier,
  ) {}

  async start(): Promise<void> {
    const { bus } = this.ctx;
    this.undo.push(
      bus.handle('bounce.settled', ({ messageIds }) => this.unstored(messageIds)),
      bus.subscribe('delivery.attempted', (a) => {
        for (const o of a.outcomes)
          if (o.status !== 'transient') this.lastDeferral.delete(recipientKey(a.job.messageId, o.index));
        const failed = a.outcomes.filter((o) => o.status === 'permanent');
        if (failed.length > 0) this.report(a.job, failed, 'failed', a.remote, a.finishedAt);
        // RFC 3461 §5.2.2: relaying to a hop without DSN ends our duty to report; NOTIFY=SUCCESS
        // recipients get a "relayed" DSN from us. A DSN-capable hop carries NOTIFY on and reports.
        if (a.remoteDsn === false) {
          const relayed = a.outcomes.filter((o) => o.status === 'delivered');
          if (relayed.length > 0) this.report(a.job, relayed, 'relayed', a.remote, a.finishedAt);
        }
      }),
      bus.subscribe('delivery.failed', (f) => {
        for (const index of f.indexes) this.lastDeferral.delete(recipientKey(f.job.messageId, index));
        if (f.quiet) return; // Momentum `fail … quiet`
        const byIndex = new Map(f.job.recipients.map((r) => [r.index, r.address]));
        const items = f.indexes.flatMap((index) =>
          byIndex.has(index) ? [{ index, address: byIndex.get(index)!, reply: f.reply }] : [],
        );
        // RFC 3464 §2.3.5: the last attempt, which for an expiry lies before the failure itself.
        this.report(f.job, items, 'failed', undefined, f.job.lastAttemptAt ?? this.ctx.clock.now());
      }),
      bus.subscribe('delivery.deferred', (d) => this.onDeferred(d)),
    );
  }

  private onDeferred(d: DeliveryDeferred): void {
    const { job } = d;
    const policy = this.ctx.config.delivery.policy(job.binding, job.domain);
    // Never a DSN for a DSN (RFC 3461 §6.2), so no need to track its deferrals either.
    if (!policy.generate_delay_dsn || job.sender === '') return;
    const now = this.ctx.clock.now();
    const due = job.recipients.filter((r) => {
      const key = recipientKey(job.messageId, r.index);
      // The queue says when the previous attempt was (exact in this process; derived from its own
      // schedule after a restart), for deferrals this service did not see.
      const since = this.lastDeferral.get(key) ?? d.previousAttemptAt;
      this.lastDeferral.set(key, now);
      return delayDsnDue(job.receivedAt, since, now, policy);
    });
    if (due.length === 0) return;
    const items = due.map((r) => ({ index: r.index, address: r.address, reply: d.reply }));
    // Will-Retry-Until is the expiry the queue enforces, as it published it: never re-derived here.
    this.report(job, items, 'delayed', d.remote, now, d.expiresAt);
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    // Every DSN still being made is in settling (by message) until it is stored or has failed.
    await Promise.allSettled([...this.settling.values()]);
  }

  /** DSNs stored so far. */
  get count(): number {
    return this.generated;
  }

  private report(
    job: DeliveryJob,
    items: readonly Failure[],
    action: DsnAction,
    remote: RemoteEndpoint | undefined,
    lastAttemptAt: number,
    willRetryUntil?: number,
  ): void {
    const policy = this.ctx.config.delivery.policy(job.binding, job.domain);
    const kind = action === 'delayed' ? 'delay' : action === 'relayed' ? 'success' : 'failure';
    const keep = new Set(
      dsnIndexes(
        job,
        items.map((i) => i.index),
        kind,
        policy.generate_bounces,
      ),
    );
    const covered = items.filter((i) => keep.has(i.index));
    if (covered.length === 0) return;
    // A success notice returns headers at most (RFC 3461 §4.3: RET applies to failures).
    const include =
      action === 'relayed'
        ? inlineFor(job.ret, policy.bounces_inline_original) === 'none'
          ? 'none'
          : 'headers'
        : inlineFor(job.ret, policy.bounces_inline_original);
    // Read the body now, in this turn: the spool deletes a finished message in its outcome batch
    // on a later turn (setImmediate), and its spool.body handler answers synchronously.
    const body =
      include === 'none' ? Promise.resolve(undefined) : this.ctx.bus.request('spool.body', { id: job.messageId });
    const stored = this.send(job, covered, action, remote, lastAttemptAt, willRetryUntil, include, body, policy).then(
      () => true,
      (err: unknown) => {
        this.ctx.logger.error({ err, messageId: job.messageId }, 'could not generate a DSN');
        return false;
      },
    );
    this.settle(job.messageId, stored);
  }

  /** bounce.settled: once every DSN these messages wait for is settled, those not stored. */
  private unstored(messageIds: readonly string[]): readonly string[] | Promise<readonly string[]> {
    const waits: Promise<string | undefined>[] = [];
    for (const id of messageIds) {
      const p = this.settling.get(id);
      if (p !== undefined) waits.push(p.then((stored) => (stored ? undefined : id)));
    }
    if (waits.length === 0) return [];
    return Promise.all(waits).then((r) => r.filter((id): id is string => id !== undefined));
  }

  /** Joins a DSN's storing to what its message's earlier reports still wait for. */
  private settle(messageId: string, stored: Promise<boolean>): void {
    const before = this.settling.get(messageId);
    const all = before === undefined ? stored : Promise.all([before, stored]).then(([a, b]) => a && b);
    this.settling.set(messageId, all);
    void all.then(() => {
      if (this.settling.get(messageId) === all) this.settling.delete(messageId);
    });
  }

  private async send(
    job: DeliveryJob,
    covered: readonly Failure[],
    action: DsnAction,
    remote: RemoteEndpoint | undefined,
    lastAttemptAt: number,
    willRetryUntil: number | undefined,
    include: ReturnType<typeof inlineFor>,
    body: Promise<Buffer | undefined>,
    policy: { readonly mailerdaemon: string },
  ): Promise<void> {
    const { config, clock, bus } = this.ctx;
    const original = await body.catch((err: unknown) => {
      this.ctx.logger.warn({ err, messageId: job.messageId }, 'original message unavailable; DSN sent without it');
      return undefined;
    });
    const byIndex = new Map(job.recipients.map((r) => [r.index, r]));
    const now = clock.now();
    const dsn = renderDsn({
      reportingMta: config.hostname,
      from: policy.mailerdaemon !== '' ? policy.mailerdaemon : `MAILER-DAEMON@${config.hostname}`,
      to: job.sender,
      originalId: job.messageId,
      ...(job.envid !== undefined ? { envid: job.envid } : {}),
      arrivalDate: job.receivedAt,
      recipients: covered.map((c) => {
        const orcpt = byIndex.get(c.index)?.orcpt;
        return {
          address: c.address,
          ...(orcpt !== undefined ? { orcpt } : {}),
          action,
          reply: c.reply,
          ...(remote ? { remoteMta: remote.host } : {}),
          lastAttemptAt,
          ...(willRetryUntil !== undefined ? { willRetryUntil } : {}),
        };
      }),
      ...(original ? { original } : {}),
      include,
      date: now,
    });
    const eightBit = isEightBit(dsn);
    const { id } = await bus.request('spool.store', {
      envelope: {
        id: '',
        sender: '', // RFC 5321 §4.5.5: notifications use the null reverse-path
        recipients: [{ address: job.sender, domain: domainOf(job.sender) }],
        receivedAt: now,
        size: dsn.length,
        protocol: 'internal',
        // RFC 6152: an 8bit part (message/global*, an 8-bit original) needs 8BITMIME on the way.
        ...(eightBit ? { bodyType: '8BITMIME' as const } : {}),
        // RFC 6531: a UTF-8 sender address needs SMTPUTF8 on the way back; so does a DSN that
        // returns an SMTPUTF8 message's UTF-8 header fields or addresses (RFC 6533 §4).
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the complement of all US-ASCII, controls included
        ...(/[^\x00-\x7f]/.test(job.sender) || (job.smtputf8 === true && eightBit) ? { smtputf8: true } : {}),
      },
      body: dsn,
    });
    this.generated++;
    bus.publish('bounce.generated', {
      time: now,
      dsnId: id,
      job,
      action: action === 'delayed' || action === 'relayed' ? action : 'failed',
      ...(remote ? { remote } : {}),
      recipients: covered.map((c) => {
        const k = this.classifier.classify(c.reply, job.domain, c.stage);
        return {
          index: c.index,
          address: c.address,
          reply: c.reply,
          ...(c.stage !== undefined ? { stage: c.stage } : {}),
          bounceClass: k.code,
          bounceClassName: k.name,
        };
      }),
    });
  }
}
