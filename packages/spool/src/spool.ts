/**
 * The spool service (ARCHITECTURE.md "spool"): answers spool.store once a message is durable,
 * spool.body with the stored bytes, persists delivery outcomes, and on system.ready replays every
 * unfinished message so that routing and queue rebuild their state.
 */
import { FreshBodies } from './fresh-bodies.js';
import { recordHandlers } from './records.js';
import { messageDetailsReader } from './message-details.js';
import {
  PetrelError,
  isPetrelError,
  newMessageId,
  type BodyRequest,
  type Logger,
  type MessageEnvelope,
  type PetrelConfig,
  type RecipientOutcome,
  type Service,
  type ServiceContext,
  type StoreRequest,
  type StoreResult,
} from '@petrel/core';
import { openSpoolReader, type SpoolDatabase } from './database.js';
import { FreeSpaceGuard, type FreeSpaceProbe } from './free-space.js';
import { SpaceReserve } from './space-reserve.js';
import { openShapingStore, type SpoolShapingStore } from './shaping-store.js';
import { SqliteSuppressionStore } from './suppression-store.js';
import { NoticeGate } from './notice-gate.js';
import { OutcomeWriter } from './outcome-writer.js';
import { replay, type RecoveryResult } from './recovery.js';
import { toSpoolError } from './sqlite-errors.js';
import { acquireSpoolLock, type SpoolLock } from './spool-lock.js';
import { StoreWriter } from './store-writer.js';
import { InlineBackend, type WriteBackend } from './write-backend.js';
import type { OutcomeEffects } from './write-transactions.js';
import { WorkerBackend } from './worker-backend.js';

const MAX_RESERVE = 64 * 1024 * 1024;

/** Constructor options; the first three override the `[spool]` config keys of the same meaning. */
export interface SpoolOptions {
  /** Refuse new messages when the spool's file system has less free space (bytes). Default 100 MB; 0 disables. */
  readonly minFreeSpace?: number;
  /** Most messages per group-commit transaction. Default 512. */
  readonly maxBatchSize?: number;
  /** Messages read per recovery chunk before yielding to the event loop. Default 500. */
  readonly recoveryChunkSize?: number;
  /**
   * Bytes of the outcome reserve (a ballast file deleted when an outcome write finds the disk
   * full), held on top of minFreeSpace. Default a quarter of minFreeSpace (0 with the check off).
   * New mail is refused while the reserve is not in place.
   */
  readonly outcomeReserve?: number;
  /** Replaces statfs (tests simulate a full disk with it). */
  readonly freeSpaceProbe?: FreeSpaceProbe;
  /**
   * Where writes run: 'worker' (default) on a worker thread that owns the only read-write
   * connection, so commits and their fsync leave the event loop free; 'inline' on the main thread.
   */
  readonly writer?: 'worker' | 'inline';
}

/** Counters for metrics and tests. */
export interface SpoolStats {
  /** Messages in the spool (stored and not finished). */
  readonly messages: number;
  /** Recipients still pending delivery. */
  readonly pendingRecipients: number;
  /** Body bytes of the messages in the spool. */
  readonly bytes: number;
  /** Store transactions committed since start (each one fsync): far fewer than messages under load. */
  readonly storeCommits: number;
  /** Outcome transactions committed since start. */
  readonly outcomeCommits: number;
  /** Messages stored since start. */
  readonly stored: number;
  /** Outcome changes waiting for a retry after a failed write. */
  readonly outcomeBacklog: number;
}

const DEFAULT_MIN_FREE = 100 * 1024 * 1024;

export class Spool implements Service {
  readonly name = 'spool';
  private readonly logger: Logger;
  private readonly dir: string;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  /** Read-only connection for spool.body, spool.message and the counts; the backend does every write. */
  private db: SpoolDatabase | undefined;
  private backend: WriteBackend | undefined;
  /** Held from start to stop: one process per spool directory. */
  private lock: SpoolLock | undefined;
  private writer: StoreWriter | undefined;
  private outcomes: OutcomeWriter | undefined;
  /** Failures held until their DSN is stored (notice-gate.ts). */
  private notices: NoticeGate | undefined;
  private freeSpace: FreeSpaceGuard;
  private readonly reserve: SpaceReserve;
  private recovery: Promise<RecoveryResult> | undefined;
  private readonly teardown: (() => void)[] = [];
  private counts = { messages: 0, pendingRecipients: 0, bytes: 0, stored: 0 };
  private readBody: ((id: string) => Buffer | undefined) | undefined;
  /** Just-stored bodies until their first outcome (a bounded read cache for outbound). */
  private readonly fresh = new FreshBodies(64 * 1024 * 1024);
  /** True while new mail is refused for lack of space (logged once per episode). */
  private refusing = false;
  private readonly settings: {
    readonly minFreeSpace: number;
    readonly maxBatchSize: number;
    readonly recoveryChunkSize: number;
  };

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: SpoolOptions = {},
  ) {
    this.logger = ctx.logger;
    this.dir = ctx.config.spool_dir;
    // [spool] in the config file; constructor options (tests, embedders) win over it.
    const cfg = ctx.config.spool as PetrelConfig['spool'] | undefined;
    this.settings = {
      minFreeSpace: options.minFreeSpace ?? cfg?.min_free_space ?? DEFAULT_MIN_FREE,
      maxBatchSize: options.maxBatchSize ?? cfg?.max_batch_size ?? 512,
      recoveryChunkSize: options.recoveryChunkSize ?? cfg?.recovery_chunk_size ?? 500,
    };
    // A quarter of the free-space minimum, capped: outcome rows are small, so 64 MiB of WAL room
    // records the outcomes of hundreds of thousands of recipients; a huge min_free_space must not
    // turn into a huge ballast file.
    this.reserve = new SpaceReserve(
      this.dir,
      options.outcomeReserve ?? Math.min(MAX_RESERVE, Math.floor(this.settings.minFreeSpace / 4)),
    );
    this.freeSpace = new FreeSpaceGuard(this.dir, this.settings.minFreeSpace, ctx.clock, options.freeSpaceProbe);
  }

  async start(): Promise<void> {
    if (this.state !== 'new')
      throw new PetrelError('PETREL_ERR_SERVICE_STATE', `spool cannot start: it is ${this.state}`, {
        state: this.state,
      });
    // Before anything opens the database: a second daemon must not replay this spool's mail.
    const lock = acquireSpoolLock(this.dir);
    // The backend opens (creating if needed) the database; the read-only connection needs it to exist.
    let backend: WriteBackend;
    try {
      backend = await this.openBackend();
    } catch (err) {
      lock.release();
      throw err;
    }
    let db: SpoolDatabase;
    try {
      db = openSpoolReader(this.dir);
    } catch (err) {
      await backend.close().catch(() => undefined);
      lock.release();
      throw toSpoolError(err, `cannot read the spool database in ${this.dir}`, { dir: this.dir });
    }
    this.lock = lock;
    // Write the ballast only where it leaves the free-space minimum: never fill the disk at start.
    const missing = this.reserve.missingBytes();
    const room = missing === 0 || this.freeSpace.available() >= missing + this.settings.minFreeSpace;
    if (!room || !this.reserve.fill()) {
      this.logger.error(
        { dir: this.dir, reserve: this.reserve.size },
        'spool: no room for the outcome reserve: refusing new mail with 452 4.3.1 until space returns',
      );
      this.refusing = true;
    }
    this.backend = backend;
    this.db = db;
    const bodyStmt = db.prepare<[string], Buffer>('SELECT body FROM messages WHERE id = ?').pluck();
    this.readBody = (id) => bodyStmt.get(id);
    const readDetails = messageDetailsReader(db);
    this.writer = new StoreWriter(backend, {
      maxBatch: this.settings.maxBatchSize,
      onCommitted: (envelopes, bytes, bodies) => this.committed(envelopes, bytes, bodies),
    });
    const outcomes = new OutcomeWriter(backend, {
      clock: this.ctx.clock,
      logger: this.logger,
      onCommitted: (e) => this.outcomesCommitted(e),
      onFull: () => this.releaseReserve(),
    });
    this.outcomes = outcomes;
    const { bus } = this.ctx;
    const notices = new NoticeGate(bus, this.logger);
    this.notices = notices;
    this.teardown.push(
      bus.handle('spool.store', (req) => this.store(req)),
      bus.handle('spool.body', (req) => this.body(req)),
      bus.handle('spool.message', (req) => readDetails(req.id)),
      bus.handle('spool.stats', () => ({ ...this.stats() })),
      ...recordHandlers(bus, db, backend, this.ctx.clock),
      bus.subscribe('delivery.attempted', (a) => {
        this.fresh.forget(a.job.messageId);
        // Outcomes that may call for a DSN (a failure; a delivery to a hop without DSN, RFC 3461
        // §5.2.2) are written once it is stored; transient ones at once.
        const notice = (o: RecipientOutcome): boolean =>
          o.status === 'permanent' || (o.status === 'delivered' && a.remoteDsn === false);
        if (!a.outcomes.some(notice)) return outcomes.attempted(a);
        outcomes.attempted(a, (o) => !notice(o));
        notices.hold(a.job.messageId, () => outcomes.attempted(a, notice));
      }),
      // A deferral may earn a delay DSN (delay_dsn): its schedule is written after the notice, so
      // a crash before the notice is stored retries on the old schedule and makes it then.
      bus.subscribe('delivery.deferred', (d) => notices.hold(d.job.messageId, () => outcomes.deferred(d))),
      bus.subscribe('delivery.failed', (f) => {
        this.fresh.forget(f.job.messageId);
        notices.hold(f.job.messageId, () => outcomes.failed(f));
      }),
      bus.subscribe('system.ready', () => {
        this.recover().catch((err: unknown) => this.logger.error({ err }, 'spool recovery failed'));
      }),
    );
    this.state = 'running';
    // Counts are built by the recovery replay (no scan of the tables here): it logs them when done.
    this.logger.info({ dir: this.dir }, 'spool open');
  }

  /**
   * Commits queued stores, lets a running replay stop at its next chunk, writes queued outcomes,
   * then closes the write backend (its connection closes cleanly) and the read connection.
   */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    // Failures awaiting their DSN: the bounce service stores it through this spool, still running.
    await this.notices?.settled();
    this.state = 'stopping';
    for (const off of this.teardown.splice(0)) off();
    await this.writer?.flush();
    if (this.recovery !== undefined) await this.recovery.catch(() => undefined);
    if (this.outcomes && !(await this.outcomes.flush())) {
      this.logger.error(
        { lost: this.outcomes.backlog },
        'spool stopped with unwritten outcomes; those recipients will be retried',
      );
    }
    this.outcomes?.close();
    this.writer?.failAll(new PetrelError('PETREL_ERR_SPOOL_WRITE', 'the spool is stopping', { reason: 'stopped' }));
    try {
      await this.backend?.close();
    } catch (err) {
      this.logger.error({ err }, 'spool write connection did not close cleanly');
    }
    this.db?.close();
    this.lock?.release();
    this.state = 'stopped';
  }

  /**
   * Replays every message with pending recipients as message.spooled {recovered: true}. Runs once;
   * system.ready starts it, and later calls return the same promise.
   */
  recover(): Promise<RecoveryResult> {
    if (this.state !== 'running' && !this.recovery) {
      return Promise.reject(
        new PetrelError('PETREL_ERR_SERVICE_STATE', 'spool recovery needs a running spool', { state: this.state }),
      );
    }
    this.recovery ??= this.runRecovery();
    return this.recovery;
  }

  /** Resolves once every store and outcome queued so far is written (sent now rather than at the end of the turn). */
  async flush(): Promise<void> {
    await this.writer?.flush();
    await this.outcomes?.flush();
  }

  /**
   * The shaping store (states, warm-up counters) on this spool's database; open it after start.
   * Its writes share the outcome reserve: one that finds the disk full releases it and is written
   * into its room, and one that still fails is kept and retried until it lands. The caller closes it.
   */
  openShapingStore(): SpoolShapingStore {
    return openShapingStore(this.dir, {
      clock: this.ctx.clock,
      logger: this.logger.child({ store: 'shaping' }),
      releaseReserve: () => this.releaseReserve(),
    });
  }

  /** The suppression list on this spool's database; its writes share the outcome reserve too. */
  openSuppressionStore(): SqliteSuppressionStore {
    return SqliteSuppressionStore.open(this.dir, () => this.releaseReserve());
  }

  stats(): SpoolStats {
    return {
      ...this.counts,
      storeCommits: this.writer?.commitCount ?? 0,
      outcomeCommits: this.outcomes?.commitCount ?? 0,
      outcomeBacklog: this.outcomes?.backlog ?? 0,
    };
  }

  private async store(req: StoreRequest): Promise<StoreResult> {
    const writer = this.writer;
    if (this.state !== 'running' || !writer)
      throw new PetrelError('PETREL_ERR_SPOOL_WRITE', 'the spool is not running', {
        reason: 'stopped',
        state: this.state,
      });
    if (!this.reserve.inPlace && !this.refillReserve()) {
      const free = this.freeSpace.available();
      this.noteFull('the outcome reserve is in use', { free, reserve: this.reserve.size });
      throw new PetrelError(
        'PETREL_ERR_SPOOL_FULL',

        `spool refused the message: the disk filled up and its reserve for delivery outcomes is in use ` +
          `(${free} bytes free)`,
        { dir: this.dir, free, reserve: this.reserve.size },
      );
    }
    if (this.freeSpace.isLow()) {
      const free = this.freeSpace.available();
      this.noteFull('free space below min_free_space', { free, minimum: this.freeSpace.minimum });
      throw new PetrelError(
        'PETREL_ERR_SPOOL_FULL',
        `spool refused the message: ${free} bytes free, minimum ${this.freeSpace.minimum}`,
        { dir: this.dir, free, minimum: this.freeSpace.minimum },
      );
    }
    if (!Buffer.isBuffer(req.body))
      throw new PetrelError('PETREL_ERR_SPOOL_WRITE', 'spool.store needs the body as a Buffer', { reason: 'invalid' });
    if (req.envelope.recipients.length === 0)
      throw new PetrelError('PETREL_ERR_SPOOL_WRITE', 'spool.store needs at least one recipient', {
        reason: 'invalid',
      });
    const id = req.envelope.id === '' ? newMessageId() : req.envelope.id;
    // size is "as stored": the body we hold is the truth, whatever the caller counted.
    const envelope: MessageEnvelope = { ...req.envelope, id, size: req.body.length };
    try {
      await writer.store({ envelope, body: req.body, ...(req.record ? { record: req.record } : {}) });
    } catch (err) {
      if (isPetrelError(err, 'PETREL_ERR_SPOOL_FULL')) this.noteFull('the disk is full', { err });
      throw err;
    }
    if (this.refusing) {
      this.refusing = false;
      this.logger.warn({ dir: this.dir }, 'spool has room again: accepting mail');
    }
    return { id };
  }

  /**
   * An outcome write (or a state table's, openShapingStore) found the disk full: delete the ballast
   * so that outcomes, the deletes of finished messages and operator state changes have room. New
   * mail stays refused until the reserve is written again.
   */
  private releaseReserve(): boolean {
    const freed = this.reserve.release();
    this.freeSpace.invalidate();
    if (freed) this.noteFull('the disk is full', { reserveReleased: this.reserve.size });
    return freed;
  }

  /**
   * Writes the reserve again once the file system has room for it and the free-space minimum,
   * and only when no outcome is waiting for that room. Checked at most once per statfs interval.
   */
  private refillReserve(): boolean {
    if ((this.outcomes?.backlog ?? 0) > 0) return false;
    if (this.freeSpace.available() < this.settings.minFreeSpace + this.reserve.size) return false;
    const ok = this.reserve.fill();
    this.freeSpace.invalidate();
    if (ok) this.logger.warn({ dir: this.dir, reserve: this.reserve.size }, 'spool: outcome reserve written again');
    return ok;
  }

  /** One clear log line per full-disk episode, not one per refused message. */
  private noteFull(why: string, details: Record<string, unknown>): void {
    if (this.refusing) return;
    this.refusing = true;
    this.logger.error(
      { dir: this.dir, ...details },
      `spool: ${why}: refusing new mail with 452 4.3.1 until space returns`,
    );
  }

  private body(req: BodyRequest): Buffer {
    const readBody = this.readBody;
    if (this.state !== 'running' || !readBody)
      throw new PetrelError(
        'PETREL_ERR_SPOOL_NOT_FOUND',
        `message ${req.id} cannot be read: the spool is not running`,
        { id: req.id },
      );
    let body = this.fresh.get(req.id);
    if (body) return body;
    try {
      body = readBody(req.id);
    } catch (err) {
      throw toSpoolError(err, `cannot read message ${req.id}`, { id: req.id });
    }
    if (body === undefined)
      throw new PetrelError('PETREL_ERR_SPOOL_NOT_FOUND', `message ${req.id} is not in the spool`, { id: req.id });
    return body;
  }

  private committed(envelopes: readonly MessageEnvelope[], bytes: number, bodies: readonly Buffer[]): void {
    for (let i = 0; i < envelopes.length; i++) this.fresh.add(envelopes[i]!.id, bodies[i]!);
    this.counts.messages += envelopes.length;
    this.counts.stored += envelopes.length;
    this.counts.bytes += bytes;
    for (const e of envelopes) this.counts.pendingRecipients += e.recipients.length;
    // Published only now: a message a crash could still lose never reaches routing or a queue.
    for (const envelope of envelopes) this.ctx.bus.publish('message.spooled', { envelope, recovered: false });
  }

  private outcomesCommitted(e: OutcomeEffects): void {
    this.counts.pendingRecipients -= e.finished;
    this.counts.messages -= e.deleted;
    this.counts.bytes -= e.bytes;
  }

  private async runRecovery(): Promise<RecoveryResult> {
    const reader = openSpoolReader(this.dir);
    try {
      const result = await replay({
        reader,
        logger: this.logger,
        chunkSize: this.settings.recoveryChunkSize,
        publish: (event) => this.ctx.bus.publish('message.spooled', event),
        counted: (bytes, pending) => {
          this.counts.messages++;
          this.counts.bytes += bytes;
          this.counts.pendingRecipients += pending;
        },
        deleteFinished: (ids) => this.deleteFinished(ids),
        shouldStop: () => this.state !== 'running',
      });
      this.logger.info({ ...result, durationMs: Math.round(result.durationMs) }, 'spool recovery done');
      return result;
    } finally {
      reader.close();
    }
  }

  /** Recovery's finished messages go through the outcome writer: the backend does every write. */
  private async deleteFinished(ids: readonly string[]): Promise<void> {
    const outcomes = this.outcomes;
    if (!outcomes) return;
    outcomes.purge(ids);
    // A failure is logged and retried by the writer; they are finished either way and would be
    // found again at the next start.
    await outcomes.flush();
  }

  private async openBackend(): Promise<WriteBackend> {
    if (this.options.writer === 'inline') {
      return InlineBackend.open(this.dir);
    }
    return WorkerBackend.start({
      dir: this.dir,
      onFailure: (err) => {
        this.logger.fatal(
          { err, dir: this.dir },
          'spool write worker died: every new message is refused with 452 4.3.1 until Petrel restarts',
        );
      },
    });
  }
}
