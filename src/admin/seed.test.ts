import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SeedError, seedFromDirectory } from './seed.js';
import { ConfigStore } from './store.js';
import type { AdminNamespace } from './model.js';
import { PROJECT_DIR } from '../protos/root.js';
import { kvFrontend, kvNamespace, memstoreBackend, storedBackend, storedFrontend, storedNamespace, tempDir } from './testing.js';

describe('seedFromDirectory', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: ConfigStore;
  beforeEach(() => {
    temp = tempDir();
    mkdirSync(join(temp.dir, 'namespaces'));
    store = new ConfigStore(':memory:');
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  function write(relativePath: string, value: unknown): void {
    writeFileSync(join(temp.dir, relativePath), typeof value === 'string' ? value : stringify(value));
  }

  function seedError(): SeedError {
    try {
      seedFromDirectory(store, temp.dir);
    } catch (err) {
      if (err instanceof SeedError) return err;
      throw err;
    }
    throw new Error('seed succeeded');
  }

  it('stores every frontend, then every namespace, of an empty store', () => {
    write('kv.yaml', kvFrontend('kv'));
    write('other.yml', { ...kvFrontend('other', '/other'), revision: '12' });
    write('README.md', 'not a definition');
    write('namespaces/orders.yaml', kvNamespace('orders', ['kv', 'other']));
    const seeded = seedFromDirectory(store, temp.dir);
    expect(seeded.frontends.map((f) => [f.name, f.revision])).toEqual([
      ['kv', '1'],
      ['other', '2'],
    ]);
    expect(seeded.namespaces).toEqual([storedNamespace(kvNamespace('orders', ['kv', 'other']), '3')]);
    expect(store.frontends.get('kv')).toEqual(storedFrontend(kvFrontend('kv'), '1'));
  });

  it('does nothing once the store has had a write', () => {
    store.frontends.put(kvFrontend('existing'));
    store.frontends.delete('existing');
    write('kv.yaml', kvFrontend('kv'));
    expect(seedFromDirectory(store, temp.dir)).toEqual({ backends: [], frontends: [], namespaces: [] });
    expect(store.frontends.list()).toEqual([]);
  });

  it('stores nothing when a file fails, and names every file and problem', () => {
    write('good.yaml', kvFrontend('good'));
    write('bad-name.yaml', kvFrontend('Bad'));
    write('unknown-field.yaml', { ...kvFrontend('x', '/x'), colour: 'blue' });
    write('broken.yaml', 'name: [unclosed');
    write('namespaces/orders.yaml', { name: 'orders', pattern: { endpoints: ['nope'] }, frontends: [{ frontend: 'ghost' }] });
    write('namespaces/dup.yaml', kvNamespace('orders2', ['good']));
    write('namespaces/dup2.yaml', kvNamespace('orders2', ['good']));
    const err = seedError();
    const files = [...err.failures.keys()].map((file) => file.slice(temp.dir.length + 1));
    expect(files).toEqual([
      'bad-name.yaml',
      'broken.yaml',
      'unknown-field.yaml',
      'namespaces/dup2.yaml',
      'namespaces/orders.yaml',
    ]);
    expect(err.failures.get(join(temp.dir, 'namespaces/orders.yaml'))!.map((p) => p.field)).toEqual([
      'pattern.endpoints[0]',
      'frontends[0].frontend',
    ]);
    expect(err.failures.get(join(temp.dir, 'namespaces/dup2.yaml'))).toEqual([
      { field: 'name', description: `'orders2' is also defined in ${join(temp.dir, 'namespaces/dup.yaml')}` },
    ]);
    expect(err.failures.get(join(temp.dir, 'unknown-field.yaml'))!.map((p) => p.field)).toEqual(['colour']);
    expect(err.message).toContain(`${join(temp.dir, 'unknown-field.yaml')}:\n  colour: `);
    expect(store.currentRevision()).toBe(0);
  });

  it('stores backends from backends/, and namespaces binding slots to them', () => {
    mkdirSync(join(temp.dir, 'backends'));
    write('kv.yaml', kvFrontend('kv'));
    write('backends/mem.yaml', memstoreBackend('mem'));
    const namespace: AdminNamespace = {
      ...kvNamespace('orders', ['kv']),
      pattern: { endpoints: ['127.0.0.1:50051'], slots: { storage: { interfaces: ['keyvalue_basic'] } }, slot_bindings: { storage: 'mem' } },
    };
    write('namespaces/orders.yaml', namespace);
    const seeded = seedFromDirectory(store, temp.dir);
    expect(seeded.backends).toEqual([storedBackend(memstoreBackend('mem'), '1')]);
    expect(seeded.namespaces).toEqual([storedNamespace(namespace, '3')]);
  });

  it('refuses a backend file that is invalid or a slot bound to a backend that cannot serve it', () => {
    mkdirSync(join(temp.dir, 'backends'));
    write('backends/bad.yaml', { name: 'bad', type: 'KAFKA' });
    write('backends/bus.yaml', { ...memstoreBackend('bus'), interfaces: ['pubsub_basic'] });
    write('namespaces/orders.yaml', {
      ...kvNamespace('orders'),
      pattern: { endpoints: ['127.0.0.1:50051'], slots: { storage: { interfaces: ['keyvalue_basic'] } }, slot_bindings: { storage: 'bus' } },
    });
    const err = seedError();
    expect(err.failures.get(join(temp.dir, 'backends/bad.yaml'))).toEqual([{ field: 'kafka', description: 'required for a KAFKA backend' }]);
    expect(err.failures.get(join(temp.dir, 'namespaces/orders.yaml'))!.map((p) => p.description)).toEqual([
      "slot 'storage' needs interface 'keyvalue_basic', which backend 'bus' does not implement",
    ]);
  });

  it('seeds the routes/ directory that ships', () => {
    const seeded = seedFromDirectory(store, join(PROJECT_DIR, 'routes'));
    expect(seeded.backends.map((b) => b.name)).toContain('memstore');
    expect(seeded.namespaces.map((n) => n.name)).toContain('default');
  });

  it('works without a namespaces directory', () => {
    const dir = join(temp.dir, 'flat');
    mkdirSync(dir);
    writeFileSync(join(dir, 'kv.yaml'), stringify(kvFrontend('kv')));
    expect(seedFromDirectory(store, dir).frontends).toHaveLength(1);
  });
});
