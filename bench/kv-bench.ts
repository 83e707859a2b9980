// npm run bench [-- --duration S --concurrency N --workers N --warmup S]
//
// GET /kv/{key} through the proxy as it ships (node dist/src/main.js in stack
// mode: embedded admin seeded from a keyvalue frontend, --workers worker
// processes) in front of the keyvalue example pattern (its own process), then
// the same Get straight to the pattern with a bare @grpc/grpc-js client at the
// same concurrency. The HTTP load comes from wrk when it is on PATH, else from
// an undici closed loop in its own process. Prints requests/s, p50, p99 for
// both, their ratio, and the CPU the proxy's processes spend per request.
import { availableParallelism } from 'node:os';
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { request } from 'undici';
import type { LoadResult } from './load.js';
import { freePort, runToEnd, startNode, stopAll, tail, treeCpu, waitFor, type Started } from './processes.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROJECT = join(DIST, '..');
const KEY = 'bench-key';
const VALUE = Buffer.from('hello world').toString('base64');
const START_TIMEOUT_MS = 20_000;

// A wrk done() hook printing what the table needs as one JSON line.
const WRK_REPORT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"bad":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
`;

interface Options {
  durationS: number;
  warmupS: number;
  concurrency: number;
  workers: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '64' },
      workers: { type: 'string', default: process.env.PRISM_WORKERS || String(availableParallelism()) },
    },
  });
  const positive = (name: string, text: string, integer: boolean): number => {
    const n = Number(text);
    if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`--${name}: '${text}' is not a positive ${integer ? 'integer' : 'number'}`);
    return n;
  };
  return {
    durationS: positive('duration', values.duration!, false),
    warmupS: Number(values.warmup),
    concurrency: positive('concurrency', values.concurrency!, true),
    workers: positive('workers', values.workers!, true),
  };
}

/** wrk's version line when it is on PATH. */
function wrkVersion(): string | undefined {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  return (probe.stdout + probe.stderr).split('\n')[0].split(' ').slice(0, 2).join(' ');
}

/** The keyvalue frontend and a namespace pointing at the pattern, as the embedded admin's seed. */
function writeRoutes(dir: string, patternAddress: string): void {
  mkdirSync(join(dir, 'namespaces'), { recursive: true });
  copyFileSync(join(PROJECT, 'routes', 'keyvalue-rest.yaml'), join(dir, 'keyvalue-rest.yaml'));
  writeFileSync(
    join(dir, 'namespaces', 'default.yaml'),
    `name: default\npattern:\n  type: keyvalue\n  endpoints: ["${patternAddress}"]\nfrontends:\n  - frontend: keyvalue-rest\n`,
  );
}

async function ok(url: string, method: 'GET' | 'PUT' = 'GET', body?: string): Promise<boolean> {
  const res = await request(url, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
  await res.body.dump();
  return res.statusCode === 200;
}

/** Starts the pattern and the proxy; resolves once the key is seeded and every worker is ready. */
async function startStack(work: string, opts: Options): Promise<{ proxy: Started; url: string; pattern: string }> {
  const patternAddress = `127.0.0.1:${await freePort()}`;
  const pattern = startNode('keyvalue pattern', [join(DIST, 'examples', 'keyvalue', 'server.js'), '--address', patternAddress], join(work, 'pattern.log'));
  await waitFor('keyvalue pattern', START_TIMEOUT_MS, async () => {
    if (pattern.child.exitCode !== null) throw new Error(`keyvalue pattern exited:\n${tail(pattern.log)}`);
    return tail(pattern.log).includes('listening');
  });

  const routes = join(work, 'routes');
  writeRoutes(routes, patternAddress);
  const port = await freePort();
  const proxy = startNode(
    'proxy',
    [
      join(DIST, 'src', 'main.js'),
      '--no-examples',
      '--listen', `127.0.0.1:${port}`,
      '--admin-listen', `127.0.0.1:${await freePort()}`,
      '--data-dir', join(work, 'data'),
      '--routes', routes,
      '--workers', String(opts.workers),
    ],
    join(work, 'proxy.log'),
    { LOG_LEVEL: 'warn' },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor('proxy', START_TIMEOUT_MS, async () => {
    if (proxy.child.exitCode !== null) throw new Error(`proxy exited:\n${tail(proxy.log)}`);
    // Connections go to workers in turn: a few ready answers in a row cover every worker.
    for (let i = 0; i < opts.workers * 2; i++) if (!(await ok(`${base}/readyz`))) return false;
    return true;
  });
  if (!(await ok(`${base}/kv/${KEY}`, 'PUT', JSON.stringify({ value: VALUE })))) throw new Error('seeding the key failed');
  if (!(await ok(`${base}/kv/${KEY}`))) throw new Error(`GET /kv/${KEY} does not answer 200`);
  return { proxy, url: `${base}/kv/${KEY}`, pattern: patternAddress };
}

async function wrkLoad(url: string, opts: Options, script: string, seconds: number): Promise<LoadResult> {
  const args = ['-t1', `-c${opts.concurrency}`, `-d${seconds}s`, '-s', script, url];
  const out = await runToEnd('wrk', 'wrk', args);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const r = JSON.parse(line.slice('RESULT '.length)) as { requests: number; duration_us: number; p50_us: number; p99_us: number; bad: number };
  return { requests: r.requests - r.bad, errors: r.bad, seconds: r.duration_us / 1e6, p50Us: r.p50_us, p99Us: r.p99_us, cpuUsPerRequest: 0 };
}

async function nodeLoad(args: string[]): Promise<LoadResult> {
  const out = await runToEnd('load generator', process.execPath, [join(DIST, 'bench', 'load.js'), ...args]);
  return JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
}

/** HTTP load on the proxy, with the CPU of the proxy's processes over the measured run. */
async function loadProxy(proxy: Started, url: string, opts: Options, wrk: string | undefined, work: string): Promise<{ result: LoadResult; cpuUs: number; processes: number }> {
  const script = join(work, 'report.lua');
  writeFileSync(script, WRK_REPORT);
  const run = (seconds: number) =>
    wrk ? wrkLoad(url, opts, script, seconds) : nodeLoad(['http', url, String(opts.concurrency), '0', String(seconds)]);
  if (opts.warmupS > 0) await run(opts.warmupS);
  const before = treeCpu(proxy.child.pid!);
  const result = await run(opts.durationS);
  const after = treeCpu(proxy.child.pid!);
  const cpuUs = result.requests === 0 ? 0 : Math.round(((after.seconds - before.seconds) * 1e6) / result.requests);
  return { result, cpuUs, processes: after.processes };
}

function table(opts: Options, generator: string, proxy: { result: LoadResult; cpuUs: number; processes: number }, direct: LoadResult): string {
  const rps = (r: LoadResult) => r.requests / r.seconds;
  const ms = (us: number) => (us / 1000).toFixed(2);
  const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const p = proxy.result;
  return [
    `GET /kv/${KEY}: concurrency ${opts.concurrency}, ${opts.durationS} s measured after ${opts.warmupS} s warm-up;` +
      ` proxy: ${opts.workers} worker(s), ${proxy.processes} process(es); HTTP load: ${generator}`,
    '',
    row(['path', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    row(['proxy (HTTP → gRPC)', rps(p).toFixed(0), ms(p.p50Us), ms(p.p99Us), `${proxy.cpuUs} (proxy processes)`, String(p.errors)]),
    row(['direct @grpc/grpc-js', rps(direct).toFixed(0), ms(direct.p50Us), ms(direct.p99Us), `${direct.cpuUsPerRequest} (client process)`, String(direct.errors)]),
    row(['proxy / direct', ratio(rps(p), rps(direct)), ratio(p.p50Us, direct.p50Us), ratio(p.p99Us, direct.p99Us), ratio(proxy.cpuUs, direct.cpuUsPerRequest), '']),
  ].join('\n');
}

let workDir: string | undefined;

async function cleanUp(): Promise<void> {
  await stopAll();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

async function main(argv: string[]): Promise<void> {
  const opts = options(argv);
  const wrk = wrkVersion();
  const generator = wrk ? `${wrk} (-t1)` : 'undici closed loop in its own process (wrk not found on PATH)';
  const work = (workDir = mkdtempSync(join(tmpdir(), 'prism-bench-')));
  try {
    const stack = await startStack(work, opts);
    console.error(`proxy up (${opts.workers} workers), pattern at ${stack.pattern}; loading ${stack.url} …`);
    const proxy = await loadProxy(stack.proxy, stack.url, opts, wrk, work);
    console.error('direct gRPC …');
    const direct = await nodeLoad(['grpc', stack.pattern, KEY, String(opts.concurrency), String(opts.warmupS), String(opts.durationS)]);
    console.log(table(opts, generator, proxy, direct));
  } finally {
    await cleanUp();
  }
}

// Whatever ends the benchmark, the processes it started end with it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything the benchmark started`);
    void cleanUp().then(() => process.exit(130));
  });
}

main(process.argv.slice(2)).catch(async (err: Error) => {
  console.error(`bench: ${err.message}`);
  await cleanUp();
  process.exit(1);
});
