// The JSON Schema of the Frontend definition format (the YAML files under
// routes/), derived from the Frontend message itself so the two can never
// drift, and checked with ajv. Field names are the proto names; enums are
// their names; 64-bit integers may be numbers or decimal strings.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type protobuf from 'protobufjs';
import { shippedRoot } from '../protos/root.js';

type Schema = Record<string, unknown>;

const SCALAR_SCHEMAS: Record<string, Schema> = {
  string: { type: 'string' },
  bytes: { type: 'string' },
  bool: { type: 'boolean' },
  double: { type: 'number' },
  float: { type: 'number' },
  int32: { type: 'integer' },
  sint32: { type: 'integer' },
  sfixed32: { type: 'integer' },
  uint32: { type: 'integer', minimum: 0 },
  fixed32: { type: 'integer', minimum: 0 },
  // `pattern` applies to strings only and `minimum` to numbers only, so each problem is reported once.
  int64: { type: ['integer', 'string'], pattern: '^-?\\d+$' },
  sint64: { type: ['integer', 'string'], pattern: '^-?\\d+$' },
  sfixed64: { type: ['integer', 'string'], pattern: '^-?\\d+$' },
  uint64: { type: ['integer', 'string'], minimum: 0, pattern: '^\\d+$' },
  fixed64: { type: ['integer', 'string'], minimum: 0, pattern: '^\\d+$' },
};

const WELL_KNOWN_SCHEMAS: Record<string, Schema> = {
  '.google.protobuf.Duration': { type: 'string', pattern: '^-?\\d+(\\.\\d{1,9})?s$' },
  '.google.protobuf.Timestamp': { type: 'string' },
  '.google.protobuf.Value': {},
  '.google.protobuf.Struct': { type: 'object' },
  '.google.protobuf.ListValue': { type: 'array' },
};

function defName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

function fieldSchema(field: protobuf.Field, defs: Record<string, Schema>): Schema {
  field.resolve();
  let single: Schema;
  const resolved = field.resolvedType;
  if (resolved && 'values' in resolved) {
    single = { enum: Object.keys((resolved as protobuf.Enum).values) };
  } else if (resolved) {
    single = WELL_KNOWN_SCHEMAS[resolved.fullName] ?? { $ref: `#/$defs/${defName(resolved)}` };
    if (!WELL_KNOWN_SCHEMAS[resolved.fullName]) addMessage(resolved as protobuf.Type, defs);
  } else {
    single = SCALAR_SCHEMAS[field.type] ?? {};
  }
  if (field.map) return { type: 'object', additionalProperties: single };
  if (field.repeated) return { type: 'array', items: single };
  return single;
}

function addMessage(type: protobuf.Type, defs: Record<string, Schema>): void {
  const name = defName(type);
  if (defs[name]) return;
  const schema: Schema = { type: 'object', additionalProperties: false, properties: {} };
  defs[name] = schema;
  const properties: Record<string, Schema> = {};
  for (const field of type.fieldsArray) properties[field.name] = fieldSchema(field, defs);
  schema.properties = properties;
  // Members of a real oneof exclude each other (proto3 optional is a synthetic oneof).
  const exclusive = type.oneofsArray.filter((o) => !o.name.startsWith('_') && o.fieldsArray.length > 1);
  if (exclusive.length > 0) {
    schema.allOf = exclusive.map((o) => ({
      // `type: object` inside the `not` keeps non-objects out of this check (they fail `type` instead).
      not: { type: 'object', anyOf: pairs(o.fieldsArray.map((f) => f.name)).map(([a, b]) => ({ required: [a, b] })) },
    }));
  }
}

function pairs<T>(items: T[]): Array<[T, T]> {
  return items.flatMap((a, i) => items.slice(i + 1).map((b): [T, T] => [a, b]));
}

/** The JSON Schema of a message type (draft 2020-12 subset ajv understands). */
export function jsonSchemaOf(type: protobuf.Type): Schema {
  const defs: Record<string, Schema> = {};
  addMessage(type, defs);
  return { $ref: `#/$defs/${defName(type)}`, $defs: defs };
}

/** "/rest/routes/3/params/1" -> "rest.routes[3].params[1]" */
export function instancePathToFieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function describe(e: ErrorObject): string {
  const at = instancePathToFieldPath(e.instancePath);
  const where = (extra: string) => (at ? `${at}.${extra}` : extra);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where(String(e.params.additionalProperty))}: unknown field`;
    case 'enum':
      return `${at || '(root)'}: must be one of ${(e.params.allowedValues as string[]).join(', ')}`;
    case 'not':
      return `${at || '(root)'}: only one member of a oneof may be set`;
    default:
      return `${at || '(root)'}: ${e.message}`;
  }
}

const validators = new Map<string, ValidateFunction>();

function validatorFor(typeName: string): ValidateFunction {
  let v = validators.get(typeName);
  if (!v) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    v = ajv.compile(jsonSchemaOf(shippedRoot().lookupType(typeName)));
    validators.set(typeName, v);
  }
  return v;
}

/** Schema problems of a plain object meant as `typeName`, as "path: reason". */
export function schemaProblems(typeName: string, value: unknown): string[] {
  const validate = validatorFor(typeName);
  if (validate(value)) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of validate.errors ?? []) {
    // anyOf branches repeat one problem several times; keep the first wording.
    if (e.keyword === 'anyOf') continue;
    const text = describe(e);
    const key = instancePathToFieldPath(e.instancePath) + e.keyword;
    if (seen.has(text) || (e.keyword === 'type' && seen.has(key))) continue;
    seen.add(text);
    seen.add(key);
    out.push(text);
  }
  return out;
}
