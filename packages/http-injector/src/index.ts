/**
 * @petrel/http-injector: the HTTP injection API (docs/http-api.md). POST /v1/inject takes an
 * envelope and either a raw RFC 5322 message or parts composed by nodemailer's MIME composer, with
 * per-recipient substitutions; answers 201 only after `spool.store` made every message durable;
 * Idempotency-Key rows live in the spool database, committed with each message.
 *
 * @packageDocumentation
 */
export { HttpInjector, type HttpInjectorOptions } from './http-injector.js';
export type { ReceptionHook, ReceivedMessage, InjectedMessage } from './inject.js';
export { OPENAPI } from './openapi.js';
export { ROUTES } from './handler.js';
export { PROBLEMS, PROBLEM_BASE, type ProblemName, type ProblemBody, type FieldError } from './problem.js';
export { TokenDb, type ApiClient } from './tokens.js';
