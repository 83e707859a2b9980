import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SeedError, seedFromDirectory } from './seed.js';
import { ConfigStore } from './store.js';
import { kvFrontend, kvNamespace, storedFrontend, storedNamespace, tempDir } from './testing.js';

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
    expect(seedFromDirectory(store, temp.dir)).toEqual({ frontends: [], namespaces: [] });
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

  it('works without a namespaces directory', () => {
    const dir = join(temp.dir, 'flat');
    mkdirSync(dir);
    writeFileSync(join(dir, 'kv.yaml'), stringify(kvFrontend('kv')));
    expect(seedFromDirectory(store, dir).frontends).toHaveLength(1);
  });
});
