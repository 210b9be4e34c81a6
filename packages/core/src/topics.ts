/**
 * The bus topic map: every message that crosses a package boundary, declared in one place
 * (ARCHITECTURE.md "The bus"). Events are published to all subscribers; requests have exactly one
 * handler. Data flows one way: listener → spool → routing → queue → outbound → (queue, spool, eventlog).
 */
import type {
  DeliveryAttempt,
  DeliveryJob,
  MessageEnvelope,
  RecipientState,
  Route,
} from './model.js';
import type { ReplyData } from './reply.js';

/** A message handed to the spool by the listener (or by internal inject). */
export interface StoreRequest {
  readonly envelope: MessageEnvelope;
  /** The whole message as it will be delivered (trace header included), CRLF line ends. */
  readonly body: Buffer;
}

export interface StoreResult {
  readonly id: string;
}

/** Published by spool once a message is durable, and again for each unfinished message at recovery. */
export interface MessageSpooled {
  readonly envelope: MessageEnvelope;
  /** True when replayed from the spool at start rather than just received. */
  readonly recovered: boolean;
  /**
   * Recipients still to deliver, with their persisted retry state. Absent for a new message
   * (every recipient pending, no attempt yet).
   */
  readonly pending?: readonly RecipientState[];
}

/** Published by routing: the message split into delivery jobs per (binding, domain). */
export interface MessageRouted {
  readonly envelope: MessageEnvelope;
  readonly jobs: readonly DeliveryJob[];
  readonly recovered: boolean;
}

/** Published by the listener for every refused command or message. */
export interface MessageRejected {
  readonly time: number;
  /** Momentum server phase name, e.g. "awaiting mailfrom", "reading body". */
  readonly phase: string;
  readonly reply: ReplyData;
  readonly client: { readonly address: string; readonly port: number };
  readonly localAddress?: string;
  readonly helo?: string;
  readonly sender?: string;
  readonly recipient?: string;
  readonly connectionId: string;
}

/** Published by queue when an active queue wants connections. */
export interface QueueDemand {
  readonly binding: string;
  readonly domain: string;
  /** Jobs in the active queue now. */
  readonly active: number;
  /** Connections wanted for this (binding, domain) in total (the connection goal). */
  readonly goal: number;
}

/** Published by queue when a transient failure is rescheduled. */
export interface DeliveryDeferred {
  readonly job: DeliveryJob;
  /** Attempts so far, including the one that just failed. */
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly reply: ReplyData;
}

/** Published by queue when recipients fail for good without a remote 5xx: expiry, max retries, policy. */
export interface DeliveryFailed {
  readonly job: DeliveryJob;
  /** The job's recipients that failed (indexes into the envelope). */
  readonly indexes: readonly number[];
  readonly reply: ReplyData;
  /** "expiration" (time or retries exhausted) or "policy" (e.g. never_retry, operator fail). */
  readonly reason: 'expiration' | 'policy';
}

/** Published by outbound when it hands a job back untried (stop, route change). */
export interface DeliveryReleased {
  readonly job: DeliveryJob;
}

export interface TakeRequest {
  readonly binding: string;
  readonly domain: string;
}

export interface RouteRequest {
  readonly binding: string;
  readonly domain: string;
}

export interface BodyRequest {
  readonly id: string;
}

/** Lifecycle: every service has started; the spool now replays unfinished mail. */
export interface SystemReady {
  readonly time: number;
}

/** Published events. */
export interface Events {
  'message.spooled': MessageSpooled;
  'message.routed': MessageRouted;
  'message.rejected': MessageRejected;
  'queue.demand': QueueDemand;
  'delivery.attempted': DeliveryAttempt;
  'delivery.deferred': DeliveryDeferred;
  'delivery.failed': DeliveryFailed;
  'delivery.released': DeliveryReleased;
  'system.ready': SystemReady;
}

/** Requests: payload and result types; exactly one handler each. */
export interface Requests {
  'spool.store': { payload: StoreRequest; result: StoreResult };
  'spool.body': { payload: BodyRequest; result: Buffer };
  'queue.take': { payload: TakeRequest; result: DeliveryJob | null };
  'routing.route': { payload: RouteRequest; result: Route };
}

export type EventName = keyof Events;
export type RequestName = keyof Requests;

/** Runtime list of the names above, so that plugins in plain JS get an error for a typo. */
export const EVENT_NAMES: readonly EventName[] = [
  'message.spooled',
  'message.routed',
  'message.rejected',
  'queue.demand',
  'delivery.attempted',
  'delivery.deferred',
  'delivery.failed',
  'delivery.released',
  'system.ready',
];
export const REQUEST_NAMES: readonly RequestName[] = ['spool.store', 'spool.body', 'queue.take', 'routing.route'];
