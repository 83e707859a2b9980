import { describe, expect, it } from 'vitest';
import type { Frontend, Namespace } from '../frontend/model.js';
import { kvFrontend, kvNamespace } from './testing.js';
import { checkFrontend, checkNamespace, formatProblems } from './validation.js';

const registered = new Map<string, Frontend>([
  ['kv', kvFrontend('kv', '/kv')],
  ['kv-other', kvFrontend('kv-other', '/kv/')],
  ['own-port', { ...kvFrontend('own-port', '/kv'), rest: { ...kvFrontend('x').rest, listener: { port: 9000 } } }],
]);
const find = (name: string) => registered.get(name);

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
    expect(checkNamespace(kvNamespace('orders', ['kv']), find)).toEqual({ invalid: [], missingReferences: [] });
  });

  it('checks every endpoint as host:port', () => {
    const namespace: Namespace = {
      name: 'orders',
      pattern: { endpoints: ['localhost:50051', '[::1]:7000', '10.0.0.1:80', '', 'nohost', 'h:0', 'h:70000'] },
    };
    expect(checkNamespace(namespace, find).invalid.map((p) => p.field)).toEqual([
      'pattern.endpoints[3]',
      'pattern.endpoints[4]',
      'pattern.endpoints[5]',
      'pattern.endpoints[6]',
    ]);
    expect(checkNamespace({ name: 'orders' }, find).invalid).toEqual([
      { field: 'pattern.endpoints', description: 'at least one host:port required' },
    ]);
  });

  it('reports missing frontends apart from shape problems', () => {
    const result = checkNamespace(kvNamespace('orders', ['kv', 'ghost']), find);
    expect(result).toEqual({
      invalid: [],
      missingReferences: [{ field: 'frontends[1].frontend', description: "frontend 'ghost' does not exist" }],
    });
  });

  it('refuses two enabled bindings on one listener and base path', () => {
    // "/kv" and "/kv/" are one mount point on the shared listener.
    expect(checkNamespace(kvNamespace('orders', ['kv', 'kv-other']), find).invalid).toEqual([
      { field: 'frontends[1]', description: 'serves on the shared listener, base path /kv like frontends[0]' },
    ]);
    // Its own port, a base path override or a disabled binding keep them apart.
    expect(checkNamespace(kvNamespace('orders', ['kv', 'own-port']), find).invalid).toEqual([]);
    const overridden: Namespace = { ...kvNamespace('orders'), frontends: [{ frontend: 'kv' }, { frontend: 'kv-other', base_path: '/v2' }] };
    expect(checkNamespace(overridden, find).invalid).toEqual([]);
    const disabled: Namespace = { ...kvNamespace('orders'), frontends: [{ frontend: 'kv' }, { frontend: 'kv', enabled: false }] };
    expect(checkNamespace(disabled, find).invalid).toEqual([]);
    const sameListener: Namespace = {
      ...kvNamespace('orders'),
      frontends: [{ frontend: 'own-port' }, { frontend: 'kv', listener: { port: 9000 } }],
    };
    expect(checkNamespace(sameListener, find).invalid.map((p) => p.description)).toEqual([
      'serves on listener :9000, base path /kv like frontends[0]',
    ]);
  });

  it('lists every problem at once', () => {
    const namespace: Namespace = { name: '-bad', pattern: { endpoints: ['x'] }, frontends: [{ frontend: '' }] };
    expect(formatProblems(checkNamespace(namespace, find).invalid)).toBe(
      [
        "name: '-bad' must match ^[a-z0-9][a-z0-9._-]*$",
        "pattern.endpoints[0]: 'x' is not host:port",
        'frontends[0].frontend: required',
      ].join('\n'),
    );
  });
});
