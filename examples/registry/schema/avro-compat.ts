// Avro schema resolution (§5.2): can a reader schema decode data written
// with a writer schema? Same rules, error types and locations as the Java
// library's SchemaCompatibility checker, which Confluent reports verbatim.
import type { AvroEnum, AvroField, AvroFixed, AvroNamed, AvroNode, AvroRecord } from './avro.js';
import { incompatibility, type Roles } from './types.js';

/** Writer type -> the reader types it may be promoted to (besides itself). */
const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

interface Context {
  roles: Roles;
  /** Pairs under comparison; meeting one again (a recursive type) counts as compatible. */
  inProgress: Set<string>;
  ids: Map<AvroNode, number>;
}

/** Messages for every way `reader` cannot read data written with `writer` (empty = it can). */
export function avroReadable(reader: AvroNode, writer: AvroNode, roles: Roles): string[] {
  return resolve(reader, writer, '', { roles, inProgress: new Set(), ids: new Map() });
}

function resolve(reader: AvroNode, writer: AvroNode, path: string, ctx: Context): string[] {
  const key = `${nodeId(reader, ctx)}/${nodeId(writer, ctx)}`;
  if (ctx.inProgress.has(key)) return [];
  ctx.inProgress.add(key);
  try {
    return typeName(reader) === typeName(writer)
      ? resolveSameType(reader, writer, path, ctx)
      : resolveDifferentTypes(reader, writer, path, ctx);
  } finally {
    ctx.inProgress.delete(key);
  }
}

function resolveSameType(reader: AvroNode, writer: AvroNode, path: string, ctx: Context): string[] {
  switch (reader.kind) {
    case 'primitive':
      return [];
    case 'array':
      return resolve(reader.items, (writer as typeof reader).items, `${path}/items`, ctx);
    case 'map':
      return resolve(reader.values, (writer as typeof reader).values, `${path}/values`, ctx);
    case 'union':
      // Every branch the writer may have used must be readable by the reader union.
      return (writer as typeof reader).branches.flatMap((branch, i) => resolve(reader, branch, `${path}/${i}`, ctx));
    case 'fixed':
      return nameMismatch(reader, writer as AvroFixed, path, ctx) ?? fixedSize(reader, writer as AvroFixed, path, ctx);
    case 'enum':
      return nameMismatch(reader, writer as AvroEnum, path, ctx) ?? enumSymbols(reader, writer as AvroEnum, path, ctx);
    case 'record':
      return nameMismatch(reader, writer as AvroRecord, path, ctx) ?? recordFields(reader, writer as AvroRecord, path, ctx);
  }
}

function resolveDifferentTypes(reader: AvroNode, writer: AvroNode, path: string, ctx: Context): string[] {
  if (writer.kind === 'union') {
    return writer.branches.flatMap((branch, i) => resolve(reader, branch, `${path}/${i}`, ctx));
  }
  if (reader.kind === 'union') {
    if (reader.branches.some((branch) => resolve(branch, writer, path, ctx).length === 0)) return [];
    const { reader: r, writer: w } = ctx.roles;
    return [
      incompatibility(
        'MISSING_UNION_BRANCH',
        `The ${r} schema is missing a type inside a union field at path '${at(path)}' in the ${w} schema`,
        `reader union lacking writer type: ${typeName(writer).toUpperCase()}`,
      ),
    ];
  }
  if (reader.kind === 'primitive' && writer.kind === 'primitive' && PROMOTIONS[writer.type]?.includes(reader.type)) return [];
  const { reader: r, writer: w } = ctx.roles;
  return [
    incompatibility(
      'TYPE_MISMATCH',
      `The type (path '${at(path)}') of a field in the ${r} schema does not match with the ${w} schema`,
      `reader type: ${typeName(reader).toUpperCase()} not compatible with writer type: ${typeName(writer).toUpperCase()}`,
    ),
  ];
}

/**
 * Only the unqualified names are compared (a namespace change alone is
 * compatible), unless the reader lists the writer's full name as an alias.
 */
function nameMismatch(reader: AvroNamed, writer: AvroNamed, path: string, ctx: Context): string[] | undefined {
  if (reader.name === writer.name || reader.aliases.includes(writer.fullName)) return undefined;
  const { reader: r, writer: w } = ctx.roles;
  return [
    incompatibility(
      'NAME_MISMATCH',
      `The name of the ${reader.kind} at path '${at(`${path}/name`)}' in the ${r} schema does not match with the ${w} schema`,
      `expected: ${writer.fullName}`,
    ),
  ];
}

function fixedSize(reader: AvroFixed, writer: AvroFixed, path: string, ctx: Context): string[] {
  if (reader.size === writer.size) return [];
  const { reader: r, writer: w } = ctx.roles;
  return [
    incompatibility(
      'FIXED_SIZE_MISMATCH',
      `The size of FIXED type field at path '${at(`${path}/size`)}' in the ${r} schema does not match with the ${w} schema`,
      `expected: ${writer.size}, found: ${reader.size}`,
    ),
  ];
}

/** Writer symbols the reader lacks are fatal unless the reader has an enum default to map them to. */
function enumSymbols(reader: AvroEnum, writer: AvroEnum, path: string, ctx: Context): string[] {
  const missing = writer.symbols.filter((symbol) => !reader.symbols.includes(symbol));
  if (missing.length === 0 || (reader.default !== undefined && reader.symbols.includes(reader.default))) return [];
  const { reader: r, writer: w } = ctx.roles;
  return [
    incompatibility(
      'MISSING_ENUM_SYMBOLS',
      `The ${r} schema is missing enum symbols '${missing.join(',')}' at path '${at(`${path}/symbols`)}' in the ${w} schema`,
      `[${missing.join(', ')}]`,
    ),
  ];
}

/** Each reader field reads the writer field of its name (or of one of its aliases), else its default. */
function recordFields(reader: AvroRecord, writer: AvroRecord, path: string, ctx: Context): string[] {
  return reader.fields.flatMap((field, i) => {
    const source = writerField(writer, field);
    if (source) return resolve(field.type, source.type, `${path}/fields/${i}/type`, ctx);
    if (field.hasDefault) return [];
    const { reader: r, writer: w } = ctx.roles;
    return [
      incompatibility(
        'READER_FIELD_MISSING_DEFAULT_VALUE',
        `The field '${field.name}' at path '${at(`${path}/fields/${i}`)}' in the ${r} schema has no default value and is missing in the ${w} schema`,
        field.name,
      ),
    ];
  });
}

function writerField(writer: AvroRecord, readerField: AvroField): AvroField | undefined {
  const byName = (name: string) => writer.fields.find((f) => f.name === name);
  return byName(readerField.name) ?? readerField.aliases.map(byName).find((f) => f !== undefined);
}

/** The Avro type name: the primitive's name or the complex kind (logical types play no part). */
function typeName(node: AvroNode): string {
  return node.kind === 'primitive' ? node.type : node.kind;
}

function at(path: string): string {
  return path === '' ? '/' : path;
}

function nodeId(node: AvroNode, ctx: Context): number {
  let id = ctx.ids.get(node);
  if (id === undefined) {
    id = ctx.ids.size;
    ctx.ids.set(node, id);
  }
  return id;
}
