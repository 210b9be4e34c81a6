/**
 * Mail to a return-path domain (docs/feedback-loop.md): the listener hands it here instead of the
 * spool; it is never relayed. Each message is parsed by @petrel/bounce into a bounce, auto-reply,
 * complaint or unparsed report; an unparsed one is kept as a file (fsynced) before the 250, hard
 * bounces and complaints join the suppression list (durably, before the 250), and
 * `inbound.reported` lets the event log write its records.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  newMessageId,
  PetrelError,
  type InboundReceive,
  type InboundReportData,
  type Requests,
  type Service,
  type ServiceContext,
} from '@petrel/core';
import { parseInboundReport, type InboundReport, type ReportContext } from '@petrel/bounce';
import { HARD_CLASSES } from './suppression-service.js';
import { reportContext } from './report-context.js';

type NewEntry = Requests['suppression.add']['payload']['entries'][number];

export interface InboundServiceOptions {
  /** The parser's classifier hook, as @petrel/bounce defines it. */
  readonly classify: ReportContext['classify'];
}

/** Writes `body` to `dir/name` and fsyncs the file and the directory (kept before the 250). */
function keep(dir: string, name: string, body: Buffer): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, name);
  const fd = openSync(file, 'wx', 0o600);
  try {
    let off = 0;
    while (off < body.length) off += writeSync(fd, body, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
  return file;
}

export class InboundReportService implements Service {
  readonly name = 'inbound';
  private readonly undo: (() => void)[] = [];
  readonly counts = { bounce: 0, auto_reply: 0, feedback: 0, unparsed: 0 };

  constructor(
    private readonly ctx: ServiceContext,
    private readonly opts: InboundServiceOptions,
  ) {}

  async start(): Promise<void> {
    this.undo.push(this.ctx.bus.handle('inbound.receive', (m) => this.receive(m)));
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0)) u();
  }

  private parse(m: InboundReceive): InboundReport {
    try {
      return parseInboundReport(m.body, reportContext(this.ctx.config, m.recipients, this.opts.classify));
    } catch (err) {
      // The parser is written not to throw; if it ever does, the message is still kept.
      this.ctx.logger.error({ err }, 'inbound report parser failed');
      return { kind: 'unparsed', format: 'none', recipients: [], reason: `parser error: ${(err as Error).message}` };
    }
  }

  /** What the report adds to the suppression list, by the [bounce] switches. */
  private entriesFor(report: InboundReport, id: string): NewEntry[] {
    const b = this.ctx.config.bounce;
    // With a VERP secret, only a report tied by a verified VERP address may suppress: anyone can
    // send a DSN naming any address, and suppression is a denial of service when forged.
    if (b.verp_secret !== '' && report.tiedBy !== 'verp') return [];
    const source = report.messageId ? `${report.messageId} (report ${id})` : `report ${id}`;
    if (report.kind === 'feedback' && b.suppress_complaints) {
      const type = report.feedback?.feedbackType ?? 'abuse';
      if (type === 'not-spam') return [];
      return report.recipients.map((r) => ({
        address: r.address,
        reason: 'complaint',
        source: `${source} feedback ${type}`,
      }));
    }
    if (report.kind === 'bounce' && b.suppress_out_of_band) {
      return report.recipients
        .filter((r) => r.action === 'failed' && r.bounceClass !== undefined && HARD_CLASSES.has(r.bounceClass))
        .map((r) => ({
          address: r.address,
          reason: 'out_of_band',
          ...(r.bounceClass !== undefined ? { bounceClass: r.bounceClass } : {}),
          source,
        }));
    }
    return [];
  }

  private async receive(m: InboundReceive): Promise<{ id: string }> {
    const now = this.ctx.clock.now();
    const id = newMessageId(now);
    const report = this.parse(m);
    let storedAt: string | undefined;
    if (report.kind === 'unparsed') {
      const dir = this.ctx.config.bounce.unparsed_dir || join(this.ctx.config.spool_dir, 'unparsed');
      try {
        storedAt = keep(dir, `${id}.eml`, m.body);
      } catch (err) {
        throw new PetrelError(
          'PETREL_ERR_INBOUND_STORE',
          `cannot keep unparsed mail in ${dir}: ${(err as Error).message}`,
          { dir },
          { cause: err },
        );
      }
    }
    const entries = this.entriesFor(report, id).filter((e) => e.address.includes('@'));
    if (entries.length > 0) await this.ctx.bus.request('suppression.add', { entries });
    this.counts[report.kind]++;
    const data: InboundReportData = report;
    this.ctx.bus.publish('inbound.reported', {
      time: now,
      id,
      sender: m.sender,
      clientIp: m.client.address,
      size: m.body.length,
      report: data,
      ...(storedAt !== undefined ? { storedAt } : {}),
      suppressed: entries.map((e) => e.address.toLowerCase()),
    });
    return { id };
  }
}
