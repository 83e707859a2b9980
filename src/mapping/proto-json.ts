// proto3 JSON mapping (https://protobuf.dev/programming-guides/json/)
// between parsed JSON (json-text.ts) and the plain objects protobufjs
// encodes and decodes.
//
// Reading builds an encode-ready object keyed by proto field names: 64-bit
// integers as Long (exact, since numbers arrive as source text), bytes as
// Buffer, enums as numbers, maps as null-prototype objects keyed by the
// key's text. Writing produces canonical proto3 JSON.
//
// Both directions are on the request hot path, so every Type and Field is
// turned once into a table of prepared handlers (cached in WeakMaps) and
// each call is a loop over that table.
import protobuf from 'protobufjs';
import Long from 'long';
import { JsonNumber, type JsonObject, type JsonValue } from './json-text.js';
import {
  ValueError,
  bytesFromBase64,
  bytesToBase64,
  enumNumberFromName,
  enumNumberFromText,
  enumToJson,
  floatFromText,
  floatToJson,
  integerFromText,
  isFloatType,
  isIntegerType,
  isZeroLong,
  longToDecimal,
  mapEntryKey,
  mapKeyToJson,
  protoTypeName,
} from './scalar-text.js';
import {
  fieldMaskPathsFromText,
  fieldMaskPathsToText,
  formatDuration,
  formatTimestamp,
  parseDuration,
  parseTimestamp,
  type SecondsAndNanos,
  WKT,
  WRAPPED_SCALAR_TYPES,
} from './wkt-text.js';

/**
 * A value the client sent does not fit its field. `field` is the path as the
 * client wrote it: "book.id", "tags[2]", "labels[\"env\"]".
 */
export class MappingError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'MappingError';
  }
}

export interface JsonReadOptions {
  /** Skip JSON keys that name no field (default true); false makes them an error. */
  ignoreUnknownFields?: boolean;
  /** Match enum names ignoring case ("green" for GREEN). */
  caseInsensitiveEnums?: boolean;
}

export interface JsonWriteOptions {
  /** Also write fields without presence that hold their default value (0, "", [], {}). */
  emitDefaults?: boolean;
  /** Use proto field names ("display_name") instead of JSON names ("displayName"). */
  useProtoNames?: boolean;
}

/** The JSON name of a field: its json_name option, or the proto name in lowerCamel case. */
export function jsonName(field: protobuf.Field): string {
  const explicit: unknown = field.options?.['json_name'];
  return typeof explicit === 'string' ? explicit : lowerCamel(field.name);
}

// protoc's rule: drop each '_' and upper-case the character after it.
function lowerCamel(name: string): string {
  let result = '';
  let upperNext = false;
  for (const ch of name) {
    if (ch === '_') {
      upperNext = true;
    } else {
      result += upperNext ? ch.toUpperCase() : ch;
      upperNext = false;
    }
  }
  return result;
}

/** Converts a JSON object into an encode-ready plain object of `type`. `path` prefixes field paths in errors. */
export function messageFromJson(
  type: protobuf.Type,
  json: JsonValue,
  opts: JsonReadOptions = {},
  path = '',
): Record<string, unknown> {
  return readMessage(type, json, opts, path);
}

/**
 * Converts the JSON for one whole field (an array for a repeated field, an
 * object for a map) into its encode-ready value, e.g. for an HTTP body bound
 * to a field. JSON null yields undefined (the field stays unset), except for
 * google.protobuf.Value and NullValue fields.
 */
export function fieldValueFromJson(
  field: protobuf.Field,
  json: JsonValue,
  opts: JsonReadOptions = {},
  path: string = field.name,
): unknown {
  const reader = fieldReaderOf(field);
  if (json === null && !reader.acceptsNull) return undefined;
  return reader.read(json, opts, path);
}

/** Canonical proto3 JSON of a message: what `type.decode()` returns, or a plain object of that shape. */
export function messageToJson(type: protobuf.Type, message: object, opts: JsonWriteOptions = {}): unknown {
  return writeMessage(type, message, opts);
}

/**
 * Canonical proto3 JSON of one field's value. An unset (null/undefined)
 * message field gives null, any other field its default.
 */
export function fieldValueToJson(field: protobuf.Field, value: unknown, opts: JsonWriteOptions = {}): unknown {
  const writer = fieldWriterOf(field);
  if (value == null) {
    if (writer.isSingularMessage) return null;
    return writer.write(field.defaultValue, opts);
  }
  return writer.write(value, opts);
}

// ---------------------------------------------------------------------------
// Shared helpers

type ValueReader = (json: JsonValue, opts: JsonReadOptions, path: string) => unknown;
type ValueWriter = (value: unknown, opts: JsonWriteOptions) => unknown;
type MessageWriter = (message: Record<string, unknown>, opts: JsonWriteOptions) => unknown;

/** How one field (or one element of a repeated/map field) is read from JSON. */
interface FieldReader {
  read: ValueReader;
  /** JSON null is a value (google.protobuf.Value, NullValue), not "unset". */
  acceptsNull: boolean;
}

/** Types whose JSON form is not an object of fields; inside an Any they sit under "value". */
function isSpecialJsonType(type: protobuf.Type): boolean {
  const name = type.fullName;
  return (
    WRAPPED_SCALAR_TYPES.has(name) ||
    name === WKT.timestamp ||
    name === WKT.duration ||
    name === WKT.fieldMask ||
    name === WKT.struct ||
    name === WKT.value ||
    name === WKT.listValue ||
    name === WKT.any ||
    name === WKT.empty
  );
}

/**
 * Name of a well-known type's field by number. Going by number keeps this
 * independent of spelling: protobufjs' bundled google/protobuf/struct.proto
 * names Value's fields in camelCase (nullValue) but Any's in snake_case.
 */
function fieldNameById(type: protobuf.Type, id: number): string {
  const field = type.fieldsById[id];
  if (!field) throw new Error(`${type.fullName} has no field ${id}`);
  return field.name;
}

function typeNameOf(type: protobuf.ReflectionObject): string {
  return type.fullName.slice(1);
}

function memberPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function mapEntryPath(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

function clip(text: string): string {
  return text.length > 64 ? text.slice(0, 61) + '...' : text;
}

/** The value as an error message shows it: 5, "abc", true, null, an object, an array. */
function describeJson(json: JsonValue): string {
  if (json === null) return 'null';
  if (json instanceof JsonNumber) return clip(json.text);
  if (Array.isArray(json)) return 'an array';
  if (typeof json === 'object') return 'an object';
  if (typeof json === 'string') return JSON.stringify(clip(json));
  return String(json);
}

function isJsonObject(json: JsonValue): json is JsonObject {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && !(json instanceof JsonNumber);
}

function unknownField(path: string, why: string): MappingError {
  return new MappingError(path, `unknown field ${JSON.stringify(path)} (${why})`);
}

function invalidValue(path: string, typeName: string, detail: string): MappingError {
  const subject = path === '' ? 'invalid JSON' : `invalid value for field ${JSON.stringify(path)}`;
  return new MappingError(path, `${subject} (${typeName}): ${detail}`);
}

/** Turns a ValueError from a conversion into a MappingError naming the field; other errors pass through. */
function asMappingError(error: unknown, path: string, typeName: string, json: JsonValue): unknown {
  return error instanceof ValueError ? invalidValue(path, typeName, `${describeJson(json)} is ${error.reason}`) : error;
}

function int64ToNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === 'object') return (value as Long).toNumber();
  return Number(value);
}

/** The message type an Any's type URL names ("type.googleapis.com/pkg.Msg"), if the root knows it. */
function lookupAnyType(root: protobuf.Root, typeUrl: string): protobuf.Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (name === '') return undefined;
  // lookup() also finds partial names in nested namespaces; only an exact full name counts.
  const found = root.lookup(name);
  return found instanceof protobuf.Type && found.fullName === '.' + name ? found : undefined;
}

// ---------------------------------------------------------------------------
// JSON -> message

/** A field as a JSON key finds it. */
interface KeyedField {
  protoName: string;
  /** The field's other spelling (JSON name vs proto name), when the two differ. */
  alternateKey: string | undefined;
  /** Proto names of the other members of a real (non-synthetic) oneof. */
  oneofSiblings: readonly string[];
  oneofName: string;
  reader: FieldReader;
}

interface MessageReadPlan {
  /** Set for well-known types with their own JSON form. */
  custom: ValueReader | undefined;
  byKey: ReadonlyMap<string, KeyedField>;
}

const readPlans = new WeakMap<protobuf.Type, MessageReadPlan>();
const fieldReaders = new WeakMap<protobuf.Field, FieldReader>();

function readMessage(
  type: protobuf.Type,
  json: JsonValue,
  opts: JsonReadOptions,
  path: string,
): Record<string, unknown> {
  const plan = readPlanOf(type);
  if (plan.custom) return plan.custom(json, opts, path) as Record<string, unknown>;
  return readFields(type, plan, json, opts, path);
}

function readPlanOf(type: protobuf.Type): MessageReadPlan {
  let plan = readPlans.get(type);
  if (!plan) {
    plan = { custom: customReaderOf(type), byKey: keyedFieldsOf(type) };
    readPlans.set(type, plan);
  }
  return plan;
}

function keyedFieldsOf(type: protobuf.Type): Map<string, KeyedField> {
  const byKey = new Map<string, KeyedField>();
  for (const field of type.fieldsArray) {
    const protoName = field.name;
    const json = jsonName(field);
    const oneof = field.partOf;
    const isRealOneof = oneof !== null && !oneof.isProto3Optional;
    const shared = {
      protoName,
      oneofSiblings: isRealOneof ? oneof.oneof.filter((name) => name !== protoName) : [],
      oneofName: isRealOneof ? oneof.name : '',
      reader: fieldReaderOf(field),
    };
    byKey.set(protoName, { ...shared, alternateKey: json === protoName ? undefined : json });
    if (json !== protoName) byKey.set(json, { ...shared, alternateKey: protoName });
  }
  return byKey;
}

function readFields(
  type: protobuf.Type,
  plan: MessageReadPlan,
  json: JsonValue,
  opts: JsonReadOptions,
  path: string,
): Record<string, unknown> {
  if (!isJsonObject(json)) throw invalidValue(path, typeNameOf(type), `${describeJson(json)} is not an object`);
  const message: Record<string, unknown> = {};
  for (const key of Object.keys(json)) {
    const value = json[key]!;
    const keyed = plan.byKey.get(key);
    const fieldPath = memberPath(path, key);
    if (!keyed) {
      if (opts.ignoreUnknownFields === false) {
        throw unknownField(fieldPath, `${typeNameOf(type)} has no such field`);
      }
      continue;
    }
    if (keyed.alternateKey !== undefined && Object.hasOwn(json, keyed.alternateKey)) {
      const spellings = `${JSON.stringify(key)} and ${JSON.stringify(keyed.alternateKey)}`;
      throw new MappingError(fieldPath, `field ${JSON.stringify(keyed.protoName)} is given twice, as ${spellings}`);
    }
    if (value === null && !keyed.reader.acceptsNull) continue;
    for (const sibling of keyed.oneofSiblings) {
      if (message[sibling] !== undefined) {
        const both = `${JSON.stringify(sibling)} and ${JSON.stringify(keyed.protoName)}`;
        throw new MappingError(fieldPath, `fields ${both} are both set, but oneof "${keyed.oneofName}" takes only one`);
      }
    }
    message[keyed.protoName] = keyed.reader.read(value, opts, fieldPath);
  }
  return message;
}

function fieldReaderOf(field: protobuf.Field): FieldReader {
  let reader = fieldReaders.get(field);
  if (!reader) {
    reader = makeFieldReader(field);
    fieldReaders.set(field, reader);
  }
  return reader;
}

function makeFieldReader(field: protobuf.Field): FieldReader {
  const element = makeElementReader(field);
  const typeName = protoTypeName(field);
  if (field.map) {
    const keyType = (field as unknown as protobuf.MapField).keyType;
    return { acceptsNull: false, read: (json, opts, path) => readMap(keyType, typeName, element, json, opts, path) };
  }
  if (field.repeated) {
    return { acceptsNull: false, read: (json, opts, path) => readList(typeName, element, json, opts, path) };
  }
  return element;
}

function readList(
  typeName: string,
  element: FieldReader,
  json: JsonValue,
  opts: JsonReadOptions,
  path: string,
): unknown[] {
  if (!Array.isArray(json)) throw invalidValue(path, `repeated ${typeName}`, `${describeJson(json)} is not an array`);
  const list = new Array<unknown>(json.length);
  for (let i = 0; i < json.length; i++) {
    const item = json[i]!;
    const itemPath = `${path}[${i}]`;
    if (item === null && !element.acceptsNull) throw invalidValue(itemPath, typeName, 'null is not allowed in a list');
    list[i] = element.read(item, opts, itemPath);
  }
  return list;
}

function readMap(
  keyType: string,
  typeName: string,
  element: FieldReader,
  json: JsonValue,
  opts: JsonReadOptions,
  path: string,
): Record<string, unknown> {
  const mapTypeName = `map<${keyType}, ${typeName}>`;
  if (!isJsonObject(json)) throw invalidValue(path, mapTypeName, `${describeJson(json)} is not an object`);
  const map: Record<string, unknown> = Object.create(null);
  for (const jsonKey of Object.keys(json)) {
    const value = json[jsonKey]!;
    const entryPath = mapEntryPath(path, jsonKey);
    let key: string;
    try {
      key = mapEntryKey(keyType, jsonKey);
    } catch (error) {
      if (error instanceof ValueError) {
        throw invalidValue(entryPath, `${keyType} map key`, `${JSON.stringify(jsonKey)} is ${error.reason}`);
      }
      throw error;
    }
    // "1" and "01" are different JSON keys but one int key.
    if (map[key] !== undefined) throw invalidValue(entryPath, `${keyType} map key`, 'the key is given twice');
    if (value === null && !element.acceptsNull) {
      throw invalidValue(entryPath, typeName, 'null is not allowed as a map value');
    }
    map[key] = element.read(value, opts, entryPath);
  }
  return map;
}

function makeElementReader(field: protobuf.Field): FieldReader {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Enum) return enumReader(resolved);
  if (resolved instanceof protobuf.Type) {
    return {
      acceptsNull: resolved.fullName === WKT.value,
      read: (json, opts, path) => readMessage(resolved, json, opts, path),
    };
  }
  return { acceptsNull: false, read: scalarReader(field.type) };
}

function enumReader(enumType: protobuf.Enum): FieldReader {
  const typeName = typeNameOf(enumType);
  const isNullValue = enumType.fullName === WKT.nullValue;
  return {
    acceptsNull: isNullValue,
    read: (json, opts, path) => {
      try {
        if (json === null) return 0; // only NullValue accepts null: NULL_VALUE
        if (typeof json === 'string') return enumNumberFromName(enumType, json, opts.caseInsensitiveEnums === true);
        if (json instanceof JsonNumber) return enumNumberFromText(enumType, json.text);
        throw new ValueError(`not a value of ${typeName}`);
      } catch (error) {
        throw asMappingError(error, path, typeName, json);
      }
    },
  };
}

/** Converts the JSON of one scalar; throws ValueError when it does not fit. */
function scalarConverter(type: string): (json: JsonValue) => unknown {
  if (isIntegerType(type)) return (json) => integerFromText(numberText(json), type);
  if (isFloatType(type)) return (json) => floatFromText(numberText(json), type);
  switch (type) {
    case 'bool':
      return (json) => {
        if (typeof json !== 'boolean') throw new ValueError('not a boolean');
        return json;
      };
    case 'string':
      return (json) => {
        if (typeof json !== 'string') throw new ValueError('not a string');
        return json;
      };
    case 'bytes':
      return (json) => {
        if (typeof json !== 'string') throw new ValueError('not a base64 string');
        return bytesFromBase64(json);
      };
    default:
      throw new Error(`unsupported field type ${type}`);
  }
}

/** Numbers may come as JSON numbers or as strings holding one. */
function numberText(json: JsonValue): string {
  if (json instanceof JsonNumber) return json.text;
  if (typeof json === 'string') return json;
  throw new ValueError('not a number');
}

function scalarReader(type: string): ValueReader {
  const convert = scalarConverter(type);
  return (json, _opts, path) => {
    try {
      return convert(json);
    } catch (error) {
      throw asMappingError(error, path, type, json);
    }
  };
}

/** Readers for well-known types whose JSON form is not an object of their fields. */
function customReaderOf(type: protobuf.Type): ValueReader | undefined {
  const name = type.fullName;
  const typeName = typeNameOf(type);
  const wrapped = WRAPPED_SCALAR_TYPES.get(name);
  if (wrapped !== undefined) {
    const valueName = fieldNameById(type, 1);
    const read = scalarReader(wrapped);
    return (json, opts, path) => ({ [valueName]: read(json, opts, path) });
  }
  switch (name) {
    case WKT.timestamp:
      return secondsAndNanosReader(type, parseTimestamp);
    case WKT.duration:
      return secondsAndNanosReader(type, parseDuration);
    case WKT.fieldMask: {
      const pathsName = fieldNameById(type, 1);
      return stringFormReader(typeName, (text) => ({ [pathsName]: fieldMaskPathsFromText(text) }));
    }
    case WKT.struct: {
      const fieldsName = fieldNameById(type, 1);
      const fieldsReader = fieldReaderOf(type.fieldsById[1]!);
      return (json, opts, path) => {
        if (!isJsonObject(json)) throw invalidValue(path, typeName, `${describeJson(json)} is not an object`);
        return { [fieldsName]: fieldsReader.read(json, opts, path) };
      };
    }
    case WKT.listValue: {
      const valuesName = fieldNameById(type, 1);
      const valuesReader = fieldReaderOf(type.fieldsById[1]!);
      return (json, opts, path) => ({ [valuesName]: valuesReader.read(json, opts, path) });
    }
    case WKT.value:
      return valueReader(type);
    case WKT.any:
      return anyReader(type);
    default:
      return undefined;
  }
}

function stringFormReader(typeName: string, parse: (text: string) => Record<string, unknown>): ValueReader {
  return (json, _opts, path) => {
    try {
      if (typeof json !== 'string') throw new ValueError('not a string');
      return parse(json);
    } catch (error) {
      throw asMappingError(error, path, typeName, json);
    }
  };
}

function secondsAndNanosReader(type: protobuf.Type, parse: (text: string) => SecondsAndNanos): ValueReader {
  const secondsName = fieldNameById(type, 1);
  const nanosName = fieldNameById(type, 2);
  return stringFormReader(typeNameOf(type), (text) => {
    const { seconds, nanos } = parse(text);
    return { [secondsName]: Long.fromNumber(seconds), [nanosName]: nanos };
  });
}

/** google.protobuf.Value: any JSON, null included. */
function valueReader(type: protobuf.Type): ValueReader {
  const [nullName, numberName, stringName, boolName, structName, listName] = [1, 2, 3, 4, 5, 6].map((id) =>
    fieldNameById(type, id),
  ) as [string, string, string, string, string, string];
  const structType = type.fieldsById[5]!.resolve().resolvedType as protobuf.Type;
  const listType = type.fieldsById[6]!.resolve().resolvedType as protobuf.Type;
  return (json, opts, path) => {
    if (json === null) return { [nullName]: 0 };
    if (typeof json === 'string') return { [stringName]: json };
    if (typeof json === 'boolean') return { [boolName]: json };
    if (json instanceof JsonNumber) {
      const number = Number(json.text);
      if (!Number.isFinite(number)) throw invalidValue(path, typeNameOf(type), `${describeJson(json)} is out of range`);
      return { [numberName]: number };
    }
    if (Array.isArray(json)) return { [listName]: readMessage(listType, json, opts, path) };
    return { [structName]: readMessage(structType, json, opts, path) };
  };
}

/** google.protobuf.Any: {"@type": url, ...fields}, or {"@type": url, "value": <JSON form>} for well-known types. */
function anyReader(type: protobuf.Type): ValueReader {
  const typeUrlName = fieldNameById(type, 1);
  const valueName = fieldNameById(type, 2);
  return (json, opts, path) => {
    const payload = readAny(type, json, opts, path);
    return payload ? { [typeUrlName]: payload.typeUrl, [valueName]: payload.bytes } : {};
  };
}

/** The type URL and encoded payload of an Any's JSON, or undefined for the empty Any ({}). */
function readAny(
  type: protobuf.Type,
  json: JsonValue,
  opts: JsonReadOptions,
  path: string,
): { typeUrl: string; bytes: Uint8Array } | undefined {
  const typeName = typeNameOf(type);
  if (!isJsonObject(json)) throw invalidValue(path, typeName, `${describeJson(json)} is not an object`);
  const typeUrl = json['@type'];
  if (typeUrl === undefined) {
    if (Object.keys(json).length === 0) return undefined;
    throw invalidValue(path, typeName, 'an object without "@type" is not an Any');
  }
  const typeUrlPath = memberPath(path, '@type');
  if (typeof typeUrl !== 'string') {
    throw invalidValue(typeUrlPath, 'string', `${describeJson(typeUrl)} is not a type URL`);
  }
  const payloadType = lookupAnyType(type.root, typeUrl);
  if (!payloadType) {
    const message = `unknown type ${JSON.stringify(typeUrl)} in "@type" of field ${JSON.stringify(path)}`;
    throw new MappingError(typeUrlPath, message);
  }

  const rest: JsonObject = Object.create(null);
  for (const key of Object.keys(json)) if (key !== '@type') rest[key] = json[key]!;
  let payload: Record<string, unknown>;
  if (isSpecialJsonType(payloadType)) {
    for (const key of Object.keys(rest)) {
      if (key !== 'value' && opts.ignoreUnknownFields === false) {
        const why = `an Any of ${typeNameOf(payloadType)} holds only "@type" and "value"`;
        throw unknownField(memberPath(path, key), why);
      }
    }
    const value = rest['value'];
    if (value === undefined) throw invalidValue(path, typeName, `an Any of ${typeNameOf(payloadType)} needs a "value"`);
    payload = readMessage(payloadType, value, opts, memberPath(path, 'value'));
  } else {
    payload = readMessage(payloadType, rest, opts, path);
  }
  return { typeUrl, bytes: payloadType.encode(payload).finish() };
}

// ---------------------------------------------------------------------------
// message -> JSON

/** How one field is written to JSON. */
interface FieldWriter {
  write: ValueWriter;
  /** True when the value is the default of a field without presence (so it is left out). */
  isDefault: (value: unknown) => boolean;
  isSingularMessage: boolean;
}

interface FieldWritePlan {
  field: protobuf.Field;
  protoName: string;
  jsonName: string;
  /** proto3 `optional`, message fields, oneof members: written whenever set, even to a default. */
  explicitPresence: boolean;
  writer: FieldWriter;
}

interface MessageWritePlan {
  custom: MessageWriter | undefined;
  fields: readonly FieldWritePlan[];
}

const writePlans = new WeakMap<protobuf.Type, MessageWritePlan>();
const fieldWriters = new WeakMap<protobuf.Field, FieldWriter>();

function writeMessage(type: protobuf.Type, message: object, opts: JsonWriteOptions): unknown {
  const plan = writePlanOf(type);
  const fields = message as Record<string, unknown>;
  if (plan.custom) return plan.custom(fields, opts);
  const json: Record<string, unknown> = {};
  for (const f of plan.fields) {
    const value = fields[f.protoName];
    const key = opts.useProtoNames ? f.protoName : f.jsonName;
    if (f.explicitPresence) {
      // Decoded messages keep defaults on the prototype: only own properties were set.
      if (value != null && Object.hasOwn(fields, f.protoName)) json[key] = f.writer.write(value, opts);
    } else if (value != null && !f.writer.isDefault(value)) {
      json[key] = f.writer.write(value, opts);
    } else if (opts.emitDefaults) {
      json[key] = f.writer.write(value ?? f.field.defaultValue, opts);
    }
  }
  return json;
}

function writePlanOf(type: protobuf.Type): MessageWritePlan {
  let plan = writePlans.get(type);
  if (!plan) {
    plan = {
      custom: customWriterOf(type),
      fields: type.fieldsArray.map((field) => ({
        field,
        protoName: field.name,
        jsonName: jsonName(field),
        explicitPresence: hasExplicitPresence(field),
        writer: fieldWriterOf(field),
      })),
    };
    writePlans.set(type, plan);
  }
  return plan;
}

// Repeated and map fields never have presence, whatever their element type;
// protobufjs' hasPresence leaves out singular message fields in proto3.
function hasExplicitPresence(field: protobuf.Field): boolean {
  if (field.repeated || field.map) return false;
  return Boolean(field.resolve().hasPresence) || field.resolvedType instanceof protobuf.Type;
}

function fieldWriterOf(field: protobuf.Field): FieldWriter {
  let writer = fieldWriters.get(field);
  if (!writer) {
    writer = makeFieldWriter(field);
    fieldWriters.set(field, writer);
  }
  return writer;
}

function makeFieldWriter(field: protobuf.Field): FieldWriter {
  const resolved = field.resolve().resolvedType;
  const element = makeElementWriter(field);
  if (field.map) {
    const keyType = (field as unknown as protobuf.MapField).keyType;
    return {
      isSingularMessage: false,
      isDefault: (value) => Object.keys(value as object).length === 0,
      write: (value, opts) => {
        const entries = value as Record<string, unknown>;
        const json: Record<string, unknown> = Object.create(null);
        for (const key of Object.keys(entries)) json[mapKeyToJson(keyType, key)] = element(entries[key], opts);
        return json;
      },
    };
  }
  if (field.repeated) {
    return {
      isSingularMessage: false,
      isDefault: (value) => (value as unknown[]).length === 0,
      write: (value, opts) => (value as unknown[]).map((item) => element(item, opts)),
    };
  }
  return { isSingularMessage: resolved instanceof protobuf.Type, isDefault: defaultTest(field), write: element };
}

function defaultTest(field: protobuf.Field): (value: unknown) => boolean {
  if (field.resolvedType instanceof protobuf.Enum) return (value) => value === 0;
  if (field.long) return isZeroLong;
  switch (field.type) {
    case 'bool':
      return (value) => value === false;
    case 'string':
      return (value) => value === '';
    case 'bytes':
      return (value) => (value as { length: number }).length === 0;
    default:
      return (value) => value === 0;
  }
}

function makeElementWriter(field: protobuf.Field): ValueWriter {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    if (resolved.fullName === WKT.nullValue) return () => null;
    return (value) => enumToJson(resolved, value as number);
  }
  if (resolved instanceof protobuf.Type) return (value, opts) => writeMessage(resolved, value as object, opts);
  return scalarWriter(field.type);
}

function scalarWriter(type: string): ValueWriter {
  switch (type) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return (value) => longToDecimal(value, false);
    case 'uint64':
    case 'fixed64':
      return (value) => longToDecimal(value, true);
    case 'double':
    case 'float':
      return (value) => floatToJson(value as number, type);
    case 'bytes':
      return bytesToBase64;
    default: // 32-bit integers, bool, string: JSON has them as they are
      return (value) => value;
  }
}

function cannotRender(type: protobuf.Type, reason: string): MappingError {
  return new MappingError('', `cannot write ${typeNameOf(type)} as JSON: ${reason}`);
}

/** Writers for well-known types whose JSON form is not an object of their fields. */
function customWriterOf(type: protobuf.Type): MessageWriter | undefined {
  const wrapped = WRAPPED_SCALAR_TYPES.get(type.fullName);
  if (wrapped !== undefined) {
    const valueField = type.fieldsById[1]!;
    const write = scalarWriter(wrapped);
    return (message) => write(message[valueField.name] ?? valueField.defaultValue, {});
  }
  switch (type.fullName) {
    case WKT.timestamp:
      return secondsAndNanosWriter(type, formatTimestamp);
    case WKT.duration:
      return secondsAndNanosWriter(type, formatDuration);
    case WKT.fieldMask: {
      const pathsName = fieldNameById(type, 1);
      return (message) => fieldMaskPathsToText((message[pathsName] as string[] | undefined) ?? []);
    }
    case WKT.struct: {
      const fieldsField = type.fieldsById[1]!;
      return (message, opts) => fieldValueToJson(fieldsField, message[fieldsField.name], opts);
    }
    case WKT.listValue: {
      const valuesField = type.fieldsById[1]!;
      return (message, opts) => fieldValueToJson(valuesField, message[valuesField.name], opts);
    }
    case WKT.value:
      return valueWriter(type);
    case WKT.any:
      return anyWriter(type);
    default:
      return undefined;
  }
}

function secondsAndNanosWriter(type: protobuf.Type, format: (value: SecondsAndNanos) => string): MessageWriter {
  const secondsName = fieldNameById(type, 1);
  const nanosName = fieldNameById(type, 2);
  return (message) => {
    try {
      const nanos = (message[nanosName] as number | undefined) ?? 0;
      return format({ seconds: int64ToNumber(message[secondsName]), nanos });
    } catch (error) {
      if (error instanceof ValueError) throw cannotRender(type, error.reason);
      throw error;
    }
  };
}

/** google.protobuf.Value: whichever kind is set, as native JSON. */
function valueWriter(type: protobuf.Type): MessageWriter {
  const kinds = [1, 2, 3, 4, 5, 6].map((id) => type.fieldsById[id]!);
  return (message, opts) => {
    const kind = kinds.find((field) => message[field.name] != null && Object.hasOwn(message, field.name));
    const value = kind && message[kind.name];
    switch (kind?.id) {
      case undefined: // no kind set: read as null
      case 1: // null_value
        return null;
      case 2: // number_value
        if (!Number.isFinite(value)) throw cannotRender(type, `${String(value)} is not a JSON number`);
        return value;
      case 5: // struct_value
      case 6: // list_value
        return writeMessage(kind!.resolvedType as protobuf.Type, value as object, opts);
      default: // string_value, bool_value
        return value;
    }
  };
}

/**
 * google.protobuf.Any with "@type", the payload's fields beside it, or its
 * JSON form under "value" for well-known types.
 */
function anyWriter(type: protobuf.Type): MessageWriter {
  const typeUrlName = fieldNameById(type, 1);
  const valueName = fieldNameById(type, 2);
  return (message, opts) =>
    writeAny(type, message[typeUrlName] as string | undefined, message[valueName] as Uint8Array | undefined, opts);
}

function writeAny(
  type: protobuf.Type,
  typeUrl: string | undefined,
  bytes: Uint8Array = new Uint8Array(0),
  opts: JsonWriteOptions,
): unknown {
  if (!typeUrl) return {};
  const payloadType = lookupAnyType(type.root, typeUrl);
  // A payload the proxy has no schema for is still passed on, as base64.
  if (!payloadType) return { '@type': typeUrl, value: bytesToBase64(bytes) };
  let payload: protobuf.Message;
  try {
    payload = payloadType.decode(bytes);
  } catch (error) {
    throw cannotRender(type, `its ${typeNameOf(payloadType)} payload does not decode: ${(error as Error).message}`);
  }
  const json = writeMessage(payloadType, payload, opts);
  if (isSpecialJsonType(payloadType)) return { '@type': typeUrl, value: json };
  return { '@type': typeUrl, ...(json as Record<string, unknown>) };
}
