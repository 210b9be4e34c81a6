/**
 * One mail transaction (RFC 5321 §3.3: MAIL, RCPT…, DATA) and how it becomes the spool's
 * StoreRequest: id, trace header, envelope.
 */
import type { BodyType, MessageEnvelope, Recipient, StoreRequest } from '@petrel/core';
import { receivedHeader } from './received.js';

export interface Transaction {
  /** "" for the null sender <>. */
  readonly sender: string;
  readonly recipients: Recipient[];
  readonly bodyType?: BodyType;
  readonly smtputf8: boolean;
  /** SIZE= as declared on MAIL (RFC 1870), for logs only; the stream is what is enforced. */
  readonly declaredSize?: number;
}

export interface MessageContext {
  readonly id: string;
  readonly receivedAt: number;
  readonly hostname: string;
  readonly traceHeader: boolean;
  readonly client: { readonly address: string; readonly port: number; readonly helo: string };
  /** True after EHLO, false after HELO. */
  readonly esmtp: boolean;
}

/** The body as stored (trace header + data, CRLF line ends) and its envelope. */
export function buildStoreRequest(tx: Transaction, data: Buffer, m: MessageContext): StoreRequest {
  // RFC 3848 and RFC 6531 §3.7.3 name the "with" protocol; TLS and AUTH add S and A later.
  const protocol = !m.esmtp ? 'SMTP' : tx.smtputf8 ? 'UTF8SMTP' : 'ESMTP';
  const only = tx.recipients.length === 1 ? tx.recipients[0]?.address : undefined;
  const trace = m.traceHeader
    ? receivedHeader({
        helo: m.client.helo,
        clientAddress: m.client.address,
        hostname: m.hostname,
        protocol,
        id: m.id,
        time: m.receivedAt,
        ...(only !== undefined ? { recipient: only } : {}),
      })
    : '';
  const body = trace === '' ? data : Buffer.concat([Buffer.from(trace, 'utf8'), data]);
  const envelope: MessageEnvelope = {
    id: m.id,
    sender: tx.sender,
    recipients: [...tx.recipients],
    receivedAt: m.receivedAt,
    size: body.length,
    protocol: m.esmtp ? 'esmtp' : 'smtp',
    client: { address: m.client.address, port: m.client.port, helo: m.client.helo },
    smtputf8: tx.smtputf8,
    ...(tx.bodyType !== undefined ? { bodyType: tx.bodyType } : {}),
  };
  return { envelope, body };
}
