import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderSection, splitMessage } from './headers.js';

const MSG = Buffer.from('From: a@b.test\r\nSubject: one\r\n two\r\nX-Tag: 1\r\nX-Tag: 2\r\n\r\nbody\r\n');

test('an untouched header section is kept byte for byte', () => {
  const { head, rest } = splitMessage(MSG);
  const h = HeaderSection.parse(head);
  assert.equal(h.changed, false);
  assert.equal(Buffer.concat([Buffer.from(h.toString(), 'latin1'), rest]).toString(), MSG.toString());
});

test('get unfolds (RFC 5322 §2.2.3); getAll keeps order; names are case-insensitive', () => {
  const h = HeaderSection.parse(splitMessage(MSG).head);
  assert.equal(h.get('subject'), 'one two');
  assert.deepEqual(h.getAll('x-tag'), ['1', '2']);
  assert.equal(h.has('FROM'), true);
  assert.equal(h.get('Missing'), undefined);
});

test('add, prepend, set and remove edit whole fields', () => {
  const h = HeaderSection.parse(splitMessage(MSG).head);
  h.add('X-Added', 'yes');
  h.prepend('X-First', 'top');
  assert.equal(h.remove('x-tag'), 2);
  h.set('Subject', 'new');
  assert.equal(h.changed, true);
  assert.equal(h.toString(), 'X-First: top\r\nFrom: a@b.test\r\nSubject: new\r\nX-Added: yes\r\n');
});

test('a value with CR or LF, or a bad name, is refused (no header injection)', () => {
  const h = HeaderSection.parse('');
  assert.throws(() => h.add('X-A', 'v\r\nBcc: x@y'), /CR, LF/);
  assert.throws(() => h.add('Bad Name', 'v'), /invalid header field name/);
});

test('UTF-8 values are read and written as UTF-8 (RFC 6532)', () => {
  const h = HeaderSection.parse(Buffer.from('Subject: héllo\r\n', 'utf8').toString('latin1'));
  assert.equal(h.get('Subject'), 'héllo');
  h.add('X-Note', 'ça va');
  assert.equal(Buffer.from(h.toString(), 'latin1').toString('utf8'), 'Subject: héllo\r\nX-Note: ça va\r\n');
});

test('a message starting with the blank line has an empty header section', () => {
  const { head, rest } = splitMessage(Buffer.from('\r\nbody'));
  assert.equal(head, '');
  assert.equal(rest.toString(), '\r\nbody');
});
