import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageEnvelope } from '@petrel/core';
import { buildJobs } from './jobs.js';

function envelope(addresses: string[]): MessageEnvelope {
  return {
    id: 'MSG',
    sender: 'a@src.test',
    recipients: addresses.map((address) => ({
      address,
      domain: address.slice(address.indexOf('@') + 1).toLowerCase(),
    })),
    receivedAt: 1000,
    size: 42,
    protocol: 'esmtp',
  };
}

const toDefault = () => ({ binding: 'default', group: 'default', reason: 'default' });

test('splits recipients by domain, then into batches of max_recipients_per_batch', () => {
  const env = envelope(['1@a.test', '2@a.test', '1@b.test', '3@a.test', '4@A.TEST', '5@a.test']);
  const { jobs } = buildJobs({ envelope: env, assign: toDefault, batchSize: () => 2 });
  assert.deepEqual(
    jobs.map((j) => [j.id, j.recipients.map((r) => r.index)]),
    [
      ['MSG/default/a.test/0', [0, 1]],
      ['MSG/default/a.test/1', [3, 4]],
      ['MSG/default/a.test/2', [5]],
      ['MSG/default/b.test/0', [2]],
    ],
  );
  for (const j of jobs) assert.deepEqual([j.attempts, j.nextAttemptAt, j.lastReply], [0, 0, undefined]);
});

test('the batch size is asked per (binding, domain)', () => {
  const env = envelope(['1@a.test', '2@a.test', '3@b.test', '4@b.test']);
  const assign = (domain: string) => ({ binding: domain === 'a.test' ? 'ba' : 'bb', group: 'g', reason: 'r' });
  const { jobs } = buildJobs({ envelope: env, assign, batchSize: (b) => (b === 'ba' ? 1 : 10) });
  assert.deepEqual(
    jobs.map((j) => `${j.id} ${j.bindingGroup}`),
    ['MSG/ba/a.test/0 g', 'MSG/ba/a.test/1 g', 'MSG/bb/b.test/0 g'],
  );
});

test('carries the envelope and DSN parameters into jobs', () => {
  const env: MessageEnvelope = {
    ...envelope([]),
    recipients: [{ address: 'x@a.test', domain: 'a.test', notify: ['FAILURE'], orcpt: 'rfc822;x@a.test' }],
    ret: 'HDRS',
    envid: 'E1',
    bodyType: '8BITMIME',
    smtputf8: true,
  };
  const [job] = buildJobs({ envelope: env, assign: toDefault, batchSize: () => 100 }).jobs;
  assert.deepEqual(job, {
    id: 'MSG/default/a.test/0',
    messageId: 'MSG',
    sender: 'a@src.test',
    binding: 'default',
    bindingGroup: 'default',
    domain: 'a.test',
    recipients: [{ index: 0, address: 'x@a.test', domain: 'a.test', notify: ['FAILURE'], orcpt: 'rfc822;x@a.test' }],
    size: 42,
    receivedAt: 1000,
    bodyType: '8BITMIME',
    smtputf8: true,
    ret: 'HDRS',
    envid: 'E1',
    attempts: 0,
    nextAttemptAt: 0,
  });
});

test('at recovery only pending recipients are routed, grouped by identical retry state, with their last reply', () => {
  const env = envelope(['done@a.test', 'r1@a.test', 'r2@a.test', 'r3@a.test', 'n@b.test']);
  const reply = { code: 451, enhanced: '4.3.0', lines: ['try later'] };
  const { jobs, invalidIndexes } = buildJobs({
    envelope: env,
    pending: [
      { index: 1, attempts: 2, nextAttemptAt: 5000, lastReply: reply },
      { index: 2, attempts: 1, nextAttemptAt: 3000 },
      { index: 3, attempts: 2, nextAttemptAt: 5000, lastReply: reply },
      { index: 4, attempts: 0, nextAttemptAt: 0 },
      { index: 9, attempts: 0, nextAttemptAt: 0 },
    ],
    assign: toDefault,
    batchSize: () => 100,
  });
  assert.deepEqual(
    jobs.map((j) => ({
      id: j.id,
      idx: j.recipients.map((r) => r.index),
      attempts: j.attempts,
      at: j.nextAttemptAt,
      reply: j.lastReply,
    })),
    [
      { id: 'MSG/default/a.test/0', idx: [1, 3], attempts: 2, at: 5000, reply },
      { id: 'MSG/default/a.test/1', idx: [2], attempts: 1, at: 3000, reply: undefined },
      { id: 'MSG/default/b.test/0', idx: [4], attempts: 0, at: 0, reply: undefined },
    ],
  );
  assert.deepEqual(invalidIndexes, [9]);
});
