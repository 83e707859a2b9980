// The admin's state in Postgres, so that several admin processes on one
// database serve the same state and the same watch.
//
// - Total order: every write transaction first locks the one `revision` row
//   (SELECT ... FOR UPDATE), so writers of all processes take turns, each
//   takes the next revisions, and revisions commit in their own order.
// - The change log is the `changes` table, written in the same transaction
//   as the objects it describes.
// - Live changes: a commit sends NOTIFY; each process LISTENs on a connection
//   of its own and, on any notification, reads `changes WHERE revision >
//   last_sent ORDER BY revision`. Since revisions commit in order, that read
//   never skips one, and a notification lost to a dropped connection is made
//   up by the read that follows the reconnect.
import pg from 'pg';
import type { AdminStore, ChangeSubscriber, StoreTransaction } from './admin-store.js';
import {
  DEFAULT_HISTORY_LIMIT,
  changeFrom,
  changedObject,
  deleteChange,
  missingError,
  putChange,
  putConflict,
  type Change,
  type ObjectKind,
  type PutOptions,
  type Snapshot,
  type StoredObjects,
} from './store.js';

export interface PostgresStoreOptions {
  /** e.g. postgres://user@127.0.0.1:5432/prism */
  connectionString: string;
  /** Schema of the admin's tables, created when missing (default prism_admin). */
  schema?: string;
  /** How many changes the log keeps; resuming from before them needs a snapshot. */
  historyLimit?: number;
  /** Connections for reads and writes (default 10); the listener has one more. */
  poolSize?: number;
  /** Told of failures in the background (the listener reconnects by itself). */
  onError?: (err: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,40}$/;
const RECONNECT_INITIAL_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** The SQL of one schema; its name is checked, so it can be spliced in. */
function statements(schema: string) {
  const meta = `"${schema}".meta`;
  const objects = `"${schema}".objects`;
  const changes = `"${schema}".changes`;
  return {
    channel: `prism_admin_${schema}`,
    migrate: `
      CREATE SCHEMA IF NOT EXISTS "${schema}";
      CREATE TABLE IF NOT EXISTS ${meta} (key text PRIMARY KEY, value bigint NOT NULL);
      INSERT INTO ${meta} (key, value) VALUES ('revision', 0), ('pruned_through', 0) ON CONFLICT (key) DO NOTHING;
      CREATE TABLE IF NOT EXISTS ${objects} (
        kind text NOT NULL, name text NOT NULL, revision bigint NOT NULL, body json NOT NULL, PRIMARY KEY (kind, name));
      CREATE TABLE IF NOT EXISTS ${changes} (revision bigint PRIMARY KEY, kind text NOT NULL, name text NOT NULL, body json);`,
    meta: `SELECT key, value FROM ${meta}`,
    lockRevision: `SELECT value FROM ${meta} WHERE key = 'revision' FOR UPDATE`,
    setMeta: `UPDATE ${meta} SET value = $2 WHERE key = $1`,
    get: `SELECT body FROM ${objects} WHERE kind = $1 AND name = $2`,
    revisionOf: `SELECT revision FROM ${objects} WHERE kind = $1 AND name = $2`,
    // Byte order, as SQLite sorts, whatever the database's collation.
    list: `SELECT body FROM ${objects} WHERE kind = $1 ORDER BY name COLLATE "C"`,
    listAll: `SELECT kind, body FROM ${objects} ORDER BY name COLLATE "C"`,
    upsert: `INSERT INTO ${objects} (kind, name, revision, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind, name) DO UPDATE SET revision = excluded.revision, body = excluded.body`,
    remove: `DELETE FROM ${objects} WHERE kind = $1 AND name = $2`,
    logChange: `INSERT INTO ${changes} (revision, kind, name, body) VALUES ($1, $2, $3, $4)`,
    prune: `DELETE FROM ${changes} WHERE revision <= $1`,
    changesAfter: `SELECT revision, kind, name, body FROM ${changes} WHERE revision > $1 ORDER BY revision`,
  };
}

type Statements = ReturnType<typeof statements>;

interface ChangeRow {
  revision: string;
  kind: Change['kind'];
  name: string;
  body: unknown;
}

/** bigint columns arrive as decimal strings. */
function changeOf(row: ChangeRow): Change {
  return changeFrom(Number(row.revision), row.kind, row.name, row.body);
}

/** Reads of a consistent state: one snapshot of the database for every statement. */
async function readConsistently<R>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<R>): Promise<R> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } finally {
    client.release();
  }
}

async function metaValues(client: pg.Pool | pg.PoolClient, sql: Statements): Promise<{ revision: number; prunedThrough: number }> {
  const rows = (await client.query<{ key: string; value: string }>(sql.meta)).rows;
  const value = (key: string) => Number(rows.find((row) => row.key === key)!.value);
  return { revision: value('revision'), prunedThrough: value('pruned_through') };
}

/** One write transaction, holding the revision row's lock from its start to its commit. */
class PgTransaction implements StoreTransaction {
  private last: number;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly sql: Statements,
    private readonly startRevision: number,
  ) {
    this.last = startRevision;
  }

  get changed(): boolean {
    return this.last !== this.startRevision;
  }

  async revision(): Promise<number> {
    return this.last;
  }

  async get<K extends ObjectKind>(kind: K, name: string): Promise<StoredObjects[K] | undefined> {
    return (await this.client.query<{ body: StoredObjects[K] }>(this.sql.get, [kind, name])).rows[0]?.body;
  }

  async list<K extends ObjectKind>(kind: K): Promise<StoredObjects[K][]> {
    return (await this.client.query<{ body: StoredObjects[K] }>(this.sql.list, [kind])).rows.map((row) => row.body);
  }

  async put<K extends ObjectKind>(kind: K, value: StoredObjects[K], options: PutOptions = {}): Promise<StoredObjects[K]> {
    const current = (await this.client.query<{ revision: string }>(this.sql.revisionOf, [kind, value.name])).rows[0];
    const conflict = putConflict(kind, value.name, current && Number(current.revision), options);
    if (conflict) throw conflict;
    const revision = ++this.last;
    const stored = { ...value, revision: String(revision) };
    await this.client.query(this.sql.upsert, [kind, value.name, revision, JSON.stringify(stored)]);
    await this.log(putChange(kind, revision, stored));
    return stored;
  }

  async delete(kind: ObjectKind, name: string): Promise<number> {
    const { rowCount } = await this.client.query(this.sql.remove, [kind, name]);
    if (!rowCount) throw missingError(kind, name);
    const revision = ++this.last;
    await this.log(deleteChange(kind, revision, name));
    return revision;
  }

  /** Before COMMIT: the new revision, the log's pruning, and the notification (sent by Postgres on commit). */
  async finish(historyLimit: number): Promise<void> {
    if (!this.changed) return;
    await this.client.query(this.sql.setMeta, ['revision', this.last]);
    const oldestKept = this.last - historyLimit;
    if (oldestKept > 0) {
      await this.client.query(this.sql.prune, [oldestKept]);
      await this.client.query(this.sql.setMeta, ['pruned_through', oldestKept]);
    }
    await this.client.query('SELECT pg_notify($1, $2)', [this.sql.channel, String(this.last)]);
  }

  private async log(change: Change): Promise<void> {
    const body = changedObject(change);
    await this.client.query(this.sql.logChange, [change.revision, change.kind, change.name, body && JSON.stringify(body)]);
  }
}

export class PostgresAdminStore implements AdminStore {
  private readonly pool: pg.Pool;
  private readonly sql: Statements;
  private readonly historyLimit: number;
  private readonly subscribers = new Set<ChangeSubscriber>();
  /** The last revision handed to subscribers. */
  private lastSent = 0;
  private pumping = false;
  private pumpAgain = false;
  private listener: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempts = 0;
  private closed = false;

  /** Connects, creates the schema's tables when missing, and starts listening for changes. */
  static async open(options: PostgresStoreOptions): Promise<PostgresAdminStore> {
    const store = new PostgresAdminStore(options);
    try {
      await store.migrate();
      store.lastSent = await store.currentRevision();
      await store.listen();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  private constructor(private readonly options: PostgresStoreOptions) {
    const schema = options.schema ?? 'prism_admin';
    if (!SCHEMA_NAME.test(schema)) throw new Error(`schema '${schema}' must match ${SCHEMA_NAME.source}`);
    this.sql = statements(schema);
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    // An idle connection that breaks is replaced by the pool; without a handler it would crash the process.
    this.pool.on('error', (err) => this.options.onError?.(err));
  }

  async get<K extends ObjectKind>(kind: K, name: string): Promise<StoredObjects[K] | undefined> {
    return (await this.pool.query<{ body: StoredObjects[K] }>(this.sql.get, [kind, name])).rows[0]?.body;
  }

  async list<K extends ObjectKind>(kind: K): Promise<StoredObjects[K][]> {
    return (await this.pool.query<{ body: StoredObjects[K] }>(this.sql.list, [kind])).rows.map((row) => row.body);
  }

  async currentRevision(): Promise<number> {
    return (await metaValues(this.pool, this.sql)).revision;
  }

  async snapshot(): Promise<Snapshot> {
    return readConsistently(this.pool, async (client) => {
      const { revision } = await metaValues(client, this.sql);
      const snapshot: Snapshot = { revision, backends: [], frontends: [], namespaces: [] };
      const rows = (await client.query<{ kind: ObjectKind; body: never }>(this.sql.listAll)).rows;
      for (const { kind, body } of rows) snapshot[`${kind}s`].push(body);
      return snapshot;
    });
  }

  async changesAfter(revision: number): Promise<Change[] | null> {
    return readConsistently(this.pool, async (client) => {
      const meta = await metaValues(client, this.sql);
      if (revision < meta.prunedThrough || revision > meta.revision) return null;
      return (await client.query<ChangeRow>(this.sql.changesAfter, [revision])).rows.map(changeOf);
    });
  }

  subscribe(subscriber: ChangeSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  async transaction<R>(fn: (tx: StoreTransaction) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    let tx: PgTransaction | undefined;
    try {
      await client.query('BEGIN');
      // Waits for any other writer, in any process, to commit; then reads the revision it left.
      const locked = await client.query<{ value: string }>(this.sql.lockRevision);
      tx = new PgTransaction(client, this.sql, Number(locked.rows[0]!.value));
      const result = await fn(tx);
      await tx.finish(this.historyLimit);
      await client.query('COMMIT');
      client.release();
      // Our own changes reach our subscribers without waiting for the notification's round trip.
      if (tx.changed) this.pump();
      return result;
    } catch (err) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      // A connection that cannot even roll back is broken: the pool must not hand it out again.
      client.release(rolledBack ? undefined : (err as Error));
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Admin processes starting together on a new database would race on CREATE ... IF NOT EXISTS.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.sql.channel]);
      await client.query(this.sql.migrate);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Opens the listening connection, then reads whatever committed while there was none. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString });
    client.on('notification', () => this.pump());
    client.on('error', (err) => this.listenerLost(client, err));
    client.on('end', () => this.listenerLost(client));
    this.listener = client;
    await client.connect();
    await client.query(`LISTEN "${this.sql.channel}"`);
    this.reconnectAttempts = 0;
    this.pump();
  }

  private listenerLost(client: pg.Client, err?: Error): void {
    if (this.closed || client !== this.listener) return;
    this.listener = undefined;
    if (err) this.options.onError?.(err);
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = Math.min(RECONNECT_INITIAL_MS * 2 ** this.reconnectAttempts++, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.listen().catch((err: Error) => {
        if (this.closed) return;
        this.options.onError?.(err);
        this.listener = undefined;
        this.scheduleReconnect();
      });
    }, delay);
  }

  /** Hands every change after lastSent to the subscribers; one read at a time, again if asked meanwhile. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void (async () => {
      do {
        this.pumpAgain = false;
        const rows = (await this.pool.query<ChangeRow>(this.sql.changesAfter, [this.lastSent])).rows;
        this.deliver(rows.map(changeOf));
      } while (this.pumpAgain && !this.closed);
    })()
      .catch((err: Error) => {
        if (!this.closed) this.options.onError?.(err);
      })
      .finally(() => {
        this.pumping = false;
      });
  }

  private deliver(changes: Change[]): void {
    // The log was pruned past what we sent: our subscribers cannot be told every change any more.
    if (changes.length && changes[0]!.revision !== this.lastSent + 1) {
      const reason = `changes ${this.lastSent + 1}..${changes[0]!.revision - 1} left the log before they were sent`;
      for (const subscriber of [...this.subscribers]) subscriber.lost(reason);
    }
    for (const change of changes) {
      this.lastSent = change.revision;
      for (const subscriber of [...this.subscribers]) subscriber.change(change);
    }
  }
}
