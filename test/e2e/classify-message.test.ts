import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@petrel/testkit';
import { CLI } from '../lib/petrel.js';

const ID = '01M9975DKP3E41WM6XPTMNV3PH';
const VERP = `b+${ID}+jane=example_2Etest@rp.test`;

/** OpenSMTPD's bounce layout: multipart/mixed, a DSN block with Status 5.0.0 only, the reason in the text. */
const BOUNCE = `From: Mailer Daemon <MAILER-DAEMON@mx.example.test>
To: bounces@rp.test
Subject: Delivery status notification: failed
MIME-Version: 1.0
Content-Type: multipart/mixed;boundary="b1/mx.example.test"

--b1/mx.example.test
Content-Type: text/plain; charset=us-ascii

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

jane@example.test: 550 5.1.1 <jane@example.test>: user unknown

--b1/mx.example.test
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; jane@example.test
Action: failed
Status: 5.0.0

--b1/mx.example.test--
`.replace(/\n/g, '\r\n');

test('petrel classify --message reads a returned message as the feedback loop does, with the config’s return path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-classify-msg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const eml = join(dir, 'bounce.eml');
  writeFileSync(eml, BOUNCE);
  const config = join(dir, 'petrel.toml');
  writeFileSync(config, '[bounce]\nreturn_path_domains = ["rp.test"]\n');
  const cli = (...args: string[]) => run(process.execPath, [CLI, 'classify', ...args], { timeoutMs: 30_000 });

  // The envelope recipient (a stored .eml has none) names the VERP address: tied to the message.
  const text = await cli('--message', eml, '--rcpt', VERP, '-c', config);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^bounce rfc3464, tied by verp to message ${ID}\\n`));
  assert.match(
    text.stdout,
    /jane@example\.test\s+failed\s+10 Invalid Recipient\s+550 5\.1\.1 <jane@example\.test>: user unknown/,
  );

  const json = await cli('--message', eml, '--rcpt', VERP, '-c', config, '--json');
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as {
    kind: string;
    tiedBy?: string;
    recipients: { address: string; bounceClass: number }[];
  };
  assert.equal(report.kind, 'bounce');
  assert.equal(report.tiedBy, 'verp');
  assert.deepEqual(
    report.recipients.map((r) => [r.address, r.bounceClass]),
    [['jane@example.test', 10]],
  );

  // Without the envelope the headers name no VERP address; with a verp_secret an unsigned one is not believed.
  const bare = await cli('--message', eml, '-c', config);
  assert.match(bare.stdout, /^bounce rfc3464, tied to no message of ours\n/);
  const signed = join(dir, 'signed.toml');
  writeFileSync(signed, '[bounce]\nreturn_path_domains = ["rp.test"]\nverp_secret = "s3cret"\n');
  const forged = await cli('--message', eml, '--rcpt', VERP, '-c', signed, '--json');
  assert.notEqual((JSON.parse(forged.stdout) as { tiedBy?: string }).tiedBy, 'verp');

  // Anything else is kept unparsed, with the reason; a missing file and two inputs are errors.
  const junk = join(dir, 'junk.eml');
  writeFileSync(junk, 'Subject: hello\r\n\r\njust a note\r\n');
  const kept = await cli('--message', junk, '-c', config);
  assert.equal(kept.code, 0);
  assert.match(kept.stdout, /^unparsed none, tied to no message of ours\nkept unparsed: /);
  const missing = await cli('--message', join(dir, 'nope.eml'), '-c', config);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.eml: cannot read/);
  const both = await cli('550 5.1.1 x', '--message', eml);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give one of: a reply, --file <file>, --message <file>/);
});
