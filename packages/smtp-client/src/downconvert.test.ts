import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downconvert, has8bit, quotedPrintable } from './downconvert.js';

test('a single 8-bit text part becomes quoted-printable with its CTE header replaced', () => {
  const msg = Buffer.from(
    'Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncafé = bon\r\n',
    'utf8',
  );
  const d = downconvert(msg);
  assert.equal(d.clean, true);
  assert.equal(d.changed, true);
  const s = d.body.toString('latin1');
  assert.match(s, /Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D bon\r\n$/);
  assert.doesNotMatch(s, /8bit/);
});

test('multipart parts are converted one by one; 7-bit parts and boundaries stay as they are', () => {
  const msg = Buffer.from(
    'Content-Type: multipart/mixed; boundary="b1"\r\n\r\npre\r\n--b1\r\nContent-Type: text/plain\r\n\r\nplain ascii\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÄrger\r\n--b1--\r\n',
    'utf8',
  );
  const d = downconvert(msg);
  assert.equal(d.clean, true);
  const s = d.body.toString('latin1');
  assert.match(s, /--b1\r\nContent-Type: text\/plain\r\n\r\nplain ascii\r\n--b1\r\n/);
  assert.match(s, /Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=84rger\r\n--b1--\r\n$/);
});

test('8-bit header fields are left alone and reported as not clean', () => {
  const d = downconvert(Buffer.from('Subject: Grüße\r\n\r\nascii\r\n', 'utf8'));
  assert.equal(d.clean, false);
  assert.equal(has8bit(d.body), true);
});

test('quoted-printable keeps lines within 76 octets with soft breaks and encodes trailing blanks', () => {
  const qp = quotedPrintable(`${'é'.repeat(40)} `);
  for (const l of qp.split('\r\n')) assert.ok(l.length <= 76, l);
  assert.ok(qp.endsWith('=20'));
});
