// Between stored rows and the schema parser: resolving references,
// parsing submitted and stored schemas, and the identity that makes two
// schemas "the same schema" (one global id).
import { createHash } from 'node:crypto';
import { invalidSchema } from './errors.js';
import {
  InvalidSchemaError,
  parseSchema,
  type ParsedSchema,
  type ResolvedReferences,
  type SchemaType,
} from './schema/index.js';
import type { SchemaReference, StorageReader, StoredSchema } from './storage/storage.js';

export const SCHEMA_TYPES: readonly SchemaType[] = ['JSON', 'PROTOBUF', 'AVRO'];

/** A schema as a caller submits it. */
export interface SchemaInput {
  schema: string;
  /** As sent: empty means AVRO; any other unknown name makes the schema invalid. */
  schemaType: string;
  references: SchemaReference[];
  normalize: boolean;
}

/** A parsed schema with what makes up its identity. */
export interface Candidate {
  parsed: ParsedSchema;
  references: SchemaReference[];
  identity: string;
}

/**
 * The identity key of a schema: type, canonical text and references (in
 * order). Hashed so that stores can index it whatever the schema's size.
 */
export function identityOf(schemaType: SchemaType, canonical: string, references: readonly SchemaReference[]): string {
  const refs = references.map((ref) => [ref.name, ref.subject, ref.version]);
  return createHash('sha256')
    .update(JSON.stringify([schemaType, canonical, refs]))
    .digest('hex');
}

function parseSchemaType(text: string): SchemaType {
  if (text === '') return 'AVRO';
  const type = SCHEMA_TYPES.find((candidate) => candidate === text);
  if (!type) throw invalidSchema(`unknown schema type '${text}'`);
  return type;
}

/** Parses a submitted schema against the registered schemas it references. */
export async function parseSubmitted(tx: StorageReader, input: SchemaInput): Promise<Candidate> {
  const schemaType = parseSchemaType(input.schemaType);
  if (input.schema === '') throw invalidSchema('the schema is empty');
  const references = input.references.map(({ name, subject, version }) => ({ name, subject, version }));
  const parsed = parseOrReject(schemaType, input.schema, await resolveReferences(tx, references), input.normalize);
  return { parsed, references, identity: identityOf(parsed.schemaType, parsed.canonical, references) };
}

/** Parses a stored schema again (its canonical text parses to itself). */
export async function parseStored(tx: StorageReader, stored: StoredSchema, normalize = false): Promise<Candidate> {
  const parsed = parseOrReject(
    stored.schemaType,
    stored.schema,
    await resolveReferences(tx, stored.references),
    normalize,
  );
  return {
    parsed,
    references: stored.references,
    identity: identityOf(parsed.schemaType, parsed.canonical, stored.references),
  };
}

function parseOrReject(
  schemaType: SchemaType,
  text: string,
  references: ResolvedReferences,
  normalize: boolean,
): ParsedSchema {
  try {
    return parseSchema(schemaType, text, references, { normalize });
  } catch (err) {
    if (err instanceof InvalidSchemaError) throw invalidSchema(err.message);
    throw err;
  }
}

/**
 * Every schema reachable through `references`, keyed by reference name, the
 * deepest first so that a schema comes after everything it builds on. Should
 * two references share a name, the outer one wins: it is what the schema
 * being parsed means by that name.
 */
async function resolveReferences(
  tx: StorageReader,
  references: readonly SchemaReference[],
): Promise<ResolvedReferences> {
  const resolved = new Map<string, { schemaType: SchemaType; schema: string }>();
  // No cycles: a version is stored only once everything it reaches resolves,
  // so it can never be reached from what it references.
  const visit = async (ref: SchemaReference): Promise<void> => {
    if (resolved.has(ref.name)) return;
    const target = await referencedSchema(tx, ref);
    for (const inner of target.references) await visit(inner);
    resolved.set(ref.name, { schemaType: target.schemaType, schema: target.schema });
  };
  for (const ref of references) await visit(ref);
  return resolved;
}

async function referencedSchema(tx: StorageReader, ref: SchemaReference): Promise<StoredSchema> {
  if (ref.name === '') throw invalidSchema(`a reference to subject '${ref.subject}' has no name`);
  const row = ref.version >= 1 ? await tx.version(ref.subject, ref.version) : undefined;
  const stored = row && (await tx.schemaById(row.schemaId));
  if (!stored) {
    throw invalidSchema(
      `reference '${ref.name}' names subject '${ref.subject}' version ${ref.version}, which does not exist`,
    );
  }
  return stored;
}
