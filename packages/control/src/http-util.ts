import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPetrelError } from '@petrel/core';

/** A control API failure with its HTTP status; the body is `{ error: { code, message, field?, expected? } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For a bad request field: its name and what it should have been. */
    readonly detail?: { readonly field: string; readonly expected: string },
  ) {
    super(message);
  }
}

function show(v: unknown): string {
  return typeof v === 'string'
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? 'a list'
      : v === null
        ? 'null'
        : typeof v === 'object'
          ? 'an object'
          : String(v);
}

/** 400 naming the field, what it should be and what came. */
export function badField(key: string, expected: string, found: unknown): HttpError {
  return new HttpError(400, 'BAD_FIELD', `${key}: expected ${expected}, found ${show(found)}`, {
    field: key,
    expected,
  });
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
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: { code: err.code, message: err.message, ...err.detail } });
    return;
  }
  if (isPetrelError(err)) {
    const status =
      err.code === 'PETREL_ERR_BUS_NO_HANDLER'
        ? 503
        : err.code === 'PETREL_ERR_SPOOL_NOT_FOUND'
          ? 404
          : err.code === 'PETREL_ERR_CLUSTER_OFF'
            ? 409
            : 400;
    sendJson(res, status, { error: { code: err.code, message: err.message } });
    return;
  }
  sendJson(res, 500, { error: { code: 'INTERNAL', message: (err as Error)?.message ?? String(err) } });
}

/** Optional string field of a JSON body or query; wrong type → 400. */
export function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw badField(key, 'a string', v);
  return v;
}

/** Optional non-negative number; a query string's digits count (GET), anything else → 400. */
export function num(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) throw badField(key, 'a non-negative number', v);
  return n;
}

/**
 * Optional boolean, false when absent. Only JSON true/false (or "true"/"false" in a query string):
 * anything else is a 400, never read as false — `dryRun: "yes"` must not fail mail for real.
 */
export function bool(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badField(key, 'a boolean (true or false)', v);
}

/** Rejects fields a route does not know, so a misspelt `dryrun` is not silently ignored. */
export function onlyFields(o: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!known.includes(k))
      throw new HttpError(400, 'BAD_FIELD', `${k}: unknown field (known fields: ${known.join(', ') || 'none'})`, {
        field: k,
        expected: `one of ${known.join(', ') || 'no fields'}`,
      });
}
