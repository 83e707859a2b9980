// Model <-> serialized google.protobuf.FileDescriptorProto, the form the
// official JS serdes register and fetch (`format=serialized`, §3.4).
// Standard options survive both ways; custom options (extensions of the
// *Options messages) are not representable without their definitions and
// are dropped.
import type protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import {
  ENUM_OPTIONS,
  SCALAR_TYPES,
  type Label,
  type OptionValue,
  type ProtoEnum,
  type ProtoField,
  type ProtoFile,
  type ProtoMessage,
  type ProtoOption,
  type ProtoService,
  type Reserved,
} from './proto-model.js';
import { InvalidSchemaError } from './types.js';

/** The file name written into produced descriptors; text schemas have none. */
const FILE_NAME = 'default';

// Plain-object shapes of the descriptor messages (protobufjs toObject with enums as names).
type Options = Record<string, unknown>;
interface FieldDesc {
  name: string;
  number: number;
  label?: string;
  type?: string;
  typeName?: string;
  extendee?: string;
  defaultValue?: string;
  oneofIndex?: number;
  jsonName?: string;
  proto3Optional?: boolean;
  options?: Options;
}
interface RangeDesc {
  start: number;
  end: number;
}
interface MessageDesc {
  name: string;
  field: FieldDesc[];
  extension: FieldDesc[];
  nestedType: MessageDesc[];
  enumType: EnumDesc[];
  extensionRange: RangeDesc[];
  oneofDecl: Array<{ name: string; options?: Options }>;
  reservedRange: RangeDesc[];
  reservedName: string[];
  options?: Options;
}
interface EnumDesc {
  name: string;
  value: Array<{ name: string; number: number; options?: Options }>;
  reservedRange: RangeDesc[];
  reservedName: string[];
  options?: Options;
}
interface ServiceDesc {
  name: string;
  method: Array<{ name: string; inputType: string; outputType: string; clientStreaming?: boolean; serverStreaming?: boolean; options?: Options }>;
  options?: Options;
}
interface FileDesc {
  name?: string;
  package?: string;
  dependency: string[];
  publicDependency: number[];
  weakDependency: number[];
  messageType: MessageDesc[];
  enumType: EnumDesc[];
  service: ServiceDesc[];
  extension: FieldDesc[];
  options?: Options;
  syntax?: string;
}

/** Descriptor fields that are bookkeeping, not options a .proto file states. */
const NOT_OPTIONS = new Set(['uninterpretedOption', 'features', 'mapEntry']);

// ---------------------------------------------------------------- descriptor -> model

export function fromDescriptor(bytes: Uint8Array): ProtoFile {
  try {
    const message = descriptor.FileDescriptorProto.decode(bytes);
    return readFile(descriptor.FileDescriptorProto.toObject(message, { enums: String, longs: Number, arrays: true }) as FileDesc);
  } catch (err) {
    if (err instanceof InvalidSchemaError) throw err;
    // Bytes from a client: a truncated or foreign message may also lack what a descriptor must have.
    throw new InvalidSchemaError(`Invalid Protobuf schema: not a serialized FileDescriptorProto: ${(err as Error).message}`);
  }
}

function readFile(file: FileDesc): ProtoFile {
  if (file.syntax === 'editions') throw new InvalidSchemaError('Invalid Protobuf schema: editions are not supported');
  const syntax = file.syntax === 'proto3' ? 'proto3' : 'proto2';
  const importKind = (i: number) => (file.publicDependency.includes(i) ? 'public' : file.weakDependency.includes(i) ? 'weak' : 'plain');
  return {
    syntax,
    package: file.package ?? '',
    imports: file.dependency.map((path, i) => ({ path, kind: importKind(i) })),
    options: readOptions(file.options),
    messages: file.messageType.map((m) => readMessage(m, syntax)),
    enums: file.enumType.map(readEnum),
    services: file.service.map(readService),
    extensions: file.extension.map((f) => readField(f, syntax, [])),
  };
}

function readMessage(message: MessageDesc, syntax: ProtoFile['syntax']): ProtoMessage {
  // protoc turns `map<K, V> f` into a repeated field of a nested FEntry message.
  const entries = message.nestedType.filter((n) => n.options?.mapEntry === true);
  const oneofNames = message.oneofDecl.map((o) => o.name);
  const synthetic = new Set(message.field.filter((f) => f.proto3Optional).map((f) => f.oneofIndex));
  return {
    name: message.name,
    fields: message.field.map((f) => readField(f, syntax, oneofNames, entries.find((e) => namesEntry(f, message, e)))),
    oneofs: message.oneofDecl.filter((_, i) => !synthetic.has(i)).map((o) => ({ name: o.name, options: readOptions(o.options) })),
    messages: message.nestedType.filter((n) => !entries.includes(n)).map((m) => readMessage(m, syntax)),
    enums: message.enumType.map(readEnum),
    extensions: message.extension.map((f) => readField(f, syntax, [])),
    // Descriptor ranges end exclusively, the model's (like .proto text) inclusively.
    extensionRanges: message.extensionRange.map((r) => [r.start, r.end - 1] as [number, number]),
    reserved: readReserved(message.reservedRange, message.reservedName, 1),
    options: readOptions(message.options),
  };
}

/** Whether the field's type is the nested map entry; descriptor type names may be absolute or relative. */
function namesEntry(field: FieldDesc, message: MessageDesc, entry: MessageDesc): boolean {
  const typeName = field.typeName ?? '';
  return field.label === 'LABEL_REPEATED' && (typeName === entry.name || typeName.endsWith(`${message.name}.${entry.name}`));
}

function readField(field: FieldDesc, syntax: ProtoFile['syntax'], oneofNames: string[], mapEntry?: MessageDesc): ProtoField {
  const oneof = field.proto3Optional || field.oneofIndex === undefined ? undefined : oneofNames[field.oneofIndex];
  const entryField = (number: number) => mapEntry!.field.find((f) => f.number === number)!;
  const type = fieldType(mapEntry ? entryField(2) : field);
  const defaults: ProtoOption[] = field.defaultValue === undefined ? [] : [{ name: 'default', value: defaultValue(type, field.defaultValue) }];
  // protoc always fills json_name; only a name differing from the derived one was written in the source.
  const jsonName: ProtoOption[] =
    field.jsonName === undefined || field.jsonName === defaultJsonName(field.name) ? [] : [{ name: 'json_name', value: field.jsonName }];
  return {
    name: field.name,
    number: field.number,
    label: mapEntry ? undefined : readLabel(field, syntax, oneof),
    type,
    ...(mapEntry ? { keyType: fieldType(entryField(1)) } : {}),
    ...(oneof !== undefined ? { oneof } : {}),
    ...(field.extendee !== undefined ? { extendee: field.extendee } : {}),
    options: [...defaults, ...jsonName, ...readOptions(field.options)],
  };
}

function readLabel(field: FieldDesc, syntax: ProtoFile['syntax'], oneof: string | undefined): Label {
  if (field.label === 'LABEL_REPEATED') return 'repeated';
  if (field.label === 'LABEL_REQUIRED') return 'required';
  return field.proto3Optional || (syntax === 'proto2' && oneof === undefined) ? 'optional' : undefined;
}

function fieldType(field: FieldDesc): string {
  if (field.type === 'TYPE_MESSAGE' || field.type === 'TYPE_ENUM') return field.typeName!;
  const scalar = (field.type ?? '').slice('TYPE_'.length).toLowerCase();
  if (!SCALAR_TYPES.has(scalar)) throw new InvalidSchemaError(`Invalid Protobuf schema: field type ${field.type} of ${field.name} is not supported`);
  return scalar;
}

/** A descriptor default is text; the model holds what the .proto text would. */
function defaultValue(type: string, text: string): OptionValue {
  if (type === 'string' || type === 'bytes') return text;
  if (type === 'bool') return text === 'true';
  if (!SCALAR_TYPES.has(type)) return { ident: text };
  return text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? NaN : Number(text);
}

function readEnum(enumeration: EnumDesc): ProtoEnum {
  return {
    name: enumeration.name,
    values: enumeration.value.map((v) => ({ name: v.name, number: v.number, options: readOptions(v.options) })),
    // Enum reserved ranges, unlike message ones, end inclusively.
    reserved: readReserved(enumeration.reservedRange, enumeration.reservedName, 0),
    options: readOptions(enumeration.options),
  };
}

function readService(service: ServiceDesc): ProtoService {
  return {
    name: service.name,
    methods: service.method.map((m) => ({
      name: m.name,
      input: m.inputType,
      output: m.outputType,
      clientStreaming: m.clientStreaming === true,
      serverStreaming: m.serverStreaming === true,
      options: readOptions(m.options),
    })),
    options: readOptions(service.options),
  };
}

function readReserved(ranges: RangeDesc[], names: string[], endAdjust: number): Reserved {
  return { ranges: ranges.map((r) => [r.start, r.end - endAdjust]), names };
}

function readOptions(options: Options | undefined): ProtoOption[] {
  return Object.entries(options ?? {})
    .filter(([key, value]) => !NOT_OPTIONS.has(key) && ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => {
      const name = snakeCase(key);
      return { name, value: ENUM_OPTIONS.has(name) ? { ident: value as string } : (value as string | number | boolean) };
    });
}

// ---------------------------------------------------------------- model -> descriptor

/** `kindOf` tells whether a fully qualified type name (".pkg.T") is a message or an enum. */
export function toDescriptor(file: ProtoFile, kindOf: (typeName: string) => 'message' | 'enum'): Uint8Array {
  const writer = new DescriptorWriter(file.syntax, kindOf);
  const object = {
    name: FILE_NAME,
    ...(file.package === '' ? {} : { package: file.package }),
    dependency: file.imports.map((i) => i.path),
    publicDependency: indexesOf(file.imports, (i) => i.kind === 'public'),
    weakDependency: indexesOf(file.imports, (i) => i.kind === 'weak'),
    messageType: file.messages.map((m) => writer.message(m, file.package)),
    enumType: file.enums.map((e) => writer.enumeration(e)),
    service: file.services.map((s) => writer.service(s)),
    extension: file.extensions.map((f) => writer.field(f, undefined)),
    options: writeOptions(file.options, descriptor.FileOptions),
    // protoc leaves the syntax of proto2 files unset.
    ...(file.syntax === 'proto3' ? { syntax: 'proto3' } : {}),
  };
  return descriptor.FileDescriptorProto.encode(descriptor.FileDescriptorProto.fromObject(object)).finish();
}

class DescriptorWriter {
  constructor(
    private readonly syntax: ProtoFile['syntax'],
    private readonly kindOf: (typeName: string) => 'message' | 'enum',
  ) {}

  message(message: ProtoMessage, scope: string): Options {
    const fullName = scope === '' ? message.name : `${scope}.${message.name}`;
    // proto3 `optional` fields each get a synthetic oneof, declared after the real ones.
    const oneofs = [
      ...message.oneofs.map((o) => ({ name: o.name, options: writeOptions(o.options, descriptor.OneofOptions) })),
      ...message.fields.filter((f) => this.isProto3Optional(f)).map((f) => ({ name: `_${f.name}` })),
    ];
    const oneofIndex = (field: ProtoField) =>
      oneofs.findIndex((o) => o.name === (this.isProto3Optional(field) ? `_${field.name}` : field.oneof));
    return {
      name: message.name,
      field: message.fields.map((f) => this.field(f, fullName, oneofIndex(f))),
      nestedType: [
        ...message.messages.map((m) => this.message(m, fullName)),
        ...message.fields.filter((f) => f.keyType !== undefined).map((f) => this.mapEntry(f)),
      ],
      enumType: message.enums.map((e) => this.enumeration(e)),
      extension: message.extensions.map((f) => this.field(f, fullName)),
      extensionRange: message.extensionRanges.map(([start, end]) => ({ start, end: end + 1 })),
      oneofDecl: oneofs,
      reservedRange: message.reserved.ranges.map(([start, end]) => ({ start, end: end + 1 })),
      reservedName: message.reserved.names,
      options: writeOptions(message.options, descriptor.MessageOptions),
    };
  }

  /** `oneofIndex` is the field's position among the message's oneofs, -1 for none. */
  field(field: ProtoField, messageName: string | undefined, oneofIndex = -1): Options {
    const isMap = field.keyType !== undefined;
    const option = (name: string) => field.options.find((o) => o.name === name)?.value;
    const defaultText = option('default');
    const jsonName = option('json_name');
    return {
      name: field.name,
      number: field.number,
      label: isMap || field.label === 'repeated' ? 'LABEL_REPEATED' : field.label === 'required' ? 'LABEL_REQUIRED' : 'LABEL_OPTIONAL',
      ...(isMap ? { type: 'TYPE_MESSAGE', typeName: `.${messageName}.${mapEntryName(field.name)}` } : this.typeOf(field.type)),
      ...(field.extendee !== undefined ? { extendee: field.extendee } : {}),
      ...(defaultText !== undefined ? { defaultValue: defaultValueText(defaultText) } : {}),
      ...(typeof jsonName === 'string' ? { jsonName } : {}),
      ...(oneofIndex >= 0 ? { oneofIndex } : {}),
      ...(this.isProto3Optional(field) ? { proto3Optional: true } : {}),
      options: writeOptions(field.options, descriptor.FieldOptions),
    };
  }

  enumeration(enumeration: ProtoEnum): Options {
    return {
      name: enumeration.name,
      value: enumeration.values.map((v) => ({ name: v.name, number: v.number, options: writeOptions(v.options, descriptor.EnumValueOptions) })),
      reservedRange: enumeration.reserved.ranges.map(([start, end]) => ({ start, end })),
      reservedName: enumeration.reserved.names,
      options: writeOptions(enumeration.options, descriptor.EnumOptions),
    };
  }

  service(service: ProtoService): Options {
    return {
      name: service.name,
      method: service.methods.map((m) => ({
        name: m.name,
        inputType: m.input,
        outputType: m.output,
        ...(m.clientStreaming ? { clientStreaming: true } : {}),
        ...(m.serverStreaming ? { serverStreaming: true } : {}),
        options: writeOptions(m.options, descriptor.MethodOptions),
      })),
      options: writeOptions(service.options, descriptor.ServiceOptions),
    };
  }

  private mapEntry(field: ProtoField): Options {
    const entryField = (name: string, number: number, type: string) => ({ name, number, label: 'LABEL_OPTIONAL', ...this.typeOf(type) });
    return {
      name: mapEntryName(field.name),
      field: [entryField('key', 1, field.keyType!), entryField('value', 2, field.type)],
      options: { mapEntry: true },
    };
  }

  private typeOf(type: string): Options {
    if (SCALAR_TYPES.has(type)) return { type: `TYPE_${type.toUpperCase()}` };
    return { type: this.kindOf(type) === 'enum' ? 'TYPE_ENUM' : 'TYPE_MESSAGE', typeName: type };
  }

  private isProto3Optional(field: ProtoField): boolean {
    return this.syntax === 'proto3' && field.label === 'optional';
  }
}

/** The standard options `type` (a descriptor *Options message) knows; others cannot be encoded. */
function writeOptions(options: ProtoOption[], type: protobuf.Type): Options | undefined {
  const known: Options = {};
  for (const { name, value } of options) {
    const field = type.fields[camelCase(name)];
    if (!field || field.repeated || NOT_OPTIONS.has(field.name)) continue;
    known[field.name] = typeof value === 'object' ? value.ident : value;
  }
  return Object.keys(known).length === 0 ? undefined : known;
}

function defaultValueText(value: OptionValue): string {
  if (typeof value === 'object') return value.ident;
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  return String(value);
}

function indexesOf<T>(list: T[], test: (item: T) => boolean): number[] {
  return list.flatMap((item, i) => (test(item) ? [i] : []));
}

/** protoc's map entry message name: `my_map` -> `MyMapEntry`. */
function mapEntryName(fieldName: string): string {
  return `${joinWords(fieldName, true)}Entry`;
}

/** protoc's default json_name: `my_field` -> `myField`. */
function defaultJsonName(fieldName: string): string {
  return joinWords(fieldName, false);
}

/** protoc's way of turning a snake_case name into camel case: underscores dropped, the character after one upper-cased. */
function joinWords(name: string, capitalizeFirst: boolean): string {
  let out = '';
  let capitalize = capitalizeFirst;
  for (const c of name) {
    if (c === '_') {
      capitalize = true;
    } else {
      out += capitalize ? c.toUpperCase() : c;
      capitalize = false;
    }
  }
  return out;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function camelCase(name: string): string {
  return name.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
}
