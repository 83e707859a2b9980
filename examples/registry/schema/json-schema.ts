// JSON schemas: validated by compiling them with ajv (the draft chosen by
// "$schema", draft-07 when absent); the canonical text is the parsed
// document re-serialized compactly (§1.4), with sorted keys when normalizing.
import { createRequire } from 'node:module';
import { Ajv, type AnySchema, type Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { isJsonObject, parseJsonText, sortKeysDeep } from './json-value.js';
import { InvalidSchemaError, type ResolvedReferences } from './types.js';

export interface ParsedJsonSchema {
  schemaType: 'JSON';
  canonical: string;
  /** The parsed schema document. */
  root: unknown;
  /** Referenced documents by reference name, which is the URL "$ref" uses. */
  documents: ReadonlyMap<string, unknown>;
}

// strict: false accepts the unknown keywords real-world schemas carry;
// formats are annotations here (ajv knows none without ajv-formats).
const AJV_OPTIONS: Options = { strict: false, logger: false, validateFormats: false };

const DRAFT_04 = /^https?:\/\/json-schema\.org\/draft-04\/schema#?$/;
const DRAFT_06 = /^https?:\/\/json-schema\.org\/draft-06\/schema#?$/;
const DRAFT_2019 = /^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/;
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

const require = createRequire(import.meta.url);

export function parseJsonSchema(text: string, references: ResolvedReferences, normalize: boolean): ParsedJsonSchema {
  const root = parseJsonText(text, 'JSON schema');
  if (typeof root !== 'boolean' && !isJsonObject(root)) {
    throw new InvalidSchemaError('Invalid JSON schema: a schema must be an object or a boolean');
  }
  const documents = new Map<string, unknown>();
  for (const [name, ref] of references) {
    if (ref.schemaType === 'JSON') documents.set(name, parseJsonText(ref.schema, `JSON reference '${name}'`));
  }
  compile(root, documents);
  return { schemaType: 'JSON', canonical: JSON.stringify(normalize ? sortKeysDeep(root) : root), root, documents };
}

function compile(root: unknown, documents: ReadonlyMap<string, unknown>): void {
  const dialect = isJsonObject(root) && typeof root.$schema === 'string' ? root.$schema : '';
  try {
    const ajv = engineFor(dialect);
    // References were validated when they were registered, possibly under another draft.
    for (const [name, doc] of documents) ajv.addSchema(doc as AnySchema, name, undefined, false);
    ajv.compile((DRAFT_04.test(dialect) ? asDraft06(root) : root) as AnySchema);
  } catch (err) {
    throw new InvalidSchemaError(`Invalid JSON schema: ${(err as Error).message}`);
  }
}

function engineFor(dialect: string): Ajv {
  if (DRAFT_2020.test(dialect)) return new Ajv2020(AJV_OPTIONS);
  if (DRAFT_2019.test(dialect)) return new Ajv2019(AJV_OPTIONS);
  if (DRAFT_06.test(dialect)) {
    const ajv = new Ajv(AJV_OPTIONS);
    ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
    return ajv;
  }
  // ajv 8 has no draft-04 meta-schema: such schemas are compiled (after
  // asDraft06) but not checked against their meta-schema.
  if (DRAFT_04.test(dialect)) return new Ajv({ ...AJV_OPTIONS, validateSchema: false });
  return new Ajv(AJV_OPTIONS);
}

/** Draft-04's boolean exclusiveMaximum/-Minimum modifiers and the bounds they turn exclusive. */
const BOOLEAN_BOUNDS = { exclusiveMaximum: 'maximum', exclusiveMinimum: 'minimum' } as const;

/** A copy with draft-04's boolean exclusive bounds turned into the numeric form ajv knows. */
function asDraft06(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asDraft06);
  if (!isJsonObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!(key in BOOLEAN_BOUNDS && typeof item === 'boolean')) out[key] = asDraft06(item);
  }
  for (const [flag, bound] of Object.entries(BOOLEAN_BOUNDS)) {
    if (value[flag] === true && typeof value[bound] === 'number') {
      out[flag] = value[bound];
      delete out[bound];
    }
  }
  return out;
}
