/**
 * The bounce service (ARCHITECTURE.md "a bounce service in the app"): turns permanent failures,
 * expirations and (optionally) first deferrals into RFC 3464 DSNs rendered by @petrel/bounce and
 * injects them with `spool.store` from <> (Momentum's ec_internal_inject), so they are routed and
 * delivered like any message. One DSN per message and event covers all its reported recipients.
 */
import {
  domainOf,
  type DeliveryJob,
  type ReplyData,
  type RemoteEndpoint,
  type Service,
  type ServiceContext,
} from '@petrel/core';
import { inlineFor, isEightBit, renderDsn, type Classifier, type DsnAction } from '@petrel/bounce';
import { dsnIndexes } from './notify.js';

interface Failure {
  readonly index: number;
  readonly address: string;
  readonly reply: ReplyData;
  readonly stage?: number;
}

export class DsnService implements Service {
  readonly name = 'dsn';
  private readonly undo: (() => void)[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private generated = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly classifier: Classifier,
  ) {}

  async start(): Promise<void> {
    const { bus } = this.ctx;
    this.undo.push(
      bus.subscribe('delivery.attempted', (a) => {
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
        if (f.quiet) return; // Momentum `fail … quiet`
        const byIndex = new Map(f.job.recipients.map((r) => [r.index, r.address]));
        const items = f.indexes.flatMap((index) => (byIndex.has(index) ? [{ index, address: byIndex.get(index)!, reply: f.reply }] : []));
        this.report(f.job, items, 'failed', undefined, this.ctx.clock.now());
      }),
      bus.subscribe('delivery.deferred', (d) => {
        if (d.attempts !== 1) return; // one delay notice per recipient: after the first deferral
        if (!this.ctx.config.delivery.policy(d.job.binding, d.job.domain).generate_delay_dsn) return;
        this.report(d.job, d.job.recipients.map((r) => ({ index: r.index, address: r.address, reply: d.reply })), 'delayed', undefined, this.ctx.clock.now());
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    await Promise.allSettled([...this.inflight]);
  }

  /** DSNs stored so far. */
  get count(): number {
    return this.generated;
  }

  private report(job: DeliveryJob, items: readonly Failure[], action: DsnAction, remote: RemoteEndpoint | undefined, lastAttemptAt: number): void {
    const policy = this.ctx.config.delivery.policy(job.binding, job.domain);
    const kind = action === 'delayed' ? 'delay' : action === 'relayed' ? 'success' : 'failure';
    const keep = new Set(dsnIndexes(job, items.map((i) => i.index), kind, policy.generate_bounces));
    const covered = items.filter((i) => keep.has(i.index));
    if (covered.length === 0) return;
    // A success notice returns headers at most (RFC 3461 §4.3: RET applies to failures).
    const include = action === 'relayed' ? (inlineFor(job.ret, policy.bounces_inline_original) === 'none' ? 'none' : 'headers') : inlineFor(job.ret, policy.bounces_inline_original);
    // Read the body now, in this turn: the spool deletes a finished message in its outcome batch
    // on a later turn (setImmediate), and its spool.body handler answers synchronously.
    const body = include === 'none' ? Promise.resolve(undefined) : this.ctx.bus.request('spool.body', { id: job.messageId });
    const p = this.send(job, covered, action, remote, lastAttemptAt, include, body, policy)
      .catch((err: unknown) => this.ctx.logger.error({ err, messageId: job.messageId }, 'could not generate a DSN'))
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async send(
    job: DeliveryJob,
    covered: readonly Failure[],
    action: DsnAction,
    remote: RemoteEndpoint | undefined,
    lastAttemptAt: number,
    include: ReturnType<typeof inlineFor>,
    body: Promise<Buffer | undefined>,
    policy: { readonly mailerdaemon: string; readonly message_expiration: number },
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
          ...(action === 'delayed' ? { willRetryUntil: job.receivedAt + policy.message_expiration } : {}),
        };
      }),
      ...(original ? { original } : {}),
      include,
      date: now,
    });
    const { id } = await bus.request('spool.store', {
      envelope: {
        id: '',
        sender: '', // RFC 5321 §4.5.5: notifications use the null reverse-path
        recipients: [{ address: job.sender, domain: domainOf(job.sender) }],
        receivedAt: now,
        size: dsn.length,
        protocol: 'internal',
        ...(isEightBit(dsn) ? { bodyType: '8BITMIME' as const } : {}),
        // RFC 6531: a UTF-8 sender address needs SMTPUTF8 on the way back.
        ...(/[^\x00-\x7f]/.test(job.sender) ? { smtputf8: true } : {}),
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
        const k = this.classifier.classify(c.reply, job.domain);
        return { index: c.index, address: c.address, reply: c.reply, ...(c.stage !== undefined ? { stage: c.stage } : {}), bounceClass: k.code, bounceClassName: k.name };
      }),
    });
  }
}
