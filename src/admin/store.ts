// The admin's durable store: backends, frontends and namespaces keyed by
// name, one global revision, and an append-only change log that watchers
// resume from. SQLite in WAL mode with synchronous=FULL, so every write that
// returned is on disk before the caller acknowledges it. The types and rules
// here are shared with the Postgres store; this file imports no other module
// of the project at run time (its crash test runs it alone).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Frontend, Namespace } from '../frontend/model.js';
import type { Backend } from './model.js';

export const DEFAULT_STORE_FILE = './.prism/admin.db';
/** How many changes the log keeps; resuming from before them needs a snapshot. */
export const DEFAULT_HISTORY_LIMIT = 10_000;

/** The registries, by the name their objects go by in the API. */
export interface StoredObjects {
  backend: Backend;
  frontend: Frontend;
  namespace: Namespace;
}
export type ObjectKind = keyof StoredObjects;

export type Change =
  | { revision: number; kind: 'FRONTEND_PUT'; name: string; frontend: Frontend }
  | { revision: number; kind: 'FRONTEND_DELETED'; name: string }
  | { revision: number; kind: 'NAMESPACE_PUT'; name: string; namespace: Namespace }
  | { revision: number; kind: 'NAMESPACE_DELETED'; name: string }
  | { revision: number; kind: 'BACKEND_PUT'; name: string; backend: Backend }
  | { revision: number; kind: 'BACKEND_DELETED'; name: string };

const PUT_KINDS = { backend: 'BACKEND_PUT', frontend: 'FRONTEND_PUT', namespace: 'NAMESPACE_PUT' } as const;
const DELETED_KINDS = { backend: 'BACKEND_DELETED', frontend: 'FRONTEND_DELETED', namespace: 'NAMESPACE_DELETED' } as const;
/** The object kind a *_PUT change carries. */
const PUT_OBJECT: Partial<Record<Change['kind'], ObjectKind>> = {
  BACKEND_PUT: 'backend',
  FRONTEND_PUT: 'frontend',
  NAMESPACE_PUT: 'namespace',
};

export function putChange<K extends ObjectKind>(kind: K, revision: number, stored: StoredObjects[K]): Change {
  return { revision, kind: PUT_KINDS[kind], name: stored.name, [kind]: stored } as Change;
}

export function deleteChange(kind: ObjectKind, revision: number, name: string): Change {
  return { revision, kind: DELETED_KINDS[kind], name };
}

/** The object a change carries (what its log row keeps as body), null for a delete. */
export function changedObject(change: Change): StoredObjects[ObjectKind] | null {
  const kind = PUT_OBJECT[change.kind];
  return kind ? (change as unknown as Record<ObjectKind, StoredObjects[ObjectKind]>)[kind] : null;
}

/** A change rebuilt from its log row. */
export function changeFrom(revision: number, kind: Change['kind'], name: string, body: unknown): Change {
  const objectKind = PUT_OBJECT[kind];
  return (objectKind ? { revision, kind, name, [objectKind]: body } : { revision, kind, name }) as Change;
}

export interface Snapshot {
  revision: number;
  backends: Backend[];
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

/**
 * Why a put of `name` is refused given the stored object's revision
 * (undefined: none stored), or undefined when it may go ahead.
 */
export function putConflict(
  kind: ObjectKind,
  name: string,
  current: number | undefined,
  { mode = 'upsert', expectedRevision }: PutOptions,
): StoreConflictError | undefined {
  if (mode === 'create' && current !== undefined) {
    return new StoreConflictError('exists', `${kind} '${name}' already exists`);
  }
  if (mode === 'update' && current === undefined) {
    return new StoreConflictError('missing', `${kind} '${name}' not found`);
  }
  if (expectedRevision !== undefined && current !== expectedRevision) {
    return new StoreConflictError('revision', `${kind} '${name}' is at revision ${current ?? 'none'}, not ${expectedRevision}`);
  }
  return undefined;
}

export function missingError(kind: ObjectKind, name: string): StoreConflictError {
  return new StoreConflictError('missing', `${kind} '${name}' not found`);
}

type ChangeListener = (change: Change) => void;

/** One table of named objects; every write bumps the store's revision and logs a change. */
export class Collection<K extends ObjectKind> {
  private readonly statements;

  constructor(
    private readonly store: ConfigStore,
    db: Database.Database,
    readonly kind: K,
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

  get(name: string): StoredObjects[K] | undefined {
    const row = this.statements.get.get(name);
    return row ? (JSON.parse(row.body) as StoredObjects[K]) : undefined;
  }

  list(): StoredObjects[K][] {
    return this.statements.list.all().map((row) => JSON.parse(row.body) as StoredObjects[K]);
  }

  /** Stores `value` (its `revision` is replaced by the write's) and returns what was stored. */
  put(value: StoredObjects[K], options: PutOptions = {}): StoredObjects[K] {
    return this.store.write((revision) => {
      const conflict = putConflict(this.kind, value.name, this.statements.revisionOf.get(value.name)?.revision, options);
      if (conflict) throw conflict;
      const stored = { ...value, revision: String(revision) };
      this.statements.upsert.run(value.name, revision, JSON.stringify(stored));
      return { result: stored, change: putChange(this.kind, revision, stored) };
    });
  }

  /** Removes `name`; returns the revision of the delete. */
  delete(name: string): number {
    return this.store.write((revision) => {
      if (this.statements.remove.run(name).changes === 0) throw missingError(this.kind, name);
      return { result: revision, change: deleteChange(this.kind, revision, name) };
    });
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', 0), ('pruned_through', 0);
  CREATE TABLE IF NOT EXISTS frontends (name TEXT PRIMARY KEY, revision INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, revision INTEGER NOT NULL, body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS backends (name TEXT PRIMARY KEY, revision INTEGER NOT NULL, body TEXT NOT NULL);
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
  readonly backends: Collection<'backend'>;
  readonly frontends: Collection<'frontend'>;
  readonly namespaces: Collection<'namespace'>;
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
    this.backends = new Collection(this, this.db, 'backend', 'backends');
    this.frontends = new Collection(this, this.db, 'frontend', 'frontends');
    this.namespaces = new Collection(this, this.db, 'namespace', 'namespaces');
  }

  collection<K extends ObjectKind>(kind: K): Collection<K> {
    const collections = { backend: this.backends, frontend: this.frontends, namespace: this.namespaces };
    return collections[kind] as unknown as Collection<K>;
  }

  currentRevision(): number {
    return this.statements.meta.get('revision')!.value;
  }

  /** Everything stored, read in one transaction so it matches `revision`. */
  snapshot(): Snapshot {
    return this.db.transaction(() => ({
      revision: this.currentRevision(),
      backends: this.backends.list(),
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
      return this.statements.changesAfter.all(revision).map((row) =>
        changeFrom(row.revision, row.kind, row.name, row.body === null ? null : JSON.parse(row.body)),
      );
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

  /**
   * atomically() for a callback that awaits: the write lock is held until it
   * settles. Meant for callers whose awaits are on this store alone (see
   * SqliteAdminStore), so nothing else runs on the connection meanwhile.
   */
  async atomicallyAsync<R>(fn: () => Promise<R>): Promise<R> {
    if (this.db.inTransaction) throw new Error('atomicallyAsync does not nest');
    const mark = this.pending.length;
    this.db.exec('BEGIN IMMEDIATE');
    let result: R;
    try {
      result = await fn();
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.pending.length = mark;
      throw err;
    }
    this.publishPending();
    return result;
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
    const value = changedObject(change);
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
