// PROTOBUF schemas: .proto text or a base64 serialized FileDescriptorProto
// in, imports resolved from the references (by import path) and the
// well-known types protobufjs ships, canonical .proto text out (§1.4).
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { fromDescriptor, toDescriptor } from './proto-descriptor.js';
import {
  qualifiedName,
  type ProtoEnum,
  type ProtoFile,
  type ProtoMessage,
  type ProtoOption,
} from './proto-model.js';
import { addSymbols, resolveFile, type SymbolKind, type Symbols } from './proto-names.js';
import { printFile } from './proto-print.js';
import { fromReflection, readProtoText, type SourceFacts } from './proto-text.js';
import { InvalidSchemaError, type ResolvedReferences } from './types.js';

export type ProtoDefinition = { kind: 'message'; message: ProtoMessage } | { kind: 'enum'; enumeration: ProtoEnum };

export interface ParsedProtobuf {
  schemaType: 'PROTOBUF';
  canonical: string;
  /** The file, every type name resolved to ".pkg.Type". */
  file: ProtoFile;
  /** Messages and enums of the file and of every file it imports, by ".pkg.Type". */
  definitions: ReadonlyMap<string, ProtoDefinition>;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DESCRIPTOR_PROTO = 'google/protobuf/descriptor.proto';

const require = createRequire(import.meta.url);

export function parseProtobuf(text: string, references: ResolvedReferences, normalize: boolean): ParsedProtobuf {
  const main = readSource(text);
  const imported = loadImports(main, references);
  const resolve = (file: ProtoFile) => resolveFile(file, visibleSymbols(file, imported));
  const file = normalize ? normalizeFile(resolve(main)) : resolve(main);
  const definitions = new Map<string, ProtoDefinition>();
  for (const each of [file, ...[...imported.values()].map(resolve)]) addDefinitions(each, definitions);
  return { schemaType: 'PROTOBUF', canonical: printFile(file, visibleSymbols(main, imported)), file, definitions };
}

/** `format=serialized`: base64 of the schema's FileDescriptorProto. */
export function serializeProtobuf(parsed: ParsedProtobuf): string {
  const kindOf = (typeName: string) => parsed.definitions.get(typeName)!.kind;
  return Buffer.from(toDescriptor(parsed.file, kindOf)).toString('base64');
}

/** A .proto text, or base64 of a serialized FileDescriptorProto (what the official JS serdes send). */
function readSource(text: string): ProtoFile {
  const trimmed = text.trim();
  if (trimmed === '') throw new InvalidSchemaError('Invalid Protobuf schema: empty schema');
  return BASE64.test(trimmed) ? fromDescriptor(Buffer.from(trimmed, 'base64')) : readProtoText(text);
}

/** Every file `main` imports, directly or not, by import path. */
function loadImports(main: ProtoFile, references: ResolvedReferences): Map<string, ProtoFile> {
  const files = new Map<string, ProtoFile>();
  const pending = main.imports.map((i) => i.path);
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (files.has(path)) continue;
    const file = importedFile(path, references);
    files.set(path, file);
    pending.push(...file.imports.map((i) => i.path));
  }
  return files;
}

function importedFile(path: string, references: ResolvedReferences): ProtoFile {
  const reference = references.get(path);
  if (reference?.schemaType === 'PROTOBUF') {
    try {
      return readSource(reference.schema);
    } catch (err) {
      if (!(err instanceof InvalidSchemaError)) throw err;
      throw new InvalidSchemaError(`Invalid Protobuf reference '${path}': ${err.message}`);
    }
  }
  const wellKnown = wellKnownFile(path);
  if (!wellKnown) throw new InvalidSchemaError(`Invalid Protobuf schema: import "${path}" is neither a reference nor a well-known type`);
  return wellKnown;
}

/** The google/protobuf/*.proto files protobufjs bundles (as JSON), descriptor.proto included. */
function wellKnownFile(path: string): ProtoFile | undefined {
  const json = path === DESCRIPTOR_PROTO ? (require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace) : protobuf.common.get(path);
  if (!json) return undefined;
  const facts: SourceFacts = { syntax: path === DESCRIPTOR_PROTO ? 'proto2' : 'proto3', imports: [], identifierValues: new Set() };
  return fromReflection(protobuf.Root.fromJSON(json), 'google.protobuf', facts);
}

/** What names in `file` may refer to: its own declarations, its imports' and (transitively) their public imports'. */
function visibleSymbols(file: ProtoFile, imported: ReadonlyMap<string, ProtoFile>): Symbols {
  const symbols = new Map<string, SymbolKind>();
  addSymbols(file, symbols);
  const seen = new Set<string>();
  const add = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const dependency = imported.get(path)!;
    addSymbols(dependency, symbols);
    for (const i of dependency.imports) if (i.kind === 'public') add(i.path);
  };
  for (const i of file.imports) add(i.path);
  return symbols;
}

function addDefinitions(file: ProtoFile, into: Map<string, ProtoDefinition>): void {
  const addMessage = (message: ProtoMessage, scope: string): void => {
    const fullName = qualifiedName(scope, message.name);
    into.set(`.${fullName}`, { kind: 'message', message });
    for (const inner of message.messages) addMessage(inner, fullName);
    for (const enumeration of message.enums) into.set(`.${qualifiedName(fullName, enumeration.name)}`, { kind: 'enum', enumeration });
  };
  for (const message of file.messages) addMessage(message, file.package);
  for (const enumeration of file.enums) into.set(`.${qualifiedName(file.package, enumeration.name)}`, { kind: 'enum', enumeration });
}

// ---------------------------------------------------------------- normalization

/** `normalize` (§2.2): import and option order stop mattering. */
function normalizeFile(file: ProtoFile): ProtoFile {
  return {
    ...file,
    imports: [...file.imports].sort((a, b) => compare(a.path, b.path)),
    options: sortOptions(file.options),
    messages: file.messages.map(normalizeMessage),
    enums: file.enums.map(normalizeEnum),
    services: file.services.map((service) => ({
      ...service,
      options: sortOptions(service.options),
      methods: service.methods.map((method) => ({ ...method, options: sortOptions(method.options) })),
    })),
    extensions: file.extensions.map((field) => ({ ...field, options: sortOptions(field.options) })),
  };
}

function normalizeMessage(message: ProtoMessage): ProtoMessage {
  return {
    ...message,
    fields: message.fields.map((field) => ({ ...field, options: sortOptions(field.options) })),
    oneofs: message.oneofs.map((oneof) => ({ ...oneof, options: sortOptions(oneof.options) })),
    messages: message.messages.map(normalizeMessage),
    enums: message.enums.map(normalizeEnum),
    extensions: message.extensions.map((field) => ({ ...field, options: sortOptions(field.options) })),
    options: sortOptions(message.options),
  };
}

function normalizeEnum(enumeration: ProtoEnum): ProtoEnum {
  return {
    ...enumeration,
    values: enumeration.values.map((value) => ({ ...value, options: sortOptions(value.options) })),
    options: sortOptions(enumeration.options),
  };
}

function sortOptions(options: ProtoOption[]): ProtoOption[] {
  return [...options].sort((a, b) => compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
