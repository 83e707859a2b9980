// Protobuf compatibility (§5.4): Confluent diffs the file whose data exists
// (the "original", here the writer) against the "update" (the reader) and
// rejects changes that break the wire format. The rules are the same both
// ways; FORWARD only swaps the roles, which is why adding a message fails
// FORWARD (the old schema "lost" it), as it does on Confluent.
import type { ProtoField, ProtoFile, ProtoMessage } from './proto-model.js';
import { qualifiedName, SCALAR_TYPES } from './proto-model.js';
import type { ParsedProtobuf } from './protobuf.js';
import { incompatibility, type Roles } from './types.js';

/** Scalar types whose values decode as one another. */
const SCALAR_GROUPS: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['int32', 'int64', 'uint32', 'uint64', 'bool']),
  new Set(['sint32', 'sint64']),
  new Set(['fixed32', 'sfixed32']),
  new Set(['fixed64', 'sfixed64']),
  new Set(['string', 'bytes']),
];

type FieldKind = 'scalar' | 'message' | 'enum' | 'map';

interface Context {
  original: ParsedProtobuf;
  update: ParsedProtobuf;
  roles: Roles;
  /** Message pairs under comparison; meeting one again (a recursive type) counts as compatible. */
  inProgress: Set<string>;
}

interface NamedMessage {
  fullName: string;
  message: ProtoMessage;
}

/** Messages for every change that keeps `reader` from reading data written with `writer` (empty = none). */
export function protobufReadable(reader: ParsedProtobuf, writer: ParsedProtobuf, roles: Roles): string[] {
  const ctx: Context = { original: writer, update: reader, roles, inProgress: new Set() };
  const out: string[] = [];
  if (writer.file.package !== reader.file.package) {
    out.push(incompatibility('PACKAGE_CHANGED', `The package at path '#/' in the ${roles.reader} schema does not match the package in the ${roles.writer} schema`));
  }
  const updated = messagesOf(reader.file);
  for (const original of messagesOf(writer.file)) {
    const counterpart = updated.find((m) => m.fullName === original.fullName) ?? movedMessage(original, updated);
    if (counterpart) {
      out.push(...compareMessages(original, counterpart, ctx));
    } else {
      out.push(
        incompatibility(
          'MESSAGE_REMOVED',
          `The ${roles.reader} schema is missing a MESSAGE type at path '${path(writer.file, original.fullName)}' in the ${roles.writer} schema`,
        ),
      );
    }
  }
  return out;
}

/** Every message of the file, nested ones included, with its ".pkg.Name". */
function messagesOf(file: ProtoFile): NamedMessage[] {
  const out: NamedMessage[] = [];
  const add = (message: ProtoMessage, scope: string): void => {
    const fullName = qualifiedName(scope, message.name);
    out.push({ fullName: `.${fullName}`, message });
    for (const inner of message.messages) add(inner, fullName);
  };
  for (const message of file.messages) add(message, file.package);
  return out;
}

/** A message moved to another place in the file keeps its simple name (and must be the only one with it). */
function movedMessage(original: NamedMessage, updated: NamedMessage[]): NamedMessage | undefined {
  const candidates = updated.filter((m) => m.message.name === original.message.name);
  return candidates.length === 1 ? candidates[0] : undefined;
}

function compareMessages(original: NamedMessage, update: NamedMessage, ctx: Context): string[] {
  const key = `${original.fullName}|${update.fullName}`;
  if (ctx.inProgress.has(key)) return [];
  ctx.inProgress.add(key);
  try {
    const at = path(ctx.original.file, original.fullName);
    const { reader, writer } = ctx.roles;
    const out: string[] = [];
    for (const field of original.message.fields) {
      const counterpart = update.message.fields.find((f) => f.number === field.number);
      if (counterpart) out.push(...compareFields(field, counterpart, `${at}/${field.number}`, ctx));
      else if (field.label === 'required') out.push(requiredRemoved(`${at}/${field.number}`, ctx));
    }
    for (const field of update.message.fields) {
      if (field.label === 'required' && !original.message.fields.some((f) => f.number === field.number)) {
        out.push(incompatibility('REQUIRED_FIELD_ADDED', `A required field at path '${at}/${field.number}' in the ${reader} schema is missing in the ${writer} schema`));
      }
    }
    return [...out, ...compareOneofs(original.message, update.message, at, ctx)];
  } finally {
    ctx.inProgress.delete(key);
  }
}

function compareFields(original: ProtoField, update: ProtoField, at: string, ctx: Context): string[] {
  const { reader, writer } = ctx.roles;
  const originalKind = fieldKind(original, ctx.original);
  const updateKind = fieldKind(update, ctx.update);
  if (originalKind !== updateKind) {
    return [
      incompatibility(
        'FIELD_KIND_CHANGED',
        `The kind of a field at path '${at}' in the ${reader} schema does not match its kind in the ${writer} schema`,
        `${originalKind} -> ${updateKind}`,
      ),
    ];
  }
  const out = compareTypes(originalKind, original, update, at, ctx);
  if ((original.label === 'required') !== (update.label === 'required')) {
    out.push(
      update.label === 'required'
        ? incompatibility('REQUIRED_FIELD_ADDED', `The field at path '${at}' is required in the ${reader} schema but not in the ${writer} schema`)
        : requiredRemoved(at, ctx),
    );
  }
  // Packed encoding makes numeric (and enum) values unreadable across a label change; length-delimited ones are not affected.
  const isNumeric = originalKind === 'enum' || (originalKind === 'scalar' && !isStringOrBytes(original.type));
  if (isNumeric && (original.label === 'repeated') !== (update.label === 'repeated')) {
    out.push(incompatibility('FIELD_NUMERIC_LABEL_CHANGED', `The label for a NUMERIC field at path '${at}' in the ${reader} schema does not match its label in the ${writer} schema`));
  }
  return out;
}

function compareTypes(kind: FieldKind, original: ProtoField, update: ProtoField, at: string, ctx: Context): string[] {
  const { reader, writer } = ctx.roles;
  switch (kind) {
    case 'scalar':
      return sameScalarGroup(original.type, update.type)
        ? []
        : [
            incompatibility(
              'FIELD_SCALAR_KIND_CHANGED',
              `The kind of a SCALAR field at path '${at}' in the ${reader} schema does not match its kind in the ${writer} schema`,
              `${original.type} -> ${update.type}`,
            ),
          ];
    case 'message':
      return original.type === update.type || messagesCompatible(original.type, update.type, ctx)
        ? []
        : [
            incompatibility(
              'FIELD_NAMED_TYPE_CHANGED',
              `The type of a MESSAGE field at path '${at}' in the ${reader} schema does not match its type in the ${writer} schema`,
              `${original.type.slice(1)} -> ${update.type.slice(1)}`,
            ),
          ];
    case 'map': {
      const key = compareTypes('scalar', { ...original, type: original.keyType! }, { ...update, type: update.keyType! }, `${at}/key`, ctx);
      const valueOf = (field: ProtoField): ProtoField => ({ ...field, keyType: undefined, label: undefined });
      return [...key, ...compareFields(valueOf(original), valueOf(update), `${at}/value`, ctx)];
    }
    case 'enum':
      // Any enum change is compatible, so one enum type reads another.
      return [];
  }
}

/** Two message types read each other's data when the update's definition passes against the original's. */
function messagesCompatible(originalType: string, updateType: string, ctx: Context): boolean {
  const original = ctx.original.definitions.get(originalType);
  const update = ctx.update.definitions.get(updateType);
  if (original?.kind !== 'message' || update?.kind !== 'message') return false;
  return compareMessages({ fullName: originalType, message: original.message }, { fullName: updateType, message: update.message }, ctx).length === 0;
}

/**
 * A new oneof may take in one existing field, not several; an existing
 * oneof may gain new fields but neither take in existing ones nor lose any.
 */
function compareOneofs(original: ProtoMessage, update: ProtoMessage, at: string, ctx: Context): string[] {
  const { reader, writer } = ctx.roles;
  const members = (message: ProtoMessage, oneof: string) => message.fields.filter((f) => f.oneof === oneof).map((f) => f.number);
  const existed = (number: number) => original.fields.some((f) => f.number === number);
  const out: string[] = [];
  for (const { name } of update.oneofs) {
    const updated = members(update, name);
    if (!original.oneofs.some((o) => o.name === name)) {
      if (updated.filter(existed).length > 1) {
        out.push(incompatibility('MULTIPLE_FIELDS_MOVED_TO_ONEOF', `Multiple fields in the oneof '${name}' at path '${at}' in the ${reader} schema are outside a oneof in the ${writer} schema`));
      }
      continue;
    }
    const before = members(original, name);
    for (const number of updated.filter((n) => !before.includes(n) && existed(n))) {
      out.push(incompatibility('FIELD_MOVED_TO_EXISTING_ONEOF', `The field at path '${at}/${number}' in the ${reader} schema was moved into the existing oneof '${name}'`));
    }
    for (const number of before.filter((n) => !updated.includes(n))) {
      out.push(incompatibility('ONEOF_FIELD_REMOVED', `The field at path '${at}/${number}' in the oneof '${name}' in the ${writer} schema is missing from that oneof in the ${reader} schema`));
    }
  }
  return out;
}

function requiredRemoved(at: string, ctx: Context): string {
  return incompatibility('REQUIRED_FIELD_REMOVED', `A required field at path '${at}' in the ${ctx.roles.writer} schema is missing or optional in the ${ctx.roles.reader} schema`);
}

function fieldKind(field: ProtoField, schema: ParsedProtobuf): FieldKind {
  if (field.keyType !== undefined) return 'map';
  if (SCALAR_TYPES.has(field.type)) return 'scalar';
  return schema.definitions.get(field.type)?.kind ?? 'message';
}

function sameScalarGroup(a: string, b: string): boolean {
  return a === b || SCALAR_GROUPS.some((group) => group.has(a) && group.has(b));
}

function isStringOrBytes(type: string): boolean {
  return type === 'string' || type === 'bytes';
}

/** "#/Outer.Inner": the message's name relative to its file's package. */
function path(file: ProtoFile, fullName: string): string {
  const name = fullName.slice(1);
  const prefix = `${file.package}.`;
  return `#/${file.package !== '' && name.startsWith(prefix) ? name.slice(prefix.length) : name}`;
}
