// One path, query or header value (already percent-decoded text) into the
// field it binds, e.g. `?shelf=42` into an int64. Values come out in the
// same encode-ready form as messageFromJson produces.
import protobuf from 'protobufjs';
import Long from 'long';
import { JsonSyntaxError, parseJsonText, type JsonValue } from './json-text.js';
import { MappingError, messageFromJson } from './proto-json.js';
import {
  ValueError,
  bytesFromBase64,
  enumNumberFromName,
  enumNumberFromText,
  floatFromText,
  integerFromText,
  isFloatType,
  isIntegerType,
  mapEntryKey,
  protoTypeName,
} from './scalar-text.js';
import {
  fieldMaskPathsFromText,
  parseDuration,
  parseTimestamp,
  type SecondsAndNanos,
  WKT,
  WRAPPED_SCALAR_TYPES,
} from './wkt-text.js';

export interface TextReadOptions {
  /** Match enum names ignoring case ("green" for GREEN). */
  caseInsensitiveEnums?: boolean;
}

const JSON_TEXT_TYPES: ReadonlySet<string> = new Set([WKT.struct, WKT.value, WKT.listValue]);

/**
 * The value of a singular field from one text parameter. For a repeated
 * field it converts one element (callers call it per value), for a map
 * field one map value. Throws MappingError(paramName, ...) naming the
 * parameter, the expected type and the text.
 */
export function fieldValueFromText(
  field: protobuf.Field,
  text: string,
  opts: TextReadOptions = {},
  paramName: string = field.name,
): unknown {
  const resolved = field.resolve().resolvedType;
  try {
    if (resolved instanceof protobuf.Enum) return enumFromText(resolved, text, opts);
    if (resolved instanceof protobuf.Type) return messageFromText(resolved, text, paramName);
    return scalarFromText(field.type, text);
  } catch (error) {
    if (error instanceof ValueError) {
      const message = invalidTextMessage(paramName, protoTypeName(field), text, error.reason);
      throw new MappingError(paramName, message + plusAsSpaceHint(field, text));
    }
    throw error;
  }
}

/** The property key of a map entry from a key given as text (`labels[env]=...`): see mapEntryKey in scalar-text.ts. */
export function mapKeyFromText(field: protobuf.MapField, text: string, paramName: string = field.name): string {
  try {
    return mapEntryKey(field.keyType, text);
  } catch (error) {
    if (error instanceof ValueError) {
      throw new MappingError(paramName, invalidTextMessage(paramName, `${field.keyType} map key`, text, error.reason));
    }
    throw error;
  }
}

function invalidTextMessage(paramName: string, typeName: string, text: string, reason: string): string {
  const clipped = text.length > 64 ? text.slice(0, 61) + '...' : text;
  const got = JSON.stringify(clipped);
  return `invalid value for ${JSON.stringify(paramName)}: expected ${typeName}, got ${got} (${reason})`;
}

// A raw '+' in a query string is form-decoded to a space before the value
// gets here. That breaks base64 and timestamp offsets in a way that is hard
// to see from the error alone, so say so.
function plusAsSpaceHint(field: protobuf.Field, text: string): string {
  if (!text.includes(' ')) return '';
  const hint = "; a '+' in a query string decodes to a space: send it as %2B";
  if (field.type === 'bytes' || field.resolvedType?.fullName === WKT.bytesValue) {
    return hint + ' or use URL-safe base64';
  }
  return field.resolvedType?.fullName === WKT.timestamp ? hint : '';
}

function scalarFromText(type: string, text: string): unknown {
  if (isIntegerType(type)) return integerFromText(text, type);
  if (isFloatType(type)) return floatFromText(text, type);
  switch (type) {
    case 'string':
      return text;
    case 'bool':
      return boolFromText(text);
    case 'bytes':
      return bytesFromBase64(text);
    default:
      throw new Error(`unsupported field type ${type}`);
  }
}

// proto3 JSON knows only true/false; 1/0 are common enough in query strings to accept.
function boolFromText(text: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ValueError('not true, false, 1 or 0');
}

function enumFromText(enumType: protobuf.Enum, text: string, opts: TextReadOptions): number {
  const first = text.charCodeAt(0);
  const looksNumeric = first === 0x2d || (first >= 0x30 && first <= 0x39);
  if (looksNumeric) return enumNumberFromText(enumType, text);
  return enumNumberFromName(enumType, text, opts.caseInsensitiveEnums === true);
}

function messageFromText(type: protobuf.Type, text: string, paramName: string): Record<string, unknown> {
  const name = type.fullName;
  const wrapped = WRAPPED_SCALAR_TYPES.get(name);
  if (wrapped !== undefined) return { [type.fieldsById[1]!.name]: scalarFromText(wrapped, text) };
  switch (name) {
    case WKT.timestamp:
      return secondsAndNanosMessage(type, parseTimestamp(text));
    case WKT.duration:
      return secondsAndNanosMessage(type, parseDuration(text));
    case WKT.fieldMask:
      return { [type.fieldsById[1]!.name]: fieldMaskPathsFromText(text) };
    case WKT.any:
      throw new ValueError('an Any cannot be set from a path or query parameter');
  }
  if (JSON_TEXT_TYPES.has(name)) return messageFromJson(type, jsonFromText(text), {}, paramName);
  throw new ValueError(
    `a message cannot be set from a path or query parameter; set its fields instead (${paramName}.<field>)`,
  );
}

function secondsAndNanosMessage(type: protobuf.Type, { seconds, nanos }: SecondsAndNanos): Record<string, unknown> {
  return { [type.fieldsById[1]!.name]: Long.fromNumber(seconds), [type.fieldsById[2]!.name]: nanos };
}

function jsonFromText(text: string): JsonValue {
  try {
    return parseJsonText(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new ValueError(`not JSON: ${error.message}`);
    throw error;
  }
}
