import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminClient, problemsOf, type WatchEvent } from './client.js';
import type { AdminNamespace, Backend } from './model.js';
import { startAdminServer, type AdminServer } from './service.js';
import { ConfigStore } from './store.js';
import { kvNamespace, memstoreBackend, storedBackend } from './testing.js';

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('call succeeded');
}

const postgres: Backend = {
  name: 'pg',
  type: 'POSTGRES',
  interfaces: ['keyvalue_basic'],
  postgres: { hosts: ['db:5432'], database: 'prism', pool: { max_connections: 5 }, connect_timeout: '2s' },
  credentials: { username: 'prism', secret: 's3cret' },
};

function slotted(name: string, backend: string): AdminNamespace {
  return {
    ...kvNamespace(name),
    pattern: {
      type: 'keyvalue',
      endpoints: ['127.0.0.1:50051'],
      slots: { storage: { interfaces: ['keyvalue_basic', 'keyvalue_ttl'] } },
      slot_bindings: { storage: backend },
    },
  };
}

describe('ControlPlane backends and slot bindings', () => {
  let store: ConfigStore;
  let server: AdminServer;
  let admin: AdminClient;

  beforeEach(async () => {
    store = new ConfigStore(':memory:');
    server = await startAdminServer({ address: '127.0.0.1:0', store });
    admin = new AdminClient(server.address);
  });
  afterEach(async () => {
    admin.close();
    await server.close();
    store.close();
  });

  it('registers, gets, lists, updates and deletes backends', async () => {
    const registered = await admin.registerBackend(memstoreBackend('mem'));
    expect(registered).toEqual(storedBackend(memstoreBackend('mem'), '1'));
    expect(await admin.getBackend('mem')).toEqual(registered);
    const changed = { ...memstoreBackend('mem'), memstore: { max_keys: '10' } };
    expect(await admin.updateBackend(changed, '1')).toEqual(storedBackend(changed, '2'));
    expect((await refusal(admin.updateBackend(changed, '1'))).code).toBe(Code.ABORTED);
    expect((await refusal(admin.registerBackend(changed))).code).toBe(Code.ALREADY_EXISTS);
    expect((await admin.listBackends()).backends.map((b) => b.name)).toEqual(['mem']);
    expect(await admin.deleteBackend('mem')).toBe('3');
    expect((await refusal(admin.getBackend('mem'))).code).toBe(Code.NOT_FOUND);
    expect((await refusal(admin.deleteBackend('mem'))).code).toBe(Code.NOT_FOUND);
  });

  it('refuses an invalid backend with every field problem, storing nothing', async () => {
    const bad: Backend = { name: 'pg', type: 'POSTGRES', postgres: { hosts: ['db'] }, interfaces: ['Key Value'] };
    const err = await refusal(admin.registerBackend(bad));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(problemsOf(err).map((p) => p.field)).toEqual(['postgres.hosts[0]', 'postgres.database', 'interfaces[0]']);
    expect((await admin.listBackends()).revision).toBe('0');
  });

  it('never returns a secret, and keeps it when a fetched backend is sent back', async () => {
    const registered = await admin.registerBackend(postgres);
    expect(registered.credentials).toEqual({ username: 'prism', secret_set: true });
    expect((await admin.getBackend('pg')).credentials).toEqual({ username: 'prism', secret_set: true });
    expect((await admin.listBackends()).backends[0]!.credentials).toEqual({ username: 'prism', secret_set: true });

    // Sent back as fetched: the stored secret stays.
    await admin.updateBackend({ ...registered, description: 'main database' }, registered.revision);
    expect(store.backends.get('pg')!.credentials).toEqual({ username: 'prism', secret: 's3cret' });
    // secret_set false and no secret: removed. A reference instead of a secret: the secret goes.
    await admin.updateBackend({ ...registered, credentials: { username: 'prism' } });
    expect(store.backends.get('pg')!.credentials).toEqual({ username: 'prism' });
    await admin.updateBackend({ ...postgres });
    await admin.updateBackend({ ...registered, credentials: { secret_ref: 'env:PG_PASSWORD', secret_set: true } });
    expect(store.backends.get('pg')!.credentials).toEqual({ secret_ref: 'env:PG_PASSWORD' });
  });

  it('leaves the secret out of watch events and snapshots too', async () => {
    await admin.registerBackend(postgres);
    const events: WatchEvent[] = [];
    const stream = admin.watch('0');
    stream.on('data', (event: WatchEvent) => events.push(event));
    stream.on('error', () => {});
    await admin.updateBackend({ ...postgres, description: 'again' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.cancel();
    expect(events.map((e) => e.kind)).toEqual(['SNAPSHOT', 'BACKEND_PUT']);
    expect(JSON.stringify(events)).not.toContain('s3cret');
    expect(events[0]!.backends![0]!.credentials).toEqual({ username: 'prism', secret_set: true });
  });

  it('binds a slot only to an existing backend with every interface the slot needs', async () => {
    await admin.registerBackend(memstoreBackend('mem'));
    await admin.registerBackend(postgres);
    const lacking = await refusal(admin.registerNamespace(slotted('orders', 'pg')));
    expect(lacking.code).toBe(Code.FAILED_PRECONDITION);
    expect(lacking.details).toBe(
      "pattern.slot_bindings.storage: slot 'storage' needs interface 'keyvalue_ttl', which backend 'pg' does not implement",
    );
    const missing = await refusal(admin.registerNamespace(slotted('orders', 'ghost')));
    expect(missing.code).toBe(Code.FAILED_PRECONDITION);
    expect(missing.details).toBe("pattern.slot_bindings.storage: backend 'ghost' does not exist");
    const undeclared = { ...slotted('orders', 'mem'), pattern: { ...slotted('orders', 'mem').pattern, slots: {} } };
    expect((await refusal(admin.registerNamespace(undeclared))).code).toBe(Code.INVALID_ARGUMENT);

    const bound = await admin.registerNamespace(slotted('orders', 'mem'));
    expect((bound as AdminNamespace).pattern?.slot_bindings).toEqual({ storage: 'mem' });
  });

  it('refuses to delete a bound backend, or to take from it an interface a bound slot needs, naming who uses it', async () => {
    await admin.registerBackend(memstoreBackend('mem'));
    await admin.registerNamespace(slotted('orders', 'mem'));
    await admin.registerNamespace(slotted('billing', 'mem'));
    const bound = await refusal(admin.deleteBackend('mem'));
    expect(bound.code).toBe(Code.FAILED_PRECONDITION);
    expect(bound.details).toBe("backend 'mem' is bound by namespace 'billing' (slot 'storage'), namespace 'orders' (slot 'storage')");

    const narrowed = await refusal(admin.updateBackend({ ...memstoreBackend('mem'), interfaces: ['keyvalue_basic'] }));
    expect(narrowed.code).toBe(Code.FAILED_PRECONDITION);
    expect(narrowed.details.split('\n')).toEqual([
      "namespace 'billing' pattern.slot_bindings.storage: slot 'storage' needs interface 'keyvalue_ttl', which backend 'mem' does not implement",
      "namespace 'orders' pattern.slot_bindings.storage: slot 'storage' needs interface 'keyvalue_ttl', which backend 'mem' does not implement",
    ]);
    expect((await admin.getBackend('mem')).interfaces).toEqual(['keyvalue_basic', 'keyvalue_ttl']);
    expect((await admin.listBackends()).revision).toBe('3');
  });
});

describe('AdminClient', () => {
  it('refuses a definition its message cannot carry before sending it, naming the field', async () => {
    // Nothing listens on port 1: the refusal is the client's own.
    const admin = new AdminClient('127.0.0.1:1');
    const err = await refusal(admin.registerBackend({ ...memstoreBackend('mem'), type: 'CASSANDRA' } as unknown as Backend));
    admin.close();
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(problemsOf(err).map((p) => p.field)).toEqual(['type']);
    expect(err.details).toMatch(/^type: .*CASSANDRA/);
  });
});
