import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@petrel/testkit';
import { CLI } from '../lib/petrel.js';

const FILE = [
  '# replies collected from a bounce mailbox',
  '550 5.1.1 <a@example.test>: Recipient address rejected: User unknown in local recipient table',
  'yahoo.com\t554 5.7.9 Message not accepted for policy reasons. See https://senders.yahooinc.com/error-codes',
  '550-5.1.1 The email account that you tried to reach does not exist. Please try\\n550 5.1.1 https://support.google.com/mail/?p=NoSuchUser - gsmtp',
  "452-4.2.2 The recipient's inbox is out of storage space. Please direct the",
  '452 4.2.2 recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp',
  'Diagnostic-Code: X-Postfix; host mx.example.test[192.0.2.1] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)',
  '',
  'some text that says nothing',
].join('\n');

interface Out {
  results: { line: number; domain: string; reply: string; code: number; rule: string }[];
  summary: { code: number; name: string; category: string; count: number }[];
}

test('petrel classify --file classifies one reply a line (\\n and 550- continuation lines join, domain<TAB>reply) with a summary per class', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-classify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'replies.txt');
  writeFileSync(file, FILE);
  const noConfig = join(dir, 'none.toml');

  const json = await run(process.execPath, [CLI, 'classify', '--file', file, '--json', '--config', noConfig], {
    timeoutMs: 30_000,
  });
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout) as Out;
  assert.deepEqual(
    out.results.map((r) => [r.line, r.domain, r.code]),
    [
      [2, '', 10],
      [3, 'yahoo.com', 51],
      [4, '', 10],
      [5, '', 22],
      [7, '', 23],
      [9, '', 1],
    ],
  );
  assert.match(out.results[3]!.reply, /\n452 4\.2\.2 recipient/);
  assert.deepEqual(
    out.summary.map((s) => [s.code, s.category, s.count]),
    [
      [1, 'Undetermined', 1],
      [10, 'Hard', 2],
      [22, 'Soft', 1],
      [23, 'Soft', 1],
      [51, 'Block', 1],
    ],
  );

  const human = await run(process.execPath, [CLI, 'classify', '-f', file, '--config', noConfig], { timeoutMs: 30_000 });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^4 +10 Invalid Recipient +Hard +unknown-recipient +550-5\.1\.1 The email account/m);
  assert.match(human.stdout, /^10 +Invalid Recipient +Hard +2 +33\.3%$/m);
  assert.match(human.stdout, /^ +total +6 +100\.0%$/m);

  // The single-reply form keeps working; a missing file or both forms at once are precise errors.
  const one = await run(process.execPath, [CLI, 'classify', '552 5.2.2 Mailbox full', '--config', noConfig], {
    timeoutMs: 30_000,
  });
  assert.equal(one.stdout, '22 Mailbox Full (Soft) rule: mailbox-full\n');
  const missing = await run(
    process.execPath,
    [CLI, 'classify', '--file', join(dir, 'nope.txt'), '--config', noConfig],
    {
      timeoutMs: 30_000,
    },
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^petrel: .*nope\.txt: cannot read: ENOENT/);
  const both = await run(process.execPath, [CLI, 'classify', 'x', '--file', file, '--config', noConfig], {
    timeoutMs: 30_000,
  });
  assert.equal(both.code, 2);
  assert.equal(both.stderr, 'petrel: give one of: a reply, --file <file>, --message <file>\n');
});
