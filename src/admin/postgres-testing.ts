// A throwaway Postgres schema per test file, on the database named by
// PRISM_TEST_POSTGRES_URL (default: the local server, database `test`).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.PRISM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the test database answers. In CI it must: a missing server fails
 * there instead of skipping the tests in silence.
 */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch (err) {
    if (process.env.CI) throw new Error(`Postgres at ${TEST_POSTGRES_URL} is needed in CI: ${(err as Error).message}`);
    console.warn(`skipping Postgres tests: ${TEST_POSTGRES_URL}: ${(err as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema name, and the removal of that schema with everything in it. */
export function testSchema(): { schema: string; drop(): Promise<void> } {
  const schema = `prism_test_${randomBytes(6).toString('hex')}`;
  return {
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Runs one statement on its own connection (to act as another process would). */
export async function runSql(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
