import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminClient, type ConfigSnapshot, type ConnectionStatus, type WatchEvent } from './client.js';
import { startAdminServer, type AdminServer } from './service.js';
import { ConfigStore } from './store.js';
import { kvFrontend, kvNamespace, memstoreBackend, storedNamespace, tempDir } from './testing.js';

/** Resolves once `predicate` holds, checking every 10 ms. */
async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** kind, revision and object name of each event, for comparing streams. */
function summary(event: WatchEvent): string {
  const name = event.frontend?.name ?? event.namespace?.name ?? event.name;
  if (event.kind === 'SNAPSHOT') {
    return `${event.revision ?? '0'} SNAPSHOT ${(event.frontends ?? []).map((f) => f.name)} ${(event.namespaces ?? []).map((n) => n.name)}`;
  }
  return `${event.revision} ${event.kind} ${name}`;
}

describe('Watch', () => {
  let store: ConfigStore;
  let server: AdminServer;
  let admin: AdminClient;

  beforeEach(async () => {
    store = new ConfigStore(':memory:', { historyLimit: 5 });
    server = await startAdminServer({ address: '127.0.0.1:0', store });
    admin = new AdminClient(server.address);
  });
  afterEach(async () => {
    admin.close();
    await server.close();
    store.close();
  });

  function collect(afterRevision: string): { events: string[]; cancel(): void } {
    const events: string[] = [];
    const stream = admin.watch(afterRevision);
    stream.on('data', (event: WatchEvent) => events.push(summary(event)));
    stream.on('error', () => {});
    return { events, cancel: () => stream.cancel() };
  }

  it('starts at 0 with a snapshot, then streams every change live in order', async () => {
    await admin.registerFrontend(kvFrontend('a'));
    await admin.registerNamespace(kvNamespace('ns', ['a']));
    const watch = collect('0');
    await until(() => watch.events.length === 1);
    await admin.registerFrontend(kvFrontend('b', '/b'));
    await admin.updateNamespace(kvNamespace('ns', ['a', 'b']));
    await admin.deleteNamespace('ns');
    await admin.deleteFrontend('a');
    await until(() => watch.events.length === 5);
    expect(watch.events).toEqual([
      '2 SNAPSHOT a ns',
      '3 FRONTEND_PUT b',
      '4 NAMESPACE_PUT ns',
      '5 NAMESPACE_DELETED ns',
      '6 FRONTEND_DELETED a',
    ]);
    watch.cancel();
  });

  it('sends the changed objects themselves', async () => {
    const events: WatchEvent[] = [];
    const stream = admin.watch('0');
    stream.on('data', (event: WatchEvent) => events.push(event));
    stream.on('error', () => {});
    await until(() => events.length === 1);
    const stored = await admin.registerFrontend(kvFrontend('a'));
    await until(() => events.length === 2);
    expect(events[1]).toMatchObject({ kind: 'FRONTEND_PUT', revision: '1', name: 'a', frontend: stored });
    stream.cancel();
  });

  it('resumes after revision N with exactly the changes after N', async () => {
    await admin.registerFrontend(kvFrontend('a'));
    await admin.registerFrontend(kvFrontend('b', '/b'));
    await admin.deleteFrontend('a');
    const watch = collect('1');
    await until(() => watch.events.length === 2);
    await admin.registerFrontend(kvFrontend('c', '/c'));
    await until(() => watch.events.length === 3);
    expect(watch.events).toEqual(['2 FRONTEND_PUT b', '3 FRONTEND_DELETED a', '4 FRONTEND_PUT c']);
    watch.cancel();
  });

  it('starts with a snapshot when the revision is older than the log or ahead of the store', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await admin.registerFrontend(kvFrontend(name, `/${name}`));
    const tooOld = collect('1');
    const fromFuture = collect('99');
    await until(() => tooOld.events.length === 1 && fromFuture.events.length === 1);
    expect(tooOld.events).toEqual(['7 SNAPSHOT a,b,c,d,e,f,g ']);
    expect(fromFuture.events).toEqual(tooOld.events);
    tooOld.cancel();
    fromFuture.cancel();
  });

  it('loses and reorders nothing under concurrent writes', async () => {
    const watch = collect('0');
    const writes = Array.from({ length: 40 }, (_, i) => admin.registerFrontend(kvFrontend(`f${i}`, `/f${i}`)));
    const late = collect('0');
    await Promise.all(writes);
    await until(() => watch.events.length === 41);
    const revisions = watch.events.slice(1).map((e) => Number(e.split(' ')[0]));
    expect(revisions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // A watcher that joined mid-way has a snapshot plus exactly the writes after it.
    await until(() => late.events.length > 0 && Number(late.events.at(-1)!.split(' ')[0]) === 40);
    const snapshotRevision = Number(late.events[0]!.split(' ')[0]);
    expect(late.events.slice(1).map((e) => Number(e.split(' ')[0]))).toEqual(
      Array.from({ length: 40 - snapshotRevision }, (_, i) => snapshotRevision + i + 1),
    );
    watch.cancel();
    late.cancel();
  });
});

describe('AdminClient.watchConfig', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('keeps an immutable copy of the configuration, one snapshot per batch of events', async () => {
    const store = new ConfigStore(':memory:');
    const server = await startAdminServer({ address: '127.0.0.1:0', store });
    const admin = new AdminClient(server.address);
    const configs: ConfigSnapshot[] = [];
    const watch = admin.watchConfig((config) => configs.push(config));
    await until(() => configs.length === 1);
    expect(configs[0]).toEqual({ revision: '0', frontends: new Map(), namespaces: new Map() });

    await admin.registerFrontend(kvFrontend('kv'));
    await admin.registerNamespace(kvNamespace('orders', ['kv']));
    await until(() => configs.at(-1)!.revision === '2');
    const config = configs.at(-1)!;
    expect([...config.frontends.keys()]).toEqual(['kv']);
    expect(config.namespaces.get('orders')).toEqual(storedNamespace(kvNamespace('orders', ['kv']), '2'));
    expect(Object.isFrozen(config.namespaces.get('orders')!.frontends![0])).toBe(true);

    // Writes committed in one transaction arrive together and make one snapshot.
    const before = configs.length;
    store.atomically(() => {
      store.frontends.put(kvFrontend('b', '/b'));
      store.frontends.put(kvFrontend('c', '/c'));
      store.namespaces.delete('orders');
    });
    await until(() => configs.at(-1)!.revision === '5');
    expect(configs.length).toBe(before + 1);
    expect([...configs.at(-1)!.frontends.keys()].sort()).toEqual(['b', 'c', 'kv']);
    expect(configs.at(-1)!.namespaces.size).toBe(0);
    // Earlier snapshots are untouched.
    expect(config.namespaces.has('orders')).toBe(true);

    watch.stop();
    admin.close();
    await server.close();
    store.close();
  });

  it('moves to the revision of backend changes, so a resumed watch does not repeat them', async () => {
    const store = new ConfigStore(':memory:');
    const server = await startAdminServer({ address: '127.0.0.1:0', store });
    const admin = new AdminClient(server.address);
    let latest: ConfigSnapshot | undefined;
    const watch = admin.watchConfig((config) => (latest = config));
    await admin.registerFrontend(kvFrontend('kv'));
    await admin.registerBackend(memstoreBackend('mem'));
    await until(() => latest?.revision === '2');
    await admin.deleteBackend('mem');
    await until(() => latest?.revision === '3');
    expect([...latest!.frontends.keys()]).toEqual(['kv']);
    watch.stop();
    admin.close();
    await server.close();
    store.close();
  });

  it('reconnects after the admin restarts and ends with the admin state', async () => {
    const file = join(temp.dir, 'admin.db');
    let store = new ConfigStore(file);
    let server = await startAdminServer({ address: '127.0.0.1:0', store });
    const address = server.address;
    const admin = new AdminClient(address);
    const statuses: ConnectionStatus[] = [];
    let latest: ConfigSnapshot | undefined;
    const watch = admin.watchConfig((config) => (latest = config), { onStatus: (s) => statuses.push(s) });

    await admin.registerFrontend(kvFrontend('kv'));
    await until(() => latest?.revision === '1');
    expect(statuses).toEqual(['connected']);

    await server.close();
    await until(() => statuses.length === 2);
    expect(statuses).toEqual(['connected', 'disconnected']);

    // While the admin is away its state changes (as another admin process would).
    store.close();
    store = new ConfigStore(file);
    store.frontends.put(kvFrontend('kv2', '/kv2'));
    store.frontends.delete('kv');
    // Let the watcher fail a few reconnects before the admin is back.
    await new Promise((resolve) => setTimeout(resolve, 400));

    server = await startAdminServer({ address, store });
    await until(() => statuses.length === 3);
    await admin.registerNamespace(kvNamespace('orders', ['kv2']));
    await until(() => latest?.revision === '4');
    expect(statuses).toEqual(['connected', 'disconnected', 'connected']);
    expect([...latest!.frontends.keys()]).toEqual(['kv2']);
    expect([...latest!.namespaces.keys()]).toEqual(['orders']);

    watch.stop();
    admin.close();
    await server.close();
    store.close();
  });
});
