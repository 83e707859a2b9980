// The ControlPlane gRPC server: registers, updates, deletes and lists frontends
// and namespaces in a ConfigStore, and streams every change to watchers.
import {
  Metadata,
  Server,
  ServerCredentials,
  status as Code,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Frontend, Namespace } from '../frontend/model.js';
import { serviceDefinition, type PlainMessage } from '../grpc/service-definition.js';
import { shippedRoot } from '../protos/root.js';
import { badRequestTrailers } from './status-details.js';
import { StoreConflictError, type Change, type ConfigStore, type PutOptions, type Snapshot } from './store.js';
import { checkFrontend, checkNamespace, formatProblems, type Problem } from './validation.js';

export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:8970';

/** A refusal with its gRPC code; `problems` also go out as a BadRequest detail. */
class AdminError extends Error {
  constructor(readonly code: Code, message: string, readonly problems: readonly Problem[] = []) {
    super(message);
  }
}

function problemsError(code: Code, problems: readonly Problem[]): AdminError {
  return new AdminError(code, formatProblems(problems), problems);
}

const CONFLICT_CODES: Record<StoreConflictError['reason'], Code> = {
  exists: Code.ALREADY_EXISTS,
  missing: Code.NOT_FOUND,
  revision: Code.ABORTED,
};

function toStatus(err: unknown): Partial<StatusObject> {
  if (err instanceof StoreConflictError) return { code: CONFLICT_CODES[err.reason], details: err.message };
  if (err instanceof AdminError) {
    const metadata = err.problems.length ? badRequestTrailers(err.code, err.message, err.problems) : new Metadata();
    return { code: err.code, details: err.message, metadata };
  }
  return { code: Code.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

/** int64 fields arrive as decimal strings and are absent when 0. */
function revisionField(value: unknown): number {
  return value === undefined ? 0 : Number(value);
}

function requiredMessage<T>(request: PlainMessage, field: string): T {
  const value = request[field];
  if (!value) throw problemsError(Code.INVALID_ARGUMENT, [{ field, description: 'required' }]);
  return value as T;
}

function withoutRevision<T extends { revision?: string }>(value: T): T {
  const { revision: _ignored, ...rest } = value;
  return rest as T;
}

function assertValidFrontend(frontend: Frontend): void {
  const problems = checkFrontend(frontend);
  if (problems.length) throw problemsError(Code.INVALID_ARGUMENT, problems);
}

function assertValidNamespace(namespace: Namespace, findFrontend: (name: string) => Frontend | undefined): void {
  const { invalid, missingReferences } = checkNamespace(namespace, findFrontend);
  // Shape problems first: a definition that is wrong in itself is wrong whatever is registered.
  if (invalid.length) throw problemsError(Code.INVALID_ARGUMENT, [...invalid, ...missingReferences]);
  if (missingReferences.length) throw problemsError(Code.FAILED_PRECONDITION, missingReferences);
}

function bindingNamespaces(store: ConfigStore, frontendName: string): Namespace[] {
  return store.namespaces.list().filter((ns) => ns.frontends?.some((b) => b.frontend === frontendName));
}

/** An updated frontend may move a binding onto another binding's listener and base path. */
function assertBindingsStillValid(store: ConfigStore, frontendName: string): void {
  const findFrontend = (name: string) => store.frontends.get(name);
  const conflicts = bindingNamespaces(store, frontendName).flatMap((ns) =>
    checkNamespace(ns, findFrontend).invalid.map((p) => `namespace '${ns.name}' ${p.field}: ${p.description}`),
  );
  if (conflicts.length) throw new AdminError(Code.FAILED_PRECONDITION, conflicts.join('\n'));
}

function assertFrontendUnbound(store: ConfigStore, name: string): void {
  const namespaces = bindingNamespaces(store, name).map((ns) => ns.name);
  if (namespaces.length) {
    throw new AdminError(
      Code.FAILED_PRECONDITION,
      `frontend '${name}' is bound by namespace${namespaces.length > 1 ? 's' : ''} ${namespaces.map((n) => `'${n}'`).join(', ')}`,
    );
  }
}

function snapshotEvent(snapshot: Snapshot): PlainMessage {
  return {
    kind: 'SNAPSHOT',
    revision: String(snapshot.revision),
    frontends: snapshot.frontends,
    namespaces: snapshot.namespaces,
  };
}

function changeEvent(change: Change): PlainMessage {
  const { revision, ...rest } = change;
  return { ...rest, revision: String(revision) };
}

/** expected_revision counts for updates only, and 0 means any. */
function putOptions(mode: 'create' | 'update', request: PlainMessage): PutOptions {
  const expected = mode === 'update' ? revisionField(request.expected_revision) : 0;
  return { mode, expectedRevision: expected || undefined };
}

type Unary = (request: PlainMessage) => PlainMessage;

/** The handlers, synchronous over the store so each check and its write happen in one turn. */
function controlPlaneHandlers(store: ConfigStore): Record<string, Unary> {
  const putFrontend = (mode: 'create' | 'update') => (request: PlainMessage) => {
    const frontend = withoutRevision(requiredMessage<Frontend>(request, 'frontend'));
    assertValidFrontend(frontend);
    const stored = store.atomically(() => {
      const written = store.frontends.put(frontend, putOptions(mode, request));
      // Checked against the written state, after the store's own NOT_FOUND / ABORTED; a throw rolls it back.
      if (mode === 'update') assertBindingsStillValid(store, written.name);
      return written;
    });
    return { frontend: stored };
  };
  const putNamespace = (mode: 'create' | 'update') => (request: PlainMessage) => {
    const namespace = withoutRevision(requiredMessage<Namespace>(request, 'namespace'));
    assertValidNamespace(namespace, (name) => store.frontends.get(name));
    return { namespace: store.namespaces.put(namespace, putOptions(mode, request)) };
  };
  const named = (request: PlainMessage) => String(request.name ?? '');
  const found = <T>(kind: string, name: string, value: T | undefined): T => {
    if (value === undefined) throw new AdminError(Code.NOT_FOUND, `${kind} '${name}' not found`);
    return value;
  };

  return {
    RegisterFrontend: putFrontend('create'),
    UpdateFrontend: putFrontend('update'),
    DeleteFrontend: (request) => {
      const name = named(request);
      found('frontend', name, store.frontends.get(name));
      assertFrontendUnbound(store, name);
      return { revision: String(store.frontends.delete(name)) };
    },
    GetFrontend: (request) => ({ frontend: found('frontend', named(request), store.frontends.get(named(request))) }),
    ListFrontends: () => {
      const { revision, frontends } = store.snapshot();
      return { frontends, revision: String(revision) };
    },
    RegisterNamespace: putNamespace('create'),
    UpdateNamespace: putNamespace('update'),
    DeleteNamespace: (request) => ({ revision: String(store.namespaces.delete(named(request))) }),
    GetNamespace: (request) => ({ namespace: found('namespace', named(request), store.namespaces.get(named(request))) }),
    ListNamespaces: () => {
      const { revision, namespaces } = store.snapshot();
      return { namespaces, revision: String(revision) };
    },
  };
}

export interface AdminServerOptions {
  /** host:port; port 0 picks a free port. */
  address?: string;
  store: ConfigStore;
  logger?: Logger;
}

export interface AdminServer {
  /** The bound host:port. */
  address: string;
  close(): Promise<void>;
}

/** Watch streams outlive any graceful shutdown, so close() ends them itself. */
class Watchers {
  private readonly active = new Map<ServerWritableStream<PlainMessage, PlainMessage>, () => void>();

  constructor(private readonly store: ConfigStore) {}

  open(call: ServerWritableStream<PlainMessage, PlainMessage>): void {
    // Headers now, so the client knows it is connected before any change.
    call.sendMetadata(new Metadata());
    // Backlog read and subscription in the same synchronous turn: no write can fall between them.
    const after = revisionField(call.request.after_revision);
    const backlog = after > 0 ? this.store.changesAfter(after) : null;
    const first = backlog ? backlog.map(changeEvent) : [snapshotEvent(this.store.snapshot())];
    for (const event of first) call.write(event);
    const unsubscribe = this.store.onChange((change) => call.write(changeEvent(change)));
    this.active.set(call, unsubscribe);
    call.on('cancelled', () => this.forget(call));
  }

  closeAll(): void {
    for (const call of [...this.active.keys()]) {
      this.forget(call);
      call.emit('error', { code: Code.UNAVAILABLE, details: 'admin server shutting down' });
    }
  }

  private forget(call: ServerWritableStream<PlainMessage, PlainMessage>): void {
    this.active.get(call)?.();
    this.active.delete(call);
  }
}

/** The name of the object a request is about, for logs. */
function subjectOf(request: PlainMessage): unknown {
  const nested = (request.frontend ?? request.namespace) as { name?: string } | undefined;
  return request.name ?? nested?.name;
}

function unaryHandler(name: string, handle: Unary, logger: Logger | undefined) {
  return (call: ServerUnaryCall<PlainMessage, PlainMessage>, callback: sendUnaryData<PlainMessage>) => {
    try {
      const reply = handle(call.request);
      if (!/^(Get|List)/.test(name)) logger?.info({ method: name, name: subjectOf(call.request) }, 'admin write');
      callback(null, reply);
    } catch (err) {
      const status = toStatus(err);
      if (status.code === Code.INTERNAL) logger?.error({ err, method: name }, 'admin call failed');
      else logger?.debug({ method: name, code: status.code, details: status.details }, 'admin call refused');
      callback(status);
    }
  };
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** Graceful shutdown, forced if calls are still open after `graceMs`. */
function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { address = DEFAULT_ADMIN_ADDRESS, store, logger } = options;
  const definition = serviceDefinition(shippedRoot().lookupService('prism.admin.v1.ControlPlane'));
  const watchers = new Watchers(store);
  const implementation: UntypedServiceImplementation = {
    Watch: (call: ServerWritableStream<PlainMessage, PlainMessage>) => watchers.open(call),
  };
  for (const [name, handle] of Object.entries(controlPlaneHandlers(store))) {
    implementation[name] = unaryHandler(name, handle, logger);
  }
  const server = new Server();
  server.addService(definition, implementation);
  const port = await bind(server, address);
  const host = address.slice(0, address.lastIndexOf(':'));
  const bound = `${host}:${port}`;
  logger?.info({ address: bound }, 'admin server listening');
  return {
    address: bound,
    close: async () => {
      watchers.closeAll();
      await shutdown(server, 2000);
    },
  };
}
