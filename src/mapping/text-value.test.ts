import Long from 'long';
import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { MappingError, messageToJson } from './proto-json.js';
import { Req, overTheWire, root, vectorCases } from './test-support.js';
import { fieldValueFromText, mapKeyFromText, type TextReadOptions } from './text-value.js';

const Scalars = root.lookupType('t.v1.Scalars');
const Maps = root.lookupType('t.v1.Maps');
const Wrappers = root.lookupType('t.v1.Wrappers');

/** Sets one field of `type` from text, sends it over the wire and writes the result as proto-named JSON (the vectors' notation). */
function backendMessage(type: protobuf.Type, fieldName: string, text: string, opts: TextReadOptions = {}): unknown {
  const value = fieldValueFromText(type.fields[fieldName]!, text, opts);
  return messageToJson(type, overTheWire(type, { [fieldName]: value }), { useProtoNames: true });
}

function mappingErrorOf(run: () => unknown): MappingError {
  try {
    run();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error('expected a MappingError');
}

describe('vectors: query parameter values (Q*)', () => {
  // Cases that set exactly one parameter: its value conversion is this
  // module's part. The query string is decoded the way the vectors assume
  // by default ('+' is a space).
  const cases = vectorCases(['Q06', 'Q07', 'Q08', 'Q10', 'Q11', 'Q12', 'Q13', 'Q15', 'Q16', 'Q17', 'Q26']).flatMap((c) => {
    const params = [...new URLSearchParams(c.request!.target.split('?')[1])];
    if (params.length !== 1) return [];
    const [name, text] = params[0]!;
    const opts: TextReadOptions = { caseInsensitiveEnums: c.options['case_insensitive_enums'] === true };
    return [{ label: `${c.name} ${name}=${text}`, name, text, opts, expect: c.expect }];
  });

  it('covers the single-parameter cases', () => {
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases.filter((c) => c.expect.message).map((c) => [c.label, c]))('%s', (_, c) => {
    expect(backendMessage(Req, c.name, c.text, c.opts)).toEqual(c.expect.message);
  });

  it.each(cases.filter((c) => c.expect.status === 400).map((c) => [c.label, c]))('%s is rejected', (_, c) => {
    const error = mappingErrorOf(() => fieldValueFromText(Req.fields[c.name]!, c.text, c.opts));
    expect(error.field).toBe(c.name);
    expect(error.message).toContain(`invalid value for "${c.name}"`);
  });
});

describe('fieldValueFromText: scalars', () => {
  it.each([
    ['i32', '42', { i32: 42 }],
    ['i32', '-2147483648', { i32: -2147483648 }],
    ['i32', '1e2', { i32: 100 }],
    ['u32', '4294967295', { u32: 4294967295 }],
    ['s32', '-7', { s32: -7 }],
    ['i64', '9223372036854775807', { i64: '9223372036854775807' }],
    ['i64', '-9223372036854775808', { i64: '-9223372036854775808' }],
    ['u64', '18446744073709551615', { u64: '18446744073709551615' }],
    ['fx64', '123', { fx64: '123' }],
    ['d', '1.5', { d: 1.5 }],
    ['d', '-2e-3', { d: -0.002 }],
    ['d', 'NaN', { d: 'NaN' }],
    ['f', '0.1', { f: 0.1 }],
    ['f', '-Infinity', { f: '-Infinity' }],
    ['b', 'true', { b: true }],
    ['b', '1', { b: true }],
    ['b', 'false', {}],
    ['b', '0', {}],
    ['s', 'Hello world', { s: 'Hello world' }],
    ['s', ' a+b%20 ', { s: ' a+b%20 ' }],
    ['by', 'AAE=', { by: 'AAE=' }],
    ['by', '_-8', { by: '/+8=' }],
    ['nv', 'NULL_VALUE', {}],
  ])('%s=%s', (fieldName, text, expected) => {
    expect(backendMessage(Scalars, fieldName, text)).toEqual(expected);
  });

  it('returns encode-ready values', () => {
    const i64 = fieldValueFromText(Req.fields['i64']!, '9223372036854775807');
    expect(Long.isLong(i64) && (i64 as Long).toString()).toBe('9223372036854775807');
    expect(Buffer.isBuffer(fieldValueFromText(Req.fields['raw']!, 'AAE'))).toBe(true);
    expect(fieldValueFromText(Req.fields['color']!, 'GREEN')).toBe(2);
    expect(fieldValueFromText(Req.fields['s']!, '')).toBe('');
  });

  it.each([
    ['shelf', 'abc', 'invalid value for "shelf": expected int64, got "abc" (not a number)'],
    ['shelf', '', 'invalid value for "shelf": expected int64, got "" (not a number)'],
    ['shelf', '9223372036854775808', 'invalid value for "shelf": expected int64, got "9223372036854775808" (out of range)'],
    ['shelf', '1.5', 'invalid value for "shelf": expected int64, got "1.5" (not an integer)'],
    ['shelf', ' 1', 'invalid value for "shelf": expected int64, got " 1" (not a number)'],
    ['shelf', '+1', 'invalid value for "shelf": expected int64, got "+1" (not a number)'],
    ['shelf', '0x10', 'invalid value for "shelf": expected int64, got "0x10" (not a number)'],
    ['shelf', '007', 'invalid value for "shelf": expected int64, got "007" (not a number)'],
    ['u64', '-1', 'invalid value for "u64": expected uint64, got "-1" (out of range)'],
    ['u64', '18446744073709551616', 'invalid value for "u64": expected uint64, got "18446744073709551616" (out of range)'],
    ['i32', '2147483648', 'invalid value for "i32": expected int32, got "2147483648" (out of range)'],
    ['i32', '', 'invalid value for "i32": expected int32, got "" (not a number)'],
    ['d', '1e309', 'invalid value for "d": expected double, got "1e309" (out of range)'],
    ['d', 'inf', 'invalid value for "d": expected double, got "inf" (not a number)'],
    ['d', '1,5', 'invalid value for "d": expected double, got "1,5" (not a number)'],
    ['d', '', 'invalid value for "d": expected double, got "" (not a number)'],
    ['flag', 'yes', 'invalid value for "flag": expected bool, got "yes" (not true, false, 1 or 0)'],
    ['flag', 'TRUE', 'invalid value for "flag": expected bool, got "TRUE" (not true, false, 1 or 0)'],
    ['flag', '', 'invalid value for "flag": expected bool, got "" (not true, false, 1 or 0)'],
    ['raw', '!!!!', 'invalid value for "raw": expected bytes, got "!!!!" (not valid base64)'],
    [
      'raw',
      'YWJjMTIzIT8kKiYoKSctPUB ',
      `invalid value for "raw": expected bytes, got "YWJjMTIzIT8kKiYoKSctPUB " (not valid base64); a '+' in a query string decodes to a space: send it as %2B or use URL-safe base64`,
    ],
    ['color', 'PURPLE', 'invalid value for "color": expected vec.v1.Color, got "PURPLE" (not a value of vec.v1.Color)'],
    ['color', '9', 'invalid value for "color": expected vec.v1.Color, got "9" (not a value of vec.v1.Color)'],
    ['color', '-1', 'invalid value for "color": expected vec.v1.Color, got "-1" (not a value of vec.v1.Color)'],
    ['color', '1.5', 'invalid value for "color": expected vec.v1.Color, got "1.5" (not an integer)'],
    ['color', '', 'invalid value for "color": expected vec.v1.Color, got "" (not a value of vec.v1.Color)'],
  ])('rejects %s=%s', (fieldName, text, message) => {
    const error = mappingErrorOf(() => fieldValueFromText(Req.fields[fieldName]!, text));
    expect(error.field).toBe(fieldName);
    expect(error.message).toBe(message);
  });

  it('rejects float32 overflow', () => {
    expect(() => fieldValueFromText(Scalars.fields['f']!, '1e39')).toThrow('expected float, got "1e39" (out of range)');
  });

  it('names the parameter as the caller spelled it', () => {
    const error = mappingErrorOf(() => fieldValueFromText(Req.lookupType('Book').fields['id']!, 'x', {}, 'book.id'));
    expect(error.field).toBe('book.id');
    expect(error.message).toBe('invalid value for "book.id": expected int64, got "x" (not a number)');
  });

  it('clips very long values in messages', () => {
    const error = mappingErrorOf(() => fieldValueFromText(Req.fields['i32']!, 'x'.repeat(1000)));
    expect(error.message).toBe(`invalid value for "i32": expected int32, got "${'x'.repeat(61)}..." (not a number)`);
  });
});

describe('fieldValueFromText: enums', () => {
  it.each([
    ['GREEN', {}, 2],
    ['2', {}, 2],
    ['0', {}, 0],
    ['green', { caseInsensitiveEnums: true }, 2],
    ['Red', { caseInsensitiveEnums: true }, 1],
    ['RED', { caseInsensitiveEnums: true }, 1],
  ])('color=%s', (text, opts, expected) => {
    expect(fieldValueFromText(Req.fields['color']!, text, opts)).toBe(expected);
  });
});

describe('fieldValueFromText: repeated and map fields take one element', () => {
  it.each([
    ['tags', 'a,b', 'a,b'],
    ['colors', 'GREEN', 2],
    ['colors', '1', 1],
    ['labels', 'prod', 'prod'],
  ])('%s=%s', (fieldName, text, expected) => {
    expect(fieldValueFromText(Req.fields[fieldName]!, text)).toBe(expected);
  });
});

describe('fieldValueFromText: well-known types', () => {
  it.each([
    ['ts', '2016-12-15T12:23:32.000000049Z', { ts: '2016-12-15T12:23:32.000000049Z' }],
    ['ts', '2016-12-15T12:23:32+01:00', { ts: '2016-12-15T11:23:32Z' }],
    ['ts', '2016-12-15T12:23:32.1-00:30', { ts: '2016-12-15T12:53:32.100Z' }],
    ['ttl', '1.5s', { ttl: '1.500s' }],
    ['ttl', '-0.000000001s', { ttl: '-0.000000001s' }],
    ['ttl', '0s', { ttl: '0s' }],
    ['mask', 'displayName,sub.child.b', { mask: 'displayName,sub.child.b' }],
    ['mask', 'display_name,sub.a', { mask: 'displayName,sub.a' }],
    ['mask', '', { mask: '' }],
    ['wi32', '-2', { wi32: -2 }],
    ['wi32', '0', { wi32: 0 }],
    ['ws', '', { ws: '' }],
    ['ws', 'str', { ws: 'str' }],
    ['st', '{"a":{"b":1}}', { st: { a: { b: 1 } } }],
    ['st', '{}', { st: {} }],
    ['val', 'true', { val: true }],
    ['val', 'null', { val: null }],
    ['val', '[]', { val: [] }],
    ['val', '"x"', { val: 'x' }],
    ['val', ' 12.5 ', { val: 12.5 }],
  ])('%s=%s', (fieldName, text, expected) => {
    expect(backendMessage(Req, fieldName, text)).toEqual(expected);
  });

  it('reads FieldMask paths into snake_case', () => {
    expect(fieldValueFromText(Req.fields['mask']!, 'displayName,sub.child.b')).toEqual({ paths: ['display_name', 'sub.child.b'] });
  });

  it.each([
    ['d', '1.5', { d: 1.5 }],
    ['f', 'NaN', { f: 'NaN' }],
    ['i64', '-9223372036854775808', { i64: '-9223372036854775808' }],
    ['u64', '18446744073709551615', { u64: '18446744073709551615' }],
    ['u32', '0', { u32: 0 }],
    ['b', 'false', { b: false }],
    ['b', '1', { b: true }],
    ['s', 'x y', { s: 'x y' }],
    ['by', '', { by: '' }],
    ['by', 'AAE', { by: 'AAE=' }],
  ])('wrapper %s=%s', (fieldName, text, expected) => {
    expect(backendMessage(Wrappers, fieldName, text)).toEqual(expected);
  });

  it.each([
    ['ts', '2016-12-15T12:23:32 01:00', 'Timestamp', `(not an RFC 3339 timestamp like "2006-01-02T15:04:05Z"); a '+' in a query string decodes to a space: send it as %2B`],
    ['ts', 'null', 'Timestamp', '(not an RFC 3339 timestamp like "2006-01-02T15:04:05Z")'],
    ['ts', '0000-01-01T00:00:00Z', 'Timestamp', '(out of range (years 0001 to 9999))'],
    ['ts', '2016-12-15', 'Timestamp', 'not an RFC 3339 timestamp'],
    ['ttl', '1.5', 'Duration', '(not a duration like "1.5s")'],
    ['ttl', '13h', 'Duration', '(not a duration like "1.5s")'],
    ['ttl', '315576000001s', 'Duration', '(out of range (at most 315576000000 seconds))'],
    ['mask', 'a,,b', 'FieldMask', '(not a field mask (bad path ""))'],
    ['mask', 'a b', 'FieldMask', '(not a field mask (bad path "a b"))'],
    ['wi32', '', 'Int32Value', 'expected google.protobuf.Int32Value, got "" (not a number)'],
    ['wi32', '2147483648', 'Int32Value', '(out of range)'],
    ['st', 'notjson', 'Struct', `expected google.protobuf.Struct, got "notjson" (not JSON: unexpected character 'o' at offset 1)`],
    ['val', '{"a":1', 'Value', '(not JSON: unexpected end of input)'],
    ['any', 'x', 'Any', 'expected google.protobuf.Any, got "x" (an Any cannot be set from a path or query parameter)'],
    ['sub', 'x', 'Sub', 'expected vec.v1.Sub, got "x" (a message cannot be set from a path or query parameter; set its fields instead (sub.<field>))'],
    ['upload', 'x', 'HttpBody', 'expected google.api.HttpBody'],
  ])('rejects %s=%s', (fieldName, text, _, message) => {
    const error = mappingErrorOf(() => fieldValueFromText(Req.fields[fieldName]!, text));
    expect(error.field).toBe(fieldName);
    expect(error.message).toContain(`invalid value for "${fieldName}"`);
    expect(error.message).toContain(message);
  });

  it('reports JSON that does not fit a Struct like a JSON body error, naming the parameter', () => {
    const error = mappingErrorOf(() => fieldValueFromText(Req.fields['st']!, '[1]', {}, 'filter'));
    expect(error.field).toBe('filter');
    expect(error.message).toBe('invalid value for field "filter" (google.protobuf.Struct): an array is not an object');
  });
});

describe('mapKeyFromText', () => {
  const field = (name: string) => Maps.fields[name] as unknown as protobuf.MapField;

  it.each([
    ['by_i64', '-5', '-5'],
    ['by_i64', '9223372036854775807', '9223372036854775807'],
    ['by_u64', '18446744073709551615', '18446744073709551615'],
    ['by_bool', 'true', 'true'],
    ['by_bool', 'false', ''],
    ['blobs', '-2', '-2'],
  ])('%s[%s]', (fieldName, text, expected) => {
    expect(mapKeyFromText(field(fieldName), text)).toBe(expected);
  });

  it('gives keys protobufjs encodes correctly, false included', () => {
    const message = { by_bool: { [mapKeyFromText(field('by_bool'), 'false')]: 1, [mapKeyFromText(field('by_bool'), 'true')]: 2 } };
    expect(messageToJson(Maps, overTheWire(Maps, message))).toEqual({ byBool: { false: 1, true: 2 } });
  });

  it.each([
    ['by_i64', 'x', 'invalid value for "by_i64": expected int64 map key, got "x" (not a number)'],
    ['by_u64', '-1', 'invalid value for "by_u64": expected uint64 map key, got "-1" (out of range)'],
    ['by_bool', '1', 'invalid value for "by_bool": expected bool map key, got "1" (not a boolean)'],
  ])('rejects %s[%s]', (fieldName, text, message) => {
    const error = mappingErrorOf(() => mapKeyFromText(field(fieldName), text));
    expect(error.field).toBe(fieldName);
    expect(error.message).toBe(message);
  });
});
