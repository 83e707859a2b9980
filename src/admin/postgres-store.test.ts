import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ChangeSubscriber } from './admin-store.js';
import { AdminClient, type WatchEvent } from './client.js';
import type { AdminNamespace } from './model.js';
import { PostgresAdminStore } from './postgres-store.js';
import { TEST_POSTGRES_URL, postgresReachable, runSql, testSchema } from './postgres-testing.js';
import { seedAdminStore } from './seed.js';
import { startAdminServer, type AdminServer } from './service.js';
import { StoreConflictError, type Change } from './store.js';
import { kvFrontend, kvNamespace, memstoreBackend, tempDir } from './testing.js';

const reachable = await postgresReachable();

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A subscriber that records "revision KIND name" of each change. */
function recorder(): ChangeSubscriber & { seen: string[]; lostReasons: string[] } {
  const seen: string[] = [];
  const lostReasons: string[] = [];
  return {
    seen,
    lostReasons,
    change: (c: Change) => seen.push(`${c.revision} ${c.kind} ${c.name}`),
    lost: (reason) => lostReasons.push(reason),
  };
}

async function conflictReason(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    if (err instanceof StoreConflictError) return err.reason;
    throw err;
  }
  return undefined;
}

describe.skipIf(!reachable)('PostgresAdminStore', () => {
  let schema: ReturnType<typeof testSchema>;
  const open: PostgresAdminStore[] = [];
  /** Another admin process's store on the same schema. */
  const openStore = async (historyLimit?: number) => {
    const store = await PostgresAdminStore.open({ connectionString: TEST_POSTGRES_URL, schema: schema.schema, historyLimit });
    open.push(store);
    return store;
  };

  beforeEach(() => {
    schema = testSchema();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
    await schema.drop();
  });

  it('stores each kind with one revision order, refusing as the SQLite store does', async () => {
    const store = await openStore();
    expect(await store.currentRevision()).toBe(0);
    const put = <R>(fn: Parameters<typeof store.transaction<R>>[0]) => store.transaction(fn);
    expect(await put((tx) => tx.put('backend', memstoreBackend('mem')))).toMatchObject({ revision: '1' });
    expect(await put((tx) => tx.put('frontend', kvFrontend('kv')))).toMatchObject({ revision: '2' });
    expect(await put((tx) => tx.put('namespace', kvNamespace('orders', ['kv'])))).toMatchObject({ revision: '3' });
    expect(await store.get('frontend', 'kv')).toEqual({ ...kvFrontend('kv'), revision: '2' });
    expect((await store.list('backend')).map((b) => b.name)).toEqual(['mem']);

    expect(await conflictReason(put((tx) => tx.put('frontend', kvFrontend('kv'), { mode: 'create' })))).toBe('exists');
    expect(await conflictReason(put((tx) => tx.put('frontend', kvFrontend('x'), { mode: 'update' })))).toBe('missing');
    expect(await conflictReason(put((tx) => tx.put('frontend', kvFrontend('kv'), { expectedRevision: 1 })))).toBe('revision');
    expect(await conflictReason(put((tx) => tx.delete('namespace', 'ghost')))).toBe('missing');
    expect(await put((tx) => tx.delete('namespace', 'orders'))).toBe(4);

    const snapshot = await store.snapshot();
    expect(snapshot.revision).toBe(4);
    expect([snapshot.backends.length, snapshot.frontends.length, snapshot.namespaces.length]).toEqual([1, 1, 0]);
    expect((await store.changesAfter(1))!.map((c) => `${c.revision} ${c.kind}`)).toEqual([
      '2 FRONTEND_PUT',
      '3 NAMESPACE_PUT',
      '4 NAMESPACE_DELETED',
    ]);
  });

  it('stores nothing of a transaction that throws, and announces nothing of it', async () => {
    const store = await openStore();
    const seen = recorder();
    store.subscribe(seen);
    const failing = store.transaction(async (tx) => {
      await tx.put('frontend', kvFrontend('a'));
      throw new Error('changed my mind');
    });
    await expect(failing).rejects.toThrow('changed my mind');
    await store.transaction((tx) => tx.put('frontend', kvFrontend('b', '/b')));
    await until(() => seen.seen.length === 1);
    expect(seen.seen).toEqual(['1 FRONTEND_PUT b']);
    expect(await store.get('frontend', 'a')).toBeUndefined();
  });

  it('orders the writers of two processes into one gapless sequence that every process announces in order', async () => {
    const [a, b] = [await openStore(), await openStore()];
    const [seenByA, seenByB] = [recorder(), recorder()];
    a.subscribe(seenByA);
    b.subscribe(seenByB);
    const writes = Array.from({ length: 30 }, (_, i) =>
      (i % 2 ? a : b).transaction((tx) => tx.put('frontend', kvFrontend(`f${i}`, `/f${i}`))),
    );
    const revisions = (await Promise.all(writes)).map((f) => Number(f.revision)).sort((x, y) => x - y);
    expect(revisions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await until(() => seenByA.seen.length === 30 && seenByB.seen.length === 30);
    const inOrder = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(seenByA.seen.map((s) => Number(s.split(' ')[0]))).toEqual(inOrder);
    expect(seenByB.seen).toEqual(seenByA.seen);
  });

  it('answers changesAfter from its log, and null before the kept history or ahead of it', async () => {
    const store = await openStore(3);
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await store.transaction((tx) => tx.put('frontend', kvFrontend(name, `/${name}`)));
    expect((await store.changesAfter(4))!.map((c) => c.name)).toEqual(['e', 'f']);
    expect(await store.changesAfter(3)).toEqual([
      expect.objectContaining({ name: 'd' }),
      expect.objectContaining({ name: 'e' }),
      expect.objectContaining({ name: 'f' }),
    ]);
    expect(await store.changesAfter(2)).toBeNull();
    expect(await store.changesAfter(7)).toBeNull();
  });

  it('catches up on what it missed while its listening connection was down', async () => {
    const [a, b] = [await openStore(), await openStore()];
    const seen = recorder();
    a.subscribe(seen);
    // Cut every listening connection of this schema, as a network failure would.
    const cut = await runSql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [
      `LISTEN "prism_admin_${schema.schema}"`,
    ]);
    expect(cut.rowCount).toBe(2);
    await b.transaction((tx) => tx.put('frontend', kvFrontend('while-away')));
    await b.transaction((tx) => tx.put('frontend', kvFrontend('later', '/later')));
    await until(() => seen.seen.length === 2);
    expect(seen.seen).toEqual(['1 FRONTEND_PUT while-away', '2 FRONTEND_PUT later']);
    expect(seen.lostReasons).toEqual([]);
  });

  it('is seeded by exactly one of several admin processes starting on a new database', async () => {
    const temp = tempDir();
    try {
      mkdirSync(join(temp.dir, 'backends'));
      mkdirSync(join(temp.dir, 'namespaces'));
      writeFileSync(join(temp.dir, 'kv.yaml'), stringify(kvFrontend('kv')));
      writeFileSync(join(temp.dir, 'backends', 'mem.yaml'), stringify(memstoreBackend('mem')));
      writeFileSync(join(temp.dir, 'namespaces', 'default.yaml'), stringify(kvNamespace('default', ['kv'])));
      const stores = [await openStore(), await openStore(), await openStore()];
      const results = await Promise.all(stores.map((store) => seedAdminStore(store, temp.dir)));
      expect(results.map((r) => r.namespaces.length).sort()).toEqual([0, 0, 1]);
      expect(await stores[0]!.currentRevision()).toBe(3);
    } finally {
      temp.remove();
    }
  });
});

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('call succeeded');
}

function summary(event: WatchEvent): string {
  if (event.kind === 'SNAPSHOT') return `${event.revision ?? '0'} SNAPSHOT`;
  return `${event.revision} ${event.kind} ${event.backend?.name ?? event.frontend?.name ?? event.namespace?.name ?? event.name}`;
}

describe.skipIf(!reachable)('two admin servers on one Postgres database', () => {
  let schema: ReturnType<typeof testSchema>;
  let stores: PostgresAdminStore[];
  let servers: AdminServer[];
  let clients: AdminClient[];

  beforeEach(async () => {
    schema = testSchema();
    stores = [];
    for (let i = 0; i < 2; i++) {
      stores.push(await PostgresAdminStore.open({ connectionString: TEST_POSTGRES_URL, schema: schema.schema }));
    }
    servers = await Promise.all(stores.map((store) => startAdminServer({ address: '127.0.0.1:0', store })));
    clients = servers.map((server) => new AdminClient(server.address));
  });
  afterEach(async () => {
    for (const client of clients) client.close();
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all(stores.map((store) => store.close()));
    await schema.drop();
  });

  function watch(client: AdminClient, afterRevision: string): { events: string[]; cancel(): void } {
    const events: string[] = [];
    const stream = client.watch(afterRevision);
    stream.on('data', (event: WatchEvent) => events.push(summary(event)));
    stream.on('error', () => {});
    return { events, cancel: () => stream.cancel() };
  }

  it('shows a watcher of one every write made through the other, in order', async () => {
    const [one, other] = clients as [AdminClient, AdminClient];
    const watcher = watch(other, '0');
    await until(() => watcher.events.length === 1);
    await one.registerBackend(memstoreBackend('mem'));
    await one.registerFrontend(kvFrontend('kv'));
    await other.registerFrontend(kvFrontend('kv2', '/kv2'));
    await one.registerNamespace(kvNamespace('orders', ['kv']));
    await one.updateNamespace(kvNamespace('orders', ['kv', 'kv2']), '4');
    await other.deleteNamespace('orders');
    await one.deleteBackend('mem');
    await until(() => watcher.events.length === 8);
    expect(watcher.events).toEqual([
      '0 SNAPSHOT',
      '1 BACKEND_PUT mem',
      '2 FRONTEND_PUT kv',
      '3 FRONTEND_PUT kv2',
      '4 NAMESPACE_PUT orders',
      '5 NAMESPACE_PUT orders',
      '6 NAMESPACE_DELETED orders',
      '7 BACKEND_DELETED mem',
    ]);
    // A watcher resuming on the first admin gets exactly what came after its revision.
    const resumed = watch(one, '5');
    await until(() => resumed.events.length === 2);
    expect(resumed.events).toEqual(watcher.events.slice(6));
    watcher.cancel();
    resumed.cancel();
  });

  it('lets exactly one of two updates naming the same revision through', async () => {
    const [one, other] = clients as [AdminClient, AdminClient];
    const registered = await one.registerFrontend(kvFrontend('kv'));
    const outcomes = await Promise.allSettled([
      one.updateFrontend({ ...kvFrontend('kv'), description: 'by one' }, registered.revision),
      other.updateFrontend({ ...kvFrontend('kv'), description: 'by other' }, registered.revision),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as ServiceError).code).toBe(Code.ABORTED);
  });

  it('checks references against what the other admin stored', async () => {
    const [one, other] = clients as [AdminClient, AdminClient];
    await one.registerBackend(memstoreBackend('mem'));
    const namespace: AdminNamespace = {
      ...kvNamespace('orders'),
      pattern: {
        type: 'keyvalue',
        endpoints: ['127.0.0.1:50051'],
        slots: { storage: { interfaces: ['keyvalue_basic'] } },
        slot_bindings: { storage: 'mem' },
      },
    };
    await one.registerNamespace(namespace);
    const err = await refusal(other.deleteBackend('mem'));
    expect(err.code).toBe(Code.FAILED_PRECONDITION);
    expect(err.details).toBe("backend 'mem' is bound by namespace 'orders' (slot 'storage')");
  });
});
