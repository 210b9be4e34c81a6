/**
 * Validates the `[[webhook]]` list (docs/webhooks.md): each table's keys against WEBHOOK_KEYS;
 * name, url and secret required; names unique (the durable cursor is kept under the name);
 * url http:// or https://.
 */
import type { Validator } from './loader.js';
import { WEBHOOK_KEYS, type WebhookConfig } from './schema.js';

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

type Spec = (typeof WEBHOOK_KEYS)[keyof typeof WEBHOOK_KEYS];

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
  if (raw === undefined) return [];
  const lines = v.arrayTableLines('webhook');
  if (!Array.isArray(raw)) {
    v.failAt(lines[0], ['webhook'], 'expected an array of tables written [[webhook]]');
    return [];
  }
  const out: WebhookConfig[] = [];
  const names = new Set<string>();
  raw.forEach((t, i) => {
    const line = lines[i];
    const path = [`webhook[${i + 1}]`];
    if (!isTable(t)) {
      v.failAt(line, path, 'expected a table');
      return;
    }
    const before = v.errors.length;
    const got: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(t)) {
      const spec = (WEBHOOK_KEYS as Record<string, Spec>)[k];
      if (!spec) {
        v.failAt(line, path, `unknown key "${k}" (known keys: ${Object.keys(WEBHOOK_KEYS).join(', ')})`);
        continue;
      }
      const errs = v.errors.length;
      const parsed = v.value([...path, k], spec, val);
      if (v.errors.length > errs) {
        // Re-anchor the message on the [[webhook]] header line.
        const msg = v.errors.pop()!;
        const prefix = `${[...path, k].join('.')}: `;
        v.failAt(line, [...path, k], msg.slice(msg.indexOf(prefix) + prefix.length));
      } else got[k] = parsed;
    }
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
