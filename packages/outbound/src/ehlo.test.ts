import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EHLO_FROM_SENDER, type DeliveryJob } from '@petrel/core';
import { ehloFor } from './connection.js';
import type { HostsRoute } from './route.js';

const route = (ehloName: string): HostsRoute => ({ kind: 'hosts', hosts: [], port: 25, ehloName, gateway: false });
const job = (sender: string): DeliveryJob => ({ sender }) as DeliveryJob;

test('ehlo_hostname "__message__" becomes the first message\'s sender domain, the hostname for <>', () => {
  assert.equal(
    ehloFor(route(EHLO_FROM_SENDER), job('news@Mail.Example.com'), 'petrel.test').ehloName,
    'Mail.Example.com',
  );
  assert.equal(ehloFor(route(EHLO_FROM_SENDER), job(''), 'petrel.test').ehloName, 'petrel.test');
  assert.equal(ehloFor(route(EHLO_FROM_SENDER), job('a@[192.0.2.1]'), 'petrel.test').ehloName, '[192.0.2.1]');
  assert.equal(
    ehloFor(route(EHLO_FROM_SENDER), job('ü@bücher.example'), 'petrel.test').ehloName,
    'petrel.test',
    'no UTF-8 in EHLO',
  );
  const literal = route('out.example.com');
  assert.equal(ehloFor(literal, job('a@b.test'), 'petrel.test'), literal, 'a literal EHLO name is left alone');
});
