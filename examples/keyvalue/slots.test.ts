// The keyvalue pattern's slot binding: at start-up it reads its namespace's
// `storage` binding and the bound backend from the admin, and refuses to
// start on a binding it cannot serve, naming the slot, backend and interface.
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminNamespace, Backend } from '../../src/admin/model.js';
import { startAdminServer, type AdminServer } from '../../src/admin/service.js';
import { SlotBindingError } from '../../src/admin/slots.js';
import { ConfigStore } from '../../src/admin/store.js';
import { memstoreBackend } from '../../src/admin/testing.js';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { shippedRoot } from '../../src/protos/root.js';
import { BASIC_SERVICE, startKeyValuePattern } from './server.js';

function namespaceBinding(storage: string | undefined, interfaces = ['keyvalue_basic']): AdminNamespace {
  return {
    name: 'shop',
    pattern: {
      type: 'keyvalue',
      endpoints: ['127.0.0.1:50051'],
      slots: { storage: { interfaces } },
      slot_bindings: storage ? { storage } : {},
    },
  };
}

async function startRefusal(admin: string): Promise<Error> {
  try {
    const pattern = await startKeyValuePattern({ address: '127.0.0.1:0', admin, namespace: 'shop' });
    await pattern.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the pattern started');
}

describe('keyvalue pattern slot binding', () => {
  let store: ConfigStore;
  let admin: AdminServer;

  beforeEach(async () => {
    store = new ConfigStore(':memory:');
    admin = await startAdminServer({ address: '127.0.0.1:0', store });
  });
  afterEach(async () => {
    await admin.close();
    store.close();
  });

  it('serves with storage built from a bound MEMSTORE backend', async () => {
    store.backends.put(memstoreBackend('mem'));
    store.namespaces.put(namespaceBinding('mem'));
    const pattern = await startKeyValuePattern({ address: '127.0.0.1:0', admin: admin.address, namespace: 'shop' });
    const Client = grpc.makeGenericClientConstructor(serviceDefinition(shippedRoot().lookupService(BASIC_SERVICE)), 'kv');
    const client = new Client(pattern.address, grpc.credentials.createInsecure()) as unknown as Record<
      string,
      (request: PlainMessage, callback: (err: Error | null, reply?: PlainMessage) => void) => void
    > & { close(): void };
    const call = (method: string, request: PlainMessage) =>
      new Promise<PlainMessage>((resolve, reject) => client[method]!(request, (err, reply) => (err ? reject(err) : resolve(reply!))));
    expect(await call('Set', { key: 'k', value: Buffer.from('v').toString('base64') })).toEqual({ success: true });
    expect(await call('Get', { key: 'k' })).toEqual({ found: true, value: Buffer.from('v').toString('base64') });
    client.close();
    await pattern.close();
  });

  it('refuses to start on a backend type it cannot build storage from', async () => {
    const postgres: Backend = {
      name: 'pg',
      type: 'POSTGRES',
      interfaces: ['keyvalue_basic'],
      postgres: { hosts: ['db:5432'], database: 'prism' },
    };
    store.backends.put(postgres);
    store.namespaces.put(namespaceBinding('pg'));
    const err = await startRefusal(admin.address);
    expect(err).toBeInstanceOf(SlotBindingError);
    expect(err.message).toBe(
      "namespace 'shop': slot 'storage' is bound to backend 'pg' of type POSTGRES, but this example pattern can build its storage only from a MEMSTORE backend",
    );
  });

  it('refuses a bound backend that lacks the interface its code needs, even if the admin let it through', async () => {
    // The namespace declares a slot needing nothing, so the admin accepted the binding.
    store.backends.put({ ...memstoreBackend('bus'), interfaces: ['pubsub_basic'] });
    store.namespaces.put(namespaceBinding('bus', []));
    expect((await startRefusal(admin.address)).message).toBe(
      `namespace 'shop' (admin ${admin.address}): slot 'storage' needs interface 'keyvalue_basic', which backend 'bus' does not implement`,
    );
  });

  it('refuses an unbound slot, a missing backend, a missing namespace and an unreachable admin', async () => {
    store.namespaces.put(namespaceBinding(undefined));
    expect((await startRefusal(admin.address)).message).toBe(`namespace 'shop' (admin ${admin.address}): slot 'storage' is not bound to a backend`);
    store.namespaces.put(namespaceBinding('ghost'));
    expect((await startRefusal(admin.address)).message).toBe(
      `namespace 'shop' (admin ${admin.address}): slot 'storage': backend 'ghost' not found`,
    );
    store.namespaces.delete('shop');
    expect((await startRefusal(admin.address)).message).toBe(`namespace 'shop' (admin ${admin.address}): namespace 'shop' not found`);
    expect((await startRefusal('127.0.0.1:1')).message).toMatch(/^namespace 'shop' \(admin 127\.0\.0\.1:1\): /);
  });
});
