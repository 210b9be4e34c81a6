/**
 * The in-process bus: the only way services talk (ARCHITECTURE.md). Synchronous dispatch in
 * subscription order; a subscriber that throws (or rejects) is logged and isolated.
 */
import type { Logger } from 'pino';
import { PetrelError } from './errors.js';
import { EVENT_NAMES, REQUEST_NAMES, type EventName, type Events, type RequestName, type Requests } from './topics.js';

type Handler<T> = (event: T) => void | Promise<void>;
type RequestHandler<K extends RequestName> = (
  payload: Requests[K]['payload'],
) => Requests[K]['result'] | Promise<Requests[K]['result']>;

const KNOWN_EVENTS = new Set<string>(EVENT_NAMES);
const KNOWN_REQUESTS = new Set<string>(REQUEST_NAMES);

export class Bus {
  private readonly subscribers = new Map<EventName, Handler<never>[]>();
  private readonly handlers = new Map<RequestName, { fn: unknown; isDefault: boolean }>();

  constructor(private readonly logger?: Pick<Logger, 'error'>) {}

  /** Subscribes to an event; returns the unsubscribe function. */
  subscribe<K extends EventName>(topic: K, handler: Handler<Events[K]>): () => void {
    if (!KNOWN_EVENTS.has(topic))
      throw new PetrelError('PETREL_ERR_BUS_TOPIC', `unknown bus event "${topic}"`, { topic });
    const list = (this.subscribers.get(topic) ?? []) as Handler<Events[K]>[];
    // Copy on write: publishing iterates a stable array even if a handler unsubscribes.
    this.subscribers.set(topic, [...list, handler] as Handler<never>[]);
    return () => {
      const cur = (this.subscribers.get(topic) ?? []) as Handler<Events[K]>[];
      this.subscribers.set(topic, cur.filter((h) => h !== handler) as Handler<never>[]);
    };
  }

  publish<K extends EventName>(topic: K, event: Events[K]): void {
    const list = this.subscribers.get(topic) as Handler<Events[K]>[] | undefined;
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      try {
        const r = list[i]!(event);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
          (r as Promise<void>).then(undefined, (err: unknown) => this.isolate(topic, err));
        }
      } catch (err) {
        this.isolate(topic, err);
      }
    }
  }

  /**
   * Registers the handler of a request. A second handler is an error, unless the first was
   * registered as a default (a hook, which an operator or plugin may replace).
   */
  handle<K extends RequestName>(topic: K, fn: RequestHandler<K>, opts: { isDefault?: boolean } = {}): () => void {
    if (!KNOWN_REQUESTS.has(topic))
      throw new PetrelError('PETREL_ERR_BUS_TOPIC', `unknown bus request "${topic}"`, { topic });
    const prior = this.handlers.get(topic);
    if (prior && !prior.isDefault) {
      if (opts.isDefault) return () => undefined; // a default never replaces a real handler
      throw new PetrelError('PETREL_ERR_BUS_DUPLICATE_HANDLER', `bus request "${topic}" already has a handler`, {
        topic,
      });
    }
    const entry = { fn: fn as unknown, isDefault: opts.isDefault === true };
    this.handlers.set(topic, entry);
    return () => {
      if (this.handlers.get(topic) === entry) this.handlers.delete(topic);
    };
  }

  /** Calls the one handler of a request. */
  async request<K extends RequestName>(topic: K, payload: Requests[K]['payload']): Promise<Requests[K]['result']> {
    const h = this.handlers.get(topic);
    if (!h) throw new PetrelError('PETREL_ERR_BUS_NO_HANDLER', `bus request "${topic}" has no handler`, { topic });
    return (h.fn as RequestHandler<K>)(payload);
  }

  hasHandler(topic: RequestName): boolean {
    return this.handlers.has(topic);
  }

  private isolate(topic: string, err: unknown): void {
    this.logger?.error({ err, topic }, 'bus subscriber failed');
  }
}
