// The registry pattern's storage slot: built from the backend the namespace
// binds in the admin, and refused, naming slot, backend and what is wrong,
// when that backend cannot hold schemas.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminNamespace, Backend } from '../../src/admin/model.js';
import { startAdminServer, type AdminServer } from '../../src/admin/service.js';
import { SlotBindingError } from '../../src/admin/slots.js';
import { ConfigStore } from '../../src/admin/store.js';
import { REGISTRY_SLOTS, storageFromAdmin, storageFromBackend } from './slot-storage.js';

function namespaceWith(storage: string): AdminNamespace {
  return {
    name: 'schemas',
    pattern: {
      type: 'registry',
      endpoints: ['127.0.0.1:50052'],
      slots: { storage: { interfaces: [...REGISTRY_SLOTS.storage] } },
      slot_bindings: { storage },
    },
  };
}

describe('registry storage slot', () => {
  let store: ConfigStore;
  let admin: AdminServer;
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'registry-slot-'));
    store = new ConfigStore(':memory:');
    admin = await startAdminServer({ address: '127.0.0.1:0', store });
  });
  afterEach(async () => {
    await admin.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds SQLite storage from a bound SQLITE backend', async () => {
    const path = join(dir, 'registry.db');
    store.backends.put({ name: 'files', type: 'SQLITE', interfaces: ['registry_store'], sqlite: { path } } as Backend);
    store.namespaces.put(namespaceWith('files'));
    expect(await storageFromAdmin(admin.address, 'schemas')).toEqual({ type: 'SQLITE', path });
  });

  it('refuses a backend that lacks the registry_store interface, naming slot, backend and interface', async () => {
    store.backends.put({ name: 'mem', type: 'MEMSTORE', interfaces: ['keyvalue_basic'], memstore: {} } as Backend);
    // Written straight into the store, past the admin's own check, as a stale binding would be.
    const ns = namespaceWith('mem');
    store.namespaces.put({ ...ns, pattern: { ...ns.pattern!, slots: {} } } as AdminNamespace);
    const err = await storageFromAdmin(admin.address, 'schemas').catch((e: Error) => e);
    expect(err).toBeInstanceOf(SlotBindingError);
    expect((err as Error).message).toMatch(/storage.*mem.*registry_store|registry_store.*mem/);
  });

  it.each([
    [{ name: 'm', type: 'MEMSTORE', memstore: {} }, { type: 'MEMSTORE' }],
    [{ name: 's', type: 'SQLITE', sqlite: { path: '/var/lib/r.db' } }, { type: 'SQLITE', path: '/var/lib/r.db' }],
    [
      { name: 'p', type: 'POSTGRES', postgres: { hosts: ['db:5432'], database: 'reg', schema: 'sr' }, credentials: { username: 'app' } },
      { type: 'POSTGRES', connectionString: 'postgres://app@db:5432/reg', schema: 'sr' },
    ],
  ])('maps backend %j to storage %j', (backend, storage) => {
    expect(storageFromBackend('schemas', backend as Backend)).toEqual(storage);
  });

  it('resolves an env: secret_ref into the Postgres URL where the pattern runs', () => {
    process.env.PRISM_TEST_REGISTRY_SECRET = 'p@ss';
    const backend = { name: 'p', type: 'POSTGRES', postgres: { hosts: ['db:5432'], database: 'reg' }, credentials: { username: 'app', secret_ref: 'env:PRISM_TEST_REGISTRY_SECRET' } };
    expect(storageFromBackend('schemas', backend as Backend)).toMatchObject({ connectionString: 'postgres://app:p%40ss@db:5432/reg' });
    delete process.env.PRISM_TEST_REGISTRY_SECRET;
  });

  it('refuses a backend type that cannot hold schemas, naming the slot and the backend', () => {
    expect(() => storageFromBackend('schemas', { name: 'k', type: 'KAFKA' } as Backend)).toThrow(/slot 'storage'.*backend 'k' of type KAFKA/);
  });
});
