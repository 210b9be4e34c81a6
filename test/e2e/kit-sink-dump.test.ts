/**
 * The test kit's smtp-sink counts a dump only once it is a whole message: smtp-sink creates the
 * file when the transaction starts and writes it as the data arrives, so a test that read it early
 * saw an empty or cut message (a flake under load).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSink, waitFor } from '@petrel/testkit';

test('a dump smtp-sink is still writing is not a message; after its 250 to the dot it is, whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-kit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755); // smtp-sink writes its dumps as nobody
  const sink = await startSink(dir, '127.0.0.1', await freePort());
  t.after(() => sink.stop());
  const c = connect({ host: '127.0.0.1', port: sink.port });
  t.after(() => c.destroy());
  let seen = '';
  c.on('data', (d: Buffer) => {
    seen += d.toString();
  });
  const replies = (n: number): Promise<unknown> =>
    waitFor(`${n} replies`, () => (seen.match(/^\d{3} /gm)?.length ?? 0) >= n);
  await replies(1); // banner
  c.write('EHLO kit.test\r\nMAIL FROM:<a@kit.test>\r\nRCPT TO:<b@kit.test>\r\nDATA\r\n');
  await replies(5);
  c.write('Subject: half\r\n\r\nfirst part\r\n');
  await waitFor('the dump file created', () => readdirSync(sink.dumpDir).length === 1);
  assert.deepEqual(sink.messages(), [], 'a file still being written is not counted');
  c.write('second part\r\n.\r\n');
  await replies(6);
  const m = await waitFor('the whole message', () => (sink.messages().length === 1 ? sink.messages() : undefined));
  assert.match(m[0]!, /first part\r?\nsecond part/);
});
