// The proxy's side of the admin: ControlPlane calls as promises over plain
// model objects, and a watch that keeps a whole, immutable copy of the
// configuration current across admin restarts.
import {
  Client,
  Metadata,
  credentials,
  status as Code,
  type ClientReadableStream,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Frontend, Namespace } from '../frontend/model.js';
import { serviceDefinition, type PlainMessage } from '../grpc/service-definition.js';
import { MappingError } from '../mapping/proto-json.js';
import { shippedRoot } from '../protos/root.js';
import type { Backend, ProxyStatus } from './model.js';
import { badRequestTrailers, problemsFromTrailers } from './status-details.js';
import type { Problem } from './validation.js';

type Method = MethodDefinition<PlainMessage, PlainMessage>;

let controlPlane: Record<string, Method> | undefined;
function method(name: string): Method {
  controlPlane ??= serviceDefinition(shippedRoot().lookupService('prism.admin.v1.ControlPlane')) as Record<string, Method>;
  return controlPlane[name]!;
}

/** The BadRequest field violations the admin attached to a refusal. */
export function problemsOf(error: ServiceError): Problem[] {
  return problemsFromTrailers(error.metadata);
}

/**
 * A definition the request message cannot carry (an unknown field, a wrong
 * enum name) refused as the admin refuses an invalid one: INVALID_ARGUMENT
 * with the field path inside the definition, as a BadRequest detail too.
 */
function unencodableError(err: MappingError): ServiceError {
  const problem = { field: err.field.replace(/^(backend|frontend|namespace)\./, ''), description: err.message };
  const details = `${problem.field}: ${problem.description}`;
  return Object.assign(new Error(`${Code.INVALID_ARGUMENT} INVALID_ARGUMENT: ${details}`), {
    code: Code.INVALID_ARGUMENT,
    details,
    metadata: badRequestTrailers(Code.INVALID_ARGUMENT, details, [problem]),
  });
}

/** The request's bytes, or the refusal of a request the message cannot carry. */
function encodeRequest(unary: Method, request: PlainMessage): Buffer {
  try {
    return unary.requestSerialize(request);
  } catch (err) {
    throw err instanceof MappingError ? unencodableError(err) : err;
  }
}

export interface WatchEvent {
  kind:
    | 'KIND_UNSPECIFIED'
    | 'SNAPSHOT'
    | 'FRONTEND_PUT'
    | 'FRONTEND_DELETED'
    | 'NAMESPACE_PUT'
    | 'NAMESPACE_DELETED'
    | 'BACKEND_PUT'
    | 'BACKEND_DELETED';
  /** int64 as a decimal string. */
  revision?: string;
  frontend?: Frontend;
  namespace?: Namespace;
  backend?: Backend;
  name?: string;
  frontends?: Frontend[];
  namespaces?: Namespace[];
  backends?: Backend[];
}

export interface ConfigSnapshot {
  revision: string;
  frontends: ReadonlyMap<string, Frontend>;
  namespaces: ReadonlyMap<string, Namespace>;
}

export type ConnectionStatus = 'connected' | 'disconnected';

export interface WatchConfigOptions {
  /** Told when the watch stream comes up and when an established one goes down. */
  onStatus?: (status: ConnectionStatus) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Events within this long of a batch's first one make one snapshot (default 10 ms). */
  batchWindowMs?: number;
}

export interface AdminClientOptions {
  /** Deadline of each unary call (default 10 s). */
  deadlineMs?: number;
}

// The channel's own reconnect backoff (1 s growing to 2 min by default) would
// hold back our watch retries; keepalive notices an admin host that vanished.
const CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 5000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
};

export class AdminClient {
  private readonly client: Client;
  private readonly deadlineMs: number;
  private readonly watchers = new Set<ConfigWatcher>();

  constructor(address: string, options: AdminClientOptions = {}) {
    this.client = new Client(address, credentials.createInsecure(), CHANNEL_OPTIONS);
    this.deadlineMs = options.deadlineMs ?? 10_000;
  }

  async registerBackend(backend: Backend): Promise<Backend> {
    return (await this.call('RegisterBackend', { backend })).backend as Backend;
  }

  /** `expectedRevision` makes the update fail with ABORTED unless the stored one matches. */
  async updateBackend(backend: Backend, expectedRevision?: string): Promise<Backend> {
    return (await this.call('UpdateBackend', { backend, expected_revision: expectedRevision })).backend as Backend;
  }

  /** Returns the revision of the delete. */
  async deleteBackend(name: string): Promise<string> {
    return revisionOf(await this.call('DeleteBackend', { name }));
  }

  /** The backend without its secret (the admin never returns it). */
  async getBackend(name: string): Promise<Backend> {
    return (await this.call('GetBackend', { name })).backend as Backend;
  }

  async listBackends(): Promise<{ backends: Backend[]; revision: string }> {
    const reply = await this.call('ListBackends', {});
    return { backends: (reply.backends as Backend[] | undefined) ?? [], revision: revisionOf(reply) };
  }

  async registerFrontend(frontend: Frontend): Promise<Frontend> {
    return (await this.call('RegisterFrontend', { frontend })).frontend as Frontend;
  }

  /** `expectedRevision` makes the update fail with ABORTED unless the stored one matches. */
  async updateFrontend(frontend: Frontend, expectedRevision?: string): Promise<Frontend> {
    return (await this.call('UpdateFrontend', { frontend, expected_revision: expectedRevision })).frontend as Frontend;
  }

  /** Returns the revision of the delete. */
  async deleteFrontend(name: string): Promise<string> {
    return revisionOf(await this.call('DeleteFrontend', { name }));
  }

  async getFrontend(name: string): Promise<Frontend> {
    return (await this.call('GetFrontend', { name })).frontend as Frontend;
  }

  async listFrontends(): Promise<{ frontends: Frontend[]; revision: string }> {
    const reply = await this.call('ListFrontends', {});
    return { frontends: (reply.frontends as Frontend[] | undefined) ?? [], revision: revisionOf(reply) };
  }

  async registerNamespace(namespace: Namespace): Promise<Namespace> {
    return (await this.call('RegisterNamespace', { namespace })).namespace as Namespace;
  }

  async updateNamespace(namespace: Namespace, expectedRevision?: string): Promise<Namespace> {
    return (await this.call('UpdateNamespace', { namespace, expected_revision: expectedRevision })).namespace as Namespace;
  }

  async deleteNamespace(name: string): Promise<string> {
    return revisionOf(await this.call('DeleteNamespace', { name }));
  }

  async getNamespace(name: string): Promise<Namespace> {
    return (await this.call('GetNamespace', { name })).namespace as Namespace;
  }

  async listNamespaces(): Promise<{ namespaces: Namespace[]; revision: string }> {
    const reply = await this.call('ListNamespaces', {});
    return { namespaces: (reply.namespaces as Namespace[] | undefined) ?? [], revision: revisionOf(reply) };
  }

  /** Tells the admin what this proxy serves (it keeps the latest report per proxy_id). */
  async reportProxyStatus(status: ProxyStatus): Promise<void> {
    await this.call('ReportProxyStatus', { ...status });
  }

  /** The proxies that reported within the last minute, ordered by proxy_id. */
  async listProxyStatuses(): Promise<ProxyStatus[]> {
    return ((await this.call('ListProxyStatuses', {})).proxies as ProxyStatus[] | undefined) ?? [];
  }

  /** The raw Watch stream of events after `afterRevision` ("0" starts with a SNAPSHOT). */
  watch(afterRevision: string): ClientReadableStream<WatchEvent> {
    const watch = method('Watch');
    return this.client.makeServerStreamRequest(
      watch.path,
      watch.requestSerialize,
      watch.responseDeserialize,
      { after_revision: afterRevision },
    ) as unknown as ClientReadableStream<WatchEvent>;
  }

  /** Keeps a copy of the admin's configuration and hands each new version to `onConfig`. */
  watchConfig(onConfig: (snapshot: ConfigSnapshot) => void, options: WatchConfigOptions = {}): { stop(): void } {
    const watcher = new ConfigWatcher(this, onConfig, options);
    this.watchers.add(watcher);
    watcher.start();
    return {
      stop: () => {
        watcher.stop();
        this.watchers.delete(watcher);
      },
    };
  }

  /** Stops its watchers too: they could not reconnect over a closed channel. */
  close(): void {
    for (const watcher of this.watchers) watcher.stop();
    this.watchers.clear();
    this.client.close();
  }

  private call(name: string, request: PlainMessage): Promise<PlainMessage> {
    const unary = method(name);
    return new Promise((resolve, reject) => {
      // Encoded here, not by grpc-js, which would turn an encoding failure into a bare INTERNAL.
      const bytes = encodeRequest(unary, request);
      this.client.makeUnaryRequest(
        unary.path,
        (encoded: Buffer) => encoded,
        unary.responseDeserialize,
        bytes,
        new Metadata(),
        { deadline: Date.now() + this.deadlineMs },
        (err, reply) => (err ? reject(err) : resolve(reply!)),
      );
    });
  }
}

/** int64 replies omit a 0 revision. */
function revisionOf(reply: PlainMessage): string {
  return (reply.revision as string | undefined) ?? '0';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The delay before retry number n: doubling from `initial` up to `max`, ±20 % jitter. */
function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const base = Math.min(initialMs * 2 ** attempt, maxMs);
  return base * (0.8 + 0.4 * Math.random());
}

class ConfigWatcher {
  private revision = '0';
  private readonly frontends = new Map<string, Frontend>();
  private readonly namespaces = new Map<string, Namespace>();
  private stream: ClientReadableStream<WatchEvent> | undefined;
  private connected = false;
  private failedAttempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushPending: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly batchWindowMs: number;

  constructor(
    private readonly client: AdminClient,
    private readonly onConfig: (snapshot: ConfigSnapshot) => void,
    private readonly options: WatchConfigOptions,
  ) {
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.batchWindowMs = options.batchWindowMs ?? 10;
  }

  start(): void {
    // Resume after the last applied revision: the admin sends only what we lack.
    const stream = this.client.watch(this.revision);
    this.stream = stream;
    stream.on('metadata', () => this.markConnected());
    stream.on('data', (event: WatchEvent) => {
      this.markConnected();
      this.apply(event);
      this.scheduleFlush();
    });
    // Every ending, error or not, also arrives as 'status'; this keeps errors from being unhandled.
    stream.on('error', () => {});
    stream.on('status', () => this.streamEnded(stream));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.flushPending);
    this.stream?.cancel();
  }

  private markConnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.failedAttempts = 0;
    this.options.onStatus?.('connected');
  }

  private streamEnded(stream: ClientReadableStream<WatchEvent>): void {
    if (this.stopped || stream !== this.stream) return;
    this.stream = undefined;
    if (this.connected) {
      this.connected = false;
      this.options.onStatus?.('disconnected');
    }
    const delay = backoffDelay(this.failedAttempts++, this.initialBackoffMs, this.maxBackoffMs);
    this.retryTimer = setTimeout(() => this.start(), delay);
  }

  private apply(event: WatchEvent): void {
    switch (event.kind) {
      case 'SNAPSHOT':
        this.frontends.clear();
        this.namespaces.clear();
        for (const frontend of event.frontends ?? []) this.frontends.set(frontend.name, deepFreeze(frontend));
        for (const namespace of event.namespaces ?? []) this.namespaces.set(namespace.name, deepFreeze(namespace));
        break;
      case 'FRONTEND_PUT':
        this.frontends.set(event.frontend!.name, deepFreeze(event.frontend!));
        break;
      case 'FRONTEND_DELETED':
        this.frontends.delete(event.name!);
        break;
      case 'NAMESPACE_PUT':
        this.namespaces.set(event.namespace!.name, deepFreeze(event.namespace!));
        break;
      case 'NAMESPACE_DELETED':
        this.namespaces.delete(event.name!);
        break;
      // The proxy serves no backend, but their revisions count: resuming after them must not repeat them.
      case 'BACKEND_PUT':
      case 'BACKEND_DELETED':
        break;
      default:
        return;
    }
    this.revision = event.revision ?? '0';
  }

  /**
   * One transaction's changes reach us as separate messages, possibly in
   * separate reads: a short window lets them make one new snapshot.
   */
  private scheduleFlush(): void {
    this.flushPending ??= setTimeout(() => {
      this.flushPending = undefined;
      this.onConfig(
        Object.freeze({
          revision: this.revision,
          frontends: new Map(this.frontends),
          namespaces: new Map(this.namespaces),
        }),
      );
    }, this.batchWindowMs);
  }
}
