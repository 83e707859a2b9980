// The ControlPlane gRPC server: registers, updates, deletes and lists
// backends, frontends and namespaces in an AdminStore, streams every
// change to watchers, and keeps what each proxy last reported it serves.
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
import type { Frontend } from '../frontend/model.js';
import { serviceDefinition, type PlainMessage } from '../grpc/service-definition.js';
import { shippedRoot } from '../protos/root.js';
import { SqliteAdminStore, type AdminStore, type StoreTransaction } from './admin-store.js';
import type { AdminNamespace, Backend, ProxyStatus } from './model.js';
import { ProxyStatusRegistry } from './proxy-statuses.js';
import { unmetInterfaces, unmetInterfaceMessage } from './slots.js';
import { badRequestTrailers } from './status-details.js';
import { ConfigStore, StoreConflictError, type Change, type PutOptions, type Snapshot } from './store.js';
import { checkBackend, checkFrontend, checkNamespace, formatProblems, type Problem } from './validation.js';

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

function assertValid(problems: readonly Problem[]): void {
  if (problems.length) throw problemsError(Code.INVALID_ARGUMENT, problems);
}

function quotedList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** The backends and frontends `namespace` refers to, read in `tx`, as the lookups checkNamespace takes. */
async function referencedObjects(tx: StoreTransaction, namespace: AdminNamespace) {
  const load = async <K extends 'backend' | 'frontend'>(kind: K, names: string[]) => {
    const entries = await Promise.all(names.map(async (name) => [name, await tx.get(kind, name)] as const));
    return new Map(entries);
  };
  const frontends = await load('frontend', (namespace.frontends ?? []).map((b) => b.frontend));
  const backends = await load('backend', Object.values(namespace.pattern?.slot_bindings ?? {}));
  return { findFrontend: (name: string) => frontends.get(name), findBackend: (name: string) => backends.get(name) };
}

async function assertValidNamespace(tx: StoreTransaction, namespace: AdminNamespace): Promise<void> {
  const { findFrontend, findBackend } = await referencedObjects(tx, namespace);
  const { invalid, missingReferences } = checkNamespace(namespace, findFrontend, findBackend);
  // Shape problems first: a definition that is wrong in itself is wrong whatever is registered.
  if (invalid.length) throw problemsError(Code.INVALID_ARGUMENT, [...invalid, ...missingReferences]);
  if (missingReferences.length) throw problemsError(Code.FAILED_PRECONDITION, missingReferences);
}

async function namespacesWhere(tx: StoreTransaction, test: (ns: AdminNamespace) => boolean): Promise<AdminNamespace[]> {
  return (await tx.list('namespace')).filter(test);
}

const bindsFrontend = (name: string) => (ns: AdminNamespace) => !!ns.frontends?.some((b) => b.frontend === name);

/** The slots of `ns` bound to backend `name`. */
function slotsBoundTo(ns: AdminNamespace, name: string): string[] {
  return Object.entries(ns.pattern?.slot_bindings ?? {}).flatMap(([slot, backend]) => (backend === name ? [slot] : []));
}

/** An updated frontend may move a binding onto another binding's listener and base path. */
async function assertBindingsStillValid(tx: StoreTransaction, frontendName: string): Promise<void> {
  const conflicts: string[] = [];
  for (const ns of await namespacesWhere(tx, bindsFrontend(frontendName))) {
    const { findFrontend, findBackend } = await referencedObjects(tx, ns);
    const { invalid } = checkNamespace(ns, findFrontend, findBackend);
    conflicts.push(...invalid.map((p) => `namespace '${ns.name}' ${p.field}: ${p.description}`));
  }
  if (conflicts.length) throw new AdminError(Code.FAILED_PRECONDITION, conflicts.join('\n'));
}

/** An updated backend must still implement what every slot bound to it needs. */
async function assertSlotsStillServed(tx: StoreTransaction, backend: Backend): Promise<void> {
  const conflicts = (await namespacesWhere(tx, (ns) => slotsBoundTo(ns, backend.name).length > 0)).flatMap((ns) =>
    slotsBoundTo(ns, backend.name).flatMap((slot) =>
      unmetInterfaces(ns.pattern?.slots?.[slot]?.interfaces ?? [], backend).map(
        (iface) => `namespace '${ns.name}' pattern.slot_bindings.${slot}: ${unmetInterfaceMessage(slot, backend.name, iface)}`,
      ),
    ),
  );
  if (conflicts.length) throw new AdminError(Code.FAILED_PRECONDITION, conflicts.join('\n'));
}

async function assertFrontendUnbound(tx: StoreTransaction, name: string): Promise<void> {
  const namespaces = (await namespacesWhere(tx, bindsFrontend(name))).map((ns) => ns.name);
  if (namespaces.length) {
    throw new AdminError(
      Code.FAILED_PRECONDITION,
      `frontend '${name}' is bound by namespace${namespaces.length > 1 ? 's' : ''} ${quotedList(namespaces)}`,
    );
  }
}

async function assertBackendUnbound(tx: StoreTransaction, name: string): Promise<void> {
  const uses = (await namespacesWhere(tx, (ns) => slotsBoundTo(ns, name).length > 0)).map(
    (ns) => `namespace '${ns.name}' (slot${slotsBoundTo(ns, name).length > 1 ? 's' : ''} ${quotedList(slotsBoundTo(ns, name))})`,
  );
  if (uses.length) throw new AdminError(Code.FAILED_PRECONDITION, `backend '${name}' is bound by ${uses.join(', ')}`);
}

/** The backend as the API shows it: the write-only secret replaced by `secret_set`. */
function redactSecret(backend: Backend): Backend {
  if (!backend.credentials) return backend;
  const { secret, secret_set: _computed, ...credentials } = backend.credentials;
  return { ...backend, credentials: secret ? { ...credentials, secret_set: true } : credentials };
}

/**
 * The backend to store: a fetched backend sent back unchanged (secret_set
 * true, no secret, no new secret_ref) keeps the stored secret.
 */
function withKeptSecret(incoming: Backend, stored: Backend | undefined): Backend {
  if (!incoming.credentials) return incoming;
  const { secret, secret_set: keep, ...credentials } = incoming.credentials;
  const kept = secret || (keep && !credentials.secret_ref ? stored?.credentials?.secret : undefined);
  return { ...incoming, credentials: kept ? { ...credentials, secret: kept } : credentials };
}

function snapshotEvent(snapshot: Snapshot): PlainMessage {
  return {
    kind: 'SNAPSHOT',
    revision: String(snapshot.revision),
    backends: snapshot.backends.map(redactSecret),
    frontends: snapshot.frontends,
    namespaces: snapshot.namespaces,
  };
}

function changeEvent(change: Change): PlainMessage {
  const { revision, ...rest } = change;
  const event = { ...rest, revision: String(revision) };
  return 'backend' in change ? { ...event, backend: redactSecret(change.backend) } : event;
}

/** expected_revision counts for updates only, and 0 means any. */
function putOptions(mode: 'create' | 'update', request: PlainMessage): PutOptions {
  const expected = mode === 'update' ? revisionField(request.expected_revision) : 0;
  return { mode, expectedRevision: expected || undefined };
}

type Unary = (request: PlainMessage) => Promise<PlainMessage>;
type Mode = 'create' | 'update';

/**
 * The handlers. Each check and the write it guards run in one store
 * transaction, so no other writer (of this admin or another on the same
 * store) can change what was checked before the write commits.
 */
function controlPlaneHandlers(store: AdminStore): Record<string, Unary> {
  const putBackend = (mode: Mode) => async (request: PlainMessage) => {
    const backend = withoutRevision(requiredMessage<Backend>(request, 'backend'));
    assertValid(checkBackend(backend));
    const stored = await store.transaction(async (tx) => {
      const written = await tx.put('backend', withKeptSecret(backend, await tx.get('backend', backend.name)), putOptions(mode, request));
      // Checked against the written state, after the store's own NOT_FOUND / ABORTED; a throw rolls it back.
      if (mode === 'update') await assertSlotsStillServed(tx, written);
      return written;
    });
    return { backend: redactSecret(stored) };
  };
  const putFrontend = (mode: Mode) => async (request: PlainMessage) => {
    const frontend = withoutRevision(requiredMessage<Frontend>(request, 'frontend'));
    assertValid(checkFrontend(frontend));
    const stored = await store.transaction(async (tx) => {
      const written = await tx.put('frontend', frontend, putOptions(mode, request));
      if (mode === 'update') await assertBindingsStillValid(tx, written.name);
      return written;
    });
    return { frontend: stored };
  };
  const putNamespace = (mode: Mode) => async (request: PlainMessage) => {
    const namespace = withoutRevision(requiredMessage<AdminNamespace>(request, 'namespace'));
    const stored = await store.transaction(async (tx) => {
      await assertValidNamespace(tx, namespace);
      return tx.put('namespace', namespace, putOptions(mode, request));
    });
    return { namespace: stored };
  };
  const named = (request: PlainMessage) => String(request.name ?? '');
  const found = <T>(kind: string, name: string, value: T | undefined): T => {
    if (value === undefined) throw new AdminError(Code.NOT_FOUND, `${kind} '${name}' not found`);
    return value;
  };
  const deleted = (revision: number) => ({ revision: String(revision) });

  return {
    RegisterBackend: putBackend('create'),
    UpdateBackend: putBackend('update'),
    DeleteBackend: async (request) => {
      const name = named(request);
      return deleted(
        await store.transaction(async (tx) => {
          found('backend', name, await tx.get('backend', name));
          await assertBackendUnbound(tx, name);
          return tx.delete('backend', name);
        }),
      );
    },
    GetBackend: async (request) => ({
      backend: redactSecret(found('backend', named(request), await store.get('backend', named(request)))),
    }),
    ListBackends: async () => {
      const { revision, backends } = await store.snapshot();
      return { backends: backends.map(redactSecret), revision: String(revision) };
    },
    RegisterFrontend: putFrontend('create'),
    UpdateFrontend: putFrontend('update'),
    DeleteFrontend: async (request) => {
      const name = named(request);
      return deleted(
        await store.transaction(async (tx) => {
          found('frontend', name, await tx.get('frontend', name));
          await assertFrontendUnbound(tx, name);
          return tx.delete('frontend', name);
        }),
      );
    },
    GetFrontend: async (request) => ({ frontend: found('frontend', named(request), await store.get('frontend', named(request))) }),
    ListFrontends: async () => {
      const { revision, frontends } = await store.snapshot();
      return { frontends, revision: String(revision) };
    },
    RegisterNamespace: putNamespace('create'),
    UpdateNamespace: putNamespace('update'),
    DeleteNamespace: async (request) => deleted(await store.transaction((tx) => tx.delete('namespace', named(request)))),
    GetNamespace: async (request) => ({
      namespace: found('namespace', named(request), await store.get('namespace', named(request))),
    }),
    ListNamespaces: async () => {
      const { revision, namespaces } = await store.snapshot();
      return { namespaces, revision: String(revision) };
    },
  };
}

/** What proxies report of themselves: kept in memory beside the store, never in it. */
function proxyStatusHandlers(statuses: ProxyStatusRegistry): Record<string, Unary> {
  return {
    ReportProxyStatus: async (request) => {
      const status = request as unknown as ProxyStatus;
      if (!status.proxy_id) throw problemsError(Code.INVALID_ARGUMENT, [{ field: 'proxy_id', description: 'required' }]);
      statuses.report(status);
      return {};
    },
    ListProxyStatuses: async () => ({ proxies: statuses.list() }),
  };
}

export interface AdminServerOptions {
  /** host:port; port 0 picks a free port. */
  address?: string;
  /** The embedded SQLite store, or any AdminStore (Postgres). The caller closes it. */
  store: ConfigStore | AdminStore;
  logger?: Logger;
}

export interface AdminServer {
  /** The bound host:port. */
  address: string;
  close(): Promise<void>;
}

type WatchCall = ServerWritableStream<PlainMessage, PlainMessage>;

/** Watch streams outlive any graceful shutdown, so close() ends them itself. */
class Watchers {
  private readonly active = new Map<WatchCall, () => void>();

  constructor(private readonly store: AdminStore) {}

  /**
   * Sends the changes after the requested revision (or a snapshot), then
   * every change as it commits: each revision once, in order.
   */
  async open(call: WatchCall): Promise<void> {
    // Headers now, so the client knows it is connected before any change.
    call.sendMetadata(new Metadata());
    const after = revisionField(call.request.after_revision);
    let sent = after;
    const send = (change: Change) => {
      // The backlog or snapshot may already hold a change that was also queued.
      if (change.revision <= sent) return;
      sent = change.revision;
      call.write(changeEvent(change));
    };
    // Subscribed before the backlog is read, so a change committed meanwhile is queued, not lost.
    let queued: Change[] | undefined = [];
    const unsubscribe = this.store.subscribe({
      change: (change) => (queued ? queued.push(change) : send(change)),
      lost: (reason) => this.end(call, reason),
    });
    this.active.set(call, unsubscribe);
    call.on('cancelled', () => this.forget(call));
    let backlog: Change[] | null;
    let snapshot: Snapshot | undefined;
    try {
      backlog = after > 0 ? await this.store.changesAfter(after) : null;
      if (!backlog) snapshot = await this.store.snapshot();
    } catch (err) {
      this.end(call, `admin store: ${(err as Error).message}`);
      return;
    }
    // Cancelled, or ended by the store, while the backlog was read.
    if (!this.active.has(call)) return;
    if (snapshot) {
      sent = snapshot.revision;
      call.write(snapshotEvent(snapshot));
    }
    backlog?.forEach(send);
    queued.forEach(send);
    queued = undefined;
  }

  closeAll(): void {
    for (const call of [...this.active.keys()]) this.end(call, 'admin server shutting down');
  }

  /** Ends the stream with UNAVAILABLE: the client resumes from the last revision it got. */
  private end(call: WatchCall, reason: string): void {
    if (!this.active.has(call)) return;
    this.forget(call);
    call.emit('error', { code: Code.UNAVAILABLE, details: reason });
  }

  private forget(call: WatchCall): void {
    this.active.get(call)?.();
    this.active.delete(call);
  }
}

/** The name of the object a request is about, for logs. */
function targetNameOf(request: PlainMessage): unknown {
  const nested = (request.backend ?? request.frontend ?? request.namespace) as { name?: string } | undefined;
  return request.name ?? nested?.name;
}

function unaryHandler(name: string, handle: Unary, logger: Logger | undefined) {
  return (call: ServerUnaryCall<PlainMessage, PlainMessage>, callback: sendUnaryData<PlainMessage>) => {
    handle(call.request).then(
      (reply) => {
        // Reports come every few seconds from every proxy and change nothing stored.
        if (!/^(Get|List|Report)/.test(name)) logger?.info({ method: name, name: targetNameOf(call.request) }, 'admin write');
        callback(null, reply);
      },
      (err: unknown) => {
        const status = toStatus(err);
        if (status.code === Code.INTERNAL) logger?.error({ err, method: name }, 'admin call failed');
        else logger?.debug({ method: name, code: status.code, details: status.details }, 'admin call refused');
        callback(status);
      },
    );
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
  const { address = DEFAULT_ADMIN_ADDRESS, logger } = options;
  const store = options.store instanceof ConfigStore ? new SqliteAdminStore(options.store) : options.store;
  const definition = serviceDefinition(shippedRoot().lookupService('prism.admin.v1.ControlPlane'));
  const watchers = new Watchers(store);
  const implementation: UntypedServiceImplementation = {
    Watch: (call: WatchCall) => void watchers.open(call),
  };
  const handlers = { ...controlPlaneHandlers(store), ...proxyStatusHandlers(new ProxyStatusRegistry()) };
  for (const [name, handle] of Object.entries(handlers)) {
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
