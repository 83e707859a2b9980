// First-start seed of an empty admin store from YAML files: frontends in a
// directory, backends in its backends/ subdirectory and namespaces in its
// namespaces/ subdirectory. Every file is checked as the ControlPlane service
// checks a registration, and either all of them are stored or none.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frontend, Namespace } from '../frontend/model.js';
import { MappingError } from '../mapping/proto-json.js';
import type { AdminStore } from './admin-store.js';
import { DEFINITION_TYPES, readDefinitionFile } from './definition-file.js';
import type { Backend } from './model.js';
import type { ConfigStore } from './store.js';
import { checkBackend, checkFrontend, checkNamespace, formatProblems, type Problem } from './validation.js';

export interface SeedResult {
  backends: Backend[];
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

/** The YAML files of `dir`, none when it does not exist. */
function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((entry) => /\.ya?ml$/.test(entry))
    .sort()
    .map((entry) => join(dir, entry));
}

/** A definition file's object; its `revision` is the admin's to assign. */
function readDefinition<T>(file: string, typeName: string): T {
  const { revision: _assignedByAdmin, ...definition } = readDefinitionFile<T & { revision?: string }>(file, typeName);
  return definition as T;
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

/** Every definition under `dir`, checked together; throws SeedError naming each failing file. */
function readSeedDirectory(dir: string): SeedResult {
  const frontends = parseFiles<Frontend>(yamlFiles(dir), DEFINITION_TYPES.frontend, checkFrontend);
  flagDuplicateNames(frontends);
  const backends = parseFiles<Backend>(yamlFiles(join(dir, 'backends')), DEFINITION_TYPES.backend, checkBackend);
  flagDuplicateNames(backends);
  const frontendsByName = byName(frontends);
  const backendsByName = byName(backends);
  const namespaces = parseFiles<Namespace>(yamlFiles(join(dir, 'namespaces')), DEFINITION_TYPES.namespace, (namespace) => {
    const { invalid, missingReferences } = checkNamespace(
      namespace,
      (name) => frontendsByName.get(name),
      (name) => backendsByName.get(name),
    );
    return [...invalid, ...missingReferences];
  });
  flagDuplicateNames(namespaces);

  const all = [...frontends, ...backends, ...namespaces];
  const failures = new Map(all.filter((p) => p.problems.length).map((p) => [p.file, p.problems]));
  if (failures.size) throw new SeedError(failures);
  const values = <T>(parsed: Parsed<T>[]) => parsed.map((p) => p.value!);
  return { backends: values(backends), frontends: values(frontends), namespaces: values(namespaces) };
}

function byName<T extends { name: string }>(parsed: Parsed<T>[]): Map<string, T> {
  return new Map(parsed.flatMap((p) => (p.value ? [[p.value.name, p.value] as const] : [])));
}

function nothingSeeded(): SeedResult {
  return { backends: [], frontends: [], namespaces: [] };
}

const CREATE = { mode: 'create' } as const;

/** Seeds an empty store (revision 0) from `dir`; returns what it stored, nothing if the store was not empty. */
export function seedFromDirectory(store: ConfigStore, dir: string): SeedResult {
  if (store.currentRevision() !== 0) return nothingSeeded();
  const seed = readSeedDirectory(dir);
  return store.atomically(() => ({
    backends: seed.backends.map((b) => store.backends.put(b, CREATE)),
    frontends: seed.frontends.map((f) => store.frontends.put(f, CREATE)),
    namespaces: seed.namespaces.map((n) => store.namespaces.put(n, CREATE)),
  }));
}

/**
 * seedFromDirectory() for any AdminStore. Several admin processes may start
 * on one new database at once: the emptiness check is repeated inside the
 * write transaction, so exactly one of them seeds.
 */
export async function seedAdminStore(store: AdminStore, dir: string): Promise<SeedResult> {
  if ((await store.currentRevision()) !== 0) return nothingSeeded();
  const seed = readSeedDirectory(dir);
  return store.transaction(async (tx) => {
    const stored = nothingSeeded();
    if ((await tx.revision()) !== 0) return stored;
    for (const backend of seed.backends) stored.backends.push(await tx.put('backend', backend, CREATE));
    for (const frontend of seed.frontends) stored.frontends.push(await tx.put('frontend', frontend, CREATE));
    for (const namespace of seed.namespaces) stored.namespaces.push(await tx.put('namespace', namespace, CREATE));
    return stored;
  });
}
