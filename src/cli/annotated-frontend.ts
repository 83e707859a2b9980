// A Frontend that serves the google.api.http annotations of a .proto file as
// they are: the file (and the local files it imports) travel inside the
// Frontend, and every annotated service becomes a route source.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import protobuf from 'protobufjs';
import type { Frontend, ProtoFile } from '../frontend/model.js';
import { PROTO_DIR } from '../protos/root.js';

/** The file and every import found next to it (shipped and well-known protos are left out). */
export function collectProtoFiles(file: string, includeDirs: readonly string[] = []): ProtoFile[] {
  const dirs = [dirname(file), ...includeDirs];
  const out = new Map<string, string>();
  const visit = (name: string, path: string) => {
    if (out.has(name)) return;
    const content = readFileSync(path, 'utf8');
    out.set(name, content);
    const parsed = protobuf.parse(content, new protobuf.Root(), { keepCase: true });
    for (const dep of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      if (dep.startsWith('google/protobuf/') || existsSync(join(PROTO_DIR, dep))) continue;
      const found = dirs.map((d) => join(d, dep)).find((p) => existsSync(p));
      if (!found) throw new Error(`${name}: import '${dep}' not found in ${dirs.join(', ')}`);
      visit(dep, found);
    }
  };
  visit(basename(file), file);
  return [...out].map(([name, content]) => ({ name, content }));
}

/** Services declared in the file itself that carry at least one google.api.http rule. */
function annotatedServices(file: ProtoFile): string[] {
  const root = protobuf.parse(file.content, new protobuf.Root(), { keepCase: true }).root;
  const services: string[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Service) {
        const annotated = nested.methodsArray.some((m) => (m.parsedOptions ?? []).some((o: Record<string, unknown>) => '(google.api.http)' in o));
        if (annotated) services.push(nested.fullName.replace(/^\./, ''));
      } else if (nested instanceof protobuf.Namespace) {
        walk(nested);
      }
    }
  };
  walk(root);
  return services;
}

export function annotatedFrontend(name: string, file: string, includeDirs: readonly string[] = []): Frontend {
  const protos = collectProtoFiles(file, includeDirs);
  const services = annotatedServices(protos[0]);
  if (services.length === 0) throw new Error(`${file}: no service with google.api.http annotations`);
  return {
    name,
    type: 'REST',
    description: `google.api.http annotations of ${basename(file)}`,
    rest: { protos, annotated_services: services },
  };
}
