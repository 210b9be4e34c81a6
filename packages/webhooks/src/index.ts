/**
 * @petrel/webhooks: event-log records delivered to HTTP endpoints (docs/webhooks.md): batched,
 * filtered by type, signed (Petrel-Signature, HMAC-SHA256 with a timestamp), retried with
 * back-off, at least once, with a durable cursor per endpoint in the spool database.
 *
 * @packageDocumentation
 */
export { WebhooksService, EVENTS_FILE, type WebhooksOptions } from './webhooks-service.js';
export { SIGNATURE_HEADER, signPayload, verifySignature } from './signature.js';
export { cursorKey, type EndpointStats } from './endpoint.js';
export type { TailPosition } from './event-tail.js';
