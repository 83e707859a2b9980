import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AdminClient } from '../admin/client.js';
import { startAdminServer, type AdminServer } from '../admin/service.js';
import { ConfigStore } from '../admin/store.js';
import { kvFrontend, tempDir } from '../admin/testing.js';
import { runCli, USAGE } from './prism-admin.js';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

describe('prism-admin', () => {
  let store: ConfigStore;
  let server: AdminServer;
  let temp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    store = new ConfigStore(':memory:');
    server = await startAdminServer({ address: '127.0.0.1:0', store });
    temp = tempDir();
  });
  afterAll(async () => {
    await server.close();
    store.close();
    temp.remove();
  });

  async function cli(...argv: string[]): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } };
    const status = await runCli(['--admin', server.address, ...argv], io);
    return { status, stdout, stderr };
  }

  async function json<T = any>(...argv: string[]): Promise<T> {
    const run = await cli('--json', ...argv);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout) as T;
  }

  function file(name: string, value: unknown): string {
    const path = join(temp.dir, name);
    writeFileSync(path, typeof value === 'string' ? value : stringify(value));
    return path;
  }

  it('prints its usage on --help, and exits 2 on a wrong command line', async () => {
    expect(await cli('--help')).toEqual({ status: 0, stdout: USAGE, stderr: '' });
    const wrong = [
      ['frobnicate'],
      ['backend'],
      ['backend', 'get'],
      ['backend', 'get', 'a', 'b'],
      ['backend', 'list', '--port', '1'],
      ['frontend', 'register'],
      ['backend', 'register', '-f', 'x.yaml', '--type', 'KAFKA'],
      ['backend', 'register', 'x', '--type', 'CASSANDRA'],
      ['namespace', 'set-default-grpc', 'ns', 'maybe'],
      ['--bogus'],
    ];
    for (const argv of wrong) {
      const run = await cli(...argv);
      expect([argv, run.status, run.stdout]).toEqual([argv, 2, '']);
      expect(run.stderr).toMatch(/^prism-admin: /);
    }
    expect((await cli('backend', 'list', '--port', '1')).stderr).toContain("--port does not go with 'backend list'");
  });

  it('registers, shows, updates and deletes a backend from flags', async () => {
    const registered = await cli(
      'backend', 'register', 'cache', '--type', 'redis', '--interface', 'keyvalue_basic,keyvalue_ttl',
      '--set', 'hosts=[10.0.0.5:6379]', '--set', 'pool.max_connections=20', '--set', 'connect_timeout=2s',
      '--username', 'prism', '--secret-ref', 'env:REDIS_PASSWORD',
    );
    expect(registered).toMatchObject({ status: 0, stderr: '' });
    expect(registered.stdout).toMatch(/^backend 'cache' registered \(revision \d+\)\n$/);

    const backend = await json('backend', 'get', 'cache');
    expect(backend).toMatchObject({
      type: 'REDIS',
      interfaces: ['keyvalue_basic', 'keyvalue_ttl'],
      redis: { hosts: ['10.0.0.5:6379'], pool: { max_connections: 20 }, connect_timeout: '2s' },
      credentials: { username: 'prism', secret_ref: 'env:REDIS_PASSWORD' },
    });
    expect((await cli('backend', 'get', 'cache')).stdout).toContain('  hosts:\n    - 10.0.0.5:6379\n');

    await cli('backend', 'update', 'cache', '--set', 'database=3', '--description', 'session cache');
    expect(await json('backend', 'get', 'cache')).toMatchObject({
      description: 'session cache',
      redis: { hosts: ['10.0.0.5:6379'], database: 3 },
    });
    const unknown = await cli('backend', 'update', 'cache', '--set', 'colour=blue');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('colour');

    const list = await cli('backend', 'list');
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+INTERFACES\s+CREDENTIALS\s+REVISION$/);
    expect(list.stdout).toMatch(/cache\s+REDIS\s+keyvalue_basic,keyvalue_ttl\s+ref env:REDIS_PASSWORD\s+\d+/);

    expect((await cli('backend', 'delete', 'cache')).stdout).toMatch(/^backend 'cache' deleted \(revision \d+\)\n$/);
    const gone = await cli('backend', 'get', 'cache');
    expect(gone).toMatchObject({ status: 1, stdout: '' });
    expect(gone.stderr).toBe("prism-admin: backend get refused (NOT_FOUND):\n  backend 'cache' not found\n");
  });

  it('takes a backend with its secret from a file and never prints the secret', async () => {
    const path = file('pg.yaml', {
      name: 'pg',
      type: 'POSTGRES',
      interfaces: ['keyvalue_basic'],
      postgres: { hosts: ['db:5432'], database: 'prism' },
      credentials: { username: 'prism', secret: 'hunter2' },
    });
    expect((await cli('backend', 'register', '-f', path)).status).toBe(0);
    for (const argv of [['backend', 'get', 'pg'], ['backend', 'list'], ['--json', 'backend', 'get', 'pg'], ['--json', 'backend', 'list']]) {
      expect((await cli(...argv)).stdout).not.toContain('hunter2');
    }
    expect((await cli('backend', 'list')).stdout).toMatch(/pg\s+POSTGRES\s+keyvalue_basic\s+secret \(write-only\)/);
    // An update from flags sends the fetched backend back: the secret stays.
    await cli('backend', 'update', 'pg', '--set', 'database=other');
    expect(store.backends.get('pg')?.credentials?.secret).toBe('hunter2');
    await cli('backend', 'delete', 'pg');
  });

  it('refuses an invalid frontend file, printing every path: reason', async () => {
    const bad = kvFrontend('kv-bad');
    bad.rest!.routes!.push(
      { ...bad.rest!.routes![0]!, operation_id: 'broken', path_template: '/{key' },
      { ...bad.rest!.routes![0]!, operation_id: 'nope', path_template: '/x/{key}', grpc: { method: 'Nope' } },
    );
    const run = await cli('frontend', 'register', '-f', file('bad.yaml', bad));
    expect(run).toMatchObject({ status: 1, stdout: '' });
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('prism-admin: frontend register refused (INVALID_ARGUMENT):');
    expect(lines.slice(1).map((line) => line.slice(0, line.indexOf(':')))).toEqual(['  rest.routes[1]', '  rest.routes[2].grpc.service']);

    const unknownField = await cli('frontend', 'register', '-f', file('unknown.yaml', { ...kvFrontend('x'), colour: 'blue' }));
    expect(unknownField.status).toBe(1);
    expect(unknownField.stderr).toMatch(/unknown\.yaml: colour: /);
    expect((await cli('frontend', 'register', '-f', join(temp.dir, 'missing.yaml'))).stderr).toContain('cannot read');
  });

  it('validates a frontend file locally, without the admin', async () => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
    const good = file('good.yaml', kvFrontend('kv'));
    // Nothing listens on port 1: validate does not need the admin.
    expect(await runCli(['--admin', '127.0.0.1:1', 'frontend', 'validate', '-f', good], io)).toBe(0);
    expect(stdout).toBe(`${good}: valid\n`);
    const bad = file('bad-name.yaml', kvFrontend('Bad'));
    expect(await runCli(['--admin', '127.0.0.1:1', 'frontend', 'validate', '-f', bad], io)).toBe(1);
    expect(stderr).toBe(`prism-admin: ${bad} is not a valid frontend:\n  name: 'Bad' must match ^[a-z0-9][a-z0-9._-]*$\n`);
  });

  it('manages frontends from files, updating only a current revision', async () => {
    const path = file('kv.yaml', kvFrontend('kv'));
    expect((await cli('frontend', 'register', '-f', path)).status).toBe(0);
    const stored = await json('frontend', 'get', 'kv');
    expect((await cli('frontend', 'update', '-f', file('kv2.yaml', { ...stored, description: 'v2' }))).status).toBe(0);
    const stale = await cli('frontend', 'update', '-f', file('kv3.yaml', { ...stored, description: 'v3' }));
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('ABORTED');
    expect((await json('frontend', 'get', 'kv')).description).toBe('v2');
    expect((await cli('frontend', 'list')).stdout).toMatch(/kv\s+REST\s+\/kv\s+1\s+\d+/);
    expect((await cli('frontend', 'delete', 'kv')).status).toBe(0);
  });

  it('creates a namespace and changes its bindings one at a time', async () => {
    await cli('frontend', 'register', '-f', file('kv-rest.yaml', kvFrontend('kv-rest', '/kv')));
    await cli('backend', 'register', 'mem', '--type', 'MEMSTORE', '--interface', 'keyvalue_basic');
    await cli('backend', 'register', 'bus', '--type', 'NATS', '--interface', 'pubsub_basic', '--set', 'servers=[nats://127.0.0.1:4222]');
    const created = await cli(
      'namespace', 'create', 'shop', '--pattern', 'keyvalue', '--endpoint', '127.0.0.1:50051', '--slot', 'storage=keyvalue_basic',
    );
    expect(created.stdout).toMatch(/^namespace 'shop' created/);

    expect((await cli('namespace', 'bind-frontend', 'shop', 'kv-rest')).status).toBe(0);
    // The same frontend at a second base path serves beside the first.
    expect((await cli('namespace', 'bind-frontend', 'shop', 'kv-rest', '--base-path', '/kv2', '--port', '9090')).status).toBe(0);
    expect((await json('namespace', 'get', 'shop')).frontends).toEqual([
      { frontend: 'kv-rest' },
      { frontend: 'kv-rest', base_path: '/kv2', listener: { port: 9090 } },
    ]);
    expect((await cli('namespace', 'unbind-frontend', 'shop', 'kv-rest', '--base-path', '/kv2/')).status).toBe(0);
    expect((await json('namespace', 'get', 'shop')).frontends).toEqual([{ frontend: 'kv-rest' }]);
    const noSuch = await cli('namespace', 'unbind-frontend', 'shop', 'kv-rest', '--base-path', '/kv3');
    expect(noSuch).toMatchObject({ status: 1, stderr: "prism-admin: namespace 'shop' has no binding of frontend 'kv-rest' with base path /kv3\n" });

    expect((await cli('namespace', 'set-default-grpc', 'shop', 'off')).status).toBe(0);
    expect((await json('namespace', 'get', 'shop')).grpc_disabled).toBe(true);
    await cli('namespace', 'set-default-grpc', 'shop', 'on');
    expect((await json('namespace', 'get', 'shop')).grpc_disabled).toBeUndefined();

    const lacking = await cli('namespace', 'bind-slot', 'shop', 'storage', 'bus');
    expect(lacking.status).toBe(1);
    expect(lacking.stderr).toBe(
      'prism-admin: namespace bind-slot refused (FAILED_PRECONDITION):\n' +
        "  pattern.slot_bindings.storage: slot 'storage' needs interface 'keyvalue_basic', which backend 'bus' does not implement\n",
    );
    expect((await cli('namespace', 'bind-slot', 'shop', 'storage', 'mem')).status).toBe(0);
    const list = await cli('namespace', 'list');
    expect(list.stdout).toMatch(/shop\s+keyvalue\s+127\.0\.0\.1:50051\s+kv-rest\s+storage=mem\s+on\s+\d+/);

    const inUse = await cli('backend', 'delete', 'mem');
    expect(inUse.stderr).toBe("prism-admin: backend delete refused (FAILED_PRECONDITION):\n  backend 'mem' is bound by namespace 'shop' (slot 'storage')\n");
    expect((await cli('namespace', 'delete', 'shop')).status).toBe(0);
  });

  it('retries a read-modify-write that another writer overtook', async () => {
    await cli('frontend', 'register', '-f', file('many.yaml', kvFrontend('many', '/many')));
    await cli('namespace', 'create', 'busy', '--pattern', 'keyvalue', '--endpoint', '127.0.0.1:50051');
    const paths = ['/a', '/b', '/c', '/d'];
    const runs = await Promise.all(paths.map((p) => cli('namespace', 'bind-frontend', 'busy', 'many', '--base-path', p)));
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 0]);
    const bound = (await json('namespace', 'get', 'busy')).frontends.map((b: { base_path: string }) => b.base_path);
    expect(bound.sort()).toEqual(paths);
  });

  it('lists what the proxies reported, refusals included', async () => {
    expect((await cli('proxy', 'list')).stdout).toBe('PROXY  APPLIED  LATEST SEEN  LISTENERS  REPORTED  ERROR\n');
    const admin = new AdminClient(server.address);
    try {
      await admin.reportProxyStatus({ proxy_id: 'web-1:41', applied_revision: '7', latest_revision_seen: '7', listeners: ['127.0.0.1:8080'] });
      await admin.reportProxyStatus({
        proxy_id: 'web-2:42',
        applied_revision: '6',
        latest_revision_seen: '7',
        config_error: "listener 127.0.0.1:8080: GET /kv/{key} duplicates getKey",
        error_revision: '7',
        listeners: ['127.0.0.1:8080', '127.0.0.1:8081'],
      });
    } finally {
      admin.close();
    }

    const lines = (await cli('proxy', 'list')).stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^web-1:41\s+7\s+7\s+127\.0\.0\.1:8080\s+\d+s ago\s+-$/);
    expect(lines[2]).toMatch(/^web-2:42\s+6\s+7\s+127\.0\.0\.1:8080,127\.0\.0\.1:8081\s+\d+s ago\s+revision 7 refused: listener .* duplicates getKey$/);

    const { proxies } = await json<{ proxies: Array<Record<string, unknown>> }>('proxy', 'list');
    expect(proxies.map((p) => p.proxy_id)).toEqual(['web-1:41', 'web-2:42']);
    expect(proxies[1]).toMatchObject({ applied_revision: '6', error_revision: '7', config_error: expect.stringContaining('duplicates') });
    expect(Date.parse(proxies[1].reported_at as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('says when the admin cannot be reached', async () => {
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) } };
    expect(await runCli(['--admin', '127.0.0.1:1', 'backend', 'list'], io)).toBe(1);
    expect(stderr).toMatch(/^prism-admin: backend list: admin unreachable \(UNAVAILABLE\)/);
  });
});
