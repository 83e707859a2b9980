// The cluster with real worker processes. This test process is the primary;
// each worker runs src/main.ts (through vite-node, so no build is needed),
// which is exactly the entry a production worker runs.
import cluster, { type Worker } from 'node:cluster';
import { request, Agent } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStore } from '../admin/store.js';
import { startAdminServer, type AdminServer } from '../admin/service.js';
import { AdminClient } from '../admin/client.js';
import { kvFrontend } from '../admin/testing.js';
import { serviceDefinition, type PlainMessage } from '../grpc/service-definition.js';
import { PROJECT_DIR, shippedRoot } from '../protos/root.js';
import { startCluster, workerCount, type RunningProxy } from './workers.js';

const SLOW_KEY = 'slow';
const SLOW_REPLY_MS = 600;

/** A keyvalue backend whose Get answers every key, `slow` after a pause. */
async function startBackend(): Promise<{ address: string; server: grpc.Server }> {
  const server = new grpc.Server();
  const service = shippedRoot().lookupService('prism.interfaces.keyvalue.KeyValueBasicInterface');
  server.addService(serviceDefinition(service), {
    Get: (call: grpc.ServerUnaryCall<PlainMessage, PlainMessage>, callback: grpc.sendUnaryData<PlainMessage>) => {
      const reply = { found: true, value: Buffer.from(String(call.request.key)).toString('base64') };
      if (call.request.key === SLOW_KEY) setTimeout(() => callback(null, reply), SLOW_REPLY_MS);
      else callback(null, reply);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, server };
}

function get(port: number, path: string, agent: Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function workerPids(): number[] {
  return Object.values(cluster.workers ?? {}).flatMap((w) => (w?.isConnected() && w.process.pid ? [w.process.pid] : []));
}

/** The pid of the next worker that reports it is serving. */
function nextWorkerReady(): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (worker: Worker, message: { type?: string }) => {
      if (message.type !== 'prism:ready') return;
      cluster.off('message', onMessage);
      resolve(worker.process.pid!);
    };
    cluster.on('message', onMessage);
  });
}

function metricValue(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('workerCount', () => {
  it('defaults to the core count and refuses what is not a positive integer', () => {
    expect(workerCount(undefined, 4)).toBe(4);
    expect(workerCount('', 4)).toBe(4);
    expect(workerCount('3', 4)).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'two']) expect(() => workerCount(bad, 4)).toThrow(/--workers/);
  });
});

describe('a cluster of proxy workers', () => {
  const logger = pino({ level: 'silent' });
  let store: ConfigStore;
  let admin: AdminServer;
  let backend: { address: string; server: grpc.Server };
  let running: RunningProxy | undefined;
  let revision: string;

  beforeAll(async () => {
    // Workers log through main.ts's logger, to this process's stdout.
    process.env.LOG_LEVEL = 'warn';
    backend = await startBackend();
    store = new ConfigStore(':memory:');
    admin = await startAdminServer({ address: '127.0.0.1:0', store, logger });
    const client = new AdminClient(admin.address);
    await client.registerFrontend(kvFrontend('kv'));
    const ns = await client.registerNamespace({
      name: 'default',
      pattern: { type: 'keyvalue', endpoints: [backend.address] },
      frontends: [{ frontend: 'kv' }],
    });
    client.close();
    revision = ns.revision ?? '0';
    const viteNode = join(createRequire(import.meta.url).resolve('vite-node/package.json'), '..', 'vite-node.mjs');
    running = await startCluster({
      workers: 2,
      spec: { admin: admin.address, listen: { host: '127.0.0.1', port: 0 }, revision },
      logger,
      exec: { file: viteNode, args: [join(PROJECT_DIR, 'src', 'main.ts')], execArgv: [] },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await admin?.close();
    store?.close();
    backend?.server.forceShutdown();
  });

  it('binds the port the primary resolved, on every worker', async () => {
    expect(running!.address.port).toBeGreaterThan(0);
    expect(workerPids()).toHaveLength(2);
    // Connections are handed to workers in turn, so fresh ones reach both.
    for (let i = 0; i < 4; i++) {
      expect(await get(running!.address.port, `/kv/k${i}`)).toEqual({ status: 200, body: JSON.stringify({ found: true, value: Buffer.from(`k${i}`).toString('base64') }) });
    }
  });

  it('reports metrics summed over the workers, from whichever worker is asked', async () => {
    const port = running!.address.port;
    const before = metricValue((await get(port, '/metrics')).body, 'prism_http_requests_total{frontend="kv",route="getValue",status="200"}') ?? 0;
    for (let i = 0; i < 6; i++) await get(port, '/kv/m');
    for (let i = 0; i < 2; i++) {
      const text = (await get(port, '/metrics')).body;
      expect(metricValue(text, 'prism_http_requests_total{frontend="kv",route="getValue",status="200"}')).toBe(before + 6);
      // A gauge is not summed: every worker serves this revision.
      expect(metricValue(text, 'prism_config_revision')).toBe(Number(revision));
      expect(metricValue(text, 'prism_admin_connected')).toBe(1);
    }
  });

  it('restarts a worker that dies, which takes connections only once it can serve them', async () => {
    const [victim, survivor] = workerPids();
    let replacement: number | undefined;
    const replacementReady = nextWorkerReady().then((pid) => (replacement = pid));
    // Connections the primary hands to a worker in the instant it dies are lost (node:cluster), so
    // requests start once the primary has seen the exit: from then on, until the replacement is
    // up and a little after, every one must be served.
    const victimExited = new Promise<void>((resolve) => {
      const onExit = (worker: Worker) => {
        if (worker.process.pid !== victim) return;
        cluster.off('exit', onExit);
        resolve();
      };
      cluster.on('exit', onExit);
    });
    process.kill(victim, 'SIGKILL');
    await victimExited;
    const statuses: number[] = [];
    for (let after = 0; after < 6; after += replacement === undefined ? 0 : 1) {
      statuses.push((await get(running!.address.port, '/kv/again')).status);
    }
    await replacementReady;
    expect(workerPids().sort()).toEqual([replacement, survivor].sort());
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  });

  it('finishes requests in flight, on kept-alive connections too, before stopping', async () => {
    const agent = new Agent({ keepAlive: true });
    const port = running!.address.port;
    expect((await get(port, '/kv/warm', agent)).status).toBe(200);
    const inFlight = get(port, `/kv/${SLOW_KEY}`, agent);
    await new Promise((r) => setTimeout(r, SLOW_REPLY_MS / 3));
    const started = Date.now();
    const stopped = running!.stop();
    running = undefined;
    expect((await inFlight).status).toBe(200);
    await stopped;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(workerPids()).toEqual([]);
    agent.destroy();
  });
});
