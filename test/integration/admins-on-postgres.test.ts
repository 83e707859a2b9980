// Two admin processes on one Postgres database serve the same state and the
// same watch: a write through either is seen by a watcher of the other, in
// revision order, and concurrent writes through both get one total order.
// Each admin is a real `prism-proxy` process (embedded admin on Postgres,
// no example patterns), on a throwaway schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient, type ConfigSnapshot } from '../../src/admin/client.js';
import { TEST_POSTGRES_URL, postgresReachable, testSchema } from '../../src/admin/postgres-testing.js';
import { eventually, keyvalueFrontend } from './helpers.js';
import { buildCli, startCli, type RunningCli } from './transpiled-cli.js';

const reachable = await postgresReachable();

describe.skipIf(!reachable)('two admin processes on one Postgres database', () => {
  let work: string;
  const schema = testSchema();
  const admins: RunningCli[] = [];
  const clients: AdminClient[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'prism-admins-'));
    const main = buildCli(join(work, 'build'));
    const emptyRoutes = mkdtempSync(join(work, 'routes-'));
    for (const name of ['a', 'b']) {
      const args = [
        '--admin-postgres', TEST_POSTGRES_URL, '--admin-postgres-schema', schema.schema,
        '--admin-listen', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--no-grpc', '--no-examples',
        '--routes', emptyRoutes, '--data-dir', join(work, name), '--workers', '1',
      ];
      admins.push(await startCli(main, args, 'embedded admin listening'));
    }
    for (const admin of admins) clients.push(new AdminClient(admin.address));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const admin of admins) {
      admin.child.kill('SIGTERM');
      await admin.exited;
    }
    await schema.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a write through one admin reaches a watcher of the other', async () => {
    let latest: ConfigSnapshot | undefined;
    const watch = clients[1].watchConfig((snapshot) => (latest = snapshot));
    try {
      const stored = await clients[0].registerFrontend(keyvalueFrontend());
      await eventually(async () => latest?.frontends.get('keyvalue-rest')?.revision === stored.revision, 2000, 'the frontend at admin b');
      expect((await clients[1].getFrontend('keyvalue-rest')).revision).toBe(stored.revision);
    } finally {
      watch.stop();
    }
  });

  it('concurrent writes through both admins get distinct revisions in one order seen by both', async () => {
    const writes = Array.from({ length: 20 }, (_, i) =>
      clients[i % 2].registerFrontend({ ...keyvalueFrontend(), name: `kv-${i}`, rest: { ...keyvalueFrontend().rest, base_path: `/kv-${i}` } }),
    );
    const stored = await Promise.all(writes);
    const revisions = stored.map((f) => BigInt(f.revision!));
    expect(new Set(revisions).size).toBe(20);
    const [a, b] = await Promise.all(clients.map((c) => c.listFrontends()));
    expect(a.revision).toBe(b.revision);
    const byName = (list: typeof a.frontends) => Object.fromEntries(list.map((f) => [f.name, f.revision]));
    expect(byName(a.frontends)).toEqual(byName(b.frontends));
    expect(BigInt(a.revision)).toBe(revisions.reduce((m, r) => (r > m ? r : m)));
  });
});
