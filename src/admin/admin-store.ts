// The store the ControlPlane service runs on, asynchronous so that a store on
// another machine (Postgres) fits as well as the embedded SQLite one. A write
// is a transaction: the checks it makes and the writes it does are atomic
// with respect to every other writer, in this process or any other sharing
// the store, and each write gets the next revision of one total order.
import type { ConfigStore, Change, ObjectKind, PutOptions, Snapshot, StoredObjects } from './store.js';

export interface StoreReader {
  get<K extends ObjectKind>(kind: K, name: string): Promise<StoredObjects[K] | undefined>;
  /** Ordered by name (byte order). */
  list<K extends ObjectKind>(kind: K): Promise<StoredObjects[K][]>;
}

export interface StoreTransaction extends StoreReader {
  /** The revision of the last write, this transaction's included. */
  revision(): Promise<number>;
  /** Stores `value` with the next revision; throws StoreConflictError as ConfigStore does. */
  put<K extends ObjectKind>(kind: K, value: StoredObjects[K], options?: PutOptions): Promise<StoredObjects[K]>;
  /** Removes `name` and returns the revision of the delete; StoreConflictError 'missing' when absent. */
  delete(kind: ObjectKind, name: string): Promise<number>;
}

export interface ChangeSubscriber {
  /** Each committed change after the subscription, once, in revision order. */
  change(change: Change): void;
  /** The store can no longer tell this subscriber every change: it must start again from a revision. */
  lost(reason: string): void;
}

export interface AdminStore extends StoreReader {
  currentRevision(): Promise<number>;
  /** Everything stored, as of one revision. */
  snapshot(): Promise<Snapshot>;
  /** The changes after `revision` in order, or null when the log cannot give all of them (then a snapshot is needed). */
  changesAfter(revision: number): Promise<Change[] | null>;
  /** Returns an unsubscribe. */
  subscribe(subscriber: ChangeSubscriber): () => void;
  /** Runs `fn` as one transaction: all of its writes are stored or none (a throw rolls back). */
  transaction<R>(fn: (tx: StoreTransaction) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/**
 * The embedded SQLite ConfigStore behind the async interface. The store stays
 * synchronous inside: every call of a transaction runs at once, so a
 * transaction never yields to other work while it holds the write lock;
 * transactions of this process still queue so that one started while another
 * is open waits for it instead of nesting.
 */
export class SqliteAdminStore implements AdminStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: ConfigStore) {}

  async get<K extends ObjectKind>(kind: K, name: string): Promise<StoredObjects[K] | undefined> {
    return this.store.collection(kind).get(name);
  }

  async list<K extends ObjectKind>(kind: K): Promise<StoredObjects[K][]> {
    return this.store.collection(kind).list();
  }

  async currentRevision(): Promise<number> {
    return this.store.currentRevision();
  }

  async snapshot(): Promise<Snapshot> {
    return this.store.snapshot();
  }

  async changesAfter(revision: number): Promise<Change[] | null> {
    return this.store.changesAfter(revision);
  }

  /** A single file has one history, so nothing is ever lost. */
  subscribe(subscriber: ChangeSubscriber): () => void {
    return this.store.onChange((change) => subscriber.change(change));
  }

  transaction<R>(fn: (tx: StoreTransaction) => Promise<R>): Promise<R> {
    const store = this.store;
    const tx: StoreTransaction = {
      get: (kind, name) => this.get(kind, name),
      list: (kind) => this.list(kind),
      revision: async () => store.currentRevision(),
      put: async (kind, value, options) => store.collection(kind).put(value, options),
      delete: async (kind, name) => store.collection(kind).delete(name),
    };
    const run = this.queue.then(() => store.atomicallyAsync(() => fn(tx)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
