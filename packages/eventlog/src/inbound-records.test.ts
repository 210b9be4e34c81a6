import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InboundReported } from '@petrel/core';
import { inboundRecords } from './inbound-records.js';

const base = { time: Date.UTC(2026, 11, 6), id: 'R1', sender: '', clientIp: '192.0.2.1', size: 100, suppressed: [] };

test('a bounce becomes one out_of_band record per recipient with stage 21, class and the original message', () => {
  const ev: InboundReported = {
    ...base,
    suppressed: ['gone@example.test'],
    report: {
      kind: 'bounce',
      format: 'rfc3464',
      messageId: 'M1',
      tiedBy: 'verp',
      recipients: [
        {
          address: 'gone@example.test',
          action: 'failed',
          reply: { code: 550, enhanced: '5.1.1', lines: ['user unknown'] },
          bounceClass: 10,
          bounceClassName: 'Invalid Recipient',
          remoteMta: 'mx.example.test',
        },
      ],
    },
  };
  assert.deepEqual(inboundRecords(ev), [
    {
      time: '2026-12-06T00:00:00.000Z',
      type: 'out_of_band',
      message_id: 'M1',
      report_id: 'R1',
      report_format: 'rfc3464',
      tied_by: 'verp',
      client_ip: '192.0.2.1',
      size: 100,
      recipient: 'gone@example.test',
      domain: 'example.test',
      remote_host: 'mx.example.test',
      reply: '550 5.1.1 user unknown',
      code: 550,
      enhanced: '5.1.1',
      bounce_class: 10,
      bounce_class_name: 'Invalid Recipient',
      stage: 21,
      action: 'failed',
      suppressed: true,
    },
  ]);
});

test('a complaint is a feedback record with its type; unparsed mail says why and where it is kept', () => {
  const [fb] = inboundRecords({
    ...base,
    report: {
      kind: 'feedback',
      format: 'arf',
      recipients: [{ address: 'c@example.test', action: 'complained', reply: { code: 550, lines: ['x'] } }],
      feedback: { feedbackType: 'abuse', originalRcptTo: ['c@example.test'], sourceIp: '198.51.100.1' },
    },
  });
  assert.equal(fb?.type, 'feedback');
  assert.equal(fb?.feedback_type, 'abuse');
  assert.equal(fb?.recipient, 'c@example.test');
  assert.equal(fb?.remote_ip, '198.51.100.1');
  const [un] = inboundRecords({
    ...base,
    storedAt: '/spool/unparsed/R1.eml',
    report: { kind: 'unparsed', format: 'none', recipients: [], reason: 'no readable text part' },
  });
  assert.deepEqual(
    [un?.type, un?.reason, un?.stored_at],
    ['unparsed_report', 'no readable text part', '/spool/unparsed/R1.eml'],
  );
});
