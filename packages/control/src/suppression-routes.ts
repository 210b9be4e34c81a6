/**
 * Control routes of the suppression list (docs/feedback-loop.md; `petrel suppression …`). Each is
 * a bus request to the suppression service; bad entries come back as PETREL_ERR_SUPPRESSION_INPUT
 * (400) and nothing of that call is applied.
 */
import type { Requests, SuppressionReason } from '@petrel/core';
import { HttpError, num, onlyFields, str } from './http-util.js';
import type { Route } from './routes.js';

type NewEntry = Requests['suppression.add']['payload']['entries'][number];

/** Most entries one add call takes (the CLI's import sends chunks). */
const MAX_ENTRIES = 5000;

function entryOf(v: unknown, i: number): NewEntry {
  if (typeof v !== 'object' || v === null) throw new HttpError(400, 'BAD_FIELD', `entries[${i}] is not an object`);
  const o = v as Record<string, unknown>;
  onlyFields(o, ['address', 'scope', 'reason', 'bounceClass', 'source', 'createdAt']);
  const address = str(o, 'address');
  if (!address) throw new HttpError(400, 'BAD_FIELD', `entries[${i}].address is required`);
  const scope = str(o, 'scope');
  const bounceClass = num(o, 'bounceClass');
  const createdAt = num(o, 'createdAt');
  return {
    address,
    reason: (str(o, 'reason') ?? 'manual') as SuppressionReason,
    source: str(o, 'source') ?? 'cli',
    ...(scope ? { scope } : {}),
    ...(bounceClass !== undefined ? { bounceClass } : {}),
    ...(createdAt !== undefined ? { createdAt } : {}),
  };
}

export const SUPPRESSION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/suppression',
    handle: (ctx, input) => {
      onlyFields(input, ['address', 'scope', 'reason', 'limit', 'offset']);
      const address = str(input, 'address');
      const scope = str(input, 'scope');
      const reason = str(input, 'reason') as SuppressionReason | undefined;
      const limit = num(input, 'limit');
      const offset = num(input, 'offset');
      return ctx.bus.request('suppression.list', {
        ...(address ? { address } : {}),
        ...(scope ? { scope } : {}),
        ...(reason ? { reason } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(offset !== undefined ? { offset } : {}),
      });
    },
  },
  {
    method: 'POST',
    path: '/v1/suppression/add',
    handle: (ctx, input) => {
      onlyFields(input, ['entries']);
      const list = input.entries;
      if (!Array.isArray(list) || list.length === 0)
        throw new HttpError(400, 'BAD_FIELD', 'entries must be a non-empty array');
      if (list.length > MAX_ENTRIES) throw new HttpError(400, 'BAD_FIELD', `at most ${MAX_ENTRIES} entries per call`);
      return ctx.bus.request('suppression.add', { entries: list.map(entryOf) });
    },
  },
  {
    method: 'POST',
    path: '/v1/suppression/remove',
    handle: (ctx, input) => {
      onlyFields(input, ['address', 'scope']);
      const address = str(input, 'address');
      if (!address) throw new HttpError(400, 'BAD_FIELD', 'address is required');
      const scope = str(input, 'scope');
      return ctx.bus.request('suppression.remove', { address, ...(scope ? { scope } : {}) });
    },
  },
];
