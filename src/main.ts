// Entry point.
//   npm start                       the whole stack on one machine: embedded admin
//                                   (127.0.0.1:8970, store in ./.prism, seeded from
//                                   routes/), the example patterns, and the proxy
//                                   on 127.0.0.1:8080
//   prism-proxy --admin HOST:PORT   the proxy alone, against an external admin
//   prism-proxy --proto FILE --backend HOST:PORT [--port N]
//                                   serve a .proto's google.api.http rules against a
//                                   backend (ephemeral in-process admin)
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { ConfigStore } from './admin/store.js';
import { startAdminServer, DEFAULT_ADMIN_ADDRESS, type AdminServer } from './admin/service.js';
import { seedFromDirectory } from './admin/seed.js';
import { AdminClient } from './admin/client.js';
import { Proxy } from './server/proxy.js';
import { adminConfigSource } from './server/admin-source.js';
import { annotatedFrontend } from './cli/annotated-frontend.js';
import { PROJECT_DIR } from './protos/root.js';
import { startKeyValuePattern } from '../examples/keyvalue/server.js';

const HELP = `usage:
  prism-proxy [--listen HOST:PORT] [--admin HOST:PORT | --admin-listen HOST:PORT --data-dir DIR --routes DIR] [--no-examples]
  prism-proxy --proto FILE --backend HOST:PORT [--port N] [--host H] [-I DIR]...

  --listen        proxy HTTP listener (default 127.0.0.1:8080, env PRISM_LISTEN)
  --admin         use an external admin at HOST:PORT instead of the embedded one (env PRISM_ADMIN)
  --admin-listen  embedded admin gRPC address (default ${DEFAULT_ADMIN_ADDRESS})
  --data-dir      embedded admin's store directory (default ./.prism)
  --routes        frontend definitions seeded into an empty store (default routes/)
  --no-examples   do not start the example patterns
  --proto         a .proto whose google.api.http annotations are served
  --backend       the gRPC server behind --proto (env BACKEND_ADDR)
  --port, --host  listener for --proto mode (default 127.0.0.1:8080, env PORT)
  -I              extra import directory for --proto (repeatable)`;

function parseAddress(text: string, what: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m) throw new Error(`${what}: '${text}' is not HOST:PORT`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: Number(m[2]) };
}

interface Running {
  stop(): Promise<void>;
}

async function runStack(values: Record<string, unknown>, logger: Logger): Promise<Running> {
  const listen = parseAddress((values.listen as string) ?? process.env.PRISM_LISTEN ?? '127.0.0.1:8080', '--listen');
  const external = (values.admin as string | undefined) ?? process.env.PRISM_ADMIN;
  let admin: AdminServer | undefined;
  let store: ConfigStore | undefined;
  let adminAddress = external;
  if (!adminAddress) {
    const dataDir = (values['data-dir'] as string) ?? './.prism';
    store = new ConfigStore(join(dataDir, 'admin.db'));
    if (store.currentRevision() === 0) {
      const seeded = seedFromDirectory(store, (values.routes as string) ?? join(PROJECT_DIR, 'routes'));
      logger.info({ frontends: seeded.frontends.map((f) => f.name), namespaces: seeded.namespaces.map((n) => n.name) }, 'admin store seeded');
    }
    admin = await startAdminServer({ address: (values['admin-listen'] as string) ?? DEFAULT_ADMIN_ADDRESS, store, logger });
    adminAddress = admin.address;
    logger.info({ address: admin.address }, 'embedded admin listening');
  }
  const patterns = values['no-examples'] ? [] : [await startKeyValuePattern()];
  for (const p of patterns) logger.info({ address: p.address }, 'keyvalue example pattern listening');

  const source = adminConfigSource(adminAddress);
  const proxy = new Proxy({ source, listen, logger });
  await proxy.start();
  logger.info({ address: `${proxy.address.host}:${proxy.address.port}`, admin: adminAddress }, 'proxy listening');
  return {
    async stop() {
      await proxy.stop();
      source.close();
      for (const p of patterns) await p.close();
      await admin?.close();
      store?.close();
    },
  };
}

async function runAnnotated(values: Record<string, unknown>, logger: Logger): Promise<Running> {
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
  const source = adminConfigSource(admin.address);
  const proxy = new Proxy({ source, listen: { host, port }, logger });
  await proxy.start();
  await proxy.waitForRevision(ns.revision ?? '0');
  logger.info({ address: `${host}:${proxy.address.port}`, backend, services: frontend.rest?.annotated_services }, 'serving annotated protos');
  return {
    async stop() {
      await proxy.stop();
      source.close();
      await admin.close();
      store.close();
    },
  };
}

export async function main(argv: string[]): Promise<void> {
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const running = values.proto ? await runAnnotated(values, logger) : await runStack(values, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down; finishing requests in flight');
    const force = setTimeout(() => process.exit(1), 10_000);
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
