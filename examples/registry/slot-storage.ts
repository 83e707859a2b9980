// The registry pattern's storage slot: a namespace binds it to a backend in
// the admin, and the pattern builds its storage from that backend's type and
// config at start-up (MEMSTORE, SQLITE or POSTGRES; anything else is refused).
import { readFileSync } from 'node:fs';
import type { Backend } from '../../src/admin/model.js';
import { SlotBindingError, resolveSlots } from '../../src/admin/slots.js';
import type { StorageConfig } from './storage/open.js';

/** What the registry needs of the backend bound to each of its slots. */
export const REGISTRY_SLOTS = { storage: ['registry_store'] } as const;

/** A credentials secret_ref resolved where the pattern runs: "env:NAME" or "file:/path". */
function resolveSecretRef(backend: Backend): string | undefined {
  const ref = backend.credentials?.secret_ref;
  if (!ref) return undefined;
  if (ref.startsWith('env:')) return process.env[ref.slice(4)];
  if (ref.startsWith('file:')) return readFileSync(ref.slice(5), 'utf8').trim();
  throw new SlotBindingError(`backend '${backend.name}': secret_ref '${ref}' is neither env:NAME nor file:/path`);
}

function postgresUrl(backend: Backend): string {
  const host = backend.postgres?.hosts?.[0];
  if (!host) throw new SlotBindingError(`backend '${backend.name}': postgres.hosts is empty`);
  const user = backend.credentials?.username;
  const password = resolveSecretRef(backend);
  const auth = user ? `${encodeURIComponent(user)}${password ? ':' + encodeURIComponent(password) : ''}@` : '';
  return `postgres://${auth}${host}/${encodeURIComponent(backend.postgres?.database || 'postgres')}`;
}

/** The storage a backend of the storage slot stands for. */
export function storageFromBackend(namespace: string, backend: Backend): StorageConfig {
  switch (backend.type) {
    case 'MEMSTORE':
      return { type: 'MEMSTORE' };
    case 'SQLITE':
      return { type: 'SQLITE', path: backend.sqlite?.path || undefined };
    case 'POSTGRES':
      return { type: 'POSTGRES', connectionString: postgresUrl(backend), schema: backend.postgres?.schema || undefined };
    default:
      throw new SlotBindingError(
        `namespace '${namespace}': slot 'storage' is bound to backend '${backend.name}' of type ${backend.type}, ` +
          'but the registry pattern can store schemas only in a MEMSTORE, SQLITE or POSTGRES backend',
      );
  }
}

/** Reads the namespace's storage binding from the admin and builds the storage config from it. */
export async function storageFromAdmin(admin: string, namespace: string): Promise<StorageConfig> {
  const { storage } = await resolveSlots(admin, namespace, REGISTRY_SLOTS);
  return storageFromBackend(namespace, storage);
}
