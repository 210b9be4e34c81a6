import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { scenario } from '../lib/scenario.js';
import { startPetrel, testConfig, type PetrelHandle } from '../lib/petrel.js';
import { petrelCli } from '../lib/cli.js';
import { dumpIds, figures, startLoad } from './helpers.js';
import { startSink, type Sink, waitFor } from '@petrel/testkit';

/** What a stopped daemon left in its spool: integrity, half-done rows, the Message-IDs still queued. */
function inspectSpool(spoolDir: string): {
  integrity: string;
  finishedButKept: number;
  orphanRecipients: number;
  queuedIds: string[];
} {
  const db = new Database(join(spoolDir, 'spool.db'), { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    // A message whose every recipient is finished must have been deleted with its last outcome.
    const finishedButKept = (
      db
        .prepare(
          "SELECT count(*) AS n FROM messages m WHERE NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.status = 'pending')",
        )
        .get() as { n: number }
    ).n;
    const orphanRecipients = (
      db
        .prepare(
          'SELECT count(*) AS n FROM recipients r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)',
        )
        .get() as { n: number }
    ).n;
    const queuedIds = (db.prepare('SELECT body FROM messages').all() as { body: Buffer }[]).map(
      (r) => /^Message-ID:\s*<([^>]+)>/im.exec(r.body.toString('latin1'))?.[1] ?? '?',
    );
    return { integrity, finishedButKept, orphanRecipients, queuedIds };
  } finally {
    db.close();
  }
}

const idsAtSink = (sink: Sink): string[] => sink.messages().map((d) => dumpIds(d).ids[0] ?? '?');

async function stopUnderLoad(
  s: { listenPort: number },
  dir: string,
  toml: string,
  sink: Sink,
  tag: string,
  how: (p: PetrelHandle) => Promise<void>,
): Promise<Record<string, unknown>> {
  const acked: string[] = [];
  const petrel = await startPetrel(dir, toml, s.listenPort);
  const load = startLoad(s.listenPort, { clients: 4, tag, rcpts: (i, w) => [`r${w}-${i % 3}@example.test`] }, acked);
  // Stop once mail is both arriving and leaving.
  await waitFor('load to be received and delivered', () => acked.length > 100 && sink.messages().length > 20, 15_000);
  const t0 = Date.now();
  await how(petrel);
  const exitCode = await petrel.stop(); // already exited: returns its code
  const stopMs = Date.now() - t0;
  await load.stop();
  assert.equal(exitCode, 0, `${tag}: clean exit\n${petrel.output()}`);

  const spool = inspectSpool(join(dir, 'spool'));
  assert.equal(spool.integrity, 'ok', `${tag}: spool integrity`);
  assert.equal(spool.finishedButKept, 0, `${tag}: no finished message left behind`);
  assert.equal(spool.orphanRecipients, 0, `${tag}: no recipient row without its message`);
  const delivered = new Set(idsAtSink(sink));
  const queued = new Set(spool.queuedIds);
  const lost = acked.filter((id) => !delivered.has(id) && !queued.has(id));
  assert.deepEqual(lost, [], `${tag}: every acknowledged message is delivered or still queued`);

  // Restart on the same spool: what was queued goes out, nothing twice.
  const again = await startPetrel(dir, toml, s.listenPort);
  try {
    await waitFor(
      `${tag}: all ${acked.length} acknowledged messages at the sink`,
      () => {
        const seen = new Set(idsAtSink(sink));
        return acked.every((id) => seen.has(id));
      },
      20_000,
      200,
    );
  } finally {
    assert.equal(await again.stop(), 0);
  }
  const mineAtSink = idsAtSink(sink).filter((id) => id.startsWith(`${tag}-`));
  const duplicates = mineAtSink.length - new Set(mineAtSink).size;
  assert.equal(duplicates, 0, `${tag}: a graceful stop finishes or hands back in-flight deliveries: no duplicates`);
  return {
    acknowledged: acked.length,
    deliveredBeforeStop: [...delivered].filter((id) => id.startsWith(`${tag}-`)).length,
    queuedAtStop: queued.size,
    stopMs,
    duplicates,
    lost: lost.length,
  };
}

test('SIGTERM and `petrel stop` under load: clean exit, nothing lost or half-done, restart resumes without duplicates', async (t) => {
  const s = await scenario(t);
  const sink = await startSink(s.dir, '127.0.0.2', s.mxPort);
  s.defer(() => sink.stop());
  const toml = testConfig({
    listenPort: s.listenPort,
    dnsServer: s.dns.server,
    remotePort: s.mxPort,
    global: 'max_outbound_connections = 4',
  });
  const dir = join(s.dir, 'petrel');
  const sigterm = await stopUnderLoad(s, dir, toml, sink, 'term', async (p) => void (await p.stop()));
  const cli = await stopUnderLoad(s, dir, toml, sink, 'cli', async (p) => {
    const r = await petrelCli(p, ['stop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopping/);
    await waitFor(
      'the daemon to exit after petrel stop',
      async () => (await petrelCli(p, ['status'])).code !== 0,
      15_000,
    );
  });
  figures('graceful-stop', { sigterm, petrelStop: cli });
});
