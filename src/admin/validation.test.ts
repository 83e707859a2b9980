import { describe, expect, it } from 'vitest';
import type { Frontend, Namespace } from '../frontend/model.js';
import type { AdminNamespace, Backend } from './model.js';
import { kvFrontend, kvNamespace, memstoreBackend } from './testing.js';
import { checkBackend, checkFrontend, checkNamespace, formatProblems } from './validation.js';

const registered = new Map<string, Frontend>([
  ['kv', kvFrontend('kv', '/kv')],
  ['kv-other', kvFrontend('kv-other', '/kv/')],
  ['own-port', { ...kvFrontend('own-port', '/kv'), rest: { ...kvFrontend('x').rest, listener: { port: 9000 } } }],
]);
const find = (name: string) => registered.get(name);
const backends = new Map<string, Backend>([
  ['mem', memstoreBackend('mem')],
  ['queue', { name: 'queue', type: 'NATS', nats: { servers: ['nats://127.0.0.1:4222'] }, interfaces: ['pubsub_basic'] }],
]);
const findBackend = (name: string) => backends.get(name);

describe('checkFrontend', () => {
  it('accepts a valid frontend', () => {
    expect(checkFrontend(kvFrontend('kv-rest.v1'))).toEqual([]);
  });

  it('requires a name in the admin naming rule, reported once', () => {
    expect(checkFrontend({ ...kvFrontend('x'), name: '' })).toContainEqual({ field: 'name', description: 'required' });
    const problems = checkFrontend(kvFrontend('Upper'));
    expect(problems.filter((p) => p.field === 'name')).toEqual([
      { field: 'name', description: "'Upper' must match ^[a-z0-9][a-z0-9._-]*$" },
    ]);
  });
});

describe('checkNamespace', () => {
  it('accepts a valid namespace', () => {
    expect(checkNamespace(kvNamespace('orders', ['kv']), find, findBackend)).toEqual({ invalid: [], missingReferences: [] });
  });

  it('checks every endpoint as host:port', () => {
    const namespace: Namespace = {
      name: 'orders',
      pattern: { endpoints: ['localhost:50051', '[::1]:7000', '10.0.0.1:80', '', 'nohost', 'h:0', 'h:70000'] },
    };
    expect(checkNamespace(namespace, find, findBackend).invalid.map((p) => p.field)).toEqual([
      'pattern.endpoints[3]',
      'pattern.endpoints[4]',
      'pattern.endpoints[5]',
      'pattern.endpoints[6]',
    ]);
    expect(checkNamespace({ name: 'orders' }, find, findBackend).invalid).toEqual([
      { field: 'pattern.endpoints', description: 'at least one host:port required' },
    ]);
  });

  it('reports missing frontends apart from shape problems', () => {
    const result = checkNamespace(kvNamespace('orders', ['kv', 'ghost']), find, findBackend);
    expect(result).toEqual({
      invalid: [],
      missingReferences: [{ field: 'frontends[1].frontend', description: "frontend 'ghost' does not exist" }],
    });
  });

  it('refuses two enabled bindings on one listener and base path', () => {
    // "/kv" and "/kv/" are one mount point on the shared listener.
    expect(checkNamespace(kvNamespace('orders', ['kv', 'kv-other']), find, findBackend).invalid).toEqual([
      { field: 'frontends[1]', description: 'serves on the shared listener, base path /kv like frontends[0]' },
    ]);
    // Its own port, a base path override or a disabled binding keep them apart.
    expect(checkNamespace(kvNamespace('orders', ['kv', 'own-port']), find, findBackend).invalid).toEqual([]);
    const overridden: Namespace = { ...kvNamespace('orders'), frontends: [{ frontend: 'kv' }, { frontend: 'kv-other', base_path: '/v2' }] };
    expect(checkNamespace(overridden, find, findBackend).invalid).toEqual([]);
    const disabled: Namespace = { ...kvNamespace('orders'), frontends: [{ frontend: 'kv' }, { frontend: 'kv', enabled: false }] };
    expect(checkNamespace(disabled, find, findBackend).invalid).toEqual([]);
    const sameListener: Namespace = {
      ...kvNamespace('orders'),
      frontends: [{ frontend: 'own-port' }, { frontend: 'kv', listener: { port: 9000 } }],
    };
    expect(checkNamespace(sameListener, find, findBackend).invalid.map((p) => p.description)).toEqual([
      'serves on listener :9000, base path /kv like frontends[0]',
    ]);
  });

  it('lists every problem at once', () => {
    const namespace: Namespace = { name: '-bad', pattern: { endpoints: ['x'] }, frontends: [{ frontend: '' }] };
    expect(formatProblems(checkNamespace(namespace, find, findBackend).invalid)).toBe(
      [
        "name: '-bad' must match ^[a-z0-9][a-z0-9._-]*$",
        "pattern.endpoints[0]: 'x' is not host:port",
        'frontends[0].frontend: required',
      ].join('\n'),
    );
  });
});

describe('checkNamespace slots', () => {
  const slotted = (bindings: Record<string, string>): AdminNamespace => ({
    ...kvNamespace('orders'),
    pattern: { type: 'keyvalue', endpoints: ['127.0.0.1:50051'], slots: { storage: { interfaces: ['keyvalue_basic'] } }, slot_bindings: bindings },
  });

  it('accepts a slot bound to a backend with the interfaces it needs, or left unbound', () => {
    expect(checkNamespace(slotted({ storage: 'mem' }), find, findBackend)).toEqual({ invalid: [], missingReferences: [] });
    expect(checkNamespace(slotted({}), find, findBackend)).toEqual({ invalid: [], missingReferences: [] });
  });

  it('names the slot, the backend and the interface it lacks', () => {
    expect(checkNamespace(slotted({ storage: 'queue' }), find, findBackend).missingReferences).toEqual([
      {
        field: 'pattern.slot_bindings.storage',
        description: "slot 'storage' needs interface 'keyvalue_basic', which backend 'queue' does not implement",
      },
    ]);
    expect(checkNamespace(slotted({ storage: 'ghost' }), find, findBackend).missingReferences).toEqual([
      { field: 'pattern.slot_bindings.storage', description: "backend 'ghost' does not exist" },
    ]);
  });

  it('refuses a binding of an undeclared slot and badly named slots and interfaces', () => {
    const namespace = slotted({ cache: 'mem' });
    namespace.pattern!.slots!['Bad Slot'] = { interfaces: ['KV'] };
    expect(checkNamespace(namespace, find, findBackend).invalid).toEqual([
      { field: 'pattern.slots.Bad Slot', description: 'slot names must match ^[a-z][a-z0-9_-]*$' },
      { field: 'pattern.slots.Bad Slot.interfaces[0]', description: "'KV' is not an interface name like keyvalue_basic" },
      { field: 'pattern.slot_bindings.cache', description: "slot 'cache' is not declared in pattern.slots" },
    ]);
  });
});

describe('checkBackend', () => {
  it('accepts a valid backend of each kind of config', () => {
    const valid: Backend[] = [
      memstoreBackend('mem'),
      { name: 'm2', type: 'MEMSTORE', memstore: { max_keys: '1000' } },
      { name: 'k', type: 'KAFKA', kafka: { brokers: ['k1:9092', 'k2:9092'], request_timeout: '5s' }, interfaces: ['pubsub_basic'] },
      {
        name: 'pg',
        type: 'POSTGRES',
        postgres: { hosts: ['db:5432'], database: 'prism', pool: { min_connections: 1, max_connections: 10 }, tls: { enabled: true } },
        credentials: { username: 'prism', secret_ref: 'env:PG_PASSWORD' },
      },
      { name: 'r', type: 'REDIS', redis: { hosts: ['[::1]:6379'] } },
      { name: 's', type: 'SQLITE', sqlite: { path: '/var/lib/prism/kv.db' } },
      { name: 'b', type: 'S3', s3: { bucket: 'blobs', endpoint: 'http://127.0.0.1:9000' }, credentials: { username: 'key', secret: 'shh' } },
    ];
    for (const backend of valid) expect([backend.name, checkBackend(backend)]).toEqual([backend.name, []]);
  });

  it('requires a known type and the config member of that type', () => {
    expect(checkBackend({ name: 'x' })).toEqual([
      { field: 'type', description: 'required: one of KAFKA, NATS, POSTGRES, REDIS, SQLITE, S3, MEMSTORE' },
    ]);
    expect(checkBackend({ name: 'x', type: 'KAFKA' })).toEqual([{ field: 'kafka', description: 'required for a KAFKA backend' }]);
    expect(checkBackend({ name: 'x', type: 'KAFKA', redis: { hosts: ['h:1'] } })).toEqual([
      { field: 'redis', description: "does not go with type KAFKA; its config is 'kafka'" },
    ]);
  });

  it('reports every problem with its field path', () => {
    const backend: Backend = {
      name: 'Bad',
      type: 'POSTGRES',
      postgres: {
        hosts: ['db', 'db:5432'],
        pool: { min_connections: 5, max_connections: 2 },
        connect_timeout: '0s',
        tls: { cert_file: 'c.pem' },
      },
      interfaces: ['keyvalue_basic', 'Key Value', 'keyvalue_basic'],
      credentials: { secret_ref: 'PASSWORD', secret: 'x' },
    };
    expect(formatProblems(checkBackend(backend)).split('\n')).toEqual([
      "name: 'Bad' must match ^[a-z0-9][a-z0-9._-]*$",
      "postgres.hosts[0]: 'db' is not host:port",
      'postgres.database: database name required',
      'postgres.pool.max_connections: 2 is less than min_connections (5)',
      'postgres.tls: cert_file and key_file go together',
      'postgres.connect_timeout: 0s is not a positive duration',
      "interfaces[1]: 'Key Value' is not an interface name like keyvalue_basic",
      "interfaces[2]: 'keyvalue_basic' is listed twice",
      'credentials: give secret_ref or secret, not both',
      "credentials.secret_ref: 'PASSWORD' is not a reference like env:NAME or file:/path",
    ]);
  });
});
