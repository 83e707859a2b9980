// Conversions between the text forms of protobuf scalar values (JSON number
// text, quoted JSON values, path/query parameters) and the values
// protobufjs encodes. Shared by proto-json.ts and text-value.ts, which wrap
// a ValueError into a MappingError that names the field.
import protobuf from 'protobufjs';
import Long from 'long';

/** Why a text is not a valid value of a type, e.g. "out of range"; callers add the field and the value. */
export class ValueError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ValueError';
  }
}

/** The type as people write it in a .proto: "int64", "vec.v1.Color", "google.protobuf.Timestamp". */
export function protoTypeName(field: protobuf.Field): string {
  const resolved = field.resolve().resolvedType;
  return resolved ? resolved.fullName.slice(1) : field.type;
}

interface IntegerRange {
  min: bigint;
  max: bigint;
  is64Bit: boolean;
  unsigned: boolean;
}

const INT32: IntegerRange = { min: -(2n ** 31n), max: 2n ** 31n - 1n, is64Bit: false, unsigned: false };
const UINT32: IntegerRange = { min: 0n, max: 2n ** 32n - 1n, is64Bit: false, unsigned: true };
const INT64: IntegerRange = { min: -(2n ** 63n), max: 2n ** 63n - 1n, is64Bit: true, unsigned: false };
const UINT64: IntegerRange = { min: 0n, max: 2n ** 64n - 1n, is64Bit: true, unsigned: true };

const INTEGER_RANGES: Readonly<Record<string, IntegerRange>> = {
  int32: INT32,
  sint32: INT32,
  sfixed32: INT32,
  uint32: UINT32,
  fixed32: UINT32,
  int64: INT64,
  sint64: INT64,
  sfixed64: INT64,
  uint64: UINT64,
  fixed64: UINT64,
};

export function isIntegerType(type: string): boolean {
  return INTEGER_RANGES[type] !== undefined;
}

export function isFloatType(type: string): boolean {
  return type === 'double' || type === 'float';
}

/** The parts of a text in JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
interface NumberParts {
  negative: boolean;
  intDigits: string;
  fracDigits: string;
  exponent: number;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function digitsEnd(text: string, pos: number): number {
  while (isDigitCode(text.charCodeAt(pos))) pos++;
  return pos;
}

function splitJsonNumber(text: string): NumberParts | undefined {
  let pos = 0;
  const negative = text.charCodeAt(0) === 0x2d;
  if (negative) pos++;
  const intStart = pos;
  pos = digitsEnd(text, pos);
  if (pos === intStart || (text.charCodeAt(intStart) === 0x30 && pos - intStart > 1)) return undefined;
  const intDigits = text.slice(intStart, pos);
  let fracDigits = '';
  if (text.charCodeAt(pos) === 0x2e) {
    const fracEnd = digitsEnd(text, pos + 1);
    if (fracEnd === pos + 1) return undefined;
    fracDigits = text.slice(pos + 1, fracEnd);
    pos = fracEnd;
  }
  let exponent = 0;
  const e = text.charCodeAt(pos);
  if (e === 0x65 || e === 0x45) {
    let expStart = pos + 1;
    const sign = text.charCodeAt(expStart);
    if (sign === 0x2b || sign === 0x2d) expStart++;
    const expEnd = digitsEnd(text, expStart);
    if (expEnd === expStart) return undefined;
    exponent = Number(text.slice(pos + 1, expEnd));
    pos = expEnd;
  }
  return pos === text.length ? { negative, intDigits, fracDigits, exponent } : undefined;
}

/** Number of digits when the text is a plain decimal integer (-?(0|[1-9][0-9]*)), else -1. */
function plainIntegerDigits(text: string): number {
  const start = text.charCodeAt(0) === 0x2d ? 1 : 0;
  const digits = text.length - start;
  if (digits === 0 || (digits > 1 && text.charCodeAt(start) === 0x30)) return -1;
  for (let pos = start; pos < text.length; pos++) if (!isDigitCode(text.charCodeAt(pos))) return -1;
  return digits;
}

/** The exact integer a JSON number text denotes ("1e2" is 100, "1.0" is 1); throws ValueError if it is not integral. */
function exactInteger(text: string): bigint {
  const parts = splitJsonNumber(text);
  if (!parts) throw new ValueError('not a number');
  let digits = (parts.intDigits + parts.fracDigits).replace(/^0+/, '');
  if (digits === '') return 0n;
  let exponent = parts.exponent - parts.fracDigits.length;
  const trailingZeros = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailingZeros);
  exponent += trailingZeros;
  if (exponent < 0) throw new ValueError('not an integer');
  // 2^64 has 20 digits: anything longer is out of every integer range.
  if (digits.length + exponent > 20) throw new ValueError('out of range');
  const magnitude = BigInt(digits + '0'.repeat(exponent));
  return parts.negative ? -magnitude : magnitude;
}

/**
 * The value of an integer field from text in JSON number grammar: a JS number
 * for 32-bit types, a Long for 64-bit ones (exact, never through a double).
 */
export function integerFromText(text: string, type: string): number | Long {
  const range = INTEGER_RANGES[type];
  if (!range) throw new Error(`not an integer type: ${type}`);
  const digits = plainIntegerDigits(text);
  if (digits > 0 && digits <= 15) {
    // Exact as a double, so no bigint is needed: nearly every integer a request carries.
    const n = Number(text) || 0; // no -0
    if (n < Number(range.min) || n > Number(range.max)) throw new ValueError('out of range');
    return range.is64Bit ? Long.fromNumber(n, range.unsigned) : n;
  }
  // 2^64 has 20 digits; checking first also keeps BigInt away from huge texts.
  if (digits > 20) throw new ValueError('out of range');
  const value = digits > 0 ? BigInt(text) : exactInteger(text);
  if (value < range.min || value > range.max) throw new ValueError('out of range');
  if (!range.is64Bit) return Number(value);
  return Long.fromBits(Number(BigInt.asIntN(32, value)), Number(BigInt.asIntN(32, value >> 32n)), range.unsigned);
}

const MAX_FLOAT32 = 3.4028234663852886e38;

/** A float/double from JSON number text or one of "NaN", "Infinity", "-Infinity"; overflow is an error. */
export function floatFromText(text: string, type: string): number {
  if (text === 'NaN') return NaN;
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  if (!splitJsonNumber(text)) throw new ValueError('not a number');
  const value = Number(text);
  if (!Number.isFinite(value) || (type === 'float' && Math.abs(value) > MAX_FLOAT32)) {
    throw new ValueError('out of range');
  }
  return value;
}

/** JSON for a float/double: a number, or "NaN"/"Infinity"/"-Infinity" which JSON numbers cannot express. */
export function floatToJson(value: number, type: string): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return type === 'float' ? shortestFloat32(value) : value;
}

// A float32 widened to a double prints as 0.10000000149011612; the shortest
// decimal that rounds back to the same float32 is what people wrote (0.1).
function shortestFloat32(value: number): number {
  for (let precision = 1; precision < 9; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/** Decimal text of a 64-bit integer held as Long, number or decimal string. */
export function longToDecimal(value: unknown, unsigned: boolean): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const long = value as Long;
  return Long.fromBits(long.low, long.high, unsigned).toString();
}

export function isZeroLong(value: unknown): boolean {
  if (typeof value === 'object' && value !== null) {
    const long = value as Long;
    return long.low === 0 && long.high === 0;
  }
  return value === 0 || value === '0';
}

const BASE64_STANDARD = 1;
const BASE64_URL_SAFE = 2;

function base64CharClass(c: number): number {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || isDigitCode(c)) return BASE64_STANDARD | BASE64_URL_SAFE;
  if (c === 0x2b || c === 0x2f) return BASE64_STANDARD; // + /
  if (c === 0x2d || c === 0x5f) return BASE64_URL_SAFE; // - _
  return 0;
}

/** Bytes from standard or URL-safe base64 (one alphabet, not a mix), padded or not. */
export function bytesFromBase64(text: string): Buffer {
  let end = text.length;
  if (end % 4 === 0 && text.charCodeAt(end - 1) === 0x3d) {
    end--;
    if (text.charCodeAt(end - 1) === 0x3d) end--;
  }
  if (end % 4 === 1) throw new ValueError('not valid base64');
  let alphabets = BASE64_STANDARD | BASE64_URL_SAFE;
  for (let i = 0; i < end; i++) alphabets &= base64CharClass(text.charCodeAt(i));
  if (alphabets === 0) throw new ValueError('not valid base64');
  // Node's base64 decoder reads both alphabets, with or without padding.
  return Buffer.from(text, 'base64');
}

/** Standard base64 with padding, the canonical JSON form of bytes. */
export function bytesToBase64(value: unknown): string {
  if (typeof value === 'string') return value; // already base64, as protobufjs allows for bytes
  const bytes = value as Uint8Array | number[];
  if (bytes instanceof Uint8Array) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  }
  return Buffer.from(bytes).toString('base64');
}

const upperCaseNames = new WeakMap<protobuf.Enum, Map<string, number>>();

function enumNamesIgnoringCase(enumType: protobuf.Enum): Map<string, number> {
  let names = upperCaseNames.get(enumType);
  if (!names) {
    names = new Map();
    // The first declared name wins when two differ only in case.
    for (const [name, number] of Object.entries(enumType.values)) {
      if (!names.has(name.toUpperCase())) names.set(name.toUpperCase(), number);
    }
    upperCaseNames.set(enumType, names);
  }
  return names;
}

/** The number of an enum value by name: exact match first, then (when allowed) ignoring case. */
export function enumNumberFromName(enumType: protobuf.Enum, name: string, ignoreCase: boolean): number {
  // Enum#values inherits from valuesById, so "2" would find GREEN's name without the own-property check.
  if (Object.hasOwn(enumType.values, name)) return enumType.values[name]!;
  const folded = ignoreCase ? enumNamesIgnoringCase(enumType).get(name.toUpperCase()) : undefined;
  if (folded === undefined) throw new ValueError(`not a value of ${enumType.fullName.slice(1)}`);
  return folded;
}

/** An enum value given by number text; it must be a defined value. */
export function enumNumberFromText(enumType: protobuf.Enum, text: string): number {
  const number = integerFromText(text, 'int32') as number;
  if (enumType.valuesById[number] === undefined) throw new ValueError(`not a value of ${enumType.fullName.slice(1)}`);
  return number;
}

/** JSON for an enum value: its name, or the number when the enum does not define it. */
export function enumToJson(enumType: protobuf.Enum, number: number): string | number {
  return enumType.valuesById[number] ?? number;
}

/**
 * The property key protobufjs needs to encode a map key given as text.
 * Integer keys become canonical decimal text. protobufjs writes a bool key
 * from the property name, and any non-empty string is truthy, so `false`
 * must be stored under the empty key.
 */
export function mapEntryKey(keyType: string, text: string): string {
  if (keyType === 'string') return text;
  if (keyType === 'bool') {
    if (text === 'true') return 'true';
    if (text === 'false') return '';
    throw new ValueError('not a boolean');
  }
  return integerFromText(text, keyType).toString();
}

// protobufjs decodes 64-bit map keys to 8-character binary "hash" strings;
// a key written by hand (or by mapEntryKey) is decimal text instead.
const DECIMAL_KEY = /^-?[0-9]+$/;

/** The JSON object key for a map key as it appears on a decoded or hand-built message. */
export function mapKeyToJson(keyType: string, key: string): string {
  if (keyType === 'bool') return key === 'true' ? 'true' : 'false';
  const range = INTEGER_RANGES[keyType];
  if (range?.is64Bit && !DECIMAL_KEY.test(key)) return protobuf.util.longFromHash(key, range.unsigned).toString();
  return key;
}
