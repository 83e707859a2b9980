// The storage contract, run against every implementation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPostgresSchema, freshPostgresSchema, POSTGRES_URL, postgresReachable } from './pg-testing.js';
import { MemoryStorage } from './memory.js';
import { PostgresStorage } from './postgres.js';
import { SqliteStorage } from './sqlite.js';
import { GLOBAL_SCOPE, StorageError, type RegistryStorage, type StoredSchema } from './storage.js';

interface Backend {
  name: string;
  open(): Promise<RegistryStorage>;
  cleanUp?(): Promise<void>;
}

const tmp = mkdtempSync(join(tmpdir(), 'registry-storage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const pgSchema = freshPostgresSchema();
const withPostgres = await postgresReachable();

const allBackends: Backend[] = [
  { name: 'memory', open: async () => new MemoryStorage() },
  { name: 'sqlite', open: async () => new SqliteStorage(join(tmp, 'store.db')) },
  {
    name: 'postgres',
    open: () => PostgresStorage.open({ connectionString: POSTGRES_URL, schema: pgSchema, poolSize: 4 }),
    cleanUp: () => dropPostgresSchema(pgSchema),
  },
];
const backends = allBackends.filter((backend) => withPostgres || backend.name !== 'postgres');

const schema = (id: number, text = `s${id}`, references: StoredSchema['references'] = []): StoredSchema => ({
  id,
  schemaType: 'AVRO',
  schema: text,
  references,
});

describe.each(backends)('$name storage', (backend) => {
  let storage: RegistryStorage;

  beforeAll(async () => {
    storage = await backend.open();
    await storage.write(async (tx) => {
      await tx.insertSchema(schema(1), 'identity-1');
      await tx.insertSchema(schema(2, 's2', [{ name: 'one', subject: 'a', version: 1 }]), 'identity-2');
      await tx.insertVersion({ subject: 'a', version: 1, schemaId: 1, deleted: false });
      await tx.insertVersion({ subject: 'a', version: 2, schemaId: 2, deleted: false });
      await tx.insertVersion({ subject: 'ab', version: 1, schemaId: 2, deleted: true });
      await tx.insertVersion({ subject: 'b', version: 1, schemaId: 1, deleted: false });
    });
  });

  afterAll(async () => {
    await storage.close();
    await backend.cleanUp?.();
  });

  it('reads schemas by id and identity, and the highest id', async () => {
    await storage.read(async (tx) => {
      expect(await tx.schemaById(2)).toEqual(schema(2, 's2', [{ name: 'one', subject: 'a', version: 1 }]));
      expect(await tx.schemaById(3)).toBeUndefined();
      expect(await tx.schemaIdByIdentity('identity-1')).toBe(1);
      expect(await tx.schemaIdByIdentity('unknown')).toBeUndefined();
      expect(await tx.maxSchemaId()).toBe(2);
    });
  });

  it('reads versions by subject (ascending), prefix, schema and reference', async () => {
    await storage.read(async (tx) => {
      expect(await tx.version('a', 2)).toEqual({ subject: 'a', version: 2, schemaId: 2, deleted: false });
      expect(await tx.version('a', 3)).toBeUndefined();
      expect((await tx.versionsOf('a')).map((row) => row.version)).toEqual([1, 2]);
      expect(await tx.versionsOf('missing')).toEqual([]);
      const keys = (rows: { subject: string; version: number }[]) =>
        rows.map((r) => `${r.subject}/${r.version}`).sort();
      expect(keys(await tx.versionsWithPrefix('a'))).toEqual(['a/1', 'a/2', 'ab/1']);
      expect(keys(await tx.versionsWithPrefix(''))).toEqual(['a/1', 'a/2', 'ab/1', 'b/1']);
      expect(keys(await tx.versionsWithPrefix('%'))).toEqual([]);
      expect(keys(await tx.versionsOfSchema(1))).toEqual(['a/1', 'b/1']);
      expect(keys(await tx.versionsReferencing('a', 1))).toEqual(['a/2', 'ab/1']);
      expect(await tx.versionsReferencing('a', 2)).toEqual([]);
      expect(await tx.version('ab', 1)).toMatchObject({ deleted: true });
    });
  });

  it('marks versions deleted and erases them', async () => {
    await storage.write(async (tx) => {
      await tx.insertVersion({ subject: 'c', version: 1, schemaId: 1, deleted: false });
      await tx.insertVersion({ subject: 'c', version: 2, schemaId: 1, deleted: false });
    });
    await storage.write(async (tx) => {
      await tx.markDeleted('c', 1);
      await tx.eraseVersion('c', 2);
    });
    expect(await storage.read((tx) => tx.versionsOf('c'))).toEqual([
      { subject: 'c', version: 1, schemaId: 1, deleted: true },
    ]);
  });

  it('stores, replaces and removes settings per kind and scope', async () => {
    await storage.write(async (tx) => {
      await tx.putSetting('compatibility', GLOBAL_SCOPE, 'FULL');
      await tx.putSetting('compatibility', GLOBAL_SCOPE, 'NONE');
      await tx.putSetting('mode', GLOBAL_SCOPE, 'READONLY');
      await tx.putSetting('mode', 'a', 'IMPORT');
    });
    await storage.read(async (tx) => {
      expect(await tx.setting('compatibility', GLOBAL_SCOPE)).toBe('NONE');
      expect(await tx.setting('mode', GLOBAL_SCOPE)).toBe('READONLY');
      expect(await tx.setting('compatibility', 'a')).toBeUndefined();
    });
    await storage.write((tx) => tx.deleteSetting('mode', 'a'));
    expect(await storage.read((tx) => tx.setting('mode', 'a'))).toBeUndefined();
  });

  it('keeps nothing of a write that throws', async () => {
    const failing = storage.write(async (tx) => {
      await tx.insertSchema(schema(50), 'identity-50');
      await tx.insertVersion({ subject: 'rolled-back', version: 1, schemaId: 50, deleted: false });
      await tx.putSetting('mode', 'rolled-back', 'READONLY');
      throw new Error('changed my mind');
    });
    await expect(failing).rejects.toThrow('changed my mind');
    await storage.read(async (tx) => {
      expect(await tx.schemaById(50)).toBeUndefined();
      expect(await tx.versionsOf('rolled-back')).toEqual([]);
      expect(await tx.setting('mode', 'rolled-back')).toBeUndefined();
    });
  });

  it.each([
    ['a reused schema id', (s: RegistryStorage) => s.write((tx) => tx.insertSchema(schema(1, 'other'), 'fresh'))],
    ['a reused identity', (s: RegistryStorage) => s.write((tx) => tx.insertSchema(schema(99), 'identity-1'))],
    [
      'a reused (subject, version)',
      (s: RegistryStorage) =>
        s.write((tx) => tx.insertVersion({ subject: 'a', version: 1, schemaId: 2, deleted: false })),
    ],
  ])('refuses %s with a StorageError', async (_, write) => {
    await expect(write(storage)).rejects.toBeInstanceOf(StorageError);
    expect(await storage.read((tx) => tx.schemaById(99))).toBeUndefined();
    expect(await storage.read((tx) => tx.version('a', 1))).toMatchObject({ schemaId: 1 });
  });

  it('serializes writers: concurrent read-modify-write allocations never collide', async () => {
    const allocate = (n: number) =>
      storage.write(async (tx) => {
        const id = (await tx.maxSchemaId()) + 1;
        await tx.insertSchema(schema(id, `concurrent-${n}`), `concurrent-${n}`);
        return id;
      });
    const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => allocate(n)));
    expect(new Set(ids).size).toBe(20);
  });
});
