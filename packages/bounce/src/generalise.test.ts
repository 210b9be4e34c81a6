import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isPetrelError } from '@petrel/core';
import { fileURLToPath } from 'node:url';
import { Classifier } from './classifier.js';
import { loadCorpus } from './corpus.js';
import { normalizeReply } from './reply-text.js';
import { parseRulesToml, replyKind } from './rules.js';

const c = Classifier.load();
const code = (reply: string, domain = ''): number => c.classify(reply, domain).code;

test('RFC 3463 enhanced codes classify a reply whose text no rule knows', () => {
  const cases: [string, number][] = [
    ['550 5.1.1 qwxz', 10],
    ['550 5.1.2 qwxz', 10],
    ['556 5.1.10 qwxz', 10],
    ['550 5.2.1 qwxz', 10],
    ['552 5.2.2 qwxz', 22],
    ['452 4.2.2 qwxz', 22],
    ['552 5.3.4 qwxz', 23],
    ['552 5.2.3 qwxz', 23],
    ['554 5.4.4 qwxz', 21],
    ['554 5.4.7 qwxz', 24],
    ['550 5.1.8 qwxz', 25],
    ['550 5.7.27 qwxz', 25],
    ['550 5.7.1 qwxz', 50],
    ['550 5.7.26 qwxz', 50],
    ['501 5.5.2 qwxz', 40],
    ['554 5.6.0 qwxz', 40],
    ['451 4.4.1 qwxz', 24],
    ['450 4.2.1 qwxz', 20],
    ['451 4.7.1 qwxz', 70],
    ['451 4.3.0 qwxz', 70],
    ['550 qwxz', 40],
    ['421 qwxz', 70],
  ];
  for (const [reply, want] of cases) assert.equal(code(reply), want, reply);
});

test('a 550/553/554 that no rule understood and that names no system or delivery failure is a block', () => {
  const cases: [string, number][] = [
    ['554 mx.example.com qwxz zyxw vutsr', 50],
    ['550 Sorry, qwxz zyxw for jane@example.com', 50],
    ['550 5.0.0 qwxz zyxw vutsr', 50],
    // what says nothing, or names a failure of the receiving system, stays 40 Generic Bounce
    ['550 Requested action not taken', 40],
    ['554 Transaction failed', 40],
    ['550 5.0.0 Message rejected', 40],
    ['554 5.3.0 qwxz zyxw vutsr', 40],
    ['550 Internal error qwxz zyxw', 40],
    ['551 qwxz zyxw vutsr', 40],
    // the other words of an unknown recipient and of a block
    ['550 Recipient not in our list of valid users', 10],
    ['550 Unable to find recipient', 10],
    ['550 No such local user', 10],
    ['554 Your IP is on our deny list', 51],
    ['550 Domain blocked due to spam complaints', 51],
    ['550 Untrusted sender', 50],
    ['550 This message looks suspicious', 52],
  ];
  for (const [reply, want] of cases) assert.equal(code(reply), want, reply);
});

test('a 4xx reply is always a Soft class, whatever its words (RFC 5321 §4.2.1: transient)', () => {
  for (const reply of [
    '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to user complaints',
    '450 4.7.1 Client host rejected: blocked using zen.spamhaus.org',
    '451 4.7.1 Spam suspected, try later',
    '454 4.7.1 <x@y>: Relay access denied',
  ])
    assert.equal(c.classify(reply).category, 'Soft', reply);
  assert.equal(code('550 5.7.1 Client host rejected: blocked using zen.spamhaus.org'), 51);
});

test('a multi-line Gmail reply and the same reply inside a DSN classify like the one-line form', () => {
  const multi =
    '550-5.1.1 The email account that you tried to reach does not exist. Please try\n' +
    "550-5.1.1 double-checking the recipient's email address for typos or\n" +
    '550 5.1.1  https://support.google.com/mail/?p=NoSuchUser - gsmtp';
  assert.equal(code(multi, 'gmail.com'), 10);
  assert.equal(code(`Diagnostic-Code: smtp; ${multi.replace(/\n/g, '\n    ')}`), 10);
  assert.equal(code('X-Postfix; host mx[192.0.2.1] said: 552 5.2.2 Over quota (in reply to RCPT TO command)'), 22);
});

test('common non-English texts are understood', () => {
  assert.equal(code('550 Benutzer unbekannt'), 10);
  assert.equal(code('550 Utilisateur inconnu'), 10);
  assert.equal(code('552 Buzón lleno'), 22);
  assert.equal(code('552 Casella piena'), 22);
  assert.equal(code('550 Нет такого пользователя'), 10);
  assert.equal(code('552 邮箱已满'), 22);
  assert.equal(code('550 Nie ma takiego konta'), 10);
});

test('the recipient domain sharpens the class: Yahoo/AOL "not accepted for policy reasons" is their spam block', () => {
  const reply = '554 5.7.9 Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes';
  assert.equal(c.classify(reply, 'yahoo.com').rule, 'yahoo-policy-reasons');
  assert.equal(code(reply, 'aol.com'), 51);
  assert.equal(code(reply, 'example.com'), 50);
});

test('rule codes: the reply kinds a rule applies to; anything else is a precise error', () => {
  assert.deepEqual(['550 x', '421 x', '250 ok', 'text', '5500 x'].map(replyKind), [
    '5xx',
    '4xx',
    '2xx',
    'none',
    'none',
  ]);
  const [r] = parseRulesToml("[[rule]]\nid = 'a'\nclass = 70\ncodes = ['4xx']\npattern = 'busy'\n", 'r.toml');
  assert.equal(r!.test('450 busy'), true);
  assert.equal(r!.test('550 busy'), false);
  assert.throws(
    () => parseRulesToml("[[rule]]\nid = 'a'\nclass = 70\ncodes = ['6xx']\npattern = 'x'\n", 'r.toml'),
    (e: unknown) =>
      isPetrelError(e, 'PETREL_ERR_BOUNCE_RULES') &&
      /r\.toml: rule\[0\] \(a\): expected codes = a list of/.test(String(e)),
  );
});

test('every phrase the open bounce parsers document for a reason lands in that reason’s category', () => {
  const file = new URL('../../../test/fixtures/bounce-documented-phrases.tsv', import.meta.url);
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t') as [string, string]);
  assert.ok(rows.length >= 400, `${rows.length} phrases`);
  const wrong = rows.filter(([k, reply]) => c.classify(reply).category !== c.classForId(Number(k))!.category);
  assert.deepEqual(wrong, []);
});

test('no 4xx reply of the corpus is classified Hard, Block or Admin, except an address named unknown (10) or a refused sender (25)', () => {
  const rows = loadCorpus(fileURLToPath(new URL('../../../test/fixtures/bounce-corpus/', import.meta.url)));
  const wrong = rows
    .filter((r) => (normalizeReply(r.reply).code ?? 0) >= 400 && (normalizeReply(r.reply).code ?? 0) < 500)
    .map((r) => ({ r, k: c.classify(r.reply, r.domain) }))
    .filter(({ k }) => k.category !== 'Soft' && k.code !== 10 && k.code !== 25)
    .map(({ r, k }) => `${r.file}:${r.line} → ${k.code} (${k.rule})`);
  assert.deepEqual(wrong, []);
});
