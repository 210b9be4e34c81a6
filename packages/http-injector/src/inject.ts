/**
 * One POST /v1/inject after authentication and validation: the pin and relay checks, the
 * messages planned (one per recipient for content parts, one for all for a raw message), composed,
 * held to listener.max_message_size, and stored with `spool.store` exactly as the listener stores
 * SMTP mail. The result is returned only once every message is durable (the fsync'd commit).
 *
 * With an Idempotency-Key every message carries a spool record `idem:<client>:<key hash>:<n>`
 * committed in the message's own transaction, so "stored" and "remembered" cannot disagree after a
 * crash: a retry finds the records of the messages already stored, stores only the others, and
 * answers with the first ids (docs/http-api.md "Idempotency").
 */
import { createHash } from 'node:crypto';
import {
  domainOf,
  isPetrelError,
  newMessageId,
  type Bus,
  type Clock,
  type MessageEnvelope,
  type PetrelConfig,
  type ReplyData,
  type SpoolRecordRow,
} from '@petrel/core';
import { composeParts, prepareRaw, receivedHeader } from './compose.js';
import type { InjectRecipient, InjectRequest } from './inject-request.js';
import { HttpProblem, invalid, type FieldError } from './problem.js';
import type { ApiClient } from './tokens.js';

/** One message of the 201 response: which recipient, which spool id. */
export interface InjectedMessage {
  readonly recipient: string;
  readonly id: string;
}

export interface InjectResult {
  readonly messages: readonly InjectedMessage[];
  /** True when every message came from an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

/** A message about to be stored; a reception hook may change its body (DKIM signing, issue 16). */
export interface ReceivedMessage {
  readonly envelope: MessageEnvelope;
  readonly body: Buffer;
  /** The request came over HTTPS. */
  readonly tls: boolean;
}

/**
 * Called for each composed message before `spool.store`, as the listener's signing hook is: the
 * body to store (e.g. with a DKIM-Signature prepended), or a refusal with the SMTP reply it stands
 * for (a 4xx answers 503, a 5xx 422; nothing of the request is stored).
 */
export type ReceptionHook = (
  msg: ReceivedMessage,
) => Promise<Buffer | { readonly refuse: ReplyData }> | Buffer | { readonly refuse: ReplyData };

/** Where the request came from and how it is identified. */
export interface InjectContext {
  readonly client: ApiClient;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly tls: boolean;
  /** The Idempotency-Key and the SHA-256 of the request body it was sent with. */
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
}

export interface InjectorDeps {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly config: () => PetrelConfig;
  readonly reception?: ReceptionHook;
}

/** Spool record prefix of the Idempotency-Key rows. */
export const IDEMPOTENCY_PREFIX = 'idem:';

interface Planned {
  readonly index: number;
  readonly recipients: readonly InjectRecipient[];
}

export async function inject(req: InjectRequest, ctx: InjectContext, deps: InjectorDeps): Promise<InjectResult> {
  const config = deps.config();
  const group = checkGroup(req, ctx.client, config);
  checkRelay(req, config);
  const planned: Planned[] =
    req.content.kind === 'raw'
      ? [{ index: 0, recipients: req.recipients }]
      : req.recipients.map((r, index) => ({ index, recipients: [r] }));
  const keys = ctx.idempotency ? planned.map((p) => recordKey(ctx.client, ctx.idempotency!.key, p.index)) : [];
  const ttl = config.http.idempotency_ttl;
  let rows: readonly (SpoolRecordRow | null)[] =
    keys.length > 0 ? await deps.bus.request('spool.records', { keys }) : [];
  const now = deps.clock.now();
  if (rows.some((r) => r !== null && r.updatedAt < now - ttl)) {
    // Remembered longer than idempotency_ttl: forget this key now (the hourly prune may not have run yet).
    await deps.bus.request('spool.prune_records', { prefix: keys[0]!.replace(/\d+$/, ''), before: now - ttl });
    rows = await deps.bus.request('spool.records', { keys });
  }
  const ids: (string | undefined)[] = planned.map((_, i) => {
    const row = rows[i];
    if (!row) return undefined;
    const value = JSON.parse(row.value) as { fp: string; id: string };
    if (value.fp !== ctx.idempotency?.fingerprint)
      throw new HttpProblem(
        'idempotency-key-reused',
        `Idempotency-Key "${ctx.idempotency?.key}" was first used with a different request body; use a new key`,
      );
    return value.id;
  });
  const replayed = ids.every((id) => id !== undefined);
  if (!replayed) {
    const todo = planned.filter((_, i) => ids[i] === undefined);
    await checkSuppressed(todo, group, deps.bus);
    // Compose every message before storing any: a substitution error must not leave half a request stored.
    const built = await Promise.all(todo.map((p) => build(p, req, ctx, config, group, deps)));
    const results = await Promise.allSettled(
      built.map((m) => {
        const record = ctx.idempotency
          ? {
              key: recordKey(ctx.client, ctx.idempotency.key, m.index),
              value: JSON.stringify({ fp: ctx.idempotency.fingerprint, id: m.envelope.id }),
            }
          : undefined;
        return deps.bus.request('spool.store', { envelope: m.envelope, body: m.body, ...(record ? { record } : {}) });
      }),
    );
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') ids[built[i]!.index] = r.value.id;
    });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw storeFailure(failed.reason, planned, ids, req);
  }
  return { messages: response(planned, ids), replayed };
}

/** In request order: `planned` is (one message per recipient, or one raw message for all of them). */
function response(planned: readonly Planned[], ids: readonly (string | undefined)[]): InjectedMessage[] {
  const out: InjectedMessage[] = [];
  for (const p of planned) {
    const id = ids[p.index];
    if (id !== undefined) for (const r of p.recipients) out.push({ recipient: r.address, id });
  }
  return out;
}

/** `idem:<client>:<sha256(key)>:<n>`: the key hashed, so that any header text makes a safe, fixed-size key. */
function recordKey(client: ApiClient, key: string, index: number): string {
  return `${IDEMPOTENCY_PREFIX}${client.name}:${createHash('sha256').update(key).digest('hex')}:${index}`;
}

function checkGroup(req: InjectRequest, client: ApiClient, config: PetrelConfig): string | undefined {
  if (req.bindingGroup !== undefined) {
    if (client.bindingGroup !== undefined && client.bindingGroup !== req.bindingGroup)
      throw new HttpProblem(
        'forbidden',
        `this token is pinned to binding group "${client.bindingGroup}"; ` +
          `binding_group "${req.bindingGroup}" is not allowed`,
      );
    if (!config.scopes.groups.has(req.bindingGroup))
      throw invalid('/binding_group', `a configured binding group (${[...config.scopes.groups.keys()].join(', ')})`);
  }
  return client.bindingGroup ?? req.bindingGroup;
}

/**
 * The suppression list (docs/feedback-loop.md), as the listener checks it at RCPT: a suppressed
 * recipient makes the request a 422 naming it, and nothing is stored. Checked only for messages not
 * stored yet, so a replay (same Idempotency-Key) still returns its first response.
 */
async function checkSuppressed(todo: readonly Planned[], group: string | undefined, bus: Bus): Promise<void> {
  if (!bus.hasHandler('suppression.check')) return;
  const errors: FieldError[] = [];
  for (const p of todo)
    for (const [i, r] of p.recipients.entries()) {
      const entry = await bus.request('suppression.check', {
        address: r.address,
        ...(group !== undefined ? { bindingGroup: group } : {}),
      });
      if (entry)
        errors.push({
          field: `/recipients/${p.recipients.length === 1 ? p.index : i}`,
          expected: `a recipient not on the suppression list (${r.address} is suppressed: ${entry.reason})`,
        });
    }
  if (errors.length > 0)
    throw new HttpProblem('validation-failed', 'recipients on the suppression list: nothing was stored', errors);
}

/** The listener's relay rule that applies here: outbound only (listener.local_domains; 550 5.1.2 in SMTP). */
function checkRelay(req: InjectRequest, config: PetrelConfig): void {
  const local = new Set(config.listener.local_domains.map((d) => d.toLowerCase()));
  if (local.size === 0) return;
  const errors: FieldError[] = [];
  req.recipients.forEach((r, i) => {
    if (local.has(domainOf(r.address)))
      errors.push({
        field: `/recipients/${i}`,
        expected: 'a recipient outside listener.local_domains (outbound only)',
      });
  });
  if (errors.length > 0)
    throw new HttpProblem('validation-failed', 'recipients in local_domains: Petrel delivers outbound only', errors);
}

async function build(
  p: Planned,
  req: InjectRequest,
  ctx: InjectContext,
  config: PetrelConfig,
  group: string | undefined,
  deps: InjectorDeps,
): Promise<{ index: number; envelope: MessageEnvelope; body: Buffer }> {
  const now = deps.clock.now();
  const id = newMessageId(now);
  const content =
    req.content.kind === 'raw'
      ? prepareRaw(req.content.raw, config.listener.add_missing_headers, config.hostname, now)
      : await composeParts(req.content, p.recipients[0]!, p.index);
  const trace = config.listener.trace_header
    ? receivedHeader({
        clientAddress: ctx.clientAddress,
        hostname: config.hostname,
        tls: ctx.tls,
        id,
        ...(p.recipients.length === 1 ? { recipient: p.recipients[0]!.address } : {}),
        time: now,
      })
    : '';
  let body = trace === '' ? content : Buffer.concat([Buffer.from(trace), content]);
  const max = config.listener.max_message_size;
  if (body.length > max)
    throw new HttpProblem(
      'message-too-large',
      `the message for ${p.recipients[0]!.address} is ${body.length} octets; listener.max_message_size is ${max}`,
    );
  const addresses = [req.sender, ...p.recipients.map((r) => r.address)];
  const envelope: MessageEnvelope = {
    id,
    sender: req.sender,
    recipients: p.recipients.map((r) => ({ address: r.address, domain: domainOf(r.address) })),
    receivedAt: now,
    size: body.length,
    protocol: 'http',
    client: { address: ctx.clientAddress, port: ctx.clientPort, authUser: ctx.client.name },
    // RFC 6152: 8-bit content needs BODY=8BITMIME downstream; RFC 6531: UTF-8 addresses need SMTPUTF8.
    bodyType: body.some((b) => b > 0x7f) ? '8BITMIME' : '7BIT',
    ...(addresses.some((a) => /[^\p{ASCII}]/u.test(a)) ? { smtputf8: true } : {}),
    ...(group !== undefined ? { bindingGroup: group } : {}),
  };
  if (deps.reception) {
    const r = await deps.reception({ envelope, body, tls: ctx.tls });
    if (!Buffer.isBuffer(r)) {
      const reply = [r.refuse.code, r.refuse.enhanced, ...r.refuse.lines].filter((x) => x !== undefined).join(' ');
      throw r.refuse.code >= 500
        ? new HttpProblem('message-refused', `the message for ${p.recipients[0]!.address} was refused: ${reply}`)
        : new HttpProblem(
            'message-deferred',
            `the message for ${p.recipients[0]!.address} was refused for now: ${reply}`,
            [],
            {
              'Retry-After': '30',
            },
          );
    }
    body = r;
  }
  return { index: p.index, envelope: { ...envelope, size: body.length }, body };
}

function storeFailure(
  err: unknown,
  planned: readonly Planned[],
  ids: readonly (string | undefined)[],
  req: InjectRequest,
): HttpProblem {
  const stored = response(planned, ids);
  const extensions = { stored };
  if (isPetrelError(err, 'PETREL_ERR_SPOOL_FULL') || isPetrelError(err, 'PETREL_ERR_SPOOL_WRITE'))
    return new HttpProblem(
      'spool-unavailable',
      `${stored.length} of ${req.recipients.length} recipients' messages were stored; the rest were not: ` +
        `${(err as Error).message}. Retry with the same Idempotency-Key to store only the rest.`,
      [],
      { 'Retry-After': '30' },
      extensions,
    );
  return new HttpProblem(
    'internal-error',
    `storing failed: ${String((err as Error)?.message ?? err)}`,
    [],
    {},
    extensions,
  );
}
