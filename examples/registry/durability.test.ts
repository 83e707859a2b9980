// SQLite durability: what one registry acknowledged, a second one on the
// same file reads at once; and a registry process killed with SIGKILL comes
// back with every id, version, config and mode intact. The process runs the
// compiled server (its own build, so a stale dist/ cannot fool the test).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../src/protos/root.js';
import { startRegistryPattern } from './server.js';
import { registryClient, type RegistryCall } from './testing.js';

const tmp = mkdtempSync(join(tmpdir(), 'registry-durability-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const avroRecord = (name: string, fields: { name: string; type: string; default?: unknown }[]) =>
  JSON.stringify({ type: 'record', name, fields });

/** Registers a little of everything: shared ids, several versions, references, deletes, settings. */
async function populate(call: RegistryCall): Promise<void> {
  const register = (subject: string, schema: string, extra = {}) =>
    call('RegisterSchema', { subject, schema, ...extra });
  await register('orders-value', avroRecord('Order', [{ name: 'id', type: 'string' }]));
  await register(
    'orders-value',
    avroRecord('Order', [
      { name: 'id', type: 'string' },
      { name: 'qty', type: 'int', default: 0 },
    ]),
  );
  await register('orders-copy', avroRecord('Order', [{ name: 'id', type: 'string' }]));
  await register('money', 'syntax = "proto3";\npackage m;\nmessage Money { int64 units = 1; }\n', {
    schema_type: 'PROTOBUF',
  });
  await register('json-value', '{"type":"object"}', { schema_type: 'JSON' });
  await register('gone', avroRecord('Gone', [{ name: 'x', type: 'int' }]));
  await call('DeleteSubject', { subject: 'gone' });
  await call('SetConfig', { subject: 'orders-value', compatibility: 'FULL' });
  await call('SetConfig', { compatibility: 'FORWARD' });
  await call('SetMode', { subject: 'money', mode: 'READONLY' });
}

/** Everything a client can read, in a comparable form. */
async function snapshot(call: RegistryCall): Promise<unknown> {
  const subjects = ((await call('ListSubjects', { deleted: true })).subjects as string[]) ?? [];
  const bySubject: Record<string, unknown> = {};
  for (const subject of subjects) {
    const versions = (await call('ListVersions', { subject, deleted: true })).versions as number[];
    const records = [];
    for (const version of versions) {
      records.push(await call('GetSchemaByVersion', { subject, version: String(version), deleted: true }));
    }
    const config = await call('GetConfig', { subject }).catch(() => 'none');
    const mode = await call('GetMode', { subject }).catch(() => 'none');
    bySubject[subject] = { live: await call('ListVersions', { subject }).catch(() => 'none'), records, config, mode };
  }
  const maxId = (await call('GetSchema', { id: 1, fetch_max_id: true })).max_id;
  return { bySubject, global: [await call('GetConfig'), await call('GetMode')], maxId };
}

describe('two registries on one SQLite file', () => {
  it('read at once what the other acknowledged, both ways, while both stay open', async () => {
    const path = join(tmp, 'shared.db');
    const first = await startRegistryPattern({ address: '127.0.0.1:0', storage: { type: 'SQLITE', path } });
    const second = await startRegistryPattern({ address: '127.0.0.1:0', storage: { type: 'SQLITE', path } });
    const a = registryClient(first.address);
    const b = registryClient(second.address);
    try {
      await populate(a.call);
      const seenByA = await snapshot(a.call);
      expect(await snapshot(b.call)).toEqual(seenByA);
      const id = (await b.call('RegisterSchema', { subject: 'from-b', schema: '"string"' })).id as number;
      expect(await a.call('GetSchemaByVersion', { subject: 'from-b', version: 'latest' })).toMatchObject({ id });
      expect(id).toBe((seenByA as { maxId: number }).maxId + 1);
    } finally {
      a.close();
      b.close();
      await first.close();
      await second.close();
    }
  });
});

describe('a registry process killed with SIGKILL', () => {
  const buildDir = join(PROJECT_DIR, 'node_modules/.cache', `prism-registry-test-${process.pid}`);
  const serverScript = join(buildDir, 'examples/registry/server.js');
  const children = new Set<ChildProcess>();

  beforeAll(() => {
    // Just the server and what it imports, with the project's compiler options.
    const tsc = spawnSync(
      process.execPath,
      [
        join(PROJECT_DIR, 'node_modules/typescript/bin/tsc'),
        ...['--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--strict'],
        ...['--esModuleInterop', '--skipLibCheck', '--types', 'node', '--rootDir', PROJECT_DIR, '--outDir', buildDir],
        join(PROJECT_DIR, 'examples/registry/server.ts'),
      ],
      { encoding: 'utf8' },
    );
    if (tsc.status !== 0) throw new Error(`building the server failed:\n${tsc.stdout}${tsc.stderr}`);
  }, 120_000);

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(buildDir, { recursive: true, force: true });
  });

  /** Starts the server process; resolves with it and its address once it listens. */
  function startProcess(args: string[]): Promise<{ child: ChildProcess; address: string }> {
    const child = spawn(process.execPath, [serverScript, '--address', '127.0.0.1:0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = /listening on (\S+)/.exec(line);
        if (match) resolve({ child, address: match[1]! });
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    });
  }

  const exited = (child: ChildProcess) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

  it('comes back with every id, version, config and mode', async () => {
    const args = ['--storage', 'sqlite', '--sqlite-path', join(tmp, 'killed.db')];
    const before = await startProcess(args);
    const client = registryClient(before.address);
    await populate(client.call);
    const acknowledged = await snapshot(client.call);
    client.close();

    const gone = exited(before.child);
    before.child.kill('SIGKILL');
    expect(await gone).toMatchObject({ signal: 'SIGKILL' });

    const after = await startProcess(args);
    const again = registryClient(after.address);
    try {
      expect(await snapshot(again.call)).toEqual(acknowledged);
      const id = (await again.call('RegisterSchema', { subject: 'after-restart', schema: '"bytes"' })).id;
      expect(id).toBe((acknowledged as { maxId: number }).maxId + 1);
    } finally {
      again.close();
      const stopped = exited(after.child);
      after.child.kill('SIGTERM');
      expect(await stopped).toEqual({ code: 0, signal: null });
    }
  });

  it('refuses to start without what the chosen storage needs', async () => {
    await expect(startProcess(['--storage', 'postgres'])).rejects.toThrow(/--postgres-url/);
    await expect(startProcess(['--storage', 'floppy'])).rejects.toThrow(/--storage must be one of/);
  });
});
