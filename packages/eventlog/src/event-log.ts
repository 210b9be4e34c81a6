/**
 * The event log service (ARCHITECTURE.md "eventlog"): one JSON line per reception, delivery,
 * transient failure, permanent failure, expiration, rejection and generated bounce, in
 * <log_dir>/events.jsonl; optionally Momentum's mainlog, bouncelog and rejectlog ([eventlog]).
 */
import { join } from 'node:path';
import {
  formatReply,
  Stage,
  type DeliveryAttempt,
  type DeliveryFailed,
  type InboundReported,
  type Service,
  type ServiceContext,
} from '@petrel/core';
import { Classifier } from '@petrel/bounce';
import { EventFile, type EventFileOptions } from './event-file.js';
import { LineFile } from './line-file.js';
import { traceMessage } from './trace.js';
import { inboundRecords, suppressionRecord } from './inbound-records.js';
import { TLSRPT_DIR, TlsReportStore } from './tls-report.js';
import { attemptLines, bounceLine, failureLines, heartbeat, receptionLines, rejectLine } from './momentum-format.js';
import {
  attemptRecords,
  bounceRecords,
  shapingRecord,
  failureRecords,
  receptionRecords,
  rejectionRecord,
  type ClassifyFn,
  type EventRecord,
} from './records.js';

/** The file name inside log_dir. */
export const EVENTS_FILE = 'events.jsonl';
/** Momentum-format files inside log_dir, when enabled in [eventlog]. */
export const MAINLOG_FILE = 'mainlog';
export const BOUNCELOG_FILE = 'bouncelog';
export const REJECTLOG_FILE = 'rejectlog';

export interface EventLogOptions extends EventFileOptions {
  /** See the constructor. */
  readonly flushIntervalMs?: number;
  /** The classifier for bounce classes; default: built from the [bounce] config section. */
  readonly classifier?: Classifier;
}

/**
 * Subscribes `message.spooled`, `delivery.attempted`, `delivery.failed`, `message.rejected` and
 * `bounce.generated` and writes their records. Writing never throws into the publisher.
 */
export class EventLog implements Service {
  readonly name = 'eventlog';
  /** Absolute path of events.jsonl. */
  readonly path: string;
  private readonly file: EventFile;
  private readonly undo: (() => void)[] = [];
  private readonly flushIntervalMs: number;
  private readonly classify: ClassifyFn;
  private readonly mainlog: LineFile | undefined;
  private readonly bouncelog: LineFile | undefined;
  private readonly rejectlog: LineFile | undefined;
  private flusher: NodeJS.Timeout | undefined;
  /** RFC 8460 counters per domain and day (tls-report.ts). */
  private readonly tlsReports: TlsReportStore;
  private beat: NodeJS.Timeout | undefined;

  /**
   * `flushIntervalMs` (default 1000): only matters with a `minLength` above 0 (records buffered
   * for throughput, losing the kill -9 guarantee of docs/logs.md); then an operator tailing the
   * file sees each record within this bound. By default every record is written at once.
   */
  constructor(
    private readonly ctx: ServiceContext,
    options: EventLogOptions = {},
  ) {
    const dir = ctx.config.log_dir;
    this.path = join(dir, EVENTS_FILE);
    const { flushIntervalMs, classifier, ...fileOptions } = options;
    this.flushIntervalMs = flushIntervalMs ?? 1000;
    this.file = new EventFile(this.path, ctx.logger, fileOptions);
    const c = classifier ?? Classifier.fromConfig(ctx.config.bounce);
    this.classify = (reply, domain, stage) => c.classify(reply, domain, stage);
    const el = ctx.config.eventlog;
    if (el.mainlog) this.mainlog = new LineFile(join(dir, MAINLOG_FILE), ctx.logger);
    if (el.bouncelog) this.bouncelog = new LineFile(join(dir, BOUNCELOG_FILE), ctx.logger);
    if (el.rejectlog) this.rejectlog = new LineFile(join(dir, REJECTLOG_FILE), ctx.logger);
    this.tlsReports = new TlsReportStore(join(ctx.config.spool_dir, TLSRPT_DIR), ctx.logger);
  }

  async start(): Promise<void> {
    await this.file.open();
    for (const f of this.lineFiles()) f.open();
    const { bus, clock } = this.ctx;
    this.undo.push(
      // `petrel message trace`: records already buffered are flushed first, so the answer includes them.
      bus.handle('eventlog.trace', async ({ messageId }) => {
        await this.file.flush();
        return traceMessage(this.path, messageId);
      }),
    );
    this.undo.push(
      bus.subscribe('message.spooled', (ev) => {
        this.writeAll(receptionRecords(ev));
        if (this.mainlog) for (const l of receptionLines(ev)) this.mainlog.write(l);
      }),
      bus.subscribe('delivery.attempted', (ev) => this.attempted(ev)),
      bus.subscribe('delivery.failed', (ev) => this.failed(ev, clock.now())),
      bus.subscribe('message.rejected', (ev) => {
        this.file.write(rejectionRecord(ev));
        this.rejectlog?.write(rejectLine(ev));
      }),
      bus.subscribe('bounce.generated', (ev) => this.writeAll(bounceRecords(ev))),
      bus.subscribe('inbound.reported', (ev) => this.inbound(ev)),
      bus.subscribe('suppression.enforced', (ev) => {
        const rec = suppressionRecord(ev);
        this.file.write(rec);
        this.bouncelog?.write(
          bounceLine({
            time: ev.time,
            messageId: ev.messageId,
            batchId: '',
            recipient: ev.recipient,
            sender: ev.sender,
            bindingGroup: '',
            binding: '',
            stage: Stage.DURING_RCPT_TO,
            bounceClass: 25,
            size: 0,
            remoteIp: '',
            response: formatReply(ev.reply),
          }),
        );
      }),
      bus.subscribe('tls.session', (ev) => this.tlsReports.record(ev)),
      bus.handle('tls.report', async ({ domain, date }) =>
        this.tlsReports.report(domain, date, this.ctx.config.hostname),
      ),
      bus.subscribe('shaping.changed', (ev) => this.file.write(shapingRecord(ev))),
    );
    if (this.flushIntervalMs > 0) {
      // Write errors are already reported once per burst by EventFile; nothing to add here.
      this.flusher = setInterval(() => void this.file.flush().catch(() => undefined), this.flushIntervalMs);
      this.flusher.unref();
    }
    const every = this.ctx.config.eventlog.heartbeat;
    if (every > 0 && this.lineFiles().length > 0) {
      this.beat = setInterval(() => this.heartbeat(clock.now()), every);
      this.beat.unref();
    }
  }

  /** Stops listening, writes out everything buffered and closes the files. */
  async stop(): Promise<void> {
    for (const off of this.undo.splice(0)) off();
    clearInterval(this.flusher);
    clearInterval(this.beat);
    this.tlsReports.flush();
    await Promise.all([this.file.close(), ...this.lineFiles().map((f) => f.close())]);
  }

  /** Resolves when every record so far is on disk; rejects with the write error otherwise. */
  async flush(): Promise<void> {
    await Promise.all(this.lineFiles().map((f) => f.flush()));
    return this.file.flush();
  }

  /** Reopens every log by name: for SIGHUP after logrotate (Momentum's `reopen logs`). */
  async reopen(): Promise<void> {
    await Promise.all([this.file.reopen(), ...this.lineFiles().map((f) => f.reopen())]);
  }

  /** Writes the M heartbeat records now (the timer calls this every [eventlog] heartbeat). */
  heartbeat(now: number): void {
    this.mainlog?.write(heartbeat.mainlog(now));
    this.bouncelog?.write(heartbeat.bouncelog(now));
    this.rejectlog?.write(heartbeat.rejectlog(now));
  }

  private attempted(a: DeliveryAttempt): void {
    this.writeAll(attemptRecords(a, this.classify));
    if (this.mainlog) for (const l of attemptLines(a)) this.mainlog.write(l);
    if (!this.bouncelog) return;
    const j = a.job;
    for (const o of a.outcomes) {
      if (o.status !== 'permanent') continue;
      const time = a.finishedAt;
      this.bouncelog.write(
        bounceLine({
          time,
          messageId: j.messageId,
          batchId: j.id,
          recipient: o.address,
          sender: j.sender,
          bindingGroup: j.bindingGroup,
          binding: j.binding,
          stage: o.stage,
          bounceClass: this.classify(o.reply, j.domain, o.stage).code,
          size: j.size,
          remoteIp: a.remote?.ip ?? '',
          response: formatReply(o.reply),
        }),
      );
    }
  }

  private failed(f: DeliveryFailed, now: number): void {
    this.writeAll(failureRecords(f, now, this.classify));
    if (this.mainlog) for (const l of failureLines(f, now)) this.mainlog.write(l);
    if (!this.bouncelog) return;
    const j = f.job;
    const byIndex = new Map(j.recipients.map((r) => [r.index, r.address]));
    const bounceClass = this.classify(f.reply, j.domain).code;
    for (const index of f.indexes) {
      this.bouncelog.write(
        bounceLine({
          time: now,
          messageId: j.messageId,
          batchId: j.id,
          recipient: byIndex.get(index) ?? '',
          sender: j.sender,
          bindingGroup: j.bindingGroup,
          binding: j.binding,
          stage: 0,
          bounceClass,
          size: j.size,
          remoteIp: '',
          response: formatReply(f.reply),
        }),
      );
    }
  }

  /** out_of_band / feedback / unparsed_report records; bouncelog B lines (stage 21) for out-of-band bounces. */
  private inbound(ev: InboundReported): void {
    this.writeAll(inboundRecords(ev));
    if (!this.bouncelog || (ev.report.kind !== 'bounce' && ev.report.kind !== 'auto_reply')) return;
    for (const x of ev.report.recipients) {
      this.bouncelog.write(
        bounceLine({
          time: ev.time,
          messageId: ev.report.messageId ?? '',
          batchId: ev.id,
          recipient: x.address,
          sender: '',
          bindingGroup: '',
          binding: '',
          stage: Stage.OUT_OF_BAND,
          bounceClass: x.bounceClass ?? 1,
          size: ev.size,
          remoteIp: ev.clientIp,
          response: formatReply(x.reply),
        }),
      );
    }
  }

  private lineFiles(): LineFile[] {
    return [this.mainlog, this.bouncelog, this.rejectlog].filter((f): f is LineFile => f !== undefined);
  }

  private writeAll(records: readonly EventRecord[]): void {
    for (const r of records) this.file.write(r);
  }
}
