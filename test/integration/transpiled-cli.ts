// The proxy as users run it: src/ and examples/ transpiled into a temporary
// directory and started as its own process (see cli.test.ts for why dist/ is
// not used under plain vitest), and its pino log read for what it announces.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { PROJECT_DIR } from '../../src/protos/root.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
  });
}

/** Transpiles src/ and examples/ into `out` as ES modules runnable by node; returns main.js. */
export function buildCli(out: string): string {
  const compilerOptions: ts.CompilerOptions = {
    module: ts.ModuleKind.ES2022,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
  };
  for (const file of [...sourceFiles(join(PROJECT_DIR, 'src')), ...sourceFiles(join(PROJECT_DIR, 'examples'))]) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
    const target = join(out, relative(PROJECT_DIR, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  // The proxy finds its project root by the nearest package.json, and proto/ there.
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(join(PROJECT_DIR, 'proto'), join(out, 'proto'));
  symlinkSync(join(PROJECT_DIR, 'node_modules'), join(out, 'node_modules'));
  return join(out, 'src', 'main.js');
}

export interface RunningCli {
  child: ChildProcess;
  /** The `address` field of the awaited log line. */
  address: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Spawns the CLI and waits for the log line (pino JSON on stdout) whose msg is `announcement`. */
export async function startCli(main: string, args: string[], announcement: string, env: Record<string, string> = {}): Promise<RunningCli> {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', PRISM_WORKERS: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${announcement}" line within 10 s; stderr:\n${stderr}`)), 10_000);
    lines.on('line', (line) => {
      let entry: { msg?: string; address?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === announcement && entry.address) {
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`prism-proxy exited with ${code} before "${announcement}"; stderr:\n${stderr}`));
    });
  });
  return { child, address, exited, stderr: () => stderr };
}
