// First-start seed of an empty admin store from YAML files: frontends in a
// directory, namespaces in its namespaces/ subdirectory. Every file is checked
// as the ControlPlane service checks a registration, and either all of them
// are stored or none.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Frontend, Namespace } from '../frontend/model.js';
import { decodePlain, encodePlain } from '../grpc/service-definition.js';
import { MappingError } from '../mapping/proto-json.js';
import { shippedRoot } from '../protos/root.js';
import type { ConfigStore } from './store.js';
import { checkFrontend, checkNamespace, formatProblems, type Problem } from './validation.js';

export interface SeedResult {
  frontends: Frontend[];
  namespaces: Namespace[];
}

export class SeedError extends Error {
  constructor(readonly failures: ReadonlyMap<string, readonly Problem[]>) {
    const lines = [...failures].map(([file, problems]) => `${file}:\n${indent(formatProblems(problems))}`);
    super(`seed refused, nothing stored:\n${lines.join('\n')}`);
    this.name = 'SeedError';
  }
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((entry) => /\.ya?ml$/.test(entry))
    .sort()
    .map((entry) => join(dir, entry));
}

/**
 * The file's object in the form the gRPC API stores: a round trip through the
 * proto message drops what the model cannot hold and refuses unknown fields.
 */
function readDefinition<T>(file: string, typeName: string): T {
  const value: unknown = parseYaml(readFileSync(file, 'utf8'));
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a YAML mapping');
  const { revision: _assignedByAdmin, ...definition } = value as Record<string, unknown>;
  const type = shippedRoot().lookupType(typeName);
  return decodePlain(type, encodePlain(type, definition)) as T;
}

interface Parsed<T> {
  file: string;
  value?: T;
  problems: Problem[];
}

function parseFiles<T extends { name: string }>(files: string[], typeName: string, check: (value: T) => Problem[]): Parsed<T>[] {
  return files.map((file) => {
    try {
      const value = readDefinition<T>(file, typeName);
      return { file, value, problems: check(value) };
    } catch (err) {
      const field = err instanceof MappingError ? err.field : '';
      return { file, problems: [{ field, description: (err as Error).message }] };
    }
  });
}

/** A name defined by two files is a problem of the second. */
function flagDuplicateNames<T extends { name: string }>(parsed: Parsed<T>[]): void {
  const firstFile = new Map<string, string>();
  for (const entry of parsed) {
    const name = entry.value?.name;
    if (!name) continue;
    const first = firstFile.get(name);
    if (first) entry.problems.push({ field: 'name', description: `'${name}' is also defined in ${first}` });
    else firstFile.set(name, entry.file);
  }
}

/** Seeds an empty store (revision 0) from `dir`; returns what it stored, nothing if the store was not empty. */
export function seedFromDirectory(store: ConfigStore, dir: string): SeedResult {
  if (store.currentRevision() !== 0) return { frontends: [], namespaces: [] };

  const frontends = parseFiles<Frontend>(yamlFiles(dir), 'prism.frontend.v1.Frontend', checkFrontend);
  flagDuplicateNames(frontends);
  const byName = new Map(frontends.flatMap((f) => (f.value ? [[f.value.name, f.value] as const] : [])));

  const namespaceDir = join(dir, 'namespaces');
  const namespaceFiles = existsSync(namespaceDir) ? yamlFiles(namespaceDir) : [];
  const namespaces = parseFiles<Namespace>(namespaceFiles, 'prism.admin.v1.Namespace', (namespace) => {
    const { invalid, missingReferences } = checkNamespace(namespace, (name) => byName.get(name));
    return [...invalid, ...missingReferences];
  });
  flagDuplicateNames(namespaces);

  const failures = new Map([...frontends, ...namespaces].filter((p) => p.problems.length).map((p) => [p.file, p.problems]));
  if (failures.size) throw new SeedError(failures);

  return store.atomically(() => ({
    frontends: frontends.map((f) => store.frontends.put(f.value!, { mode: 'create' })),
    namespaces: namespaces.map((n) => store.namespaces.put(n.value!, { mode: 'create' })),
  }));
}
