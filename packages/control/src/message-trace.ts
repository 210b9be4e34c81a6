/**
 * `petrel message trace <id>`: every event of a message from the event log (reception, each
 * attempt with its reply, DSN), and for attempts on a traced (binding, domain) the SMTP transcript
 * lines of that connection from its trace_file. Reads events.jsonl and the rotated events.jsonl.1,
 * bounded, line by line: an operator tool, not a hot path.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PetrelConfig } from '@petrel/core';

const MAX_SCAN = 512 * 1024 * 1024;

async function grepJsonLines(file: string, needle: string, limit: number): Promise<Record<string, unknown>[]> {
  if (!existsSync(file) || statSync(file).size > MAX_SCAN) return [];
  const out: Record<string, unknown>[] = [];
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.includes(needle)) continue;
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.message_id === needle) out.push(rec);
    } catch {
      // a torn last line after a crash: skip it
    }
    if (out.length >= limit) break;
  }
  return out;
}

async function transcript(file: string, connectionId: string, until: number): Promise<string[]> {
  if (!existsSync(file) || statSync(file).size > MAX_SCAN) return [];
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
  readonly event: Record<string, unknown>;
  readonly transcript?: readonly string[];
}

export async function messageTrace(config: PetrelConfig, id: string): Promise<TraceEntry[]> {
  const log = join(config.log_dir, 'events.jsonl');
  const events = [...(await grepJsonLines(`${log}.1`, id, 10_000)), ...(await grepJsonLines(log, id, 10_000))];
  const out: TraceEntry[] = [];
  for (const e of events) {
    const conn = typeof e.connection_id === 'string' ? e.connection_id : undefined;
    const binding = typeof e.binding === 'string' ? e.binding : undefined;
    const domain = typeof e.domain === 'string' ? e.domain : undefined;
    const file = binding && domain ? config.delivery.get('trace_file', binding, domain) : undefined;
    if (conn && file && typeof e.time === 'string') out.push({ event: e, transcript: await transcript(file, conn, Date.parse(e.time)) });
    else out.push({ event: e });
  }
  return out;
}
