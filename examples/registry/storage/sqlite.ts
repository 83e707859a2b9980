// SQLite file storage (better-sqlite3). WAL with synchronous=FULL makes every
// acknowledged write survive a crash of the process or the machine. Writes
// take SQLite's write lock up front (BEGIN IMMEDIATE), so several processes on
// one file serialize their writes too. One connection per process: its
// transactions run one at a time through a queue, because a transaction's
// body is async and must not interleave with another one on the connection.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  StorageError,
  storedSchemaFromRow,
  TaskQueue,
  type RegistryStorage,
  type SettingKind,
  type StorageReader,
  type StorageWriter,
  type StoredSchema,
  type VersionRow,
} from './storage.js';

export const DEFAULT_SQLITE_PATH = './.prism/registry.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS schemas (
  id INTEGER PRIMARY KEY,
  identity TEXT NOT NULL UNIQUE,
  schema_type TEXT NOT NULL,
  schema TEXT NOT NULL,
  refs TEXT NOT NULL
);
-- The references of each schema again, one row each, to find referrers.
CREATE TABLE IF NOT EXISTS schema_references (
  schema_id INTEGER NOT NULL REFERENCES schemas (id),
  subject TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS schema_references_target ON schema_references (subject, version);
CREATE TABLE IF NOT EXISTS versions (
  subject TEXT NOT NULL,
  version INTEGER NOT NULL,
  schema_id INTEGER NOT NULL REFERENCES schemas (id),
  deleted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (subject, version)
);
CREATE INDEX IF NOT EXISTS versions_schema ON versions (schema_id);
CREATE TABLE IF NOT EXISTS settings (
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, scope)
);
`;

const VERSION_COLUMNS = 'subject, version, schema_id, deleted';

interface SchemaRowData {
  id: number;
  schema_type: string;
  schema: string;
  refs: string;
}

interface VersionRowData {
  subject: string;
  version: number;
  schema_id: number;
  deleted: number;
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: Database.Database) {
  return {
    schemaById: db.prepare<[number], SchemaRowData>('SELECT id, schema_type, schema, refs FROM schemas WHERE id = ?'),
    schemaIdByIdentity: db.prepare<[string], { id: number }>('SELECT id FROM schemas WHERE identity = ?'),
    maxSchemaId: db.prepare<[], { max: number }>('SELECT coalesce(max(id), 0) AS max FROM schemas'),
    version: db.prepare<[string, number], VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM versions WHERE subject = ? AND version = ?`,
    ),
    versionsOf: db.prepare<[string], VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM versions WHERE subject = ? ORDER BY version`,
    ),
    versionsWithPrefix: db.prepare<{ prefix: string }, VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM versions WHERE substr(subject, 1, length(:prefix)) = :prefix`,
    ),
    versionsOfSchema: db.prepare<[number], VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM versions WHERE schema_id = ?`,
    ),
    versionsReferencing: db.prepare<[string, number], VersionRowData>(
      `SELECT ${VERSION_COLUMNS} FROM versions WHERE schema_id IN
         (SELECT schema_id FROM schema_references WHERE subject = ? AND version = ?)`,
    ),
    setting: db.prepare<[string, string], { value: string }>('SELECT value FROM settings WHERE kind = ? AND scope = ?'),
    insertSchema: db.prepare('INSERT INTO schemas (id, identity, schema_type, schema, refs) VALUES (?, ?, ?, ?, ?)'),
    insertReference: db.prepare('INSERT INTO schema_references (schema_id, subject, version) VALUES (?, ?, ?)'),
    insertVersion: db.prepare('INSERT INTO versions (subject, version, schema_id, deleted) VALUES (?, ?, ?, ?)'),
    markDeleted: db.prepare('UPDATE versions SET deleted = 1 WHERE subject = ? AND version = ?'),
    eraseVersion: db.prepare('DELETE FROM versions WHERE subject = ? AND version = ?'),
    putSetting: db.prepare(
      'INSERT INTO settings (kind, scope, value) VALUES (?, ?, ?) ON CONFLICT (kind, scope) DO UPDATE SET value = excluded.value',
    ),
    deleteSetting: db.prepare('DELETE FROM settings WHERE kind = ? AND scope = ?'),
  };
}

export class SqliteStorage implements RegistryStorage {
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly queue = new TaskQueue();

  constructor(path: string = DEFAULT_SQLITE_PATH) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = guard(() => new Database(path));
    guard(() => {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      // Another process writing the same file makes us wait, not fail.
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    });
    this.statements = prepare(this.db);
  }

  read<T>(fn: (tx: StorageReader) => Promise<T>): Promise<T> {
    // A deferred transaction still gives every read inside it one snapshot.
    return this.transaction('BEGIN', fn);
  }

  write<T>(fn: (tx: StorageWriter) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', fn);
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      this.db.close();
    });
  }

  private transaction<T>(begin: string, fn: (tx: StorageWriter) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      guard(() => this.db.exec(begin));
      try {
        const result = await fn(new SqliteTx(this.statements));
        guard(() => this.db.exec('COMMIT'));
        return result;
      } catch (err) {
        // SQLite may have rolled back already (e.g. after SQLITE_FULL).
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }
}

/** Runs a driver call, turning driver failures into StorageErrors. */
function guard<T>(op: () => T): T {
  try {
    return op();
  } catch (err) {
    if (!(err instanceof Database.SqliteError)) throw err;
    const transient = err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED';
    throw new StorageError(`SQLite: ${err.message}`, transient, { cause: err });
  }
}

function versionFromRow(row: VersionRowData): VersionRow {
  return { subject: row.subject, version: row.version, schemaId: row.schema_id, deleted: row.deleted !== 0 };
}

class SqliteTx implements StorageWriter {
  constructor(private readonly statements: Statements) {}

  async schemaById(id: number): Promise<StoredSchema | undefined> {
    const row = guard(() => this.statements.schemaById.get(id));
    return row && storedSchemaFromRow(row);
  }

  async schemaIdByIdentity(identity: string): Promise<number | undefined> {
    return guard(() => this.statements.schemaIdByIdentity.get(identity))?.id;
  }

  async maxSchemaId(): Promise<number> {
    return guard(() => this.statements.maxSchemaId.get())!.max;
  }

  async version(subject: string, version: number): Promise<VersionRow | undefined> {
    const row = guard(() => this.statements.version.get(subject, version));
    return row && versionFromRow(row);
  }

  async versionsOf(subject: string): Promise<VersionRow[]> {
    return guard(() => this.statements.versionsOf.all(subject)).map(versionFromRow);
  }

  async versionsWithPrefix(prefix: string): Promise<VersionRow[]> {
    return guard(() => this.statements.versionsWithPrefix.all({ prefix })).map(versionFromRow);
  }

  async versionsOfSchema(id: number): Promise<VersionRow[]> {
    return guard(() => this.statements.versionsOfSchema.all(id)).map(versionFromRow);
  }

  async versionsReferencing(subject: string, version: number): Promise<VersionRow[]> {
    return guard(() => this.statements.versionsReferencing.all(subject, version)).map(versionFromRow);
  }

  async setting(kind: SettingKind, scope: string): Promise<string | undefined> {
    return guard(() => this.statements.setting.get(kind, scope))?.value;
  }

  async insertSchema(schema: StoredSchema, identity: string): Promise<void> {
    guard(() => {
      const refs = JSON.stringify(schema.references);
      this.statements.insertSchema.run(schema.id, identity, schema.schemaType, schema.schema, refs);
      for (const ref of schema.references) this.statements.insertReference.run(schema.id, ref.subject, ref.version);
    });
  }

  async insertVersion(row: VersionRow): Promise<void> {
    guard(() => this.statements.insertVersion.run(row.subject, row.version, row.schemaId, row.deleted ? 1 : 0));
  }

  async markDeleted(subject: string, version: number): Promise<void> {
    guard(() => this.statements.markDeleted.run(subject, version));
  }

  async eraseVersion(subject: string, version: number): Promise<void> {
    guard(() => this.statements.eraseVersion.run(subject, version));
  }

  async putSetting(kind: SettingKind, scope: string, value: string): Promise<void> {
    guard(() => this.statements.putSetting.run(kind, scope, value));
  }

  async deleteSetting(kind: SettingKind, scope: string): Promise<void> {
    guard(() => this.statements.deleteSetting.run(kind, scope));
  }
}
