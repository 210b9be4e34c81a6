import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock, type ShapingState } from '@petrel/core';
import { SPOOL_DB_FILE } from './database.js';
import { writeWithReserve } from './space-reserve.js';
import { spoolFixture } from './spool-fixture.js';

const suspension = (domain: string): ShapingState => ({
  id: `suspend:domain:${domain}`,
  kind: 'suspend',
  scope: 'domain',
  domain,
  source: 'operator',
  since: 1000,
});

// A store write on a really full disk (SQLITE_FULL, the reserve released and the write landing in
// its room, then kill -9 and restart) is driven in test/e2e/spool-disk-full-outcomes.test.ts on a
// tmpfs. Here a trigger refuses the writes, for the part that follows when no room can be had.
test('a shaping store write that fails is kept, applied to what the store reads, and retried until it lands', async (t) => {
  const fx = spoolFixture(t);
  const clock = new ManualClock();
  const { spool } = await fx.open({ outcomeReserve: 0, minFreeSpace: 0 }, clock);
  const store = spool.openShapingStore();
  const other = new Database(join(fx.spoolDir, SPOOL_DB_FILE));
  fx.onCleanup(() => {
    store.close();
    other.close();
  });
  const stored = () => (other.prepare('SELECT id FROM shaping_states ORDER BY id').pluck().all() as string[]).sort();
  store.putState(suspension('a.test'));
  store.putState(suspension('b.test'));
  assert.deepEqual(stored(), ['suspend:domain:a.test', 'suspend:domain:b.test']);

  // Every write to the states fails from now on, as on a disk with no block to give.
  other.exec(`CREATE TRIGGER refuse_delete BEFORE DELETE ON shaping_states BEGIN SELECT RAISE(ABORT, 'no room'); END;
              CREATE TRIGGER refuse_insert BEFORE INSERT ON shaping_states BEGIN SELECT RAISE(ABORT, 'no room'); END;`);
  store.deleteState('suspend:domain:a.test'); // the operator's resume: must not throw, must not be forgotten
  store.putState(suspension('c.test'));
  store.putCounters([{ key: 'k', window: 1, count: 5 }]);
  assert.equal(store.pending, 3);
  assert.deepEqual(stored(), ['suspend:domain:a.test', 'suspend:domain:b.test'], 'nothing reached the table');
  assert.deepEqual(
    store
      .loadStates()
      .map((s) => s.id)
      .sort(),
    ['suspend:domain:b.test', 'suspend:domain:c.test'],
    'the kept changes are the newer word',
  );
  clock.advance(1000);
  assert.equal(store.pending, 3, 'still failing: still kept');

  // Room again: the next retry writes everything kept, in one transaction.
  other.exec('DROP TRIGGER refuse_delete; DROP TRIGGER refuse_insert;');
  clock.advance(1000);
  assert.equal(store.pending, 0);
  assert.deepEqual(stored(), ['suspend:domain:b.test', 'suspend:domain:c.test']);
  assert.deepEqual(other.prepare('SELECT key, window, count FROM warmup_counters').all(), [
    { key: 'k', window: 1, count: 5 },
  ]);
});

test('writeWithReserve: a write that finds the database full releases the reserve and runs once more; other failures release nothing', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x BLOB)');
  const pages = db.pragma('page_count', { simple: true }) as number;
  // SQLite's own SQLITE_FULL: the database may not grow past its current size.
  db.pragma(`max_page_count = ${pages}`);
  const insert = () => db.prepare('INSERT INTO t VALUES (zeroblob(100000))').run();
  assert.throws(insert, { code: 'SQLITE_FULL' });
  let released = 0;
  const release = () => {
    released++;
    db.pragma(`max_page_count = ${pages + 1000}`); // the ballast's blocks
    return true;
  };
  writeWithReserve(insert, release);
  assert.equal(released, 1);
  assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 1);

  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  assert.throws(() => writeWithReserve(insert, () => false), { code: 'SQLITE_FULL' }, 'nothing freed: thrown');
  assert.throws(() => writeWithReserve(() => db.exec('INSERT INTO missing VALUES (1)'), release), /no such table/);
  assert.equal(released, 1, 'not a full disk: the reserve stays');
  db.close();
});
