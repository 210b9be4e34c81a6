/**
 * Answers `eventlog.trace`: every record of one message from events.jsonl and the rotated
 * events.jsonl.1, oldest first. Read line by line and bounded: an operator tool, not a hot path.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PetrelError, type EventLogRecord } from '@petrel/core';

/** Files larger than this are not scanned (the request fails instead of reading for minutes). */
export const MAX_SCAN = 512 * 1024 * 1024;

async function grep(file: string, messageId: string, limit: number, out: EventLogRecord[]): Promise<void> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // not rotated yet / nothing written yet
    throw new PetrelError(
      'PETREL_ERR_EVENTLOG_TRACE',
      `${file}: cannot read it: ${(e as Error).message}`,
      { file },
      { cause: e },
    );
  }
  if (size > MAX_SCAN)
    throw new PetrelError(
      'PETREL_ERR_EVENTLOG_TRACE',
      `${file}: ${size} bytes, more than a trace scans (${MAX_SCAN}); search it with grep`,
      { file },
    );
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.includes(messageId)) continue;
    try {
      const rec = JSON.parse(line) as EventLogRecord;
      if (rec.message_id === messageId) out.push(rec);
    } catch {
      // a torn last line after a crash: skip it
    }
    if (out.length >= limit) break;
  }
}

/** The records of `messageId` in `path.1` then `path`, at most `limit`. */
export async function traceMessage(path: string, messageId: string, limit = 10_000): Promise<EventLogRecord[]> {
  const out: EventLogRecord[] = [];
  await grep(`${path}.1`, messageId, limit, out);
  if (out.length < limit) await grep(path, messageId, limit, out);
  return out;
}
