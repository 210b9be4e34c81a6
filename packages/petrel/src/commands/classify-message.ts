/**
 * `petrel classify --message FILE`: what the feedback loop makes of one returned message (a bounce,
 * an auto-reply, a complaint) without a daemon: the inbound parser of @petrel/bounce with the
 * configuration's [bounce] return-path domains, VERP prefix and secret and its classifier. The
 * operator's tool for a message kept as `unparsed_report` (`<spool_dir>/unparsed/<id>.eml`) or one
 * that suppressed what it should not have.
 */
import { readFileSync } from 'node:fs';
import type { PetrelConfig } from '@petrel/core';
import { parseInboundReport, type Classifier, type InboundReport } from '@petrel/bounce';
import { reportContext } from '../feedback/index.js';
import { fail } from './common.js';
import { table } from './table.js';

export interface ClassifyMessageOptions {
  /** The envelope recipients it was sent to (a stored .eml has no envelope); its headers are read too. */
  readonly rcpt: readonly string[];
  readonly json?: boolean;
}

/** Parses `file` as a message that came back to a return-path domain and prints the report. */
export function classifyMessage(
  file: string,
  config: PetrelConfig,
  classifier: Classifier,
  opts: ClassifyMessageOptions,
): void {
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (e) {
    fail(`${file}: cannot read: ${(e as Error).message}`);
  }
  const report = parseInboundReport(
    body,
    reportContext(config, opts.rcpt, (reply, domain, stage) => classifier.classify(reply, domain, stage)),
  );
  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : describe(report));
}

/** `bounce rfc3464, tied by verp to message 01M…` then one row per recipient (or the reason it is kept). */
function describe(r: InboundReport): string {
  const tie = r.messageId ? `, tied by ${r.tiedBy} to message ${r.messageId}` : ', tied to no message of ours';
  const head = `${r.kind} ${r.format}${tie}${r.feedback ? ` (feedback type ${r.feedback.feedbackType})` : ''}\n`;
  if (r.recipients.length === 0) return `${head}${r.reason ? `kept unparsed: ${r.reason}\n` : 'no recipient named\n'}`;
  const oneLine = (s: string): string => (s.length > 100 ? `${s.slice(0, 99)}…` : s);
  return `${head}${table(
    ['recipient', 'action', 'class', 'reply'],
    r.recipients.map((x) => [
      x.address,
      x.action,
      x.bounceClass === undefined ? '-' : `${x.bounceClass} ${x.bounceClassName ?? ''}`.trim(),
      oneLine(`${x.reply.code} ${x.reply.enhanced ? `${x.reply.enhanced} ` : ''}${x.reply.lines.join(' ')}`),
    ]),
  )}`;
}
