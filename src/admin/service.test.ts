import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Namespace } from '../frontend/model.js';
import { AdminClient, problemsOf } from './client.js';
import { startAdminServer, type AdminServer } from './service.js';
import { ConfigStore } from './store.js';
import { kvFrontend, kvNamespace, storedFrontend, storedNamespace } from './testing.js';

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('call succeeded');
}

describe('ControlPlane service', () => {
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

  it('binds the port it was given or a free one', () => {
    expect(server.address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
  });

  it('registers, gets, lists, updates and deletes frontends', async () => {
    const registered = await admin.registerFrontend({ ...kvFrontend('kv'), revision: '42' });
    expect(registered).toEqual(storedFrontend(kvFrontend('kv'), '1'));
    expect(await admin.getFrontend('kv')).toEqual(registered);
    await admin.registerFrontend(kvFrontend('kv2', '/kv2'));
    expect(await admin.listFrontends()).toEqual({ frontends: [registered, storedFrontend(kvFrontend('kv2', '/kv2'), '2')], revision: '2' });

    const changed = { ...kvFrontend('kv'), description: 'changed' };
    const updated = await admin.updateFrontend(changed, '1');
    expect(updated).toEqual(storedFrontend(changed, '3'));
    expect(await admin.updateFrontend(changed)).toMatchObject({ revision: '4' });

    expect(await admin.deleteFrontend('kv')).toBe('5');
    expect((await refusal(admin.getFrontend('kv'))).code).toBe(Code.NOT_FOUND);
    expect((await admin.listFrontends()).revision).toBe('5');
  });

  it('registers, gets, lists, updates and deletes namespaces', async () => {
    await admin.registerFrontend(kvFrontend('kv'));
    const namespace: Namespace = { ...kvNamespace('orders', ['kv']), grpc_disabled: true, description: 'orders' };
    const registered = await admin.registerNamespace(namespace);
    expect(registered).toEqual(storedNamespace(namespace, '2'));
    expect(await admin.getNamespace('orders')).toEqual(registered);
    expect(await admin.listNamespaces()).toEqual({ namespaces: [registered], revision: '2' });

    const unbound = { ...namespace, frontends: [{ frontend: 'kv', enabled: false, base_path: '/v2' }] };
    expect(await admin.updateNamespace(unbound, '2')).toEqual(storedNamespace(unbound, '3'));

    expect(await admin.deleteNamespace('orders')).toBe('4');
    expect((await refusal(admin.getNamespace('orders'))).code).toBe(Code.NOT_FOUND);
    expect(await admin.listNamespaces()).toEqual({ namespaces: [], revision: '4' });
  });

  it('answers an empty list at revision 0', async () => {
    expect(await admin.listFrontends()).toEqual({ frontends: [], revision: '0' });
  });

  it('refuses with the documented codes', async () => {
    await admin.registerFrontend(kvFrontend('kv'));
    await admin.registerNamespace(kvNamespace('orders', ['kv']));
    await admin.registerNamespace(kvNamespace('billing', ['kv']));

    expect((await refusal(admin.registerFrontend(kvFrontend('kv')))).code).toBe(Code.ALREADY_EXISTS);
    expect((await refusal(admin.registerNamespace(kvNamespace('orders')))).code).toBe(Code.ALREADY_EXISTS);
    expect((await refusal(admin.updateFrontend(kvFrontend('ghost')))).code).toBe(Code.NOT_FOUND);
    expect((await refusal(admin.updateNamespace(kvNamespace('ghost')))).code).toBe(Code.NOT_FOUND);
    expect((await refusal(admin.updateFrontend(kvFrontend('kv'), '7'))).code).toBe(Code.ABORTED);
    expect((await refusal(admin.updateNamespace(kvNamespace('orders', ['kv']), '1'))).code).toBe(Code.ABORTED);
    expect((await refusal(admin.deleteFrontend('ghost'))).code).toBe(Code.NOT_FOUND);
    expect((await refusal(admin.deleteNamespace('ghost'))).code).toBe(Code.NOT_FOUND);
    expect((await refusal(admin.getNamespace('ghost'))).code).toBe(Code.NOT_FOUND);

    const bound = await refusal(admin.deleteFrontend('kv'));
    expect(bound.code).toBe(Code.FAILED_PRECONDITION);
    expect(bound.details).toBe("frontend 'kv' is bound by namespaces 'billing', 'orders'");

    const missing = await refusal(admin.registerNamespace(kvNamespace('shipping', ['kv', 'ghost'])));
    expect(missing.code).toBe(Code.FAILED_PRECONDITION);
    expect(missing.details).toBe("frontends[1].frontend: frontend 'ghost' does not exist");

    const invalid = await refusal(admin.registerFrontend(kvFrontend('Bad Name')));
    expect(invalid.code).toBe(Code.INVALID_ARGUMENT);
    expect(invalid.details).toContain('name: ');

    // None of the refusals took a revision.
    expect((await admin.listFrontends()).revision).toBe('3');
  });

  it('refuses a whole invalid namespace with every problem, and stores nothing', async () => {
    await admin.registerFrontend(kvFrontend('kv'));
    await admin.registerFrontend(kvFrontend('kv-again', '/again'));
    const bad: Namespace = {
      name: 'Orders!',
      pattern: { type: 'keyvalue', endpoints: ['localhost:50051', 'no-port'] },
      frontends: [{ frontend: 'kv' }, { frontend: 'kv-again', base_path: '/kv/' }, { frontend: 'ghost' }],
    };
    const err = await refusal(admin.registerNamespace(bad));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    const expected = [
      { field: 'name', description: "'Orders!' must match ^[a-z0-9][a-z0-9._-]*$" },
      { field: 'pattern.endpoints[1]', description: "'no-port' is not host:port" },
      { field: 'frontends[1]', description: 'serves on the shared listener, base path /kv like frontends[0]' },
      { field: 'frontends[2].frontend', description: "frontend 'ghost' does not exist" },
    ];
    expect(err.details.split('\n')).toEqual(expected.map((p) => `${p.field}: ${p.description}`));
    expect(problemsOf(err)).toEqual(expected);
    expect(await admin.listNamespaces()).toEqual({ namespaces: [], revision: '2' });
  });

  it('attaches the problems of an invalid frontend as BadRequest field violations', async () => {
    const err = await refusal(admin.registerFrontend({ ...kvFrontend('kv'), name: '' }));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    const problems = problemsOf(err);
    expect(problems.map((p) => p.field)).toContain('name');
    expect(err.details.split('\n')).toEqual(problems.map((p) => `${p.field}: ${p.description}`));
    expect(await admin.listFrontends()).toEqual({ frontends: [], revision: '0' });
  });

  it('refuses a frontend update that would put two bindings of a namespace on one base path', async () => {
    await admin.registerFrontend(kvFrontend('kv', '/kv'));
    await admin.registerFrontend(kvFrontend('kv2', '/kv2'));
    await admin.registerNamespace(kvNamespace('orders', ['kv', 'kv2']));
    const err = await refusal(admin.updateFrontend(kvFrontend('kv2', '/kv')));
    expect(err.code).toBe(Code.FAILED_PRECONDITION);
    expect(err.details).toBe("namespace 'orders' frontends[1]: serves on the shared listener, base path /kv like frontends[0]");
    expect((await admin.getFrontend('kv2')).rest?.base_path).toBe('/kv2');
    expect((await admin.listFrontends()).revision).toBe('3');
    // A stale expected revision is reported before the binding conflict.
    expect((await refusal(admin.updateFrontend(kvFrontend('kv2', '/kv'), '1'))).code).toBe(Code.ABORTED);
  });
});
