import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPetrelError, type SuppressionEntry } from '@petrel/core';
import { fromCsv, toCsv } from './suppression-csv.js';

test('suppression CSV round-trips entries, quoting fields with commas and quotes', () => {
  const entries: SuppressionEntry[] = [
    {
      address: 'gone@example.test',
      scope: 'global',
      reason: 'out_of_band',
      bounceClass: 10,
      source: 'M1, "r"',
      createdAt: 0,
    },
    { address: '@blocked.test', scope: 'marketing', reason: 'manual', source: 'cli', createdAt: 1000 },
  ];
  const csv = toCsv(entries);
  assert.equal(
    csv,
    'address,scope,reason,bounce_class,source,created_at\n' +
      'gone@example.test,global,out_of_band,10,"M1, ""r""",1970-01-01T00:00:00.000Z\n' +
      '@blocked.test,marketing,manual,,cli,1970-01-01T00:00:01.000Z\n',
  );
  assert.deepEqual(fromCsv(csv, 'f.csv'), entries);
});

test('an import file of bare addresses is manual and global; a bad line fails the whole file, naming the line', () => {
  assert.deepEqual(fromCsv('a@x.test\r\n\r\n# comment\r\nb@y.test\r\n', 'f.csv'), [
    { address: 'a@x.test', reason: 'manual', source: 'import' },
    { address: 'b@y.test', reason: 'manual', source: 'import' },
  ]);
  for (const [text, why] of [
    ['a@x.test\nnot-an-address\n', /f\.csv:2: not an address/],
    ['a@x.test,global,manual,abc\n', /f\.csv:1: bounce_class is not a number/],
    ['a@x.test,global,manual,,src,yesterday\n', /f\.csv:1: created_at is not a date/],
    ['"a@x.test,global\n', /f\.csv:1: expected/],
  ] as const) {
    assert.throws(
      () => fromCsv(text, 'f.csv'),
      (e: unknown) => isPetrelError(e) && e.code === 'PETREL_ERR_SUPPRESSION_INPUT' && why.test(e.message),
    );
  }
});
