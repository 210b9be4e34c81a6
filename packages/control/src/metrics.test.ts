import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus, type OutboundSessionEvent } from '@petrel/core';
import { Metrics } from './metrics.js';

const origin = {
  time: 0,
  binding: 'default',
  domain: 'example.test',
  host: 'mx1.example.test',
  ip: '192.0.2.1',
  connectionId: 'c1',
} as const;

/** The value of one series in the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('petrel_smtp_client_events_total{event} counts outbound.session_event by event name, every name from zero', async () => {
  const bus = new Bus();
  const undo: (() => void)[] = [];
  const m = new Metrics(
    bus,
    {
      queueCounts: async () => [],
      spoolStats: async () => ({}),
      listenerStats: async () => ({}),
      outboundStats: async () => ({ connections: 0, inFlight: 0, pools: [], sessions: [] }),
    },
    undo,
  );
  try {
    const events: OutboundSessionEvent[] = [
      { ...origin, event: 'connect', details: { host: '192.0.2.1', port: 25 } },
      { ...origin, event: 'extension-not-available', details: { extension: 'DSN' } },
      { ...origin, event: 'extension-not-available', details: { extension: 'STARTTLS' } },
      {
        ...origin,
        event: 'syntax-warning',
        details: { message: 'reply line without a three-digit code', line: 'what?' },
      },
      { ...origin, event: 'message-sent', details: { reply: { code: 250, lines: ['ok'] }, bytes: 10 } },
    ];
    for (const e of events) bus.publish('outbound.session_event', e);
    const text = await m.registry.metrics();
    assert.match(text, /# TYPE petrel_smtp_client_events_total counter/);
    assert.equal(sample(text, 'petrel_smtp_client_events_total{event="connect"}'), 1);
    assert.equal(sample(text, 'petrel_smtp_client_events_total{event="extension-not-available"}'), 2);
    assert.equal(sample(text, 'petrel_smtp_client_events_total{event="syntax-warning"}'), 1);
    assert.equal(sample(text, 'petrel_smtp_client_events_total{event="message-sent"}'), 1);
    assert.equal(sample(text, 'petrel_smtp_client_events_total{event="disconnect"}'), 0);
    // Unsubscribed on stop: later events are not counted.
    for (const u of undo) u();
    bus.publish('outbound.session_event', { ...origin, event: 'disconnect' });
    assert.equal(sample(await m.registry.metrics(), 'petrel_smtp_client_events_total{event="disconnect"}'), 0);
  } finally {
    for (const u of undo) u();
  }
});
