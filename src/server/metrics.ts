// Prometheus metrics of the proxy. Label children are cached per route so
// the hot path does no label hashing.
import client from 'prom-client';
import type { CompiledRoute } from '../frontend/compile.js';
import { compileErrorShaper, type ErrorShaper } from '../errors/error-shaper.js';

export class ProxyMetrics {
  readonly registry = new client.Registry();
  /** Error shaper used before any configuration is loaded. */
  readonly fallbackErrors: ErrorShaper = compileErrorShaper(undefined);
  private readonly requests = new client.Counter({
    name: 'prism_http_requests_total',
    help: 'HTTP requests served by frontend, route and status',
    labelNames: ['frontend', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly grpcLatency = new client.Histogram({
    name: 'prism_grpc_call_duration_seconds',
    help: 'Time from request start to the pattern reply, by frontend and route',
    labelNames: ['frontend', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly configRevision = new client.Gauge({
    name: 'prism_config_revision',
    help: 'Admin revision of the configuration being served',
    // Across cluster workers the lowest: the revision every worker serves at least.
    aggregator: 'min',
    registers: [this.registry],
  });
  readonly configErrors = new client.Counter({
    name: 'prism_config_errors_total',
    help: 'Configurations refused because they did not compile',
    registers: [this.registry],
  });
  readonly adminConnected = new client.Gauge({
    name: 'prism_admin_connected',
    help: '1 while the watch stream to the admin is up',
    // Over cluster workers: 1 only while every worker's watch is up.
    aggregator: 'min',
    registers: [this.registry],
  });
  private readonly requestChildren = new WeakMap<CompiledRoute, Map<number, client.Counter.Internal>>();
  private readonly latencyChildren = new WeakMap<CompiledRoute, client.Histogram.Internal<string>>();

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
  }

  countRequest(route: CompiledRoute, status: number): void {
    let byStatus = this.requestChildren.get(route);
    if (!byStatus) this.requestChildren.set(route, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (!child) byStatus.set(status, (child = this.requests.labels(route.frontend, route.operationId, String(status))));
    child.inc();
  }

  /** A request no route took (404, 405, 400 bad path, OPTIONS). */
  unrouted(status: number): void {
    this.requests.labels('', '', String(status)).inc();
  }

  observeCall(route: CompiledRoute, seconds: number): void {
    let child = this.latencyChildren.get(route);
    if (!child) this.latencyChildren.set(route, (child = this.grpcLatency.labels(route.frontend, route.operationId)));
    child.observe(seconds);
  }
}
