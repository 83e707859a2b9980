// Several proxy processes on the same listening ports (node:cluster).
//
// The primary keeps the control plane (the admin, the example patterns) and
// supervises; every worker is a whole Proxy with its own admin watch and its
// own gRPC channels, so workers share nothing on the hot path. Listening
// sockets are shared the cluster way: the primary accepts and hands each
// connection to a worker in turn (cluster's default on Linux, which spreads
// keep-alive connections evenly), after which the worker serves it alone.
// Workers listening on a frontend's own port share that port the same way.
//
// IPC carries only ready / failed and the metrics exchange that makes
// /metrics report the sum over all workers; the primary stops workers with
// SIGTERM.
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import client from 'prom-client';
import { Proxy } from './proxy.js';
import { adminConfigSource } from './admin-source.js';
import type { ListenerAddress } from './config.js';

/** What one proxy process serves; travels to workers as JSON in the environment. */
export interface ProxySpec {
  /** The admin whose watch stream configures the proxy. */
  admin: string;
  /** The shared listener; port 0 is resolved to a free port before workers start. */
  listen: ListenerAddress;
  /** Not ready until a configuration at or after this revision is served. */
  revision?: string;
  /** The proxy's configuration cache (ProxyOptions.cacheFile); workers share it. */
  cacheFile?: string;
  /** The default gRPC interface (ProxyOptions.grpcListen); port 0 is resolved like `listen`. */
  grpcListen?: ListenerAddress;
}

export interface RunningProxy {
  /** The shared listener's bound address. */
  address: ListenerAddress;
  /** Stops accepting, finishes the requests in flight, then closes everything it opened. */
  stop(): Promise<void>;
}

interface MetricsExposition {
  contentType: string;
  body: string;
}

type MetricsJson = Awaited<ReturnType<client.Registry['getMetricsAsJSON']>>;

type IpcMessage =
  | { type: 'prism:ready' }
  | { type: 'prism:failed'; reason: string }
  // Primary → worker: your registry as JSON, please; worker → primary: here it is.
  | { type: 'prism:metrics-collect'; id: number }
  | { type: 'prism:metrics-json'; id: number; metrics: MetricsJson }
  // Worker → primary: the cluster-wide text for my /metrics; primary → worker: here it is.
  | { type: 'prism:metrics-request'; id: number }
  | { type: 'prism:metrics-text'; id: number; exposition?: MetricsExposition; error?: string };

const SPEC_ENV = 'PRISM_WORKER_SPEC';
// A worker that has not finished its requests in flight by then is killed.
const DRAIN_TIMEOUT_MS = 10_000;
// How long the primary waits for one worker's metrics; a worker that is busy
// dying or starting is left out of that scrape rather than failing it.
const COLLECT_TIMEOUT_MS = 2_000;
const METRICS_REQUEST_TIMEOUT_MS = 5_000;
// A worker without a configuration by then listens anyway (the admin may be away), answering 503.
const JOIN_TIMEOUT_MS = 5_000;
// Restarts back off from the first to the last delay, doubling while workers
// keep dying young; one that lived STABLE_MS resets it.
const FIRST_RESTART_DELAY_MS = 200;
const MAX_RESTART_DELAY_MS = 30_000;
const STABLE_MS = 30_000;

/** `workers` given as text (flag or environment), or one per core. */
export function workerCount(text: string | undefined, cores: number): number {
  if (text === undefined || text === '') return cores;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--workers: '${text}' is not a positive integer`);
  return n;
}

/** Runs one Proxy in this process, configured by the admin's watch stream. */
export async function startProxy(
  spec: ProxySpec,
  logger: Logger,
  worker?: { metricsExposition(): Promise<MetricsExposition> },
): Promise<RunningProxy & { proxy: Proxy }> {
  const source = adminConfigSource(spec.admin);
  const proxy = new Proxy({
    source,
    listen: spec.listen,
    logger,
    cacheFile: spec.cacheFile,
    grpcListen: spec.grpcListen,
    metricsExposition: worker?.metricsExposition,
    // A worker joins the shared port once it can serve; until then the others take its connections.
    listenOnceConfiguredWithinMs: worker ? JOIN_TIMEOUT_MS : undefined,
  });
  try {
    await proxy.start();
    if (spec.revision !== undefined) await proxy.waitForRevision(spec.revision);
  } catch (err) {
    source.close();
    throw err;
  }
  return {
    proxy,
    address: proxy.address,
    async stop() {
      await proxy.stop();
      source.close();
    },
  };
}

/** Replies awaited over IPC by request id; a reply that does not come in time resolves undefined. */
class PendingReplies<T> {
  private nextId = 0;
  private readonly waiting = new Map<number, (reply: T | undefined) => void>();

  ask(send: (id: number) => void, timeoutMs: number): Promise<T | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, undefined), timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      });
      send(id);
    });
  }

  settle(id: number, reply: T | undefined): void {
    this.waiting.get(id)?.(reply);
  }
}

// A closed channel (the other side is exiting) is reported to the callback,
// not thrown at the process as an 'error' event.
function ignoreSendError(): void {}

function sendToPrimary(message: IpcMessage): void {
  process.send?.(message, undefined, {}, ignoreSendError);
}

function sendToWorker(worker: Worker, message: IpcMessage): void {
  worker.send(message, undefined, ignoreSendError);
}

/** The body of a worker process: a Proxy per the spec the primary put in the environment. */
export async function runWorker(logger: Logger): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_ENV] ?? 'null') as ProxySpec | null;
  if (!spec) throw new Error(`a cluster worker needs ${SPEC_ENV}`);
  const log = logger.child({ worker: cluster.worker?.id });
  const texts = new PendingReplies<IpcMessage & { type: 'prism:metrics-text' }>();
  const askPrimaryForMetrics = async (): Promise<MetricsExposition> => {
    const reply = await texts.ask((id) => sendToPrimary({ type: 'prism:metrics-request', id }), METRICS_REQUEST_TIMEOUT_MS);
    if (!reply?.exposition) throw new Error(`cluster metrics unavailable: ${reply?.error ?? 'the primary did not answer'}`);
    return reply.exposition;
  };

  let running: (RunningProxy & { proxy: Proxy }) | undefined;
  let draining = false;
  const drain = (why: string): void => {
    if (draining) return;
    draining = true;
    log.info({ why }, 'worker draining');
    const stopped = running ? running.stop() : Promise.resolve();
    stopped.then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'worker stop failed');
        process.exit(1);
      },
    );
  };

  process.on('message', (message: IpcMessage) => {
    switch (message.type) {
      case 'prism:metrics-text':
        return texts.settle(message.id, message);
      case 'prism:metrics-collect': {
        const registry = running?.proxy.metrics.registry;
        if (!registry) return;
        registry.getMetricsAsJSON().then(
          (metrics) => sendToPrimary({ type: 'prism:metrics-json', id: message.id, metrics }),
          (err: Error) => log.error({ err: err.message }, 'could not read this worker\'s metrics'),
        );
        return;
      }
    }
  });
  // The primary stops workers with SIGTERM; Ctrl-C in a terminal reaches the whole group.
  process.on('SIGINT', () => drain('SIGINT'));
  process.on('SIGTERM', () => drain('SIGTERM'));

  try {
    running = await startProxy(spec, log, { metricsExposition: askPrimaryForMetrics });
  } catch (err) {
    sendToPrimary({ type: 'prism:failed', reason: (err as Error).message });
    throw err;
  }
  sendToPrimary({ type: 'prism:ready' });
}

export interface ClusterOptions {
  workers: number;
  spec: ProxySpec;
  logger: Logger;
  /**
   * What each worker runs; by default this process's own script and arguments
   * (main.ts becomes a worker when started by cluster). Tests point it elsewhere.
   */
  exec?: { file: string; args?: string[]; execArgv?: string[] };
}

/** Forks the workers and resolves once each of them serves; rejects if one fails first. */
export async function startCluster(options: ClusterOptions): Promise<RunningProxy> {
  if (!cluster.isPrimary) throw new Error('startCluster runs in the primary process');
  const spec = {
    ...options.spec,
    listen: await resolvePort(options.spec.listen),
    grpcListen: options.spec.grpcListen && (await resolvePort(options.spec.grpcListen)),
  };
  if (options.exec) {
    cluster.setupPrimary({ exec: options.exec.file, args: options.exec.args ?? [], execArgv: options.exec.execArgv });
  }
  const supervisor = new Supervisor(options.workers, spec, options.logger);
  try {
    await supervisor.start();
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
  return { address: spec.listen, stop: () => supervisor.stop() };
}

/**
 * Every worker must bind the same port, so port 0 is resolved here, once:
 * cluster would share one random port among the first workers, but a worker
 * restarted after all others died would get another one.
 */
async function resolvePort(address: ListenerAddress): Promise<ListenerAddress> {
  if (address.port !== 0) return address;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host: address.host, port: 0, exclusive: true }, resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return { host: address.host, port };
}

/** One place in the cluster: the worker filling it now, and its restart history. */
interface Slot {
  index: number;
  worker?: Worker;
  ready: boolean;
  startedAt: number;
  restartDelayMs: number;
  restartTimer?: NodeJS.Timeout;
}

class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private readonly collected = new PendingReplies<MetricsJson>();
  private startup: { resolve(): void; reject(err: Error): void } | undefined;

  constructor(
    workers: number,
    private readonly spec: ProxySpec,
    private readonly logger: Logger,
  ) {
    this.slots = Array.from({ length: workers }, (_, index) => ({ index, ready: false, startedAt: 0, restartDelayMs: FIRST_RESTART_DELAY_MS }));
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.startup = { resolve, reject };
      for (const slot of this.slots) this.fork(slot);
    });
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    slot.ready = false;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [SPEC_ENV]: JSON.stringify(this.spec) });
    slot.worker = worker;
    worker.on('message', (message: IpcMessage) => this.onMessage(slot, worker, message));
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
  }

  private onMessage(slot: Slot, worker: Worker, message: IpcMessage): void {
    switch (message.type) {
      case 'prism:ready':
        slot.ready = true;
        this.logger.info({ worker: worker.id, workerPid: worker.process.pid }, 'worker serving');
        if (this.startup && this.slots.every((s) => s.ready)) {
          this.startup.resolve();
          this.startup = undefined;
        }
        return;
      case 'prism:failed':
        this.logger.error({ worker: worker.id, reason: message.reason }, 'worker could not start');
        this.startup?.reject(new Error(`worker could not start: ${message.reason}`));
        this.startup = undefined;
        return;
      case 'prism:metrics-json':
        return this.collected.settle(message.id, message.metrics);
      case 'prism:metrics-request':
        this.clusterMetrics().then(
          (exposition) => sendToWorker(worker, { type: 'prism:metrics-text', id: message.id, exposition }),
          (err: Error) => sendToWorker(worker, { type: 'prism:metrics-text', id: message.id, error: err.message }),
        );
        return;
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const wasReady = slot.ready;
    slot.ready = false;
    if (this.stopping) return;
    if (this.startup) {
      this.startup.reject(new Error(`worker exited while starting (code ${code}, signal ${signal})`));
      this.startup = undefined;
      return;
    }
    const lived = Date.now() - slot.startedAt;
    if (wasReady && lived >= STABLE_MS) slot.restartDelayMs = FIRST_RESTART_DELAY_MS;
    const delayMs = slot.restartDelayMs;
    slot.restartDelayMs = Math.min(delayMs * 2, MAX_RESTART_DELAY_MS);
    this.logger.warn({ worker: worker.id, code, signal, livedMs: lived, restartInMs: delayMs }, 'worker died; restarting it');
    slot.restartTimer = setTimeout(() => this.fork(slot), delayMs);
  }

  /** Every serving worker's registry, summed (gauges per their own aggregator) by prom-client. */
  private async clusterMetrics(): Promise<MetricsExposition> {
    const workers = this.slots.flatMap((s) => (s.ready && s.worker?.isConnected() ? [s.worker] : []));
    const replies = await Promise.all(
      workers.map((worker) => this.collected.ask((id) => sendToWorker(worker, { type: 'prism:metrics-collect', id }), COLLECT_TIMEOUT_MS)),
    );
    const registry = client.AggregatorRegistry.aggregate(replies.filter((r): r is MetricsJson => r !== undefined));
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  /** Asks every worker to drain, kills those that take too long, and resolves when all have exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits: Promise<unknown>[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      const worker = slot.worker;
      if (!worker || worker.isDead()) continue;
      exits.push(new Promise((resolve) => worker.once('exit', resolve)));
      const kill = setTimeout(() => worker.process.kill('SIGKILL'), DRAIN_TIMEOUT_MS);
      worker.once('exit', () => clearTimeout(kill));
      // A signal, not a message: a worker still loading has no message handler yet, and
      // SIGTERM's default action stops it just as well, having nothing in flight.
      worker.process.kill('SIGTERM');
    }
    await Promise.all(exits);
  }
}
