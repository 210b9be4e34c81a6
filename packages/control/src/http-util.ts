import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPetrelError } from '@petrel/core';

/** A control API failure with its HTTP status; the body is `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 1_048_576;

/** Reads a JSON request body (bounded); an empty body is {}. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, 'BODY_TOO_LARGE', 'request body over 1 MiB');
    chunks.push(c);
  }
  if (size === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new HttpError(400, 'BAD_JSON', `request body is not a JSON object: ${(e as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Maps an error to a status: unknown handler → 503 (that service is not running), bad input → 400. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) return sendJson(res, err.status, { error: { code: err.code, message: err.message } });
  if (isPetrelError(err)) {
    const status = err.code === 'PETREL_ERR_BUS_NO_HANDLER' ? 503 : err.code === 'PETREL_ERR_SPOOL_NOT_FOUND' ? 404 : 400;
    return sendJson(res, status, { error: { code: err.code, message: err.message } });
  }
  sendJson(res, 500, { error: { code: 'INTERNAL', message: (err as Error)?.message ?? String(err) } });
}

/** Optional string field of a JSON body or query; wrong type → 400. */
export function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new HttpError(400, 'BAD_FIELD', `${key}: expected a string`);
  return v;
}

export function num(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new HttpError(400, 'BAD_FIELD', `${key}: expected a non-negative number`);
  return n;
}

export function bool(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  return v === true || v === 'true' || v === '1';
}
