/**
 * `petrel message trace <id>`: every event of a message, asked of the event log over the bus
 * (`eventlog.trace`: it owns its files), and for attempts on a traced (binding, domain) the SMTP
 * transcript lines of that connection from the trace_file the config names for that scope.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { PetrelError, type Bus, type EventLogRecord, type PetrelConfig } from '@petrel/core';

const MAX_SCAN = 512 * 1024 * 1024;

async function transcript(file: string, connectionId: string, until: number): Promise<string[]> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // tracing configured after the attempt
    throw e;
  }
  if (size > MAX_SCAN)
    throw new PetrelError(
      'PETREL_ERR_EVENTLOG_TRACE',
      `${file}: ${size} bytes, more than a trace scans (${MAX_SCAN}); search it with grep`,
      { file },
    );
  const lines: string[] = [];
  const from = until - 15 * 60_000;
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    const sp = line.indexOf(' ');
    if (line.slice(sp + 1, sp + 1 + connectionId.length + 1) !== `${connectionId} `) continue;
    const t = Date.parse(line.slice(0, sp));
    if (t >= from && t <= until + 1000) lines.push(line);
  }
  return lines;
}

export interface TraceEntry {
  readonly event: EventLogRecord;
  readonly transcript?: readonly string[];
}

export async function messageTrace(bus: Bus, config: PetrelConfig, id: string): Promise<TraceEntry[]> {
  const events = await bus.request('eventlog.trace', { messageId: id });
  const out: TraceEntry[] = [];
  for (const e of events) {
    const conn = typeof e.connection_id === 'string' ? e.connection_id : undefined;
    const binding = typeof e.binding === 'string' ? e.binding : undefined;
    const domain = typeof e.domain === 'string' ? e.domain : undefined;
    const file = binding && domain ? config.delivery.get('trace_file', binding, domain) : undefined;
    if (conn && file && typeof e.time === 'string')
      out.push({ event: e, transcript: await transcript(file, conn, Date.parse(e.time)) });
    else out.push({ event: e });
  }
  return out;
}
