// The keyvalue example pattern: Prism's KeyValueBasicInterface and
// KeyValueTTLInterface over an in-memory store, so the whole proxy path runs
// on one machine. Run it with `node dist/examples/keyvalue/server.js
// [--address host:port] [--admin HOST:PORT [--namespace NS]]`; set
// LOG_LEVEL=debug to log each call's namespace. With --admin it builds its
// `storage` slot from the backend its namespace binds there (slot binding).
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { bindInsecure, hostOf, shutDown } from '../shared/grpc-server.js';
import type { Backend } from '../../src/admin/model.js';
import { SlotBindingError, resolveSlots } from '../../src/admin/slots.js';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { shippedRoot } from '../../src/protos/root.js';
import { KeyValueStore } from './store.js';

const PACKAGE = 'prism.interfaces.keyvalue';
export const BASIC_SERVICE = `${PACKAGE}.KeyValueBasicInterface`;
export const TTL_SERVICE = `${PACKAGE}.KeyValueTTLInterface`;

const DEFAULT_ADDRESS = '127.0.0.1:50051';
const NAMESPACE_METADATA_KEY = 'prism-namespace';
const SWEEP_INTERVAL_MS = 1000;
// Expiry instants are kept as epoch milliseconds in a double; beyond this
// (about 31,000 years) they would no longer be exact integers.
const MAX_TTL_SECONDS = 1e12;

/** The pattern's slots and the interfaces each needs of its backend. */
export const KEYVALUE_SLOTS = { storage: ['keyvalue_basic'] } as const;

export interface KeyValuePatternOptions {
  address?: string;
  /** Log each call's method and prism-namespace to stderr; defaults to LOG_LEVEL=debug. */
  debug?: boolean;
  /** host:port of the admin to read the slot bindings from; without it the store is a private in-memory one. */
  admin?: string;
  /** The namespace whose slot bindings are read (default "default"). */
  namespace?: string;
}

export interface RunningPattern {
  /** host:port actually bound (the real port when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

/** A request the pattern refuses with INVALID_ARGUMENT. */
class InvalidArgument extends Error {}

type Answer = (request: PlainMessage) => PlainMessage;

export async function startKeyValuePattern(options: KeyValuePatternOptions = {}): Promise<RunningPattern> {
  const requested = options.address ?? DEFAULT_ADDRESS;
  const debug = options.debug ?? process.env.LOG_LEVEL === 'debug';
  const store = options.admin ? await storageFromAdmin(options.admin, options.namespace ?? 'default') : new KeyValueStore();
  const server = new grpc.Server();
  const root = shippedRoot();

  const serve = (serviceName: string, answers: Record<string, Answer>): void => {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [method, answer] of Object.entries(answers)) {
      handlers[method] = unaryHandler(`${serviceName}/${method}`, answer, debug);
    }
    server.addService(serviceDefinition(root.lookupService(serviceName)), handlers);
  };
  serve(BASIC_SERVICE, basicAnswers(store));
  serve(TTL_SERVICE, ttlAnswers(store));

  const port = await bindInsecure(server, requested);
  const sweeper = setInterval(() => store.sweep(), SWEEP_INTERVAL_MS);
  sweeper.unref();

  return {
    address: `${hostOf(requested)}:${port}`,
    close: () => {
      clearInterval(sweeper);
      return shutDown(server);
    },
  };
}

/**
 * The `storage` slot built from the backend the namespace binds to it. Only
 * an in-memory store ships with this example, so any other type is refused
 * before the pattern serves anything.
 */
async function storageFromAdmin(admin: string, namespace: string): Promise<KeyValueStore> {
  const { storage } = await resolveSlots(admin, namespace, KEYVALUE_SLOTS);
  assertMemStore(namespace, storage);
  return new KeyValueStore();
}

function assertMemStore(namespace: string, backend: Backend): void {
  if (backend.type === 'MEMSTORE') return;
  throw new SlotBindingError(
    `namespace '${namespace}': slot 'storage' is bound to backend '${backend.name}' of type ${backend.type}, ` +
      'but this example pattern can build its storage only from a MEMSTORE backend',
  );
}

function basicAnswers(store: KeyValueStore): Record<string, Answer> {
  return {
    Set: (request) => {
      store.set(requireKey(request), { value: bytesOf(request.value), tags: tagsOf(request.tags) });
      return { success: true };
    },
    Get: (request) => {
      const stored = store.get(requireKey(request));
      return stored ? { found: true, value: stored.value } : { found: false };
    },
    Delete: (request) => {
      // Deleting a missing key reaches the wanted state, so it is a success too.
      store.delete(requireKey(request));
      return { success: true };
    },
    Exists: (request) => ({ exists: store.exists(requireKey(request)) }),
  };
}

function ttlAnswers(store: KeyValueStore): Record<string, Answer> {
  return {
    Expire: (request) => {
      const key = requireKey(request);
      const existed = store.expire(key, ttlSecondsOf(request));
      return existed ? { success: true, key_existed: true } : { success: false, key_existed: false, error: 'key not found' };
    },
    // int64 travels as a decimal string in proto JSON.
    GetTTL: (request) => ({ ttl_seconds: String(store.ttl(requireKey(request))) }),
    Persist: (request) => {
      const persisted = store.persist(requireKey(request));
      if (!persisted) return { success: false, expiration_removed: false, error: 'key not found' };
      return { success: true, expiration_removed: persisted.expirationRemoved };
    },
  };
}

function unaryHandler(
  methodPath: string,
  answer: Answer,
  debug: boolean,
): grpc.handleUnaryCall<PlainMessage, PlainMessage> {
  return (call, callback) => {
    if (debug) logCall(methodPath, call.metadata);
    let response: PlainMessage;
    try {
      response = answer(call.request);
    } catch (err) {
      callback(errorStatus(err));
      return;
    }
    callback(null, response);
  };
}

function errorStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof InvalidArgument) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  // Anything else is a bug in this pattern; say so rather than crash the server.
  return { code: grpc.status.INTERNAL, details: String(err) };
}

function logCall(methodPath: string, metadata: grpc.Metadata): void {
  const namespace = metadata.get(NAMESPACE_METADATA_KEY)[0];
  const line = { level: 'debug', time: Date.now(), msg: 'call', method: methodPath, namespace: namespace?.toString() };
  process.stderr.write(JSON.stringify(line) + '\n');
}

// Request messages arrive as proto JSON with defaults omitted, so an absent
// field is the proto default.

function requireKey(request: PlainMessage): string {
  const key = (request.key as string | undefined) ?? '';
  if (key === '') throw new InvalidArgument('key must not be empty');
  return key;
}

function bytesOf(base64: unknown): Buffer {
  return Buffer.from((base64 as string | undefined) ?? '', 'base64');
}

function tagsOf(tags: unknown): Record<string, string> {
  return { ...((tags as { tags?: Record<string, string> } | undefined)?.tags ?? {}) };
}

function ttlSecondsOf(request: PlainMessage): number {
  const ttlSeconds = Number(request.ttl_seconds ?? 0);
  if (ttlSeconds > MAX_TTL_SECONDS) throw new InvalidArgument(`ttl_seconds must be at most ${MAX_TTL_SECONDS}`);
  return ttlSeconds;
}




async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { address: { type: 'string', default: DEFAULT_ADDRESS }, admin: { type: 'string' }, namespace: { type: 'string' } },
  });
  const pattern = await startKeyValuePattern({ address: values.address, admin: values.admin, namespace: values.namespace });
  console.log(`keyvalue pattern listening on ${pattern.address}`);
  const stop = (): void => {
    pattern.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    // A slot binding refused at start-up is the operator's to fix: its message says what, a stack would not help.
    console.error(err instanceof SlotBindingError ? `keyvalue pattern: ${err.message}` : err);
    process.exit(1);
  });
}
