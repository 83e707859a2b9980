// The registry's storage slot: what the registry needs from a backend. The
// registry runs its rules inside `read` or `write`; a backend makes each
// `write` atomic and serializes writers, so every rule that spans several
// rows (id reuse, version numbering, reference checks) holds across
// processes sharing one backend. Implementations: memory.ts, sqlite.ts,
// postgres.ts.
import type { SchemaReference, SchemaType } from '../schema/index.js';

export type { SchemaReference, SchemaType };

/** A schema as the registry stores it: bound to its id forever. */
export interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  /** Canonical text. */
  schema: string;
  references: SchemaReference[];
}

/** A schema as the SQL stores keep it: references as JSON text. */
export interface SchemaRow {
  id: number;
  schema_type: string;
  schema: string;
  refs: string;
}

export function storedSchemaFromRow(row: SchemaRow): StoredSchema {
  return {
    id: row.id,
    schemaType: row.schema_type as SchemaType,
    schema: row.schema,
    references: JSON.parse(row.refs) as SchemaReference[],
  };
}

export interface VersionRow {
  subject: string;
  version: number;
  schemaId: number;
  deleted: boolean;
}

export type SettingKind = 'compatibility' | 'mode';

/** The scope of registry-wide settings; reserved, so no subject can take it. */
export const GLOBAL_SCOPE = '__GLOBAL';

export interface StorageReader {
  schemaById(id: number): Promise<StoredSchema | undefined>;
  /** The id of the schema with this identity key (see registry.ts), if any. */
  schemaIdByIdentity(identity: string): Promise<number | undefined>;
  /** The highest schema id ever stored; 0 when there is none. */
  maxSchemaId(): Promise<number>;
  version(subject: string, version: number): Promise<VersionRow | undefined>;
  /** Every version of the subject, soft-deleted ones included, ascending. */
  versionsOf(subject: string): Promise<VersionRow[]>;
  /** Every version of every subject starting with `prefix`, in no particular order. */
  versionsWithPrefix(prefix: string): Promise<VersionRow[]>;
  versionsOfSchema(id: number): Promise<VersionRow[]>;
  /** The versions whose schema references `subject` version `version`. */
  versionsReferencing(subject: string, version: number): Promise<VersionRow[]>;
  setting(kind: SettingKind, scope: string): Promise<string | undefined>;
}

export interface StorageWriter extends StorageReader {
  /** Stores a new schema; its id and identity must both be unused. */
  insertSchema(schema: StoredSchema, identity: string): Promise<void>;
  /** Adds a version; (subject, version) must be unused. */
  insertVersion(row: VersionRow): Promise<void>;
  markDeleted(subject: string, version: number): Promise<void>;
  eraseVersion(subject: string, version: number): Promise<void>;
  putSetting(kind: SettingKind, scope: string, value: string): Promise<void>;
  deleteSetting(kind: SettingKind, scope: string): Promise<void>;
}

export interface RegistryStorage {
  /** Runs `fn` on a consistent snapshot. */
  read<T>(fn: (tx: StorageReader) => Promise<T>): Promise<T>;
  /** Runs `fn` alone among writers; its writes are all kept, or none when it throws. */
  write<T>(fn: (tx: StorageWriter) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A failure of the backend itself. `transient` ones (connection lost, lock
 * timeout) may succeed when retried; the others point at a broken store.
 */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** Runs async tasks one at a time, in call order. */
export class TaskQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
