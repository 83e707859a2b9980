// In-memory storage, for tests and throwaway runs. A write works on a copy of
// the state and publishes it whole on success, so a failed write leaves
// nothing behind and readers always see a committed state.
import {
  StorageError,
  TaskQueue,
  type RegistryStorage,
  type SettingKind,
  type StorageReader,
  type StorageWriter,
  type StoredSchema,
  type VersionRow,
} from './storage.js';

interface State {
  schemas: Map<number, StoredSchema>;
  identities: Map<string, number>;
  /** subject -> version -> row */
  versions: Map<string, Map<number, VersionRow>>;
  /** `${kind}/${scope}` -> value */
  settings: Map<string, string>;
}

export class MemoryStorage implements RegistryStorage {
  private state: State = { schemas: new Map(), identities: new Map(), versions: new Map(), settings: new Map() };
  private readonly writers = new TaskQueue();

  read<T>(fn: (tx: StorageReader) => Promise<T>): Promise<T> {
    return fn(new MemoryTx(this.state));
  }

  write<T>(fn: (tx: StorageWriter) => Promise<T>): Promise<T> {
    return this.writers.run(async () => {
      const draft = structuredClone(this.state);
      const result = await fn(new MemoryTx(draft));
      this.state = draft;
      return result;
    });
  }

  async close(): Promise<void> {}
}

const settingKey = (kind: SettingKind, scope: string) => `${kind}/${scope}`;

class MemoryTx implements StorageWriter {
  constructor(private readonly state: State) {}

  async schemaById(id: number): Promise<StoredSchema | undefined> {
    return this.state.schemas.get(id);
  }

  async schemaIdByIdentity(identity: string): Promise<number | undefined> {
    return this.state.identities.get(identity);
  }

  async maxSchemaId(): Promise<number> {
    let max = 0;
    for (const id of this.state.schemas.keys()) max = Math.max(max, id);
    return max;
  }

  async version(subject: string, version: number): Promise<VersionRow | undefined> {
    return this.state.versions.get(subject)?.get(version);
  }

  async versionsOf(subject: string): Promise<VersionRow[]> {
    return [...(this.state.versions.get(subject)?.values() ?? [])].sort((a, b) => a.version - b.version);
  }

  async versionsWithPrefix(prefix: string): Promise<VersionRow[]> {
    return this.allVersions().filter((row) => row.subject.startsWith(prefix));
  }

  async versionsOfSchema(id: number): Promise<VersionRow[]> {
    return this.allVersions().filter((row) => row.schemaId === id);
  }

  async versionsReferencing(subject: string, version: number): Promise<VersionRow[]> {
    const referrers = new Set(
      [...this.state.schemas.values()]
        .filter((schema) => schema.references.some((ref) => ref.subject === subject && ref.version === version))
        .map((schema) => schema.id),
    );
    return this.allVersions().filter((row) => referrers.has(row.schemaId));
  }

  async setting(kind: SettingKind, scope: string): Promise<string | undefined> {
    return this.state.settings.get(settingKey(kind, scope));
  }

  async insertSchema(schema: StoredSchema, identity: string): Promise<void> {
    if (this.state.schemas.has(schema.id) || this.state.identities.has(identity)) {
      throw new StorageError(`schema ${schema.id} or its identity is already stored`, false);
    }
    this.state.schemas.set(schema.id, schema);
    this.state.identities.set(identity, schema.id);
  }

  async insertVersion(row: VersionRow): Promise<void> {
    let versions = this.state.versions.get(row.subject);
    if (!versions) this.state.versions.set(row.subject, (versions = new Map()));
    if (versions.has(row.version)) {
      throw new StorageError(`version ${row.version} of '${row.subject}' is already stored`, false);
    }
    versions.set(row.version, { ...row });
  }

  async markDeleted(subject: string, version: number): Promise<void> {
    const row = this.state.versions.get(subject)?.get(version);
    if (row) row.deleted = true;
  }

  async eraseVersion(subject: string, version: number): Promise<void> {
    const versions = this.state.versions.get(subject);
    versions?.delete(version);
    if (versions?.size === 0) this.state.versions.delete(subject);
  }

  async putSetting(kind: SettingKind, scope: string, value: string): Promise<void> {
    this.state.settings.set(settingKey(kind, scope), value);
  }

  async deleteSetting(kind: SettingKind, scope: string): Promise<void> {
    this.state.settings.delete(settingKey(kind, scope));
  }

  private allVersions(): VersionRow[] {
    return [...this.state.versions.values()].flatMap((versions) => [...versions.values()]);
  }
}
