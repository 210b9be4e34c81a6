import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpReply, isPetrelError, parseConfig } from '@petrel/core';
import { bounceConfigExtensions } from './config/bounce-classes.js';
import { Classifier } from './classifier.js';
import { BUILTIN_CLASSES } from './classes.js';
import { overrideMatcher, parseOverrides, parseRulesToml } from './rules.js';

test("the built-in classes are Momentum's codes, names and categories", () => {
  const c = new Classifier();
  assert.equal(BUILTIN_CLASSES.length, 20);
  assert.deepEqual(
    [10, 21, 22, 24, 25, 51, 54, 70, 100].map((n) => {
      const k = c.classForId(n)!;
      return `${k.code} ${k.name} ${k.category}`;
    }),
    [
      '10 Invalid Recipient Hard',
      '21 DNS Failure Soft',
      '22 Mailbox Full Soft',
      '24 Timeout Soft',
      '25 Admin Failure Admin',
      '51 Spam Block Block',
      '54 Relaying Denied Block',
      '70 Transient Failure Soft',
      '100 Challenge-Response Soft',
    ],
  );
  assert.equal(c.classForId(11), undefined);
});

test('registerClass accepts a free code below 100 and refuses collisions and codes ≥ 100', () => {
  const c = new Classifier();
  assert.equal(c.registerClass(99, 'profanity', 'rude reply').name, 'profanity');
  assert.equal(c.classForId(99)?.description, 'rude reply');
  for (const [code, why] of [
    [99, 'taken by the operator'],
    [10, 'built-in'],
    [100, 'not below 100'],
    [150, 'too big'],
    [2.5, 'not whole'],
  ] as const) {
    assert.throws(
      () => c.registerClass(code, 'x'),
      (e: unknown) => isPetrelError(e, 'PETREL_ERR_BOUNCE_CLASS'),
      why,
    );
  }
});

test('the shipped rules classify a reply value and text alike and name the rule', () => {
  const c = Classifier.load();
  assert.deepEqual(c.classify('550 5.1.1 <x@y>: user unknown'), {
    code: 10,
    name: 'Invalid Recipient',
    category: 'Hard',
    rule: 'unknown-recipient',
  });
  assert.equal(c.classify('550 5.1.1 <x@y>').rule, 'enhanced-5.1.x-bad-recipient');
  assert.equal(c.classify(new SmtpReply(552, 'Mailbox full', '5.2.2')).code, 22);
  assert.equal(c.classify('554 5.4.7 [internal] exceeded max time without delivery').code, 24);
  assert.deepEqual(c.classify('hello'), { code: 1, name: 'Undetermined', category: 'Undetermined', rule: 'none' });
});

test('the domain sharpens: a domain-limited rule wins only for its domain', () => {
  const c = Classifier.load();
  const r = '554 5.7.9 Message not accepted for policy reasons. See https://help.yahoo.com/kb/postmaster/SLN7110.html';
  assert.equal(c.classify(r, 'yahoo.com').code, 51);
  assert.equal(c.classify(r, 'mail.yahoo.com').code, 51, 'subdomains count');
  assert.equal(c.classify(r, 'example.com').code, 50);
  assert.equal(c.classify(r).code, 50);
});

test('disable() makes every reply Undetermined; enable() restores', () => {
  const c = Classifier.load();
  c.disable();
  assert.deepEqual(c.classify('550 5.1.1 user unknown'), {
    code: 1,
    name: 'Undetermined',
    category: 'Undetermined',
    rule: 'disabled',
  });
  c.enable();
  assert.equal(c.classify('550 5.1.1 user unknown').code, 10);
});

test('override lines: domain lines first, then any-domain lines, before the shipped rules; first match wins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bounce-'));
  try {
    const ovr = join(dir, 'user.ovr');
    writeFileSync(ovr, '# comment\n,40,user unknown\nexample.com,22,user unknown\n,99,rude|words, here\n');
    const c = Classifier.load({ overrideFiles: [ovr], customClasses: [{ code: 99, name: 'profanity' }] });
    assert.deepEqual(c.classify('550 5.1.1 user unknown', 'example.com'), {
      code: 22,
      name: 'Mailbox Full',
      category: 'Soft',
      rule: `${ovr}:3`,
    });
    assert.equal(c.classify('550 5.1.1 user unknown', 'other.com').rule, `${ovr}:2`);
    assert.equal(
      c.classify('550 you used RUDE and bad WORDS, HERE').code,
      99,
      '| is a wildcard, commas belong to the rule',
    );
    assert.equal(c.classify('550 5.1.1 no such mailbox').code, 10, 'no override matches: shipped rules');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wildcard override needs its pieces in order; a plain one is a substring', () => {
  assert.equal(overrideMatcher('listed|abuseat')('550 IP LISTED at cbl.abuseat.org'), true);
  assert.equal(overrideMatcher('listed|abuseat')('550 abuseat says listed'), false);
  assert.equal(overrideMatcher('a.b')('xx A.B yy'), true);
  assert.equal(overrideMatcher('a.b')('axb'), false, 'no regex meaning');
});

test('bad rule files are refused with the file and the place', () => {
  const t = (text: string, re: RegExp): void =>
    assert.throws(
      () => parseRulesToml(text, 'r.toml'),
      (e: unknown) => isPetrelError(e, 'PETREL_ERR_BOUNCE_RULES') && re.test((e as Error).message),
    );
  t('[[rule]]\nid = "a"\nclass = 10\npattern = "("\n', /r\.toml: rule\[0\] \(a\): invalid pattern/);
  t(
    '[[rule]]\nid = "a"\nclass = 10\npattern = "x"\n[[rule]]\nid = "a"\nclass = 10\npattern = "y"\n',
    /duplicate id "a"/,
  );
  t('x = ', /r\.toml: line 1/);
  assert.throws(() => parseOverrides('example.com;10;x\n', 'u.ovr'), /u\.ovr: line 1: expected "domain,code,rule"/);
  const c = new Classifier();
  assert.throws(
    () => c.setRules(parseRulesToml('[[rule]]\nid = "a"\nclass = 77\npattern = "x"\n', 'r.toml')),
    /class 77 is not a known bounce class/,
  );
});

test('a [bounce] classes entry is registered before the override files, which may map replies to it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bounce-'));
  try {
    writeFileSync(join(dir, 'partner.ovr'), ',55,partner block\n');
    const toml = `[bounce]\noverride_files = ["partner.ovr"]\n\n[[bounce.classes]]\ncode = 55\nname = "Partner Block"\ndescription = "Refused by a partner's blocklist"\ncategory = "Block"\n`;
    const config = parseConfig(toml, join(dir, 'petrel.toml'), { extensions: bounceConfigExtensions });
    const c = Classifier.fromConfig(config.bounce);
    assert.deepEqual(c.classify('550 5.7.1 Rejected: partner block in effect'), {
      code: 55,
      name: 'Partner Block',
      category: 'Block',
      rule: `${join(dir, 'partner.ovr')}:1`,
    });
    assert.equal(c.classForId(55)?.description, "Refused by a partner's blocklist");
    assert.equal(c.classify('550 5.1.1 user unknown').code, 10, 'other replies: the shipped rules');
    // Without the class the same override file is refused, so the registration is what makes it work.
    assert.throws(
      () => Classifier.fromConfig({ ...config.bounce, classes: [] }),
      (e: unknown) =>
        isPetrelError(e, 'PETREL_ERR_BOUNCE_RULES') &&
        /class 55 is not a known bounce class/.test((e as Error).message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
