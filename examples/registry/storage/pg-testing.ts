// Throwaway Postgres schemas for tests, on the database named by
// PRISM_TEST_POSTGRES_URL (default: the local server CI runs, trust auth,
// database `test`).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.PRISM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the test database answers. In CI it must: there a missing server
 * fails the tests instead of skipping them in silence.
 */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch (err) {
    if (process.env.CI) throw new Error(`Postgres at ${POSTGRES_URL} is needed in CI: ${(err as Error).message}`);
    console.warn(`skipping Postgres tests: ${POSTGRES_URL}: ${(err as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new, empty Postgres schema name; drop it with dropPostgresSchema. */
export function freshPostgresSchema(): string {
  return `registry_test_${randomBytes(6).toString('hex')}`;
}

export async function dropPostgresSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
