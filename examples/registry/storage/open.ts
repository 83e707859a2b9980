// Opens the storage a slot binding names; the type names are Prism's backend types.
import { MemoryStorage } from './memory.js';
import { PostgresStorage } from './postgres.js';
import { SqliteStorage } from './sqlite.js';
import type { RegistryStorage } from './storage.js';

export type StorageConfig =
  | { type: 'MEMSTORE' }
  | { type: 'SQLITE'; path?: string }
  | { type: 'POSTGRES'; connectionString: string; schema?: string };

export async function openStorage(config: StorageConfig): Promise<RegistryStorage> {
  switch (config.type) {
    case 'MEMSTORE':
      return new MemoryStorage();
    case 'SQLITE':
      return new SqliteStorage(config.path);
    case 'POSTGRES':
      return PostgresStorage.open({ connectionString: config.connectionString, schema: config.schema });
  }
}
