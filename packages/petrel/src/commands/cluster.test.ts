import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderClusterStatus } from './cluster.js';

const base = {
  node: 'node1',
  redis: 'redis://127.0.0.1:6379',
  degradations: 1,
  liveNodes: 2,
  suspensions: [],
  shaping: [],
  suppressions: 0,
  throttles: [],
  leases: [],
};

test('cluster status shows the nodes, their queues and the shared state', () => {
  const now = 1_000_000;
  const out = renderClusterStatus(
    {
      ...base,
      state: 'up',
      nodes: [
        {
          node: 'node1',
          hostname: 'h1',
          pid: 10,
          startedAt: now - 120_000,
          heartbeatAt: now,
          active: 3,
          delayed: 1,
          inFlight: 2,
        },
        {
          node: 'node2',
          hostname: 'h2',
          pid: 11,
          startedAt: now - 60_000,
          heartbeatAt: now - 1000,
          active: 0,
          delayed: 0,
          inFlight: 0,
          degradedSince: now - 5000,
        },
      ],
      suspensions: [{ domain: 'x.test', reason: 'asked', since: 0 }],
      shaping: [
        {
          id: 'throttle:domain:y.test',
          kind: 'throttle',
          scope: 'domain',
          domain: 'y.test',
          rate: { count: 10, perMs: 60_000 },
          source: 'operator',
          since: 0,
        },
      ],
      suppressions: 12,
      throttles: [{ key: 'outbound_throttle_messages|domain "x.test"|5/1000', tokens: 2.5 }],
      leases: [{ key: 'conn:default|x.test', count: 3 }],
    },
    now,
  );
  assert.match(out, /^cluster node node1: redis redis:\/\/127\.0\.0\.1:6379 up, 2 live node\(s\), 1 degradation/);
  assert.match(out, /node1\s+h1\s+10\s+3\s+1\s+2\s+just now\s+2m\s+up/);
  assert.match(out, /node2\s+h2\s+11\s+0\s+0\s+0\s+1s ago\s+1m\s+down since 5s/);
  assert.match(out, /x\.test\s+asked/);
  assert.match(out, /throttle\s+\* y\.test\s+10\/60s\s+operator/);
  assert.match(out, /suppression list: 12 shared entries/);
  assert.match(out, /outbound_throttle_messages\|domain "x\.test"\|5\/1000\s+2\.50/);
  assert.match(out, /conn:default\|x\.test\s+3/);
});

test('cluster status when this node cannot reach Redis says so and how it delivers', () => {
  const out = renderClusterStatus({ ...base, state: 'down', nodes: [] });
  assert.equal(
    out,
    'cluster node node1: redis redis://127.0.0.1:6379 down (delivering under local limits), 2 live node(s), ' +
      '1 degradation(s) since start\n',
  );
});
