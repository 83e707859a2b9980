// node dist/bench/reload-bench.js [--duration S] [--concurrency N] [--interval MS] [--workers N]
//
// Live reconfiguration under load. Runs the proxy as it ships (node
// dist/src/main.js with its embedded admin and --workers processes) in front
// of the keyvalue example pattern (its own process), drives a closed loop of
// GET /kv/{key} at a steady concurrency, and meanwhile, every --interval ms,
// commits a change through the admin's API: alternately an update of the
// keyvalue-rest frontend (its description, which recompiles it) and a rebind
// (a second binding at /kv2 added or removed). Prints the requests sent, how
// many failed (non-2xx, socket errors), the changes committed and served, and
// the longest time from a commit to every worker serving it, as the workers
// report it to the admin right after applying (ListProxyStatuses: one cheap
// call to the admin, where scraping /metrics that often would load every
// worker). Exits 1 if a request failed or a change was not served.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool, request } from 'undici';
import { AdminClient } from '../src/admin/client.js';
import { DEFINITION_TYPES, parseDefinition } from '../src/admin/definition-file.js';
import type { Frontend, Namespace } from '../src/frontend/model.js';
import { freePort, startNode, stopAll, tail, waitFor, type Started } from './processes.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROJECT = join(DIST, '..');
const KEY = 'reload-key';
const START_TIMEOUT_MS = 20_000;
// A change not served by then counts as not served.
const SERVE_TIMEOUT_MS = 5_000;
const REVISION_POLL_MS = 10;

interface Options {
  durationS: number;
  concurrency: number;
  intervalMs: number;
  workers: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '32' },
      interval: { type: 'string', default: '200' },
      workers: { type: 'string', default: '2' },
    },
  });
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!(n > 0)) throw new Error(`--${name}: '${text}' is not a positive number`);
    return n;
  };
  return {
    durationS: positive('duration', values.duration!),
    concurrency: Math.round(positive('concurrency', values.concurrency!)),
    intervalMs: positive('interval', values.interval!),
    workers: Math.round(positive('workers', values.workers!)),
  };
}

// ---- the stack ----

async function startPattern(work: string): Promise<string> {
  const address = `127.0.0.1:${await freePort()}`;
  const pattern = startNode('keyvalue pattern', [join(DIST, 'examples', 'keyvalue', 'server.js'), '--address', address], join(work, 'pattern.log'));
  await waitFor('keyvalue pattern', START_TIMEOUT_MS, async () => {
    if (pattern.child.exitCode !== null) throw new Error(`keyvalue pattern exited:\n${tail(pattern.log)}`);
    return tail(pattern.log).includes('listening');
  });
  return address;
}

/** The proxy with an empty embedded admin: the benchmark configures it through the API, as an operator would. */
async function startProxy(work: string, opts: Options): Promise<{ proxy: Started; base: string; admin: string }> {
  const emptyRoutes = join(work, 'routes');
  mkdirSync(emptyRoutes);
  const port = await freePort();
  const admin = `127.0.0.1:${await freePort()}`;
  const proxy = startNode(
    'proxy',
    [
      join(DIST, 'src', 'main.js'),
      '--no-examples',
      '--listen', `127.0.0.1:${port}`,
      '--admin-listen', admin,
      '--data-dir', join(work, 'data'),
      '--routes', emptyRoutes,
      '--workers', String(opts.workers),
    ],
    join(work, 'proxy.log'),
    { LOG_LEVEL: 'warn' },
  );
  return { proxy, base: `http://127.0.0.1:${port}`, admin };
}

function definition<T>(file: string, type: string): T {
  return parseDefinition<T>(readFileSync(join(PROJECT, 'routes', file), 'utf8'), type);
}

async function status(url: string, method: 'GET' | 'PUT' = 'GET', body?: string): Promise<number> {
  const res = await request(url, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
  await res.body.dump();
  return res.statusCode;
}

/**
 * Registers keyvalue-rest and the namespace binding it to the pattern;
 * resolves with the revision once every worker serves them and the key is seeded.
 */
async function configure(admin: AdminClient, proxy: Started, base: string, pattern: string, workers: number): Promise<bigint> {
  await waitFor('admin', START_TIMEOUT_MS, async () => {
    if (proxy.child.exitCode !== null) throw new Error(`proxy exited:\n${tail(proxy.log)}`);
    await admin.listFrontends();
    return true;
  });
  await admin.registerFrontend(definition<Frontend>('keyvalue-rest.yaml', DEFINITION_TYPES.frontend));
  const ns = definition<Namespace>(join('namespaces', 'default.yaml'), DEFINITION_TYPES.namespace);
  const registered = await admin.registerNamespace({ ...ns, pattern: { ...ns.pattern, endpoints: [pattern] } });
  await waitFor('proxy', START_TIMEOUT_MS, async () => {
    // Connections go to workers in turn: a few ready answers in a row cover every worker.
    for (let i = 0; i < workers * 2; i++) if ((await status(`${base}/readyz`)) !== 200) return false;
    return true;
  });
  const value = Buffer.from('steady').toString('base64');
  if ((await status(`${base}/kv/${KEY}`, 'PUT', JSON.stringify({ value }))) !== 200) throw new Error('seeding the key failed');
  return BigInt(registered.revision!);
}

// ---- load ----

interface LoadCounts {
  sent: number;
  ok: number;
  /** Status code → count, for everything not 2xx. */
  non2xx: Map<number, number>;
  /** Error code → count, for requests that got no reply. */
  socketErrors: Map<string, number>;
}

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
const total = (map: Map<unknown, number>) => [...map.values()].reduce((a, b) => a + b, 0);

/** `concurrency` GETs always in flight until `endAt`. */
async function steadyLoad(url: string, concurrency: number, endAt: number): Promise<LoadCounts> {
  const { origin, pathname } = new URL(url);
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const counts: LoadCounts = { sent: 0, ok: 0, non2xx: new Map(), socketErrors: new Map() };
  const loop = async () => {
    while (Date.now() < endAt) {
      counts.sent++;
      try {
        const res = await pool.request({ path: pathname, method: 'GET' });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) counts.ok++;
        else bump(counts.non2xx, res.statusCode);
      } catch (err) {
        bump(counts.socketErrors, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  await pool.close();
  return counts;
}

// ---- changes ----

interface Commit {
  revision: bigint;
  kind: 'update' | 'rebind';
  at: number;
  /** ms from the commit to every worker serving it. */
  lagMs?: number;
}

/** keyvalue-rest with another description: a new revision, so the proxy recompiles and swaps it. */
async function updateFrontend(admin: AdminClient, n: number): Promise<string> {
  const current = await admin.getFrontend('keyvalue-rest');
  const updated = await admin.updateFrontend({ ...current, description: `reload bench change ${n}` }, current.revision);
  return updated.revision!;
}

/** Adds a second binding of keyvalue-rest at /kv2, or removes it. */
async function rebind(admin: AdminClient): Promise<string> {
  const ns = await admin.getNamespace('default');
  const bindings = ns.frontends ?? [];
  const bound = bindings.some((b) => b.base_path === '/kv2');
  const frontends = bound ? bindings.filter((b) => b.base_path !== '/kv2') : [...bindings, { frontend: 'keyvalue-rest', base_path: '/kv2' }];
  const updated = await admin.updateNamespace({ ...ns, frontends }, ns.revision);
  return updated.revision!;
}

/** One change every `intervalMs` until `endAt`, alternating the two kinds. */
async function changeSteadily(admin: AdminClient, intervalMs: number, endAt: number, commits: Commit[]): Promise<void> {
  for (let n = 0; Date.now() < endAt; n++) {
    const tick = Date.now();
    const kind = n % 2 === 0 ? 'update' : 'rebind';
    const revision = kind === 'update' ? await updateFrontend(admin, n) : await rebind(admin);
    commits.push({ revision: BigInt(revision), kind, at: Date.now() });
    await new Promise((r) => setTimeout(r, Math.max(0, tick + intervalMs - Date.now())));
  }
}

/** The revision every worker serves at least; undefined until each of them has reported. */
async function servedRevision(admin: AdminClient, workers: number): Promise<bigint | undefined> {
  const proxies = await admin.listProxyStatuses();
  if (proxies.length < workers) return undefined;
  return proxies.map((p) => BigInt(p.applied_revision ?? '0')).reduce((a, b) => (a < b ? a : b));
}

/** Polls the served revision and stamps each commit's lag; stops when `done()` and every commit is served, or at the timeout. */
async function watchServed(served: () => Promise<bigint | undefined>, commits: Commit[], done: () => boolean): Promise<bigint | undefined> {
  let deadline = Infinity;
  let revision: bigint | undefined;
  for (;;) {
    revision = (await served().catch(() => undefined)) ?? revision;
    const now = Date.now();
    for (const c of commits) if (c.lagMs === undefined && revision !== undefined && revision >= c.revision) c.lagMs = now - c.at;
    if (done()) {
      deadline = Math.min(deadline, now + SERVE_TIMEOUT_MS);
      if (commits.every((c) => c.lagMs !== undefined) || now > deadline) return revision;
    }
    await new Promise((r) => setTimeout(r, REVISION_POLL_MS));
  }
}

// ---- report ----

function describeCounts(map: Map<string | number, number>): string {
  return map.size ? ` (${[...map].map(([k, n]) => `${k}: ${n}`).join(', ')})` : '';
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;
}

function report(opts: Options, load: LoadCounts, commits: Commit[], before: bigint | undefined, after: bigint | undefined): string {
  const lags = commits.flatMap((c) => (c.lagMs === undefined ? [] : [c.lagMs])).sort((a, b) => a - b);
  const kinds = (kind: Commit['kind']) => commits.filter((c) => c.kind === kind).length;
  const row = (label: string, value: string) => `${label.padEnd(22)}${value}`;
  return [
    `GET /kv/${KEY}: ${opts.concurrency} concurrent for ${opts.durationS} s through node dist/src/main.js --workers ${opts.workers};` +
      ` a change every ${opts.intervalMs} ms`,
    row('requests sent', `${load.sent} (${Math.round(load.sent / opts.durationS)}/s)`),
    row('2xx', String(load.ok)),
    row('non-2xx', `${total(load.non2xx)}${describeCounts(load.non2xx)}`),
    row('socket errors', `${total(load.socketErrors)}${describeCounts(load.socketErrors)}`),
    row('changes committed', `${commits.length} (${kinds('update')} frontend updates, ${kinds('rebind')} rebinds of /kv2)`),
    row('changes served', `${lags.length} by every worker; served revision ${before ?? '?'} before → ${after ?? '?'} after`),
    row('commit → served', `max ${lags.at(-1) ?? '-'} ms, p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms` +
      ` (ListProxyStatuses polled every ${REVISION_POLL_MS} ms)`),
  ].join('\n');
}

// ---- main ----

let workDir: string | undefined;
let admin: AdminClient | undefined;

async function cleanUp(): Promise<void> {
  admin?.close();
  await stopAll();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

async function main(argv: string[]): Promise<number> {
  const opts = options(argv);
  const work = (workDir = mkdtempSync(join(tmpdir(), 'prism-reload-bench-')));
  const pattern = await startPattern(work);
  const stack = await startProxy(work, opts);
  admin = new AdminClient(stack.admin);
  const configured = await configure(admin, stack.proxy, stack.base, pattern, opts.workers);
  const served = () => servedRevision(admin!, opts.workers);
  // Workers report right after applying, so the reports may trail /readyz a little.
  await waitFor('status reports', START_TIMEOUT_MS, async () => ((await served()) ?? -1n) >= configured);
  const before = await served();
  console.error(`proxy up (${opts.workers} workers), admin ${stack.admin}, pattern ${pattern}; loading for ${opts.durationS} s …`);

  const endAt = Date.now() + opts.durationS * 1000;
  const commits: Commit[] = [];
  let changing = true;
  const [load, , after] = await Promise.all([
    steadyLoad(`${stack.base}/kv/${KEY}`, opts.concurrency, endAt),
    changeSteadily(admin, opts.intervalMs, endAt, commits).finally(() => (changing = false)),
    watchServed(served, commits, () => !changing),
  ]);
  console.log(report(opts, load, commits, before, after));
  const failed = total(load.non2xx) + total(load.socketErrors) > 0 || commits.some((c) => c.lagMs === undefined);
  return failed ? 1 : 0;
}

// Whatever ends the benchmark, the processes it started end with it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything the benchmark started`);
    void cleanUp().then(() => process.exit(130));
  });
}

main(process.argv.slice(2)).then(
  async (code) => {
    await cleanUp();
    process.exit(code);
  },
  async (err: Error) => {
    console.error(`reload-bench: ${err.message}`);
    await cleanUp();
    process.exit(1);
  },
);
