// AVRO schemas: validation with avsc, a resolved model of the schema, and
// the canonical text (§1.4), which follows the Java Avro library's compact
// rendering because that is what Confluent stores and returns.
//
// avsc validates (names, defaults, duplicates, unresolved types) but drops
// custom properties and logical types it does not know, so the model the
// canonical text and the compatibility checks use is built from the JSON.
import avro from 'avsc';
import { isJsonObject, parseJsonText, sortKeysDeep, type JsonObject } from './json-value.js';
import { InvalidSchemaError, type ResolvedReferences } from './types.js';

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

const PRIMITIVES: ReadonlySet<string> = new Set<AvroPrimitive>([
  'null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string',
]);

/** Attributes the Avro spec gives a meaning to; everything else on a schema is a custom property. */
const SCHEMA_RESERVED = new Set([
  'type', 'name', 'namespace', 'doc', 'aliases', 'fields', 'symbols', 'items', 'values', 'size', 'default',
]);
const FIELD_RESERVED = new Set(['name', 'type', 'doc', 'default', 'order', 'aliases']);

/** Custom properties (logicalType included); kept in the canonical text, ignored by compatibility. */
type Props = Readonly<JsonObject>;

interface NamedBase {
  fullName: string;
  /** Simple name, without namespace. */
  name: string;
  /** '' for the null namespace. */
  namespace: string;
  doc?: string;
  /** Full names. */
  aliases: string[];
  props: Props;
}

export interface AvroRecord extends NamedBase {
  kind: 'record';
  isError: boolean;
  fields: AvroField[];
}

export interface AvroField {
  name: string;
  type: AvroNode;
  doc?: string;
  hasDefault: boolean;
  default: unknown;
  order: string;
  aliases: string[];
  props: Props;
}

export interface AvroEnum extends NamedBase {
  kind: 'enum';
  symbols: string[];
  default?: string;
}

export interface AvroFixed extends NamedBase {
  kind: 'fixed';
  size: number;
}

export type AvroNamed = AvroRecord | AvroEnum | AvroFixed;

export type AvroNode =
  | { kind: 'primitive'; type: AvroPrimitive; props: Props }
  | { kind: 'array'; items: AvroNode; props: Props }
  | { kind: 'map'; values: AvroNode; props: Props }
  | { kind: 'union'; branches: AvroNode[] }
  | AvroNamed;

export interface ParsedAvro {
  schemaType: 'AVRO';
  canonical: string;
  root: AvroNode;
}

/** Named types by full name; references seed it, the schema's own definitions extend it. */
type NameTable = Map<string, AvroNamed>;

export function parseAvro(text: string, references: ResolvedReferences): ParsedAvro {
  const json = parseJsonText(text, 'Avro schema');
  const { registry, names } = loadReferences(references);
  validateWithAvsc(json, { ...registry }, 'Invalid Avro schema');
  // Types the references define are printed by name, as Confluent does.
  const referenced = new Set(names.keys());
  const root = buildNode(json, '', names);
  return { schemaType: 'AVRO', canonical: JSON.stringify(render(root, '', referenced)), root };
}

/**
 * The schema with every named type written out at its first occurrence,
 * referenced ones included: what it means, whether its named types came
 * from references or were written inline. Lookup compares these (§2.3).
 */
export function avroExpanded(parsed: ParsedAvro): string {
  return JSON.stringify(render(parsed.root, '', new Set()));
}

// ---------------------------------------------------------------- references

/**
 * Parses the referenced schemas into one avsc registry and one name table.
 * The map is flattened, so a reference may need types another one defines:
 * unparsed references are retried until a round makes no progress.
 */
function loadReferences(references: ResolvedReferences): { registry: Record<string, avro.Type>; names: NameTable } {
  const registry: Record<string, avro.Type> = {};
  const names: NameTable = new Map();
  let pending = [...references].filter(([, ref]) => ref.schemaType === 'AVRO').map(([name, ref]) => ({ name, text: ref.schema }));
  while (pending.length > 0) {
    const failed: Array<{ name: string; text: string; error: InvalidSchemaError }> = [];
    for (const { name, text } of pending) {
      try {
        const json = parseJsonText(text, `Avro reference '${name}'`);
        const attempt = { ...registry };
        validateWithAvsc(json, attempt, `Invalid Avro reference '${name}'`);
        const attemptNames = new Map(names);
        buildNode(json, '', attemptNames);
        Object.assign(registry, attempt);
        for (const [full, type] of attemptNames) names.set(full, type);
      } catch (err) {
        if (!(err instanceof InvalidSchemaError)) throw err;
        failed.push({ name, text, error: err });
      }
    }
    if (failed.length === pending.length) throw failed[0]!.error;
    pending = failed;
  }
  return { registry, names };
}

function validateWithAvsc(json: unknown, registry: Record<string, avro.Type>, prefix: string): void {
  try {
    avro.Type.forSchema(json as avro.Schema, { registry });
  } catch (err) {
    throw new InvalidSchemaError(`${prefix}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- model

function buildNode(schema: unknown, namespace: string, names: NameTable): AvroNode {
  if (typeof schema === 'string') {
    return PRIMITIVES.has(schema) ? { kind: 'primitive', type: schema as AvroPrimitive, props: {} } : lookup(schema, namespace, names);
  }
  if (Array.isArray(schema)) return { kind: 'union', branches: schema.map((s) => buildNode(s, namespace, names)) };
  if (!isJsonObject(schema)) throw new InvalidSchemaError(`Invalid Avro schema: unexpected ${JSON.stringify(schema)}`);
  const type = schema.type;
  const props = customProps(schema, SCHEMA_RESERVED);
  switch (type) {
    case 'array':
      return { kind: 'array', items: buildNode(schema.items, namespace, names), props };
    case 'map':
      return { kind: 'map', values: buildNode(schema.values, namespace, names), props };
    case 'record':
    case 'error':
      return buildRecord(schema, namespace, names, props);
    case 'enum':
      return define(names, {
        kind: 'enum',
        ...namedBase(schema, namespace, props),
        symbols: schema.symbols as string[],
        ...(typeof schema.default === 'string' ? { default: schema.default } : {}),
      });
    case 'fixed':
      return define(names, { kind: 'fixed', ...namedBase(schema, namespace, props), size: schema.size as number });
    default:
      // {"type": "string", ...}: a primitive with properties (avsc has rejected any other type).
      return { kind: 'primitive', type: type as AvroPrimitive, props };
  }
}

function buildRecord(schema: JsonObject, namespace: string, names: NameTable, props: Props): AvroRecord {
  // Registered before its fields are built, so fields may refer to the record itself.
  const record = define<AvroRecord>(names, {
    kind: 'record',
    ...namedBase(schema, namespace, props),
    isError: schema.type === 'error',
    fields: [],
  });
  for (const field of schema.fields as JsonObject[]) {
    record.fields.push({
      name: field.name as string,
      type: buildNode(field.type, record.namespace, names),
      ...(typeof field.doc === 'string' ? { doc: field.doc } : {}),
      hasDefault: 'default' in field,
      default: field.default,
      order: typeof field.order === 'string' ? field.order : 'ascending',
      aliases: fieldAliases(field),
      props: customProps(field, FIELD_RESERVED),
    });
  }
  return record;
}

/** avsc checks the aliases of named types but not those of fields. */
function fieldAliases(field: JsonObject): string[] {
  const aliases = field.aliases ?? [];
  if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string')) {
    throw new InvalidSchemaError(`Invalid Avro schema: the aliases of field ${String(field.name)} must be an array of names`);
  }
  return aliases;
}

function namedBase(schema: JsonObject, enclosing: string, props: Props): NamedBase {
  const given = schema.name as string;
  const dot = given.lastIndexOf('.');
  // A dotted name carries its namespace; otherwise "namespace" (even "") or the enclosing one applies.
  const namespace = dot >= 0 ? given.slice(0, dot) : typeof schema.namespace === 'string' ? schema.namespace : enclosing;
  const name = dot >= 0 ? given.slice(dot + 1) : given;
  return {
    fullName: qualify(name, namespace),
    name,
    namespace,
    ...(typeof schema.doc === 'string' ? { doc: schema.doc } : {}),
    aliases: ((schema.aliases as string[] | undefined) ?? []).map((alias) => qualify(alias, namespace)),
    props,
  };
}

function qualify(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function define<T extends AvroNamed>(names: NameTable, type: T): T {
  names.set(type.fullName, type);
  return type;
}

function lookup(name: string, namespace: string, names: NameTable): AvroNamed {
  const found = names.get(qualify(name, namespace));
  if (!found) throw new InvalidSchemaError(`Invalid Avro schema: undefined type name: ${name}`);
  return found;
}

function customProps(schema: JsonObject, reserved: ReadonlySet<string>): Props {
  const props: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) if (!reserved.has(key)) props[key] = value;
  return props;
}

// ---------------------------------------------------------------- canonical text

/**
 * The schema as the Java library prints it: a named type is written out at
 * its first occurrence and by name afterwards, its namespace only where it
 * differs from the enclosing one; keys in Java's order. Property and default
 * values get sorted keys so that input key order cannot matter.
 */
function render(node: AvroNode, namespace: string, printed: Set<string>): unknown {
  switch (node.kind) {
    case 'primitive':
      return Object.keys(node.props).length === 0 ? node.type : { type: node.type, ...sortedProps(node.props) };
    case 'array':
      return { type: 'array', items: render(node.items, namespace, printed), ...sortedProps(node.props) };
    case 'map':
      return { type: 'map', values: render(node.values, namespace, printed), ...sortedProps(node.props) };
    case 'union':
      return node.branches.map((branch) => render(branch, namespace, printed));
    default:
      return renderNamed(node, namespace, printed);
  }
}

function renderNamed(node: AvroNamed, namespace: string, printed: Set<string>): unknown {
  if (printed.has(node.fullName)) return node.namespace === namespace ? node.name : node.fullName;
  printed.add(node.fullName);
  const out: JsonObject = { type: node.kind === 'record' && node.isError ? 'error' : node.kind, name: node.name };
  if (node.namespace !== namespace) out.namespace = node.namespace;
  if (node.doc !== undefined) out.doc = node.doc;
  if (node.kind === 'record') out.fields = node.fields.map((field) => renderField(field, node.namespace, printed));
  if (node.kind === 'enum') {
    out.symbols = node.symbols;
    if (node.default !== undefined) out.default = node.default;
  }
  if (node.kind === 'fixed') out.size = node.size;
  Object.assign(out, sortedProps(node.props));
  if (node.aliases.length > 0) out.aliases = node.aliases.map((alias) => relativeName(alias, node.namespace));
  return out;
}

function renderField(field: AvroField, namespace: string, printed: Set<string>): JsonObject {
  const out: JsonObject = { name: field.name, type: render(field.type, namespace, printed) };
  if (field.doc !== undefined) out.doc = field.doc;
  if (field.hasDefault) out.default = sortKeysDeep(field.default);
  if (field.order !== 'ascending') out.order = field.order;
  if (field.aliases.length > 0) out.aliases = field.aliases;
  return Object.assign(out, sortedProps(field.props));
}

function relativeName(fullName: string, namespace: string): string {
  return namespace !== '' && fullName.startsWith(`${namespace}.`) && !fullName.slice(namespace.length + 1).includes('.')
    ? fullName.slice(namespace.length + 1)
    : fullName;
}

function sortedProps(props: Props): JsonObject {
  return sortKeysDeep(props) as JsonObject;
}
