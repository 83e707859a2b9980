// Postgres storage (pg Pool). Several pattern replicas may share one database
// schema and so one registry. Writers serialize on a transaction-scoped
// advisory lock per registry: registry writes are rare (clients cache
// everything) and Confluent itself funnels all writes through one leader, so
// one writer at a time costs little and makes every multi-row rule (id reuse
// across subjects, next version number, reference checks) exact across
// replicas. The unique constraints on ids, schema identities and
// (subject, version) back that up: should a writer ever slip past the lock,
// its conflicting transaction fails and is retried against the winner's rows.
// Readers take no lock and read one REPEATABLE READ snapshot.
import pg from 'pg';
import {
  StorageError,
  storedSchemaFromRow,
  type SchemaRow,
  type RegistryStorage,
  type SettingKind,
  type StorageReader,
  type StorageWriter,
  type StoredSchema,
  type VersionRow,
} from './storage.js';

export const DEFAULT_POSTGRES_SCHEMA = 'prism_registry';

export interface PostgresOptions {
  connectionString: string;
  /** The database schema holding the registry's tables; created when missing. */
  schema?: string;
  poolSize?: number;
}

// Conflicts between concurrent transactions: re-running the whole
// transaction can succeed.
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const MAX_ATTEMPTS = 5;
const RETRY_BASE_DELAY_MS = 10;

// Failures that may pass: connection problems (08), lack of resources (53),
// shutdowns (57P), statement timeouts (57014) and transaction rollbacks (40).
const TRANSIENT_SQLSTATE = /^(08|53|57P|57014|40)/;

// A database that is down or stuck fails calls quickly instead of hanging
// them; the statement timeout also bounds waiting for the writers' lock.
const CONNECT_TIMEOUT_MS = 5000;
const STATEMENT_TIMEOUT_MS = 30_000;

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

function tablesSql(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.schemas (
  id integer PRIMARY KEY,
  identity text NOT NULL UNIQUE,
  schema_type text NOT NULL,
  schema text NOT NULL,
  refs text NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.schema_references (
  schema_id integer NOT NULL REFERENCES ${s}.schemas (id),
  subject text NOT NULL,
  version integer NOT NULL
);
CREATE INDEX IF NOT EXISTS schema_references_target ON ${s}.schema_references (subject, version);
CREATE TABLE IF NOT EXISTS ${s}.versions (
  subject text NOT NULL,
  version integer NOT NULL,
  schema_id integer NOT NULL REFERENCES ${s}.schemas (id),
  deleted boolean NOT NULL DEFAULT false,
  PRIMARY KEY (subject, version)
);
CREATE INDEX IF NOT EXISTS versions_schema ON ${s}.versions (schema_id);
CREATE TABLE IF NOT EXISTS ${s}.settings (
  kind text NOT NULL,
  scope text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (kind, scope)
);`;
}

export class PostgresStorage implements RegistryStorage {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly tables: string,
    private readonly lockKey: string,
  ) {}

  /** Connects and creates the tables when missing. */
  static async open(options: PostgresOptions): Promise<PostgresStorage> {
    const schemaName = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
    });
    // An idle connection that breaks is dropped by the pool; without a
    // listener its 'error' event would crash the process.
    pool.on('error', () => undefined);
    const storage = new PostgresStorage(pool, quoteIdentifier(schemaName), `prism-registry:${schemaName}`);
    try {
      // Under the writers' lock, so replicas starting together do not race on DDL.
      await storage.transaction('BEGIN', true, (tx) => tx.execute(tablesSql(storage.tables)));
    } catch (err) {
      await pool.end();
      throw err;
    }
    return storage;
  }

  read<T>(fn: (tx: StorageReader) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', false, fn);
  }

  async write<T>(fn: (tx: StorageWriter) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transaction('BEGIN', true, fn);
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw err;
        await sleep(RETRY_BASE_DELAY_MS * attempt * Math.random());
      }
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async transaction<T>(begin: string, exclusive: boolean, fn: (tx: PostgresTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw storageError(err);
    });
    // A connection that dies while checked out reports it as an 'error'
    // event, which would crash the process unheard; its query fails anyway.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    const tx = new PostgresTx(client, this.tables);
    try {
      await tx.execute(begin);
      if (exclusive) await tx.execute('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      const result = await fn(tx);
      await tx.execute('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      client.off('error', onError);
      // A broken connection, or one that cannot even roll back, is closed instead of reused.
      client.release(broken);
    }
  }
}

function isRetryable(err: unknown): boolean {
  const cause = err instanceof StorageError ? err.cause : undefined;
  return RETRYABLE.has(String((cause as { code?: unknown } | undefined)?.code));
}

function storageError(err: unknown): StorageError {
  const code = String((err as { code?: unknown }).code ?? '');
  // An error that is not the server's answer (a refused, reset or timed-out
  // connection) means the store is out of reach.
  const transient = !(err instanceof pg.DatabaseError) || TRANSIENT_SQLSTATE.test(code);
  return new StorageError(`Postgres: ${(err as Error).message}`, transient, { cause: err });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface VersionRowData {
  subject: string;
  version: number;
  schema_id: number;
  deleted: boolean;
}

function versionFromRow(row: VersionRowData): VersionRow {
  return { subject: row.subject, version: row.version, schemaId: row.schema_id, deleted: row.deleted };
}

const VERSION_COLUMNS = 'subject, version, schema_id, deleted';

class PostgresTx implements StorageWriter {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly s: string,
  ) {}

  async execute<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.client.query<R>(sql, params)).rows;
    } catch (err) {
      throw storageError(err);
    }
  }

  async schemaById(id: number): Promise<StoredSchema | undefined> {
    const [row] = await this.execute<SchemaRow>(`SELECT id, schema_type, schema, refs FROM ${this.s}.schemas WHERE id = $1`, [id]);
    return row && storedSchemaFromRow(row);
  }

  async schemaIdByIdentity(identity: string): Promise<number | undefined> {
    const [row] = await this.execute<{ id: number }>(`SELECT id FROM ${this.s}.schemas WHERE identity = $1`, [
      identity,
    ]);
    return row?.id;
  }

  async maxSchemaId(): Promise<number> {
    const [row] = await this.execute<{ max: number }>(`SELECT coalesce(max(id), 0) AS max FROM ${this.s}.schemas`);
    return row!.max;
  }

  async version(subject: string, version: number): Promise<VersionRow | undefined> {
    const [row] = await this.execute<VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM ${this.s}.versions WHERE subject = $1 AND version = $2`,
      [subject, version],
    );
    return row && versionFromRow(row);
  }

  async versionsOf(subject: string): Promise<VersionRow[]> {
    const rows = await this.execute<VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM ${this.s}.versions WHERE subject = $1 ORDER BY version`,
      [subject],
    );
    return rows.map(versionFromRow);
  }

  async versionsWithPrefix(prefix: string): Promise<VersionRow[]> {
    const rows = await this.execute<VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM ${this.s}.versions WHERE starts_with(subject, $1)`,
      [prefix],
    );
    return rows.map(versionFromRow);
  }

  async versionsOfSchema(id: number): Promise<VersionRow[]> {
    const rows = await this.execute<VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM ${this.s}.versions WHERE schema_id = $1`,
      [id],
    );
    return rows.map(versionFromRow);
  }

  async versionsReferencing(subject: string, version: number): Promise<VersionRow[]> {
    const rows = await this.execute<VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM ${this.s}.versions WHERE schema_id IN
         (SELECT schema_id FROM ${this.s}.schema_references WHERE subject = $1 AND version = $2)`,
      [subject, version],
    );
    return rows.map(versionFromRow);
  }

  async setting(kind: SettingKind, scope: string): Promise<string | undefined> {
    const [row] = await this.execute<{ value: string }>(
      `SELECT value FROM ${this.s}.settings WHERE kind = $1 AND scope = $2`,
      [kind, scope],
    );
    return row?.value;
  }

  async insertSchema(schema: StoredSchema, identity: string): Promise<void> {
    await this.execute(
      `INSERT INTO ${this.s}.schemas (id, identity, schema_type, schema, refs) VALUES ($1, $2, $3, $4, $5)`,
      [schema.id, identity, schema.schemaType, schema.schema, JSON.stringify(schema.references)],
    );
    for (const ref of schema.references) {
      await this.execute(`INSERT INTO ${this.s}.schema_references (schema_id, subject, version) VALUES ($1, $2, $3)`, [
        schema.id,
        ref.subject,
        ref.version,
      ]);
    }
  }

  async insertVersion(row: VersionRow): Promise<void> {
    await this.execute(
      `INSERT INTO ${this.s}.versions (subject, version, schema_id, deleted) VALUES ($1, $2, $3, $4)`,
      [row.subject, row.version, row.schemaId, row.deleted],
    );
  }

  async markDeleted(subject: string, version: number): Promise<void> {
    await this.execute(`UPDATE ${this.s}.versions SET deleted = true WHERE subject = $1 AND version = $2`, [
      subject,
      version,
    ]);
  }

  async eraseVersion(subject: string, version: number): Promise<void> {
    await this.execute(`DELETE FROM ${this.s}.versions WHERE subject = $1 AND version = $2`, [subject, version]);
  }

  async putSetting(kind: SettingKind, scope: string, value: string): Promise<void> {
    await this.execute(
      `INSERT INTO ${this.s}.settings (kind, scope, value) VALUES ($1, $2, $3)
         ON CONFLICT (kind, scope) DO UPDATE SET value = excluded.value`,
      [kind, scope, value],
    );
  }

  async deleteSetting(kind: SettingKind, scope: string): Promise<void> {
    await this.execute(`DELETE FROM ${this.s}.settings WHERE kind = $1 AND scope = $2`, [kind, scope]);
  }
}
