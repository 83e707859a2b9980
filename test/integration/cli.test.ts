// The one-command mode as a user runs it: `prism-proxy --proto FILE --backend
// HOST:PORT --port 0` in its own process, serving a .proto's google.api.http
// rules against a grpc-js backend, and shutting down on SIGTERM.
//
// Which build runs: dist/ is written by `npm run build`, `npm ci`'s prepare
// and the `tsc -p tsconfig.json` step of `npm test`, but not by `npx vitest
// run` (nor watch mode), so under plain vitest it can be older than src/.
// Rebuilding dist/ from here would write files other runs read, and a full
// tsc run type-checks the whole project (6-12 s here) for nothing: the type
// check is `npm test`'s job. So beforeAll transpiles the current src/ and
// examples/ with the TypeScript compiler API (transpileModule, about a
// second) into a temporary directory, next to a package.json and links to
// proto/ and node_modules/, and runs src/main.js from there. PRISM_WORKERS=2
// keeps the default cluster mode but bounds it on many-core machines.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRoot } from '../../src/protos/root.js';
import { buildCli, startCli, type RunningCli } from './transpiled-cli.js';
import {
  Http,
  THINGS_PROTO,
  THINGS_SERVICE,
  eventually,
  sleep,
  startBackend,
  thingsAnswers,
  type Backend,
} from './helpers.js';

const BACKEND_DELAY_MS = 500;

describe('prism-proxy --proto FILE --backend HOST:PORT --port 0', () => {
  let work: string;
  let main: string;
  let protoFile: string;
  let backend: Backend;
  let slowArrived = 0;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'prism-cli-'));
    main = buildCli(join(work, 'build'));
    mkdirSync(join(work, 'protos'));
    protoFile = join(work, 'protos', 'things.proto');
    writeFileSync(protoFile, THINGS_PROTO);

    const answers = thingsAnswers();
    backend = await startBackend(
      {
        [THINGS_SERVICE]: {
          ...answers,
          // "slow" takes BACKEND_DELAY_MS, for the graceful shutdown test.
          GetThing: async (request, call) => {
            if (request.id !== 'slow') return answers.GetThing(request, call);
            slowArrived++;
            await sleep(BACKEND_DELAY_MS);
            return { id: 'slow', name: 'worth the wait' };
          },
        },
      },
      { root: buildRoot([{ name: 'things.proto', content: THINGS_PROTO }]) },
    );
  });

  afterAll(async () => {
    for (const cli of running) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await backend?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const start = async () => {
    const cli = await startCli(main, ['--proto', protoFile, '--backend', backend.address, '--port', '0'], 'serving annotated protos');
    running.push(cli);
    expect(cli.address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    return cli;
  };

  it('serves the annotated GET and POST routes, then exits 0 on SIGTERM', async () => {
    const cli = await start();
    const http = new Http(`http://${cli.address}`);
    try {
      const created = await http.sendJson('POST', '/v1/things', { id: 'cli-1', name: 'kettle', size: 2 });
      expect(created.status).toBe(200);
      expect(created.json()).toEqual({ id: 'cli-1', name: 'kettle', size: 2, version: expect.stringMatching(/^\d+$/) });

      const got = await http.get('/v1/things/cli-1');
      expect(got.status).toBe(200);
      expect(got.json()).toMatchObject({ id: 'cli-1', name: 'kettle', size: 2 });

      const missing = await http.get('/v1/things/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.json()).toMatchObject({ code: 5 });
      expect((await http.get('/v1/other')).status).toBe(404);
      expect((await http.get('/readyz')).status).toBe(200);
    } finally {
      await http.close();
    }

    cli.child.kill('SIGTERM');
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
  });

  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const cli = await start();
    const http = new Http(`http://${cli.address}`);
    try {
      const before = slowArrived;
      const started = Date.now();
      const inFlight = http.get('/v1/things/slow');
      await eventually(async () => slowArrived > before, 5000, 'the slow call at the backend');
      cli.child.kill('SIGTERM');

      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ id: 'slow', name: 'worth the wait' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(BACKEND_DELAY_MS - 10);

      const { code } = await cli.exited;
      expect(code, cli.stderr()).toBe(0);
    } finally {
      await http.close();
    }
  });
});
