// Two registry replicas (each with its own connection pool) on one Postgres
// schema share one registry: under 200 concurrent registrations spread over
// both, every schema gets exactly one id and every subject gapless,
// duplicate-free versions, and both replicas read the same registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryPattern, type RunningPattern } from './server.js';
import { dropPostgresSchema, freshPostgresSchema, POSTGRES_URL, postgresReachable } from './storage/pg-testing.js';
import { registryClient, type RegistryClient } from './testing.js';

const withPostgres = await postgresReachable();

const SCHEMAS = 20;
const SUBJECTS = 8;
const REGISTRATIONS = 200;

const schemaText = (k: number) =>
  JSON.stringify({ type: 'record', name: `Concurrent${k}`, fields: [{ name: 'f', type: 'int' }] });

// Registration i puts schema i % 20 under subject i % 8: each schema lands in
// two subjects, each subject holds five schemas, and every (subject, schema)
// pair is registered five times, racing with itself.
const registrations = Array.from({ length: REGISTRATIONS }, (_, i) => ({
  subject: `concurrent-${i % SUBJECTS}`,
  schema: i % SCHEMAS,
}));

describe.skipIf(!withPostgres)('two registry replicas on one Postgres schema', () => {
  const schema = freshPostgresSchema();
  const replicas: RunningPattern[] = [];
  const clients: RegistryClient[] = [];

  beforeAll(async () => {
    for (let n = 0; n < 2; n++) {
      const pattern = await startRegistryPattern({
        address: '127.0.0.1:0',
        storage: { type: 'POSTGRES', connectionString: POSTGRES_URL, schema },
      });
      replicas.push(pattern);
      clients.push(registryClient(pattern.address));
    }
    // Any schema may follow any other under a subject.
    await clients[0]!.call('SetConfig', { compatibility: 'NONE' });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const replica of replicas) await replica.close();
    await dropPostgresSchema(schema);
  });

  it('gives each schema one id and each subject unique, gapless versions', async () => {
    const ids = await Promise.all(
      registrations.map(async ({ subject, schema: k }, i) => {
        const answer = await clients[i % 2]!.call('RegisterSchema', { subject, schema: schemaText(k) });
        return answer.id as number;
      }),
    );

    const idsBySchema = new Map<number, Set<number>>();
    registrations.forEach(({ schema: k }, i) => idsBySchema.set(k, (idsBySchema.get(k) ?? new Set()).add(ids[i]!)));
    for (const seen of idsBySchema.values()) expect(seen.size).toBe(1);
    const idOf = (k: number) => [...idsBySchema.get(k)!][0]!;
    const schemaWithId = new Map(Array.from({ length: SCHEMAS }, (_, k) => [idOf(k), k]));
    const distinctIds = new Set(Array.from({ length: SCHEMAS }, (_, k) => idOf(k)));
    expect([...distinctIds].sort((a, b) => a - b)).toEqual(Array.from({ length: SCHEMAS }, (_, k) => k + 1));

    const views = [];
    for (const client of clients) {
      const view: Record<string, unknown[]> = {};
      for (let s = 0; s < SUBJECTS; s++) {
        const subject = `concurrent-${s}`;
        const expectedIds = registrations.filter((r) => r.subject === subject).map((r) => idOf(r.schema));
        const versions = (await client.call('ListVersions', { subject })).versions as number[];
        expect(versions).toEqual([1, 2, 3, 4, 5]);
        const records = [];
        for (const version of versions) {
          records.push(await client.call('GetSchemaByVersion', { subject, version: String(version) }));
        }
        const held = records.map((record) => record.id as number);
        expect(new Set(held)).toEqual(new Set(expectedIds));
        expect(new Set(held).size).toBe(versions.length);
        for (const record of records) expect(record.schema).toBe(schemaText(schemaWithId.get(record.id as number)!));
        view[subject] = records;
      }
      views.push(view);
    }
    expect(views[1]).toEqual(views[0]);
  });

  it('keeps answering the same ids through either replica afterwards', async () => {
    for (let k = 0; k < SCHEMAS; k++) {
      const subject = `concurrent-${k % SUBJECTS}`;
      const [a, b] = await Promise.all(
        clients.map((client) => client.call('RegisterSchema', { subject, schema: schemaText(k) })),
      );
      expect(a).toEqual(b);
    }
    const [maxA, maxB] = await Promise.all(
      clients.map((client) => client.call('GetSchema', { id: 1, fetch_max_id: true })),
    );
    expect(maxA!.max_id).toBe(SCHEMAS);
    expect(maxB!.max_id).toBe(SCHEMAS);
  });
});
