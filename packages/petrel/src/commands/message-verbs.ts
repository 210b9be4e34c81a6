/** `petrel message show|retry|fail <id>` (Momentum `message details|retry|fail`). */
import type { Command } from 'commander';
import { formatReply, type MessageDetails, type QueuedJobInfo } from '@petrel/core';
import { clientOptions, withClient, type ClientOptions } from './common.js';
import { table } from './table.js';

export function registerMessageVerbs(program: Command): void {
  const message = program.command('message').description('one message in the spool');
  clientOptions(
    message.command('show').alias('details').description('envelope and per-recipient state').argument('<id>'),
  ).action((id: string, o: ClientOptions) =>
    withClient(
      o,
      (c) => c.get<MessageDetails & { queued: QueuedJobInfo[] }>(`/v1/messages/${encodeURIComponent(id)}`),
      (d) =>
        `Message ${d.envelope.id}\n  From: <${d.envelope.sender}>\n  Received: ` +
        `${new Date(d.envelope.receivedAt).toISOString()} (${d.envelope.protocol}` +
        `${d.envelope.client ? ` from ${d.envelope.client.address}` : ''})\n  Size: ${d.envelope.size}\n` +
        table(
          ['Recipient', 'Status', 'Attempts', 'Next attempt', 'Last reply'],
          d.recipients.map((r) => [
            r.address,
            r.status,
            r.attempts,
            r.nextAttemptAt ? new Date(r.nextAttemptAt).toISOString() : '-',
            r.lastReply ? formatReply(r.lastReply) : '',
          ]),
        ),
    ),
  );
  clientOptions(
    message
      .command('trace')
      .description('every event of the message, with SMTP transcripts where tracing was on')
      .argument('<id>'),
  ).action((id: string, o: ClientOptions) =>
    withClient(
      o,
      (c) =>
        c.get<{ event: Record<string, unknown>; transcript?: string[] }[]>(
          `/v1/messages/${encodeURIComponent(id)}/trace`,
        ),
      (entries) =>
        entries.length === 0
          ? `no events for ${id} in the event log\n`
          : `${entries
              .map(({ event: e, transcript }) => {
                const head =
                  `${String(e.time)} ${String(e.type).padEnd(18)} ${String(e.recipient ?? '')}` +
                  `${e.attempt ? ` attempt ${String(e.attempt)}` : ''}` +
                  `${e.remote_host ? ` ${String(e.remote_host)} [${String(e.remote_ip)}]` : ''}` +
                  `${e.reply ? `\n    ${String(e.reply)}` : ''}`;
                return transcript?.length ? `${head}\n${transcript.map((l) => `    | ${l}`).join('\n')}` : head;
              })
              .join('\n')}\n`,
    ),
  );
  clientOptions(
    message.command('retry').description('try now (its delayed recipients become due)').argument('<id>'),
  ).action((id: string, o: ClientOptions) =>
    withClient(
      o,
      (c) => c.post<{ requeued: number }>(`/v1/messages/${encodeURIComponent(id)}/retry`),
      (r) => (r.requeued ? 'Message requeued for delivery\n' : 'Message has nothing delayed to requeue\n'),
    ),
  );
  clientOptions(message.command('fail').description('fail it permanently (DSN unless --quiet)').argument('<id>'))
    .option('--quiet', 'no bounce')
    .action((id: string, o: ClientOptions & { quiet?: boolean }) =>
      withClient(
        o,
        (c) => c.post<{ failed: number }>(`/v1/messages/${encodeURIComponent(id)}/fail`, { quiet: o.quiet === true }),
        (r) => `Message failed (${r.failed} recipient(s))\n`,
      ),
    );
}
