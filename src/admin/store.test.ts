import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../protos/root.js';
import { ConfigStore, StoreConflictError, type Change } from './store.js';
import { kvFrontend, kvNamespace, tempDir } from './testing.js';

function conflictReason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreConflictError) return err.reason;
    throw err;
  }
  return undefined;
}

describe('ConfigStore', () => {
  let store: ConfigStore;
  beforeEach(() => {
    store = new ConfigStore(':memory:');
  });
  afterEach(() => store.close());

  it('stores objects with the revision of their write, one global revision for both kinds', () => {
    expect(store.currentRevision()).toBe(0);
    const frontend = store.frontends.put(kvFrontend('kv'));
    const namespace = store.namespaces.put(kvNamespace('orders', ['kv']));
    expect(frontend.revision).toBe('1');
    expect(namespace.revision).toBe('2');
    expect(store.frontends.get('kv')).toEqual(frontend);
    expect(store.namespaces.list()).toEqual([namespace]);
    expect(store.frontends.delete('kv')).toBe(3);
    expect(store.frontends.get('kv')).toBeUndefined();
    expect(store.currentRevision()).toBe(3);
  });

  it('ignores a revision on input', () => {
    expect(store.frontends.put({ ...kvFrontend('kv'), revision: '99' }).revision).toBe('1');
  });

  it('enforces create, update and expected revision', () => {
    store.frontends.put(kvFrontend('kv'), { mode: 'create' });
    expect(conflictReason(() => store.frontends.put(kvFrontend('kv'), { mode: 'create' }))).toBe('exists');
    expect(conflictReason(() => store.frontends.put(kvFrontend('nope'), { mode: 'update' }))).toBe('missing');
    expect(conflictReason(() => store.frontends.put(kvFrontend('kv'), { mode: 'update', expectedRevision: 7 }))).toBe(
      'revision',
    );
    expect(store.frontends.put(kvFrontend('kv'), { mode: 'update', expectedRevision: 1 }).revision).toBe('2');
    expect(conflictReason(() => store.namespaces.delete('nope'))).toBe('missing');
    // Refused writes take no revision.
    expect(store.currentRevision()).toBe(2);
  });

  it('logs every change in order and resumes from any revision in the log', () => {
    store.frontends.put(kvFrontend('a'));
    store.frontends.put(kvFrontend('b'));
    store.namespaces.put(kvNamespace('ns', ['a']));
    store.frontends.delete('b');
    const all = store.changesAfter(0)!;
    expect(all.map((c) => [c.revision, c.kind, c.name])).toEqual([
      [1, 'FRONTEND_PUT', 'a'],
      [2, 'FRONTEND_PUT', 'b'],
      [3, 'NAMESPACE_PUT', 'ns'],
      [4, 'FRONTEND_DELETED', 'b'],
    ]);
    expect(store.changesAfter(2)).toEqual(all.slice(2));
    expect(store.changesAfter(4)).toEqual([]);
    // A revision this store never reached belongs to another history.
    expect(store.changesAfter(5)).toBeNull();
  });

  it('keeps only the last historyLimit changes', () => {
    const small = new ConfigStore(':memory:', { historyLimit: 3 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) small.frontends.put(kvFrontend(name));
    expect(small.changesAfter(1)).toBeNull();
    expect(small.changesAfter(2)!.map((c) => c.name)).toEqual(['c', 'd', 'e']);
    small.close();
  });

  it('publishes changes after they commit, and nothing of a rolled-back transaction', () => {
    const seen: Change[] = [];
    const unsubscribe = store.onChange((change) => {
      // Committed: a listener can read what it is told about.
      expect(store.currentRevision()).toBeGreaterThanOrEqual(change.revision);
      seen.push(change);
    });
    store.frontends.put(kvFrontend('a'));
    expect(() =>
      store.atomically(() => {
        store.frontends.put(kvFrontend('b'));
        throw new Error('abandon');
      }),
    ).toThrow('abandon');
    expect(store.frontends.get('b')).toBeUndefined();
    store.atomically(() => {
      store.frontends.put(kvFrontend('c'));
      store.frontends.put(kvFrontend('d'));
      expect(seen).toHaveLength(1);
    });
    unsubscribe();
    store.frontends.put(kvFrontend('e'));
    expect(seen.map((c) => [c.revision, c.name])).toEqual([
      [1, 'a'],
      [2, 'c'],
      [3, 'd'],
    ]);
  });
});

describe('ConfigStore durability', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('creates the directory of its file', () => {
    const store = new ConfigStore(join(temp.dir, 'nested', 'admin.db'));
    store.frontends.put(kvFrontend('kv'));
    store.close();
  });

  it('has every returned write visible to a second connection on the same file', () => {
    const file = join(temp.dir, 'admin.db');
    const writer = new ConfigStore(file);
    writer.frontends.put(kvFrontend('kv'));
    writer.namespaces.put(kvNamespace('ns', ['kv']));
    const reader = new ConfigStore(file);
    expect(reader.snapshot()).toEqual(writer.snapshot());
    expect(reader.changesAfter(0)).toHaveLength(2);
    reader.close();
    writer.close();
  });

  it('keeps every acknowledged write of a process killed with SIGKILL', async () => {
    const file = join(temp.dir, 'admin.db');
    const acked = await runWriterAndKill(temp.dir, file, 100);
    expect(acked.length).toBeGreaterThanOrEqual(100);
    const store = new ConfigStore(file);
    for (const { name, revision } of acked) expect(store.frontends.get(name)?.revision).toBe(revision);
    expect(store.currentRevision()).toBeGreaterThanOrEqual(Number(acked.at(-1)!.revision));
    store.close();
  });
});

/**
 * Runs the real store.ts in a child node process (transpiled to CommonJS,
 * since a plain node child cannot load TypeScript) that writes frontends and
 * prints each one after put() returned; kills it with SIGKILL once `count`
 * writes were acknowledged.
 */
async function runWriterAndKill(dir: string, file: string, count: number): Promise<{ name: string; revision: string }[]> {
  const source = readFileSync(fileURLToPath(new URL('./store.ts', import.meta.url)), 'utf8');
  const compiled = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  writeFileSync(join(dir, 'store.cjs'), compiled.outputText);
  writeFileSync(
    join(dir, 'writer.cjs'),
    `const { ConfigStore } = require('./store.cjs');
     const store = new ConfigStore(process.argv[2]);
     let n = 0;
     (function next() {
       const stored = store.frontends.put({ name: 'f' + n++, type: 'REST' });
       process.stdout.write('acked ' + stored.name + ' ' + stored.revision + '\\n');
       setImmediate(next);
     })();`,
  );
  const child = spawn(process.execPath, [join(dir, 'writer.cjs'), file], {
    // CommonJS require() finds better-sqlite3 through NODE_PATH from the temp dir.
    env: { ...process.env, NODE_PATH: join(PROJECT_DIR, 'node_modules') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: { name: string; revision: string }[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [, name, revision] = line.split(' ');
      acked.push({ name: name!, revision: revision! });
    }
    if (acked.length >= count) child.kill('SIGKILL');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  expect(signal).toBe('SIGKILL');
  return acked;
}
