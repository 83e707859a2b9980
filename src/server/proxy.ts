// The proxy process: watches the admin, compiles each configuration off the
// hot path, swaps it in whole, and keeps one HTTP listener per address the
// configuration names (the shared one always). With a cache file it also
// keeps the last applied configuration on disk and serves it at start until
// the admin answers; it reports what it serves to the admin.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ProxyStatus } from '../admin/model.js';
import { ChannelPool } from '../grpc/channel.js';
import { buildRouter } from '../router/router.js';
import {
  CompileCache,
  ConfigCompileError,
  compileServingConfig,
  defaultErrorShaper,
  listenerKey,
  type ConfigSnapshot,
  type ListenerAddress,
  type ListenerTable,
  type ServingConfig,
  type BoundRoute,
} from './config.js';
import { HttpListener, type OpsEndpoints } from './http-listener.js';
import { createProxyHandler } from './proxy-handler.js';
import { ProxyMetrics } from './metrics.js';
import { ConfigCacheWriter, readConfigCache } from './config-cache.js';
import { StatusReporter } from './status-reporter.js';
import { startGrpcPassthrough, type NamespaceRoute } from '../passthrough/passthrough.js';
import { namespaceRoutes } from '../passthrough/namespace-routes.js';

/** Where configurations come from (the admin's watch stream). */
export interface ConfigSource {
  watch(onSnapshot: (snapshot: ConfigSnapshot) => void, onStatus?: (connected: boolean) => void): { stop(): void };
  /** Tells the admin what this proxy serves; a source without it gets no reports. */
  report?(status: ProxyStatus): Promise<void>;
}

export interface ProxyOptions {
  source: ConfigSource;
  listen: ListenerAddress;
  logger: Logger;
  /** What /metrics serves; default this process's registry (a cluster worker asks the primary for the sum). */
  metricsExposition?: () => Promise<{ contentType: string; body: string }>;
  /**
   * Open the shared listener only once a configuration is served, or after this many ms without
   * one: a cluster worker that shares the port with serving workers must not take connections it
   * could only answer with 503. Needs a fixed listen port.
   */
  listenOnceConfiguredWithinMs?: number;
  /** Where the last applied configuration is kept for a start without the admin; undefined keeps none. */
  cacheFile?: string;
  /** The default gRPC interface (byte-for-byte passthrough to namespaces' patterns); undefined opens none. */
  grpcListen?: ListenerAddress;
}

export class Proxy {
  readonly metrics = new ProxyMetrics();
  readonly channels = new ChannelPool();
  private config: ServingConfig | undefined;
  /** Namespace -> pattern for the default gRPC interface; swapped together with `config`. */
  private grpcRoutes: (namespace: string) => NamespaceRoute = () => ({ kind: 'unavailable', reason: 'configuration not loaded yet' });
  private grpc: Awaited<ReturnType<typeof startGrpcPassthrough>> | undefined;
  private readonly cache = new CompileCache();
  private readonly listeners = new Map<string, HttpListener>();
  private readonly emptyTable: ListenerTable;
  private watcher: { stop(): void } | undefined;
  private lastError: string | undefined;
  /** The revision lastError is about, and which apply() call refused it. */
  private errorRevision = '0';
  private errorCall = 0;
  private applyCalls = 0;
  private latestRevisionSeen = '0';
  private readonly cacheWriter: ConfigCacheWriter | undefined;
  private readonly reporter: StatusReporter | undefined;
  private readonly revisionWaiters: Array<{ revision: bigint; resolve: () => void }> = [];
  private syncing = Promise.resolve();
  /** Address of the default gRPC interface once bound. */
  get grpcAddress(): ListenerAddress | undefined {
    return this.grpc?.address;
  }

  /** Address of the shared listener once bound (port 0 resolved). */
  address: ListenerAddress;

  constructor(private readonly options: ProxyOptions) {
    this.address = options.listen;
    this.emptyTable = { address: options.listen, router: buildRouter<BoundRoute>([]), shapeError: defaultErrorShaper };
    if (options.cacheFile) this.cacheWriter = new ConfigCacheWriter(options.cacheFile);
    if (options.source.report) {
      this.reporter = new StatusReporter((status) => options.source.report!(status), () => this.status(), options.logger);
    }
  }

  get revision(): string | undefined {
    return this.config?.revision;
  }

  get configError(): string | undefined {
    return this.lastError;
  }

  /** The shared listener's key follows its bound address (it may be asked for port 0). */
  private tableFor(key: string | undefined): ListenerTable | undefined {
    const config = this.config;
    if (!config) return undefined;
    if (key === undefined) return config.listeners.get(listenerKey(this.address)) ?? this.emptyTable;
    return config.listeners.get(key);
  }

  private ops(): OpsEndpoints {
    return {
      healthz: () => ({ status: 200, body: { status: 'ok' } }),
      readyz: () =>
        this.config
          ? { status: 200, body: { status: 'ready', revision: this.config.revision } }
          : { status: 503, body: { status: 'not ready', reason: this.lastError ?? 'configuration not loaded yet' } },
      metrics:
        this.options.metricsExposition ??
        (async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() })),
    };
  }

  private listenerFor(address: ListenerAddress, shared: boolean): HttpListener {
    const key = shared ? undefined : listenerKey(address);
    const handler = createProxyHandler({
      table: () => this.tableFor(key),
      channels: this.channels,
      metrics: this.metrics,
      logger: this.options.logger,
    });
    return new HttpListener(address, handler, shared ? this.ops() : undefined);
  }

  async start(): Promise<void> {
    const waitMs = this.options.listenOnceConfiguredWithinMs;
    if (waitMs === undefined) await this.listenShared();
    if (this.options.grpcListen) {
      this.grpc = await startGrpcPassthrough({
        listen: this.options.grpcListen,
        resolve: (namespace) => this.grpcRoutes(namespace),
        logger: this.options.logger.child({ component: 'grpc-passthrough' }),
      });
    }
    await this.applyCached();
    this.watcher = this.options.source.watch(
      (snapshot) => this.apply(snapshot),
      (connected) => {
        this.metrics.adminConnected.set(connected ? 1 : 0);
        this.options.logger.info({ connected }, connected ? 'admin watch connected' : 'admin watch disconnected');
        // An admin that restarted has forgotten every report.
        if (connected) this.reporter?.report();
      },
    );
    this.reporter?.start();
    if (waitMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.waitForRevision('0'), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
      await this.listenShared();
    }
  }

  private async listenShared(): Promise<void> {
    const shared = this.listenerFor(this.options.listen, true);
    const bound = await shared.listen();
    this.address = bound;
    this.listeners.set(listenerKey(bound), shared);
  }

  /** Serves the cached configuration, if any, until the admin's arrives; an unusable cache is only logged. */
  private async applyCached(): Promise<void> {
    if (!this.cacheWriter) return;
    try {
      const cached = await readConfigCache(this.cacheWriter.file);
      if (!cached) return;
      this.options.logger.info({ revision: cached.snapshot.revision, savedAt: cached.savedAt }, 'serving the cached configuration until the admin answers');
      this.apply(cached.snapshot, 'cache');
      await this.syncing;
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message }, 'configuration cache ignored; not ready until the admin answers');
    }
  }

  /** Compiles and swaps in a snapshot; a snapshot that does not compile is refused whole. */
  apply(snapshot: ConfigSnapshot, origin: 'admin' | 'cache' = 'admin'): void {
    this.latestRevisionSeen = snapshot.revision;
    const call = ++this.applyCalls;
    let next: ServingConfig;
    try {
      next = compileServingConfig(snapshot, this.address, this.cache);
    } catch (err) {
      this.refused(call, snapshot.revision, err instanceof ConfigCompileError ? err.problems.join('; ') : (err as Error).message);
      this.options.logger.error({ revision: snapshot.revision, err: this.lastError }, 'configuration refused; keeping the previous one');
      return;
    }
    const grpcRoutes = namespaceRoutes(snapshot.namespaces.values());
    this.syncing = this.syncing.then(() => this.syncListeners(next)).then(() => {
      this.config = next;
      this.grpcRoutes = grpcRoutes;
      // A later snapshot may have been refused while this one opened its listeners: that error stands.
      if (this.errorCall < call) {
        this.lastError = undefined;
        this.errorRevision = '0';
      }
      this.metrics.configRevision.set(Number(next.revision));
      this.options.logger.info({ revision: next.revision, served: next.served, origin }, 'configuration applied');
      this.releaseWaiters(BigInt(next.revision || '0'));
      if (origin === 'admin') this.saveToCache(snapshot);
      this.reporter?.report();
    }, (err: Error) => {
      this.refused(call, snapshot.revision, err.message);
      this.options.logger.error({ err: err.message }, 'could not open a listener; keeping the previous configuration');
    });
  }

  private refused(call: number, revision: string, reason: string): void {
    this.metrics.configErrors.inc();
    this.lastError = reason;
    this.errorRevision = revision;
    this.errorCall = call;
    this.reporter?.report();
  }

  /** Off the request path; a failed write leaves the previous cache, which is still a whole configuration. */
  private saveToCache(snapshot: ConfigSnapshot): void {
    this.cacheWriter?.save(snapshot).catch((err: Error) => {
      this.options.logger.warn({ err: err.message, file: this.cacheWriter!.file }, 'could not write the configuration cache');
    });
  }

  /** What the admin is told (ProxyStatus). */
  private status(): ProxyStatus {
    return {
      proxy_id: `${hostname()}:${process.pid}`,
      applied_revision: this.config?.revision || '0',
      latest_revision_seen: this.latestRevisionSeen,
      config_error: this.lastError ?? '',
      error_revision: this.errorRevision,
      listeners: [...this.listeners.keys()],
    };
  }

  /** Opens listeners the next configuration needs; closes those it no longer names. */
  private async syncListeners(next: ServingConfig): Promise<void> {
    const sharedKey = listenerKey(this.address);
    for (const [key, table] of next.listeners) {
      // The shared listener is opened by start() (later, with listenOnceConfiguredWithinMs).
      if (key === sharedKey || this.listeners.has(key)) continue;
      const listener = this.listenerFor(table.address, false);
      await listener.listen();
      this.listeners.set(key, listener);
      this.options.logger.info({ listener: key }, 'listener opened');
    }
    for (const [key, listener] of this.listeners) {
      if (key === sharedKey || next.listeners.has(key)) continue;
      this.listeners.delete(key);
      void listener.close();
      this.options.logger.info({ listener: key }, 'listener closed');
    }
  }

  private releaseWaiters(revision: bigint): void {
    for (let i = this.revisionWaiters.length - 1; i >= 0; i--) {
      if (this.revisionWaiters[i].revision <= revision) {
        this.revisionWaiters[i].resolve();
        this.revisionWaiters.splice(i, 1);
      }
    }
  }

  /** Resolves once a configuration at or after `revision` is being served. */
  waitForRevision(revision: string): Promise<void> {
    if (this.config && BigInt(this.config.revision || '0') >= BigInt(revision)) return Promise.resolve();
    return new Promise((resolve) => this.revisionWaiters.push({ revision: BigInt(revision), resolve }));
  }

  async stop(): Promise<void> {
    this.watcher?.stop();
    this.reporter?.stop();
    await Promise.all([...[...this.listeners.values()].map((l) => l.close()), this.grpc?.close()]);
    this.listeners.clear();
    await this.channels.closeAll();
  }
}
