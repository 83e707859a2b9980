// The registry example pattern: Prism's RegistryInterface (schema registry
// semantics, see registry.ts) over a storage slot bound to MEMSTORE, SQLITE
// or POSTGRES. Run it with
//   node dist/examples/registry/server.js [--address host:port]
//     [--storage memstore|sqlite|postgres] [--sqlite-path P]
//     [--postgres-url URL] [--postgres-schema S]
//     [--admin HOST:PORT [--namespace NS]]   (storage from the namespace's slot binding)
// It prints one line once it listens and nothing per call.
import { pathToFileURL } from 'node:url';
import { storageFromAdmin } from './slot-storage.js';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { bindInsecure, hostOf, shutDown } from '../shared/grpc-server.js';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { shippedRoot } from '../../src/protos/root.js';
import { paginate, type Page } from './input.js';
import { SCHEMA_TYPES } from './parsing.js';
import { Registry, type RegisterInput, type SchemaInput, type SchemaRecord } from './registry.js';
import { errorStatus } from './status.js';
import { openStorage, type StorageConfig } from './storage/open.js';
import type { SchemaReference } from './storage/storage.js';

export const REGISTRY_SERVICE = 'prism.interfaces.registry.RegistryInterface';

const DEFAULT_ADDRESS = '127.0.0.1:50052';
// Only the default context exists (§2.8).
const CONTEXTS = ['.'];

export interface RegistryPatternOptions {
  address?: string;
  storage: StorageConfig;
}

export interface RunningPattern {
  /** host:port actually bound (the real port when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

type Answer = (request: PlainMessage) => Promise<PlainMessage>;

export async function startRegistryPattern(options: RegistryPatternOptions): Promise<RunningPattern> {
  const requested = options.address ?? DEFAULT_ADDRESS;
  const storage = await openStorage(options.storage);
  const server = new grpc.Server();
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [method, answer] of Object.entries(registryAnswers(new Registry(storage)))) {
    handlers[method] = unaryHandler(answer);
  }
  server.addService(serviceDefinition(shippedRoot().lookupService(REGISTRY_SERVICE)), handlers);

  let port: number;
  try {
    port = await bindInsecure(server, requested);
  } catch (err) {
    await storage.close();
    throw err;
  }
  return {
    address: `${hostOf(requested)}:${port}`,
    close: async () => {
      await shutDown(server);
      await storage.close();
    },
  };
}

// Requests arrive as proto JSON with proto field names and defaults omitted,
// so an absent field is the proto default.
const text = (value: unknown) => (value as string | undefined) ?? '';
const flag = (value: unknown) => (value as boolean | undefined) ?? false;
const int = (value: unknown) => (value as number | undefined) ?? 0;
const page = (request: PlainMessage): Page => ({ offset: int(request.offset), limit: int(request.limit) });

function schemaInput(request: PlainMessage): SchemaInput {
  const references = ((request.references as Partial<SchemaReference>[] | undefined) ?? []).map((ref) => ({
    name: text(ref.name),
    subject: text(ref.subject),
    version: int(ref.version),
  }));
  return {
    schema: text(request.schema),
    schemaType: text(request.schema_type),
    references,
    normalize: flag(request.normalize),
  };
}

function registerInput(request: PlainMessage): RegisterInput {
  return {
    ...schemaInput(request),
    id: request.id as number | undefined,
    version: request.version as number | undefined,
  };
}

function recordMessage(record: SchemaRecord): PlainMessage {
  const { subject, version, id, schemaType, references, schema } = record;
  return { subject, version, id, schema_type: schemaType, references, schema };
}

function registryAnswers(registry: Registry): Record<string, Answer> {
  return {
    Ping: async () => ({}),
    GetSchemaTypes: async () => ({ types: [...SCHEMA_TYPES] }),
    ListContexts: async (r) => ({
      contexts: paginate(
        CONTEXTS.filter((context) => context.startsWith(text(r.context_prefix))),
        page(r),
      ),
    }),

    RegisterSchema: async (r) => ({ id: await registry.register(text(r.subject), registerInput(r)) }),
    LookupSchema: async (r) => recordMessage(await registry.lookup(text(r.subject), schemaInput(r), flag(r.deleted))),
    GetSchema: async (r) => {
      const found = await registry.schemaById(int(r.id), { format: text(r.format), fetchMaxId: flag(r.fetch_max_id) });
      const { schemaType, references, schema, maxId } = found;
      return { schema_type: schemaType, references, schema, ...(maxId === undefined ? {} : { max_id: maxId }) };
    },
    GetSchemaByVersion: async (r) =>
      recordMessage(
        await registry.schemaByVersion(text(r.subject), text(r.version), {
          deleted: flag(r.deleted),
          format: text(r.format),
        }),
      ),
    ListSchemas: async (r) => {
      const options = {
        subjectPrefix: text(r.subject_prefix),
        deleted: flag(r.deleted),
        latestOnly: flag(r.latest_only),
      };
      return { schemas: (await registry.listSchemas({ ...options, ...page(r) })).map(recordMessage) };
    },

    ListSubjects: async (r) => ({
      subjects: await registry.listSubjects({
        subjectPrefix: text(r.subject_prefix),
        deleted: flag(r.deleted),
        deletedOnly: flag(r.deleted_only),
        ...page(r),
      }),
    }),
    ListVersions: async (r) => ({
      versions: await registry.listVersions(text(r.subject), {
        deleted: flag(r.deleted),
        deletedOnly: flag(r.deleted_only),
        ...page(r),
      }),
    }),
    DeleteSubject: async (r) => ({ versions: await registry.deleteSubject(text(r.subject), flag(r.permanent)) }),
    DeleteSchemaVersion: async (r) => ({
      version: await registry.deleteVersion(text(r.subject), text(r.version), flag(r.permanent)),
    }),
    GetReferencedBy: async (r) => ({
      ids: await registry.referencedBy(text(r.subject), text(r.version), { deleted: flag(r.deleted), ...page(r) }),
    }),
    GetSubjectsById: async (r) => ({
      subjects: await registry.subjectsById(int(r.id), { deleted: flag(r.deleted), ...page(r) }),
    }),
    GetVersionsById: async (r) => ({
      versions: await registry.versionsById(int(r.id), { deleted: flag(r.deleted), ...page(r) }),
    }),

    CheckCompatibility: async (r) => {
      const verbose = flag(r.verbose);
      const result = await registry.checkCompatibility(text(r.subject), text(r.version), schemaInput(r), verbose);
      return { is_compatible: result.isCompatible, ...(verbose ? { messages: result.messages } : {}) };
    },

    GetConfig: async (r) => ({
      compatibility_level: await registry.getConfig(text(r.subject), flag(r.default_to_global)),
    }),
    SetConfig: async (r) => {
      const level = await registry.setConfig(text(r.subject), text(r.compatibility));
      return level === undefined ? {} : { compatibility: level };
    },
    DeleteConfig: async (r) => ({ compatibility_level: await registry.deleteConfig(text(r.subject)) }),

    GetMode: async (r) => ({ mode: await registry.getMode(text(r.subject), flag(r.default_to_global)) }),
    SetMode: async (r) => ({ mode: await registry.setMode(text(r.subject), text(r.mode), flag(r.force)) }),
    DeleteMode: async (r) => ({ mode: await registry.deleteMode(text(r.subject)) }),
  };
}

function unaryHandler(answer: Answer): grpc.handleUnaryCall<PlainMessage, PlainMessage> {
  return (call, callback) => {
    answer(call.request).then(
      (response) => callback(null, response),
      (err: unknown) => callback(errorStatus(err)),
    );
  };
}




const STORAGE_TYPES = { memstore: 'MEMSTORE', sqlite: 'SQLITE', postgres: 'POSTGRES' } as const;

function storageFromArgs(values: {
  storage: string;
  'sqlite-path'?: string;
  'postgres-url'?: string;
  'postgres-schema'?: string;
}): StorageConfig {
  const type = STORAGE_TYPES[values.storage as keyof typeof STORAGE_TYPES];
  switch (type) {
    case 'MEMSTORE':
      return { type };
    case 'SQLITE':
      return { type, path: values['sqlite-path'] };
    case 'POSTGRES':
      if (!values['postgres-url']) throw new Error('--storage postgres needs --postgres-url');
      return { type, connectionString: values['postgres-url'], schema: values['postgres-schema'] };
    default:
      throw new Error(`--storage must be one of ${Object.keys(STORAGE_TYPES).join(', ')}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      address: { type: 'string', default: DEFAULT_ADDRESS },
      // SQLite by default: an acknowledged schema must survive a restart.
      storage: { type: 'string', default: 'sqlite' },
      'sqlite-path': { type: 'string' },
      'postgres-url': { type: 'string' },
      'postgres-schema': { type: 'string' },
      // With --admin the storage slot's binding in the namespace decides the storage.
      admin: { type: 'string' },
      namespace: { type: 'string', default: 'schema-registry' },
    },
  });
  const storage = values.admin ? await storageFromAdmin(values.admin, values.namespace) : storageFromArgs(values);
  const pattern = await startRegistryPattern({ address: values.address, storage });
  console.log(`registry pattern listening on ${pattern.address}`);
  const stop = (): void => {
    pattern.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
