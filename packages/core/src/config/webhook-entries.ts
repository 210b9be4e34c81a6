/**
 * Validates the `[[webhook]]` list (docs/webhooks.md): each table's keys against WEBHOOK_KEYS;
 * name, url and secret required; names unique (the durable cursor is kept under the name);
 * url http:// or https://.
 */
import type { Validator } from './loader.js';
import { forEachArrayTable } from './array-tables.js';
import { WEBHOOK_KEYS, type WebhookConfig } from './schema.js';

/** The record types of events.jsonl (docs/logs.md; @petrel/eventlog's EventType, checked by its test). */
export const EVENT_RECORD_TYPES = [
  'reception',
  'delivery',
  'transient_failure',
  'permanent_failure',
  'expiration',
  'rejection',
  'bounce',
] as const;

export function parseWebhookEntries(v: Validator, raw: unknown): WebhookConfig[] {
  const out: WebhookConfig[] = [];
  const names = new Set<string>();
  forEachArrayTable(v, 'webhook', WEBHOOK_KEYS, raw, ({ line, path, got, errorsBefore: before }) => {
    const name = got.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name))
      v.failAt(line, [...path, 'name'], 'expected a name of letters, digits, "_", "." or "-", e.g. name = "crm"');
    else if (names.has(name)) v.failAt(line, [...path, 'name'], `expected a unique name; "${name}" is used twice`);
    else names.add(name);
    if (typeof got.url !== 'string' || !validUrl(got.url))
      v.failAt(line, [...path, 'url'], 'expected an http:// or https:// URL, e.g. url = "https://hooks.example.com/"');
    const unknownType = ((got.events as string[] | undefined) ?? []).find(
      (e) => !(EVENT_RECORD_TYPES as readonly string[]).includes(e),
    );
    if (unknownType !== undefined)
      v.failAt(
        line,
        [...path, 'events'],
        `expected event types among ${EVENT_RECORD_TYPES.join(', ')}; found "${unknownType}"`,
      );
    if (typeof got.secret !== 'string' || got.secret.length < 16)
      v.failAt(line, [...path, 'secret'], 'expected a secret of at least 16 characters (the HMAC key)');
    if (v.errors.length > before) return;
    const value = <K extends keyof typeof WEBHOOK_KEYS>(k: K): unknown => got[k] ?? WEBHOOK_KEYS[k].default;
    out.push({
      name: name as string,
      url: got.url as string,
      secret: got.secret as string,
      events: value('events') as readonly string[],
      batch_size: value('batch_size') as number,
      batch_wait: value('batch_wait') as number,
      timeout: value('timeout') as number,
      retry_interval: value('retry_interval') as number,
      max_retry_interval: value('max_retry_interval') as number,
      ...(line !== undefined ? { line } : {}),
    });
  });
  return out;
}

function validUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
