/** RFC 8461 §3.1 TXT records and §3.2 policy files, parsed strictly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMtaStsPolicy, parseMtaStsTxt } from './mta-sts-policy.js';

test('the STS TXT record gives its id; other TXT records are ignored', () => {
  assert.deepEqual(parseMtaStsTxt([['v=spf1 -all'], ['v=STSv1; id=2026120', '6T1;']]), {
    ok: true,
    value: { id: '20261206T1' },
  });
  assert.equal(parseMtaStsTxt([['v=spf1 -all']]), undefined);
});

test('two STS records, a missing id or a bad id make the record invalid', () => {
  assert.equal(parseMtaStsTxt([['v=STSv1; id=a'], ['v=STSv1; id=b']])?.ok, false);
  assert.equal(parseMtaStsTxt([['v=STSv1;']])?.ok, false);
  assert.equal(parseMtaStsTxt([['v=STSv1; id=has-dash']])?.ok, false);
  assert.equal(parseMtaStsTxt([[`v=STSv1; id=${'a'.repeat(33)}`]])?.ok, false);
});

test('a policy with CRLF or LF lines parses; extension keys are ignored; mx patterns lower-cased', () => {
  const p = parseMtaStsPolicy(
    'version: STSv1\r\nmode: enforce\r\nmx: MX1.Example.com\r\nmx: *.example.net\r\nx-ext: 1\r\nmax_age: 86400\r\n',
  );
  assert.ok(p.ok);
  assert.deepEqual(
    [p.value.mode, p.value.maxAge, p.value.mx],
    ['enforce', 86400, ['mx1.example.com', '*.example.net']],
  );
  assert.equal(parseMtaStsPolicy('version: STSv1\nmode: testing\nmx: a.test\nmax_age: 0\n').ok, true);
  assert.equal(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 60').ok, true, 'mode none needs no mx');
});

test('a policy is refused for a wrong version, mode or max_age, no mx, a junk line or a repeated key', () => {
  const bad = [
    'version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 60\n',
    'version: STSv1\nmode: strict\nmx: a.test\nmax_age: 60\n',
    'version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1\n',
    'version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n',
    'version: STSv1\nmode: enforce\nmax_age: 60\n',
    'version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 60\n<html>\n',
    'version: STSv1\nmode: enforce\nmode: testing\nmx: a.test\nmax_age: 60\n',
    'version: STSv1\nmode: enforce\nmx: a..test\nmax_age: 60\n',
  ];
  for (const text of bad) assert.equal(parseMtaStsPolicy(text).ok, false, JSON.stringify(text));
});
