// Schema handling for the registry pattern: parsing and validating AVRO,
// JSON and PROTOBUF schemas into their canonical text (contract §1.4), and
// the compatibility checks of §5.
import { avroReadable } from './avro-compat.js';
import { avroExpanded, parseAvro, type ParsedAvro } from './avro.js';
import { jsonReadable } from './json-compat.js';
import { jsonExpanded, parseJsonSchema, type ParsedJsonSchema } from './json-schema.js';
import { sortKeysDeep } from './json-value.js';
import { protobufReadable } from './proto-compat.js';
import { parseProtobuf, serializeProtobuf, type ParsedProtobuf } from './protobuf.js';
import {
  BACKWARD_ROLES,
  FORWARD_ROLES,
  incompatibility,
  InvalidSchemaError,
  type CompatibilityLevel,
  type ResolvedReferences,
  type Roles,
  type SchemaType,
} from './types.js';

export {
  InvalidSchemaError,
  type CompatibilityLevel,
  type ResolvedReferences,
  type SchemaReference,
  type SchemaType,
} from './types.js';

/**
 * A parsed schema: `schemaType` and `canonical` are for callers; the rest is
 * the parsed form the compatibility checks walk.
 */
export type ParsedSchema = ParsedAvro | ParsedJsonSchema | ParsedProtobuf;

/**
 * Parses and validates a schema; throws InvalidSchemaError (42201) when it,
 * or a reference it needs, is invalid. `normalize` (§2.2) makes
 * semantically equal schemas print alike: JSON keys sorted, Protobuf imports
 * and options sorted. Avro's canonical text is already normalized.
 */
export function parseSchema(
  schemaType: SchemaType,
  text: string,
  references: ResolvedReferences,
  options: { normalize?: boolean } = {},
): ParsedSchema {
  const normalize = options.normalize === true;
  switch (schemaType) {
    case 'AVRO':
      return parseAvro(text, references);
    case 'JSON':
      return parseJsonSchema(text, references, normalize);
    case 'PROTOBUF':
      return parseProtobuf(text, references, normalize);
    default:
      throw new InvalidSchemaError(`Unknown schema type: ${String(schemaType)}`);
  }
}

/**
 * Do `a` and `b` mean the same schema once their references are resolved
 * (§2.3: a schema sent with its references inlined matches the version that
 * has them as references)? AVRO compares the schemas with every named type
 * written out; JSON the documents with each "$ref" to a referenced schema
 * substituted (key order counts unless `normalize`); PROTOBUF compares the
 * canonical text only, as imports cannot be written inline.
 */
export function sameSchema(a: ParsedSchema, b: ParsedSchema, options: { normalize?: boolean } = {}): boolean {
  if (a.schemaType === 'AVRO' && b.schemaType === 'AVRO') return avroExpanded(a) === avroExpanded(b);
  if (a.schemaType === 'JSON' && b.schemaType === 'JSON') {
    const print = (parsed: ParsedJsonSchema) => {
      const expanded = jsonExpanded(parsed);
      return JSON.stringify(options.normalize === true ? sortKeysDeep(expanded) : expanded);
    };
    return print(a) === print(b);
  }
  if (a.schemaType === 'PROTOBUF' && b.schemaType === 'PROTOBUF') return a.canonical === b.canonical;
  return false;
}

/**
 * Checks `candidate` against the subject's live versions (`existing`,
 * oldest first) as the level demands (§5.1) and returns every
 * incompatibility found (empty = compatible).
 */
export function checkCompatibility(level: CompatibilityLevel, candidate: ParsedSchema, existing: readonly ParsedSchema[]): string[] {
  if (level === 'NONE' || existing.length === 0) return [];
  const compared = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
  const directions = level.startsWith('BACKWARD') ? ['BACKWARD'] : level.startsWith('FORWARD') ? ['FORWARD'] : ['BACKWARD', 'FORWARD'];
  return compared.flatMap((old) =>
    directions.flatMap((direction) =>
      direction === 'BACKWARD' ? readable(candidate, old, BACKWARD_ROLES) : readable(old, candidate, FORWARD_ROLES),
    ),
  );
}

/** `format=serialized` (§3.4): the PROTOBUF schema as base64 of its serialized FileDescriptorProto. */
export function protobufToSerialized(parsed: ParsedSchema): string {
  if (parsed.schemaType !== 'PROTOBUF') throw new TypeError(`format=serialized applies to PROTOBUF schemas, not ${parsed.schemaType}`);
  return serializeProtobuf(parsed);
}

/** Can `reader` read data written with `writer`? A change of schema type never can. */
function readable(reader: ParsedSchema, writer: ParsedSchema, roles: Roles): string[] {
  if (reader.schemaType === 'AVRO' && writer.schemaType === 'AVRO') return avroReadable(reader.root, writer.root, roles);
  if (reader.schemaType === 'JSON' && writer.schemaType === 'JSON') return jsonReadable(reader, writer, roles);
  if (reader.schemaType === 'PROTOBUF' && writer.schemaType === 'PROTOBUF') return protobufReadable(reader, writer, roles);
  return [
    incompatibility(
      'SCHEMA_TYPE_CHANGED',
      `The ${roles.reader} schema is of type ${reader.schemaType} but the ${roles.writer} schema is of type ${writer.schemaType}`,
    ),
  ];
}
