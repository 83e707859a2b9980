// The benchmark's child processes: started, waited for, measured from /proc
// and always stopped, however the benchmark ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const STOP_GRACE_MS = 5_000;
// Clock ticks per second of /proc/PID/stat times; 100 on every Linux Node supports.
const CLOCK_TICKS = 100;

export interface Started {
  name: string;
  child: ChildProcess;
  /** Where its stdout and stderr go. */
  log: string;
  exited: Promise<void>;
}

const running = new Set<Started>();

/** Starts `node args...` with its output in `log`. */
export function startNode(name: string, args: string[], log: string, env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(log);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const started: Started = { name, child, log, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

/** Runs a command to completion and returns its stdout; it is stopped with the rest if the benchmark ends first. */
export function runToEnd(name: string, file: string, args: string[]): Promise<string> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: Started = { name, child, log: '', exited };
  running.add(started);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      running.delete(started);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${name} failed (code ${code}, signal ${signal}): ${stdout.slice(-500)}`));
    });
  });
}

/** SIGTERM to everything still running, SIGKILL to what has not exited after a grace period. */
export async function stopAll(): Promise<void> {
  const all = [...running];
  for (const s of all) s.child.kill('SIGTERM');
  await Promise.all(
    all.map(async (s) => {
      const kill = setTimeout(() => s.child.kill('SIGKILL'), STOP_GRACE_MS);
      await s.exited;
      clearTimeout(kill);
    }),
  );
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** pid → [parent pid, user+system ticks] for every process now alive. */
function processTable(): Map<number, [number, number]> {
  const table = new Map<number, [number, number]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(entry), [Number(fields[1]), Number(fields[11]) + Number(fields[12])]);
  }
  return table;
}

/** CPU seconds (user + system) used so far by `pid` and all its descendants, and how many they are. */
export function treeCpu(pid: number): { processes: number; seconds: number } {
  const table = processTable();
  const inTree = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, [ppid]] of table) {
      if (!inTree.has(p) && inTree.has(ppid)) {
        inTree.add(p);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const p of inTree) ticks += table.get(p)?.[1] ?? 0;
  return { processes: inTree.size, seconds: ticks / CLOCK_TICKS };
}

/** Polls `check` until it resolves true, or fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
