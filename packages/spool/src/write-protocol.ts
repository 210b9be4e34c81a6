/**
 * Messages between WorkerBackend (main thread) and write-worker.ts. Every request carries a
 * sequence number and gets exactly one reply with the same number; the worker applies requests in
 * arrival order (those waiting together in one transaction) and replies in that order, so a reply
 * is a promise that everything sent before it is done.
 */
import { PetrelError, type ErrorCode, type MessageEnvelope, type SpoolRecord } from '@petrel/core';
import type { OutcomeChange, OutcomeEffects, RecordOp, StoreCommitResult } from './write-transactions.js';

/** workerData of the write worker. */
export interface WriteWorkerInit {
  readonly dir: string;
}

export type WriteRequest =
  | {
      readonly type: 'store';
      readonly seq: number;
      readonly envelopes: readonly MessageEnvelope[];
      /** Every body of the batch back to back in one transferred buffer; `lengths` cuts it. */
      readonly bodies: Uint8Array;
      readonly lengths: readonly number[];
      /** StoreItem.record of each envelope (null = none). */
      readonly records: readonly (SpoolRecord | null)[];
    }
  | { readonly type: 'outcomes'; readonly seq: number; readonly changes: readonly OutcomeChange[] }
  | { readonly type: 'records'; readonly seq: number; readonly ops: readonly RecordOp[] }
  /** Close the database; the worker then ends. */
  | { readonly type: 'close'; readonly seq: number };

/** A PetrelError as data: structured clone keeps neither its class nor its fields. */
export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

export type WriteReply =
  /** Sent once, after the database opened (seq 0) or failed to. */
  | { readonly type: 'ready'; readonly seq: 0; readonly error?: SerializedError }
  | {
      readonly type: 'store';
      readonly seq: number;
      readonly result?: StoreCommitResult;
      readonly error?: SerializedError;
    }
  | {
      readonly type: 'outcomes';
      readonly seq: number;
      readonly result?: OutcomeEffects;
      readonly error?: SerializedError;
    }
  | { readonly type: 'records'; readonly seq: number; readonly result?: number; readonly error?: SerializedError }
  | { readonly type: 'close'; readonly seq: number; readonly error?: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof PetrelError) return { code: err.code, message: err.message, details: { ...err.details } };
  return { code: 'PETREL_ERR_SPOOL_WRITE', message: err instanceof Error ? err.message : String(err), details: {} };
}

export function deserializeError(e: SerializedError): PetrelError {
  return new PetrelError(e.code, e.message, e.details);
}
