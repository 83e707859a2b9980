// Entry point.
//   npm start                       the whole stack on one machine: embedded admin
//                                   (127.0.0.1:8970, store in ./.prism, seeded from
//                                   routes/), the example patterns, and the proxy
//                                   on 127.0.0.1:8080
//   prism-proxy --admin HOST:PORT   the proxy alone, against an external admin
//   prism-proxy --proto FILE --backend HOST:PORT [--port N]
//                                   serve a .proto's google.api.http rules against a
//                                   backend (ephemeral in-process admin)
// Every mode serves through --workers processes (node:cluster): this process
// keeps the admin and the example patterns, and the workers run the proxy.
// A worker re-runs this script and is told what to serve by its primary.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { ConfigStore } from './admin/store.js';
import { SqliteAdminStore, type AdminStore } from './admin/admin-store.js';
import { PostgresAdminStore } from './admin/postgres-store.js';
import { startAdminServer, DEFAULT_ADMIN_ADDRESS, type AdminServer } from './admin/service.js';
import { seedAdminStore } from './admin/seed.js';
import { AdminClient } from './admin/client.js';
import { runWorker, startCluster, startProxy, workerCount, type ProxySpec, type RunningProxy } from './server/workers.js';
import { annotatedFrontend } from './cli/annotated-frontend.js';
import { PROJECT_DIR } from './protos/root.js';
import { startKeyValuePattern } from '../examples/keyvalue/server.js';
import { startRegistryPattern } from '../examples/registry/server.js';

const HELP = `usage:
  prism-proxy [--listen HOST:PORT] [--grpc-listen HOST:PORT | --no-grpc] [--workers N] [--no-examples]
              [--admin HOST:PORT | --admin-listen HOST:PORT --data-dir DIR --routes DIR --admin-postgres URL]
  prism-proxy --proto FILE --backend HOST:PORT [--port N] [--host H] [-I DIR]... [--workers N]

  --listen          proxy HTTP listener (default 127.0.0.1:8080, env PRISM_LISTEN)
  --grpc-listen     the default gRPC interface (default 127.0.0.1:8980, env PRISM_GRPC_LISTEN)
  --no-grpc         do not open the default gRPC interface
  --admin           use an external admin at HOST:PORT instead of the embedded one (env PRISM_ADMIN)
  --admin-listen    embedded admin gRPC address (default ${DEFAULT_ADMIN_ADDRESS})
  --data-dir        embedded admin's store, the example registry's store and the proxy's
                    configuration cache (default ./.prism)
  --admin-postgres  keep the embedded admin's state in Postgres (postgres://...; env
                    PRISM_ADMIN_POSTGRES) so several admins share it; its tables go in
                    --admin-postgres-schema (default prism_admin)
  --routes          definitions seeded into an empty store (default routes/)
  --no-examples     do not start the example patterns (keyvalue on 127.0.0.1:50051,
                    registry on 127.0.0.1:50052)
  --proto           a .proto whose google.api.http annotations are served
  --backend         the gRPC server behind --proto (env BACKEND_ADDR)
  --port, --host    listener for --proto mode (default 127.0.0.1:8080, env PORT)
  -I                extra import directory for --proto (repeatable)
  --workers         proxy processes sharing the listeners (default one per core, env
                    PRISM_WORKERS); 1 serves in this process, without a cluster`;

function parseAddress(text: string, what: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m) throw new Error(`${what}: '${text}' is not HOST:PORT`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: Number(m[2]) };
}

interface Running {
  stop(): Promise<void>;
}

/** The proxy in this process (one worker) or in a cluster of worker processes. */
async function serveProxy(spec: ProxySpec, workers: number, logger: Logger): Promise<RunningProxy> {
  return workers === 1 ? startProxy(spec, logger) : startCluster({ workers, spec, logger });
}

async function openAdminStore(dataDir: string, postgres: string | undefined, schema: string | undefined): Promise<AdminStore> {
  if (postgres) return PostgresAdminStore.open({ connectionString: postgres, schema });
  return new SqliteAdminStore(new ConfigStore(join(dataDir, 'admin.db')));
}

async function runStack(values: Record<string, unknown>, workers: number, logger: Logger): Promise<Running> {
  const listen = parseAddress((values.listen as string) ?? process.env.PRISM_LISTEN ?? '127.0.0.1:8080', '--listen');
  const grpcListen = values['no-grpc']
    ? undefined
    : parseAddress((values['grpc-listen'] as string) ?? process.env.PRISM_GRPC_LISTEN ?? '127.0.0.1:8980', '--grpc-listen');
  const dataDir = (values['data-dir'] as string) ?? './.prism';
  const external = (values.admin as string | undefined) ?? process.env.PRISM_ADMIN;
  let admin: AdminServer | undefined;
  let store: AdminStore | undefined;
  let adminAddress = external;
  if (!adminAddress) {
    store = await openAdminStore(
      dataDir,
      (values['admin-postgres'] as string | undefined) ?? process.env.PRISM_ADMIN_POSTGRES,
      (values['admin-postgres-schema'] as string | undefined) ?? process.env.PRISM_ADMIN_POSTGRES_SCHEMA,
    );
    const seeded = await seedAdminStore(store, (values.routes as string) ?? join(PROJECT_DIR, 'routes'));
    if (seeded.frontends.length + seeded.namespaces.length > 0) {
      logger.info({ frontends: seeded.frontends.map((f) => f.name), namespaces: seeded.namespaces.map((n) => n.name) }, 'admin store seeded');
    }
    admin = await startAdminServer({ address: (values['admin-listen'] as string) ?? DEFAULT_ADMIN_ADDRESS, store, logger });
    adminAddress = admin.address;
    logger.info({ address: admin.address }, 'embedded admin listening');
  }
  const patterns = values['no-examples']
    ? []
    : [
        await startKeyValuePattern(),
        await startRegistryPattern({ storage: { type: 'SQLITE', path: join(dataDir, 'registry.db') } }),
      ];
  for (const p of patterns) logger.info({ address: p.address }, 'example pattern listening');

  const spec = { admin: adminAddress, listen, grpcListen, cacheFile: join(dataDir, 'proxy-config.json') };
  const proxy = await serveProxy(spec, workers, logger);
  logger.info(
    { address: `${proxy.address.host}:${proxy.address.port}`, grpc: grpcListen && `${grpcListen.host}:${grpcListen.port}`, admin: adminAddress, workers },
    'proxy listening',
  );
  return {
    async stop() {
      await proxy.stop();
      for (const p of patterns) await p.close();
      await admin?.close();
      await store?.close();
    },
  };
}

async function runAnnotated(values: Record<string, unknown>, workers: number, logger: Logger): Promise<Running> {
  const backend = (values.backend as string | undefined) ?? process.env.BACKEND_ADDR;
  if (!backend) throw new Error('--proto needs --backend HOST:PORT');
  const port = Number((values.port as string | undefined) ?? process.env.PORT ?? 8080);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const frontend = annotatedFrontend('annotated', values.proto as string, (values.include as string[] | undefined) ?? []);
  const store = new ConfigStore(':memory:');
  const admin = await startAdminServer({ address: '127.0.0.1:0', store, logger });
  const client = new AdminClient(admin.address);
  await client.registerFrontend(frontend);
  const ns = await client.registerNamespace({
    name: 'default',
    pattern: { type: 'annotated', endpoints: [backend] },
    frontends: [{ frontend: frontend.name }],
  });
  client.close();
  const proxy = await serveProxy({ admin: admin.address, listen: { host, port }, revision: ns.revision ?? '0' }, workers, logger);
  logger.info({ address: `${host}:${proxy.address.port}`, backend, services: frontend.rest?.annotated_services, workers }, 'serving annotated protos');
  return {
    async stop() {
      await proxy.stop();
      await admin.close();
      store.close();
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  if (cluster.isWorker) return runWorker(logger);
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      admin: { type: 'string' },
      'admin-listen': { type: 'string' },
      'data-dir': { type: 'string' },
      routes: { type: 'string' },
      'no-examples': { type: 'boolean' },
      proto: { type: 'string' },
      backend: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      include: { type: 'string', short: 'I', multiple: true },
      workers: { type: 'string' },
      'grpc-listen': { type: 'string' },
      'no-grpc': { type: 'boolean' },
      'admin-postgres': { type: 'string' },
      'admin-postgres-schema': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const workers = workerCount(values.workers ?? process.env.PRISM_WORKERS, availableParallelism());
  const running = values.proto ? await runAnnotated(values, workers, logger) : await runStack(values, workers, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down; finishing requests in flight');
    // Longer than a worker gets to drain (10 s), so a slow drain still ends in an orderly stop.
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`prism-proxy: ${err.message}`);
  process.exit(1);
});
