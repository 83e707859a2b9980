// Builds protobufjs Roots from the interface protos shipped in proto/ plus
// any .proto sources a Frontend carries. Field names are kept as written in
// the .proto (keepCase), so field paths everywhere are proto names.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import Long from 'long';

// protobufjs decodes 64-bit integers exactly only when Long is installed.
protobuf.util.Long = Long;
protobuf.configure();

export interface ProtoSource {
  name: string;
  content: string;
}

export class ProtoLoadError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ProtoLoadError';
  }
}

function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const PROJECT_DIR = findProjectRoot();
export const PROTO_DIR = join(PROJECT_DIR, 'proto');

function listProtoFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listProtoFiles(full));
    else if (entry.endsWith('.proto')) out.push(relative(PROTO_DIR, full).split(sep).join('/'));
  }
  return out.sort();
}

/** Import paths of every .proto shipped in proto/. */
export const SHIPPED_PROTOS: readonly string[] = listProtoFiles(PROTO_DIR);

const PARSE_OPTIONS = { keepCase: true, alternateCommentMode: false, preferTrailingComment: false };

/**
 * A Root holding the shipped protos, the well-known types and `extra`
 * sources (import paths resolve against `extra` first, then proto/,
 * then the directories in `includeDirs`).
 */
export function buildRoot(extra: readonly ProtoSource[] = [], includeDirs: readonly string[] = []): protobuf.Root {
  const root = new protobuf.Root();
  const inMemory = new Map(extra.map((f) => [f.name, f.content]));
  const done = new Set<string>();

  const readSource = (name: string): string | undefined => {
    const mem = inMemory.get(name);
    if (mem !== undefined) return mem;
    for (const dir of [PROTO_DIR, ...includeDirs]) {
      const p = join(dir, name);
      if (existsSync(p)) return readFileSync(p, 'utf8');
    }
    return undefined;
  };

  const load = (name: string, importer: string): void => {
    if (done.has(name)) return;
    done.add(name);
    // protobufjs bundles the well-known types (google/protobuf/*.proto).
    if (name.startsWith('google/protobuf/')) {
      const json = (protobuf.common as unknown as Record<string, unknown>)[name];
      if (json) {
        root.addJSON((json as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
        return;
      }
      if (name === 'google/protobuf/descriptor.proto') {
        const p = join(PROJECT_DIR, 'node_modules/protobufjs/google/protobuf/descriptor.proto');
        parseInto(name, readFileSync(p, 'utf8'));
        return;
      }
    }
    const source = readSource(name);
    if (source === undefined) throw new ProtoLoadError(importer, `import '${name}' not found`);
    parseInto(name, source);
  };

  const parseInto = (name: string, source: string): void => {
    let parsed: protobuf.IParserResult;
    try {
      // protobufjs stamps this name on every object it parses, which lets a resolve error name its file.
      (protobuf.parse as unknown as { filename: string | null }).filename = name;
      parsed = protobuf.parse(source, root, PARSE_OPTIONS);
    } catch (err) {
      throw new ProtoLoadError(name, (err as Error).message);
    }
    for (const dep of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) load(dep, name);
  };

  for (const name of SHIPPED_PROTOS) load(name, name);
  for (const f of extra) load(f.name, f.name);
  try {
    root.resolveAll();
  } catch (err) {
    throw new ProtoLoadError(fileOfUnresolved(root) ?? extra[0]?.name ?? 'proto/', (err as Error).message);
  }
  return root;
}

/** The file of the first type or service whose references do not resolve. */
function fileOfUnresolved(ns: protobuf.NamespaceBase): string | undefined {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Service) {
      try {
        for (const member of nested instanceof protobuf.Type ? nested.fieldsArray : nested.methodsArray) member.resolve();
      } catch {
        return nested.filename ?? undefined;
      }
    }
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) {
      const inner = fileOfUnresolved(nested);
      if (inner) return inner;
    }
  }
  return undefined;
}

let shipped: protobuf.Root | undefined;
/** The Root of proto/ alone, built once. */
export function shippedRoot(): protobuf.Root {
  shipped ??= buildRoot();
  return shipped;
}
