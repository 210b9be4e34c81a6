import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReply } from '@petrel/core';
import { authMechanisms, parseCapabilities, sizeLimit } from './capabilities.js';
import { orcptParam, xtext } from './xtext.js';

test('EHLO keywords become an upper-case map with their parameters', () => {
  const caps = parseCapabilities(
    new SmtpReply(250, [
      'mx.test',
      'pipelining',
      'SIZE 10240000',
      '8BITMIME',
      'AUTH PLAIN LOGIN',
      'AUTH=LOGIN',
      'DSN',
      'ENHANCEDSTATUSCODES',
      'STARTTLS',
      'DELIVERBY 240',
      '',
    ]),
  );
  assert.equal(caps.get('PIPELINING'), '');
  assert.equal(sizeLimit(caps), 10240000);
  assert.deepEqual(authMechanisms(caps), ['PLAIN', 'LOGIN']);
  assert.equal(caps.get('DELIVERBY'), '240');
  assert.ok(caps.has('STARTTLS') && caps.has('DSN') && caps.has('ENHANCEDSTATUSCODES') && caps.has('8BITMIME'));
  assert.equal(caps.has('MX.TEST'), false);
});

test('SIZE 0 means no limit (RFC 1870 §4)', () => {
  assert.equal(sizeLimit(parseCapabilities(new SmtpReply(250, ['x', 'SIZE 0']))), undefined);
});

test('xtext encodes +, = and non-printables as +XX (RFC 3461 §4)', () => {
  assert.equal(xtext('a+b=c d'), 'a+2Bb+3Dc+20d');
  assert.equal(orcptParam('rfc822;bob+x@example.test'), 'ORCPT=rfc822;bob+2Bx@example.test');
  assert.equal(orcptParam('bob@example.test'), 'ORCPT=rfc822;bob@example.test');
  // RFC 6533 §3: the utf-8 type is sent in its 7-bit \x{HEX} form, never as +HH octets.
  assert.equal(orcptParam('utf-8;üser@example.com'), 'ORCPT=utf-8;\\x{FC}ser@example.com');
});
