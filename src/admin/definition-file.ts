// Definition files: one YAML mapping per file, holding a Backend, Frontend or
// Namespace with proto field names (the form of the files under routes/).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { decodePlain, encodePlain } from '../grpc/service-definition.js';
import { shippedRoot } from '../protos/root.js';

export const DEFINITION_TYPES = {
  backend: 'prism.admin.v1.Backend',
  frontend: 'prism.frontend.v1.Frontend',
  namespace: 'prism.admin.v1.Namespace',
} as const;

/**
 * `value` in the form the gRPC API stores: a round trip through the proto
 * message drops what the model cannot hold and refuses unknown fields and
 * wrong types (MappingError names the field).
 */
export function canonicalDefinition<T>(value: Record<string, unknown>, typeName: string): T {
  const type = shippedRoot().lookupType(typeName);
  return decodePlain(type, encodePlain(type, value)) as T;
}

export function parseDefinition<T>(text: string, typeName: string): T {
  const value: unknown = parseYaml(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a YAML mapping');
  return canonicalDefinition<T>(value as Record<string, unknown>, typeName);
}

export function readDefinitionFile<T>(file: string, typeName: string): T {
  return parseDefinition<T>(readFileSync(file, 'utf8'), typeName);
}
