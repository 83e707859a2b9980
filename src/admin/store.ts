// The admin's durable store: frontends and namespaces keyed by name, one
// global revision, and an append-only change log that watchers resume from.
// SQLite in WAL mode with synchronous=FULL, so every write that returned is on
// disk before the caller acknowledges it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Frontend, Namespace } from '../frontend/model.js';

export const DEFAULT_STORE_FILE = './.prism/admin.db';
/** How many changes the log keeps; resuming from before them needs a snapshot. */
export const DEFAULT_HISTORY_LIMIT = 10_000;

export type Change =
  | { revision: number; kind: 'FRONTEND_PUT'; name: string; frontend: Frontend }
  | { revision: number; kind: 'FRONTEND_DELETED'; name: string }
  | { revision: number; kind: 'NAMESPACE_PUT'; name: string; namespace: Namespace }
  | { revision: number; kind: 'NAMESPACE_DELETED'; name: string };

export interface Snapshot {
  revision: number;
  frontends: Frontend[];
  namespaces: Namespace[];
}

export interface PutOptions {
  /** 'create' refuses an existing name, 'update' a missing one; 'upsert' (default) takes either. */
  mode?: 'create' | 'update' | 'upsert';
  /** Refuse unless the stored object's revision equals this. */
  expectedRevision?: number;
}

export type ConflictReason = 'exists' | 'missing' | 'revision';

/** A put or delete refused because of what is stored (not because of the value). */
export class StoreConflictError extends Error {
  constructor(readonly reason: ConflictReason, message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

interface Named {
  name: string;
  revision?: string;
}

type ChangeListener = (change: Change) => void;

/** One table of named objects; every write bumps the store's revision and logs a change. */
export class Collection<T extends Named> {
  private readonly statements;

  constructor(
    private readonly store: ConfigStore,
    db: Database.Database,
    readonly kind: 'frontend' | 'namespace',
    table: string,
  ) {
    this.statements = {
      get: db.prepare<[string], { body: string }>(`SELECT body FROM ${table} WHERE name = ?`),
      revisionOf: db.prepare<[string], { revision: number }>(`SELECT revision FROM ${table} WHERE name = ?`),
      list: db.prepare<[], { body: string }>(`SELECT body FROM ${table} ORDER BY name`),
      upsert: db.prepare(
        `INSERT INTO ${table} (name, revision, body) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, body = excluded.body`,
      ),
      remove: db.prepare(`DELETE FROM ${table} WHERE name = ?`),
    };
  }

  get(name: string): T | undefined {
    const row = this.statements.get.get(name);
    return row ? (JSON.parse(row.body) as T) : undefined;
  }

  list(): T[] {
    return this.statements.list.all().map((row) => JSON.parse(row.body) as T);
  }

  /** Stores `value` (its `revision` is replaced by the write's) and returns what was stored. */
  put(value: T, options: PutOptions = {}): T {
    return this.store.write((revision) => {
      this.checkPut(value.name, options);
      const stored = { ...value, revision: String(revision) };
      this.statements.upsert.run(value.name, revision, JSON.stringify(stored));
      return { result: stored, change: this.putChange(revision, stored) };
    });
  }

  /** Removes `name`; returns the revision of the delete. */
  delete(name: string): number {
    return this.store.write((revision) => {
      if (this.statements.remove.run(name).changes === 0) {
        throw new StoreConflictError('missing', `${this.kind} '${name}' not found`);
      }
      const kind = this.kind === 'frontend' ? 'FRONTEND_DELETED' : 'NAMESPACE_DELETED';
      return { result: revision, change: { revision, kind, name } };
    });
  }

  private checkPut(name: string, { mode = 'upsert', expectedRevision }: PutOptions): void {
    const current = this.statements.revisionOf.get(name)?.revision;
    if (mode === 'create' && current !== undefined) {
      throw new StoreConflictError('exists', `${this.kind} '${name}' already exists`);
    }
    if (mode === 'update' && current === undefined) {
      throw new StoreConflictError('missing', `${this.kind} '${name}' not found`);
    }
    if (expectedRevision !== undefined && current !== expectedRevision) {
      throw new StoreConflictError(
        'revision',
        `${this.kind} '${name}' is at revision ${current ?? 'none'}, not ${expectedRevision}`,
      );
    }
  }

  private putChange(revision: number, stored: T): Change {
    return this.kind === 'frontend'
      ? { revision, kind: 'FRONTEND_PUT', name: stored.name, frontend: stored as unknown as Frontend }
      : { revision, kind: 'NAMESPACE_PUT', name: stored.name, namespace: stored as unknown as Namespace };
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', 0), ('pruned_through', 0);
  CREATE TABLE IF NOT EXISTS frontends (name TEXT PRIMARY KEY, revision INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, revision INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS changes (
    revision INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, body TEXT
  );
`;

interface ChangeRow {
  revision: number;
  kind: Change['kind'];
  name: string;
  body: string | null;
}

export interface StoreOptions {
  historyLimit?: number;
}

export class ConfigStore {
  readonly frontends: Collection<Frontend>;
  readonly namespaces: Collection<Namespace>;
  private readonly db: Database.Database;
  private readonly historyLimit: number;
  private readonly listeners = new Set<ChangeListener>();
  /** Changes of the open transaction, published once the outermost one commits. */
  private pending: Change[] = [];
  private readonly statements;

  constructor(file: string = DEFAULT_STORE_FILE, options: StoreOptions = {}) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // A second process on the same file waits for the write lock instead of failing.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.statements = {
      meta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      logChange: this.db.prepare('INSERT INTO changes (revision, kind, name, body) VALUES (?, ?, ?, ?)'),
      prune: this.db.prepare('DELETE FROM changes WHERE revision <= ?'),
      changesAfter: this.db.prepare<[number], ChangeRow>(
        'SELECT revision, kind, name, body FROM changes WHERE revision > ? ORDER BY revision',
      ),
    };
    this.frontends = new Collection<Frontend>(this, this.db, 'frontend', 'frontends');
    this.namespaces = new Collection<Namespace>(this, this.db, 'namespace', 'namespaces');
  }

  currentRevision(): number {
    return this.statements.meta.get('revision')!.value;
  }

  /** Everything stored, read in one transaction so it matches `revision`. */
  snapshot(): Snapshot {
    return this.db.transaction(() => ({
      revision: this.currentRevision(),
      frontends: this.frontends.list(),
      namespaces: this.namespaces.list(),
    }))();
  }

  /**
   * The changes after `revision` in order, or null when the log no longer
   * holds all of them or `revision` is ahead of this store (a different
   * history): the caller then needs a snapshot.
   */
  changesAfter(revision: number): Change[] | null {
    return this.db.transaction(() => {
      const prunedThrough = this.statements.meta.get('pruned_through')!.value;
      if (revision < prunedThrough || revision > this.currentRevision()) return null;
      return this.statements.changesAfter.all(revision).map(changeFromRow);
    })();
  }

  /** Called synchronously after each committed change, in revision order. Returns an unsubscribe. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `fn` in one transaction: all of its writes are stored, or none. */
  atomically<R>(fn: () => R): R {
    return this.transact(fn);
  }

  close(): void {
    this.db.close();
  }

  /** For Collection: one write taking the next revision and logging its change. */
  write<R>(fn: (revision: number) => { result: R; change: Change }): R {
    return this.transact(() => {
      const revision = this.currentRevision() + 1;
      const { result, change } = fn(revision);
      this.statements.setMeta.run(revision, 'revision');
      this.logChange(change);
      this.pending.push(change);
      return result;
    });
  }

  private transact<R>(fn: () => R): R {
    const mark = this.pending.length;
    let result: R;
    try {
      // IMMEDIATE takes the write lock before reading the revision it bumps.
      result = this.db.transaction(fn).immediate();
    } catch (err) {
      this.pending.length = mark;
      throw err;
    }
    if (!this.db.inTransaction) this.publishPending();
    return result;
  }

  private logChange(change: Change): void {
    const value = 'frontend' in change ? change.frontend : 'namespace' in change ? change.namespace : null;
    this.statements.logChange.run(change.revision, change.kind, change.name, value && JSON.stringify(value));
    const oldestKept = change.revision - this.historyLimit;
    if (oldestKept > 0) {
      this.statements.prune.run(oldestKept);
      this.statements.setMeta.run(oldestKept, 'pruned_through');
    }
  }

  private publishPending(): void {
    const changes = this.pending;
    this.pending = [];
    for (const change of changes) {
      for (const listener of this.listeners) listener(change);
    }
  }
}

function changeFromRow(row: ChangeRow): Change {
  const { revision, kind, name } = row;
  switch (kind) {
    case 'FRONTEND_PUT':
      return { revision, kind, name, frontend: JSON.parse(row.body!) as Frontend };
    case 'NAMESPACE_PUT':
      return { revision, kind, name, namespace: JSON.parse(row.body!) as Namespace };
    default:
      return { revision, kind, name };
  }
}
