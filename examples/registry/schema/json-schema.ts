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

/**
 * The document with every "$ref" to a referenced schema ("name" or
 * "name#/json/pointer") replaced by what it points at, recursively: what a
 * schema sent with its references inlined looks like (§2.3 lookup). A whole
 * referenced document comes without its "$schema" and "$id". A "$ref" that
 * has sibling keywords is replaced in place by the target's keywords unless
 * they clash with those siblings; one that names no reference, a missing
 * pointer target or a reference already being expanded (a cycle) stays.
 */
export function jsonExpanded(parsed: ParsedJsonSchema): unknown {
  return substitute(parsed.root, parsed.documents, []);
}

function substitute(value: unknown, documents: ReadonlyMap<string, unknown>, expanding: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => substitute(item, documents, expanding));
  if (!isJsonObject(value)) return value;
  const ref = value.$ref;
  const target = typeof ref === 'string' && !expanding.includes(ref) ? refTarget(ref, documents) : undefined;
  const expanded = target === undefined ? undefined : substitute(target.value, documents, [...expanding, ref as string]);
  const siblings = Object.keys(value).filter((key) => key !== '$ref');
  if (expanded !== undefined && siblings.length === 0) return expanded;
  const inline = isJsonObject(expanded) && !siblings.some((key) => key in expanded) ? expanded : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && inline) Object.assign(out, inline);
    else out[key] = substitute(item, documents, expanding);
  }
  return out;
}

/** What `ref` points at among the referenced documents, if it names one. */
function refTarget(ref: string, documents: ReadonlyMap<string, unknown>): { value: unknown } | undefined {
  const hash = ref.indexOf('#');
  const name = hash < 0 ? ref : ref.slice(0, hash);
  const pointer = hash < 0 ? '' : ref.slice(hash + 1);
  if (!documents.has(name)) return undefined;
  const document = documents.get(name);
  if (pointer === '') {
    if (!isJsonObject(document)) return { value: document };
    const { $schema: _schema, $id: _id, ...rest } = document;
    return { value: rest };
  }
  if (!pointer.startsWith('/')) return undefined;
  let at: unknown = document;
  for (const token of pointer.slice(1).split('/')) {
    const key = decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(at) && /^(0|[1-9][0-9]*)$/.test(key) && Number(key) < at.length) at = at[Number(key)];
    else if (isJsonObject(at) && Object.hasOwn(at, key)) at = at[key];
    else return undefined;
  }
  return { value: at };
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
