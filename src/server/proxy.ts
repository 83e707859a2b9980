// The proxy process: watches the admin, compiles each configuration off the
// hot path, swaps it in whole, and keeps one HTTP listener per address the
// configuration names (the shared one always).
import type { Logger } from 'pino';
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

/** Where configurations come from (the admin's watch stream). */
export interface ConfigSource {
  watch(onSnapshot: (snapshot: ConfigSnapshot) => void, onStatus?: (connected: boolean) => void): { stop(): void };
}

export interface ProxyOptions {
  source: ConfigSource;
  listen: ListenerAddress;
  logger: Logger;
}

export class Proxy {
  readonly metrics = new ProxyMetrics();
  readonly channels = new ChannelPool();
  private config: ServingConfig | undefined;
  private readonly cache = new CompileCache();
  private readonly listeners = new Map<string, HttpListener>();
  private readonly emptyTable: ListenerTable;
  private watcher: { stop(): void } | undefined;
  private lastError: string | undefined;
  private readonly revisionWaiters: Array<{ revision: bigint; resolve: () => void }> = [];
  private syncing = Promise.resolve();
  /** Address of the shared listener once bound (port 0 resolved). */
  address: ListenerAddress;

  constructor(private readonly options: ProxyOptions) {
    this.address = options.listen;
    this.emptyTable = { address: options.listen, router: buildRouter<BoundRoute>([]), shapeError: defaultErrorShaper };
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
      metrics: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }),
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
    const shared = this.listenerFor(this.options.listen, true);
    const bound = await shared.listen();
    this.address = bound;
    this.listeners.set(listenerKey(bound), shared);
    this.watcher = this.options.source.watch(
      (snapshot) => this.apply(snapshot),
      (connected) => {
        this.metrics.adminConnected.set(connected ? 1 : 0);
        this.options.logger.info({ connected }, connected ? 'admin watch connected' : 'admin watch disconnected');
      },
    );
  }

  /** Compiles and swaps in a snapshot; a snapshot that does not compile is refused whole. */
  apply(snapshot: ConfigSnapshot): void {
    let next: ServingConfig;
    try {
      next = compileServingConfig(snapshot, this.address, this.cache);
    } catch (err) {
      this.metrics.configErrors.inc();
      this.lastError = err instanceof ConfigCompileError ? err.problems.join('; ') : (err as Error).message;
      this.options.logger.error({ revision: snapshot.revision, err: this.lastError }, 'configuration refused; keeping the previous one');
      return;
    }
    this.syncing = this.syncing.then(() => this.syncListeners(next)).then(() => {
      this.config = next;
      this.lastError = undefined;
      this.metrics.configRevision.set(Number(next.revision));
      this.options.logger.info({ revision: next.revision, served: next.served }, 'configuration applied');
      this.releaseWaiters(BigInt(next.revision || '0'));
    }, (err: Error) => {
      this.metrics.configErrors.inc();
      this.lastError = err.message;
      this.options.logger.error({ err: err.message }, 'could not open a listener; keeping the previous configuration');
    });
  }

  /** Opens listeners the next configuration needs; closes those it no longer names. */
  private async syncListeners(next: ServingConfig): Promise<void> {
    const sharedKey = listenerKey(this.address);
    for (const [key, table] of next.listeners) {
      if (this.listeners.has(key)) continue;
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
    await Promise.all([...this.listeners.values()].map((l) => l.close()));
    this.listeners.clear();
    await this.channels.closeAll();
  }
}
