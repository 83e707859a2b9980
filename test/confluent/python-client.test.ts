// Confluent's Python client (Debian's python3-confluent-kafka 1.7) against the
// proxy: runs examples/clients/python_schema_registry.py with /usr/bin/python3
// (the system interpreter that apt installs into, not whatever python3 comes
// first on PATH). Skipped, saying why, only when that interpreter cannot
// import confluent_kafka and requests and CI is not set; under CI it must run.
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../../src/protos/root.js';
import { closedPort } from '../integration/helpers.js';
import { startSchemaRegistry, type SchemaRegistryStack } from './setup.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(PROJECT_DIR, 'examples', 'clients', 'python_schema_registry.py');
const INSTALL = 'apt-get update && apt-get install -y python3-confluent-kafka python3-requests';

const probe = spawnSync(PYTHON, ['-c', 'import confluent_kafka, requests'], { encoding: 'utf8' });
const available = probe.status === 0;
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';
const why = probe.error ? probe.error.message : probe.stderr.trim().split('\n').at(-1);
if (!available && !inCi) {
  console.warn(`python-client.test.ts skipped: ${PYTHON} cannot import confluent_kafka and requests (${why}); install them with: ${INSTALL}`);
}

function runScript(url: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, [SCRIPT, url], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe.skipIf(!available && !inCi)('Python confluent-kafka SchemaRegistryClient', () => {
  let sr: SchemaRegistryStack;

  beforeAll(async () => {
    if (!available) throw new Error(`CI is set but ${PYTHON} cannot import confluent_kafka and requests (${why}); run: ${INSTALL}`);
    sr = await startSchemaRegistry();
  });

  afterAll(async () => {
    await sr?.close();
  });

  it('passes every check of examples/clients/python_schema_registry.py', async () => {
    const { code, output } = await runScript(sr.url);
    expect(output).toContain('all 10 checks passed');
    expect(output).not.toContain('FAILED');
    expect(code, output).toBe(0);
  });

  it('runs again against the same registry (subjects are tagged per run)', async () => {
    const { code, output } = await runScript(`${sr.url}/`);
    expect(code, output).toBe(0);
  });

  it('exits non-zero and names the failed checks when the registry is unreachable', async () => {
    const { code, output } = await runScript(`http://127.0.0.1:${await closedPort()}`);
    expect(code).toBe(1);
    expect(output).toContain('FAILED  register a schema');
    expect(output).toContain('10 of 10 checks failed');
  });
});
