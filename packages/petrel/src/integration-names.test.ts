import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTS_FILE as EVENTLOG_FILE } from '@petrel/eventlog';
import { EVENTS_FILE as WEBHOOKS_FILE } from '@petrel/webhooks';

test('the webhooks tail the file the event log writes', () => {
  assert.equal(WEBHOOKS_FILE, EVENTLOG_FILE);
});
