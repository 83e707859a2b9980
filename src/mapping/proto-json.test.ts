import Long from 'long';
import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJsonText, type JsonValue } from './json-text.js';
import {
  MappingError,
  fieldValueFromJson,
  fieldValueToJson,
  jsonName,
  messageFromJson,
  messageToJson,
  type JsonReadOptions,
} from './proto-json.js';
import { Req, Resp, Status, overTheWire, root, vectorCases, type VectorCase } from './test-support.js';

const Scalars = root.lookupType('t.v1.Scalars');
const Maps = root.lookupType('t.v1.Maps');
const Wrappers = root.lookupType('t.v1.Wrappers');
const Names = root.lookupType('t.v1.Names');

/** The JSON body, converted, sent to the backend and written back as canonical JSON with JSON names. */
function roundTrip(body: string, type = Req, opts: JsonReadOptions = {}): unknown {
  return messageToJson(type, overTheWire(type, messageFromJson(type, parseJsonText(body), opts)));
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

describe('vectors: JSON request bodies (B*)', () => {
  // What the backend receives for a body bound by `rule.body`, in the
  // vectors' notation (proto names, 64-bit integers as strings).
  function bodyToBackendMessage(c: VectorCase): unknown {
    const request = c.request!;
    const bytes = request.bodyBase64 ? Buffer.from(request.bodyBase64, 'base64') : Buffer.from(request.body!, 'utf8');
    const json = parseJsonText(bytes);
    const opts: JsonReadOptions = {
      ignoreUnknownFields: c.options['strict_body'] !== true,
      caseInsensitiveEnums: c.options['case_insensitive_enums'] === true,
    };
    const bodyField = c.rule!.body!;
    const message =
      bodyField === '*'
        ? messageFromJson(Req, json, opts)
        : { [bodyField]: fieldValueFromJson(Req.fields[bodyField]!, json, opts) };
    return messageToJson(Req, overTheWire(Req, message), { useProtoNames: true });
  }

  const cases = vectorCases(['B05', 'B06', 'B07', 'B08', 'B10', 'B11', 'B12', 'B13']);

  it.each(cases.filter((c) => c.expect.message).map((c) => [c.name, c]))('%s converts the body', (_, c) => {
    expect(bodyToBackendMessage(c)).toEqual(c.expect.message);
  });

  it.each(cases.filter((c) => c.expect.status === 400).map((c) => [c.name, c]))('%s rejects the body', (_, c) => {
    expect(() => bodyToBackendMessage(c)).toThrow(expect.objectContaining({ name: expect.stringMatching(/^(JsonSyntaxError|MappingError)$/) }));
  });
});

describe('vectors: response bodies (R*)', () => {
  function fromBackend(type = Resp, json: unknown) {
    return overTheWire(type, messageFromJson(type, parseJsonText(JSON.stringify(json))));
  }

  it.each(vectorCases(['R01', 'R02']).map((c) => [c.name, c]))('%s renders response_body', (_, c) => {
    const field = Resp.fields[c.rule!.response_body!]!;
    const message = fromBackend(Resp, c.backend) as unknown as Record<string, unknown>;
    expect(fieldValueToJson(field, message[field.name])).toEqual(c.expect.json);
  });

  // Error bodies always carry code, message and details, while the details
  // themselves follow the usual rules (defaults left out).
  function errorBody(status: protobuf.Message): unknown {
    const fields = status as unknown as Record<string, unknown>;
    return {
      code: fieldValueToJson(Status.fields['code']!, fields['code']),
      message: fieldValueToJson(Status.fields['message']!, fields['message']),
      details: fieldValueToJson(Status.fields['details']!, fields['details']),
    };
  }

  it.each(vectorCases(['R05', 'R06']).map((c) => [c.name, c]))('%s renders the error Status', (_, c) => {
    expect(errorBody(fromBackend(Status, c.backend_status))).toEqual(c.expect.json);
  });

  it.each(vectorCases(['R08']).filter((c) => c.request?.headers?.['accept'] === 'application/x-ndjson').map((c) => [c.name, c]))(
    '%s renders each streamed message',
    (_, c) => {
      const lines = c.backend_stream!.map((m) => JSON.stringify(messageToJson(Resp, fromBackend(Resp, m))) + '\n');
      expect(lines.join('')).toBe(c.expect.raw);
    },
  );

  it('R10 renders the trailing error of a stream', () => {
    const [c] = vectorCases(['R10']);
    const line = JSON.stringify({ error: errorBody(fromBackend(Status, c!.backend_status)) });
    expect(c!.expect.raw!.split('\n')[1]).toBe(line);
  });
});

describe('messageFromJson: scalars', () => {
  it.each([
    // B08: integers as numbers or strings, exact
    ['{"i64": 20}', { i64: '20' }],
    ['{"i64": "20"}', { i64: '20' }],
    ['{"i64": 9223372036854775807}', { i64: '9223372036854775807' }],
    ['{"i64": -9223372036854775808}', { i64: '-9223372036854775808' }],
    ['{"i64": "1e2"}', { i64: '100' }],
    ['{"i64": 1.0}', { i64: '1' }],
    ['{"i64": 12345678901234567890e-1}', { i64: '1234567890123456789' }],
    ['{"u64": 18446744073709551615}', { u64: '18446744073709551615' }],
    ['{"s64": "-9223372036854775808"}', { s64: '-9223372036854775808' }],
    ['{"fx64": "18446744073709551615"}', { fx64: '18446744073709551615' }],
    ['{"sfx64": -1}', { sfx64: '-1' }],
    ['{"i32": "7"}', { i32: 7 }],
    ['{"i32": -2147483648}', { i32: -2147483648 }],
    ['{"i32": 1e2}', { i32: 100 }],
    ['{"i32": -0}', {}],
    ['{"u32": 4294967295}', { u32: 4294967295 }],
    ['{"s32": -5}', { s32: -5 }],
    ['{"fx32": "4294967295"}', { fx32: 4294967295 }],
    ['{"sfx32": -2147483648}', { sfx32: -2147483648 }],
    ['{"d": 1.5}', { d: 1.5 }],
    ['{"d": "1.5"}', { d: 1.5 }],
    ['{"d": "-2.5e-3"}', { d: -0.0025 }],
    ['{"d": 1e308}', { d: 1e308 }],
    ['{"d": "NaN"}', { d: 'NaN' }],
    ['{"d": "Infinity"}', { d: 'Infinity' }],
    ['{"d": "-Infinity"}', { d: '-Infinity' }],
    ['{"f": 0.1}', { f: 0.1 }],
    ['{"f": 3.4028234663852886e38}', { f: 3.4028235e38 }],
    ['{"b": true}', { b: true }],
    ['{"b": false}', {}],
    ['{"s": "été"}', { s: 'été' }],
    ['{"by": "YWJjMTIzIT8kKiYoKSctPUB+"}', { by: 'YWJjMTIzIT8kKiYoKSctPUB+' }],
    ['{"by": "YWJjMTIzIT8kKiYoKSctPUB-"}', { by: 'YWJjMTIzIT8kKiYoKSctPUB+' }],
    ['{"by": "YWJjMTIzIT8kKiYoKSctPUA"}', { by: 'YWJjMTIzIT8kKiYoKSctPUA=' }],
    ['{"by": "YQ"}', { by: 'YQ==' }],
    ['{"by": "_-8"}', { by: '/+8=' }],
    ['{"by": ""}', {}],
    ['{"nv": null}', {}],
    ['{"nv": "NULL_VALUE"}', {}],
    ['{"i64s": [1, "2", -3]}', { i64s: ['1', '2', '-3'] }],
    ['{"ds": [1, "NaN", 2.5]}', { ds: [1, 'NaN', 2.5] }],
  ])('%s', (body, expected) => {
    expect(roundTrip(body, Scalars)).toEqual(expected);
  });

  it.each([
    ['{"color": "GREEN"}', {}, { color: 'GREEN' }],
    ['{"color": 2}', {}, { color: 'GREEN' }],
    ['{"color": "green"}', { caseInsensitiveEnums: true }, { color: 'GREEN' }],
    ['{"color": "Red"}', { caseInsensitiveEnums: true }, { color: 'RED' }],
    ['{"colors": ["RED", 2]}', {}, { colors: ['RED', 'GREEN'] }],
  ])('enum %s', (body, opts, expected) => {
    expect(roundTrip(body, Req, opts)).toEqual(expected);
  });

  it('builds what protobufjs encodes: Long for 64-bit integers, Buffer for bytes, numbers for enums', () => {
    const message = messageFromJson(Req, parseJsonText('{"i64": 9223372036854775807, "raw": "AAE=", "color": "RED", "sub": {"a": "x"}}'));
    expect(Long.isLong(message['i64'])).toBe(true);
    expect((message['i64'] as Long).toString()).toBe('9223372036854775807');
    expect(Buffer.isBuffer(message['raw'])).toBe(true);
    expect([...(message['raw'] as Buffer)]).toEqual([0, 1]);
    expect(message['color']).toBe(1);
    expect(message['sub']).toEqual({ a: 'x' });
  });

  it.each([
    // B08: no fractions in integers; every message names field, type and value
    ['{"i64": 1.5}', 'i64', 'invalid value for field "i64" (int64): 1.5 is not an integer'],
    ['{"i64": "1.5"}', 'i64', 'invalid value for field "i64" (int64): "1.5" is not an integer'],
    ['{"i64": 9223372036854775808}', 'i64', 'invalid value for field "i64" (int64): 9223372036854775808 is out of range'],
    ['{"i64": 1e20}', 'i64', 'invalid value for field "i64" (int64): 1e20 is out of range'],
    ['{"i64": 1e999999999999}', 'i64', 'invalid value for field "i64" (int64): 1e999999999999 is out of range'],
    ['{"i64": "abc"}', 'i64', 'invalid value for field "i64" (int64): "abc" is not a number'],
    ['{"i64": " 1"}', 'i64', 'invalid value for field "i64" (int64): " 1" is not a number'],
    ['{"i64": "0x10"}', 'i64', 'invalid value for field "i64" (int64): "0x10" is not a number'],
    ['{"i64": ""}', 'i64', 'invalid value for field "i64" (int64): "" is not a number'],
    ['{"i64": true}', 'i64', 'invalid value for field "i64" (int64): true is not a number'],
    ['{"u64": -1}', 'u64', 'invalid value for field "u64" (uint64): -1 is out of range'],
    ['{"i32": 2147483648}', 'i32', 'invalid value for field "i32" (int32): 2147483648 is out of range'],
    ['{"i32": 1e-1}', 'i32', 'invalid value for field "i32" (int32): 1e-1 is not an integer'],
    ['{"d": 1e309}', 'd', 'invalid value for field "d" (double): 1e309 is out of range'],
    ['{"d": "1e309"}', 'd', 'invalid value for field "d" (double): "1e309" is out of range'],
    ['{"d": "nan"}', 'd', 'invalid value for field "d" (double): "nan" is not a number'],
    ['{"d": {}}', 'd', 'invalid value for field "d" (double): an object is not a number'],
    ['{"flag": "true"}', 'flag', 'invalid value for field "flag" (bool): "true" is not a boolean'],
    ['{"flag": 1}', 'flag', 'invalid value for field "flag" (bool): 1 is not a boolean'],
    ['{"s": 5}', 's', 'invalid value for field "s" (string): 5 is not a string'],
    ['{"s": ["a"]}', 's', 'invalid value for field "s" (string): an array is not a string'],
    ['{"raw": "YWJj PUB "}', 'raw', 'invalid value for field "raw" (bytes): "YWJj PUB " is not valid base64'],
    ['{"raw": "YW+_"}', 'raw', 'invalid value for field "raw" (bytes): "YW+_" is not valid base64'],
    ['{"raw": "Y"}', 'raw', 'invalid value for field "raw" (bytes): "Y" is not valid base64'],
    ['{"raw": "YQ="}', 'raw', 'invalid value for field "raw" (bytes): "YQ=" is not valid base64'],
    ['{"color": "PURPLE"}', 'color', 'invalid value for field "color" (vec.v1.Color): "PURPLE" is not a value of vec.v1.Color'],
    ['{"color": "green"}', 'color', 'invalid value for field "color" (vec.v1.Color): "green" is not a value of vec.v1.Color'],
    ['{"color": 9}', 'color', 'invalid value for field "color" (vec.v1.Color): 9 is not a value of vec.v1.Color'],
    ['{"color": "2"}', 'color', 'invalid value for field "color" (vec.v1.Color): "2" is not a value of vec.v1.Color'],
    ['{"color": true}', 'color', 'invalid value for field "color" (vec.v1.Color): true is not a value of vec.v1.Color'],
    ['{"tags": "a"}', 'tags', 'invalid value for field "tags" (repeated string): "a" is not an array'],
    ['{"tags": ["a", null]}', 'tags[1]', 'invalid value for field "tags[1]" (string): null is not allowed in a list'],
    ['{"tags": ["a", "b", 3]}', 'tags[2]', 'invalid value for field "tags[2]" (string): 3 is not a string'],
    ['{"labels": {"env": 1}}', 'labels["env"]', 'invalid value for field "labels[\\"env\\"]" (string): 1 is not a string'],
    ['{"labels": {"env": null}}', 'labels["env"]', 'invalid value for field "labels[\\"env\\"]" (string): null is not allowed as a map value'],
    ['{"labels": []}', 'labels', 'invalid value for field "labels" (map<string, string>): an array is not an object'],
    ['{"book": {"id": "x"}}', 'book.id', 'invalid value for field "book.id" (int64): "x" is not a number'],
    ['{"subs": [{"a": "x"}, {"child": {"b": 1.5}}]}', 'subs[1].child.b', 'invalid value for field "subs[1].child.b" (int32): 1.5 is not an integer'],
    ['{"sub": "x"}', 'sub', 'invalid value for field "sub" (vec.v1.Sub): "x" is not an object'],
    ['{"sub": [1]}', 'sub', 'invalid value for field "sub" (vec.v1.Sub): an array is not an object'],
    ['{"displayName": 1}', 'displayName', 'invalid value for field "displayName" (string): 1 is not a string'],
  ])('rejects %s', (body, field, message) => {
    const error = mappingErrorOf(() => messageFromJson(Req, parseJsonText(body)));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });

  it('rejects a body that is not an object', () => {
    const error = mappingErrorOf(() => messageFromJson(Req, parseJsonText('[{"s": "x"}]')));
    expect(error.field).toBe('');
    expect(error.message).toBe('invalid JSON (vec.v1.Req): an array is not an object');
  });

  it('prefixes error paths with the given path', () => {
    const error = mappingErrorOf(() => messageFromJson(Req.lookupType('Book'), parseJsonText('{"id": "x"}'), {}, 'book'));
    expect(error.field).toBe('book.id');
  });
});

describe('messageFromJson: field names, presence, oneofs, unknown fields', () => {
  it.each([
    ['{"display_name": "a"}', { displayName: 'a' }],
    ['{"displayName": "a"}', { displayName: 'a' }],
    ['{"renamed": "a"}', { renamed: 'a' }],
    ['{"odd": "a"}', { renamed: 'a' }],
    ['{"pick_s": "x"}', { pickS: 'x' }],
    ['{"pickI": 0}', { pickI: 0 }],
    ['{"maybe": ""}', { maybe: '' }],
    ['{"sub": {}}', { sub: {} }],
    // B07: null leaves a field unset, except google.protobuf.Value
    ['{"s": null, "sub": null, "tags": null, "ws": null, "val": null, "ts": null, "color": null}', { val: null }],
    ['{"pick_s": null, "pick_i": 1}', { pickI: 1 }],
    // B06: unknown fields are ignored by default
    ['{"s": "x", "nope": 1, "nope2": {"a": "b"}, "nope3": [1]}', { s: 'x' }],
  ])('%s', (body, expected) => {
    expect(roundTrip(body)).toEqual(expected);
  });

  it.each([
    // B10 / Q21: one field under both names
    ['{"displayName": "a", "display_name": "b"}', 'displayName', 'field "display_name" is given twice, as "displayName" and "display_name"'],
    ['{"odd": "a", "renamed": "b"}', 'odd', 'field "odd" is given twice, as "odd" and "renamed"'],
    ['{"displayName": null, "display_name": "b"}', 'displayName', 'field "display_name" is given twice, as "displayName" and "display_name"'],
    // Q17: two members of one oneof
    ['{"pick_s": "x", "pick_i": 1}', 'pick_i', 'fields "pick_s" and "pick_i" are both set, but oneof "pick" takes only one'],
    ['{"pickI": 0, "pickS": ""}', 'pickS', 'fields "pick_i" and "pick_s" are both set, but oneof "pick" takes only one'],
  ])('rejects %s', (body, field, message) => {
    const error = mappingErrorOf(() => messageFromJson(Req, parseJsonText(body)));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });

  it.each([
    ['{"s": "x", "nope": 1}', 'nope', 'unknown field "nope" (vec.v1.Req has no such field)'],
    ['{"sub": {"child": {"zz": 1}}}', 'sub.child.zz', 'unknown field "sub.child.zz" (vec.v1.Sub has no such field)'],
    ['{"any": {"@type": "type.googleapis.com/vec.v1.Sub", "zz": 1}}', 'any.zz', 'unknown field "any.zz" (vec.v1.Sub has no such field)'],
    [
      '{"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s", "zz": 1}}',
      'any.zz',
      'unknown field "any.zz" (an Any of google.protobuf.Duration holds only "@type" and "value")',
    ],
  ])('with ignoreUnknownFields: false rejects %s', (body, field, message) => {
    const error = mappingErrorOf(() => messageFromJson(Req, parseJsonText(body), { ignoreUnknownFields: false }));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });
});

describe('messageFromJson: maps', () => {
  it.each([
    ['{"labels": {"env": "prod", "": "empty", "__proto__": "x"}}', Req, JSON.parse('{"labels": {"env": "prod", "": "empty", "__proto__": "x"}}')],
    ['{"byI64": {"-5": "a", "9223372036854775807": "b", "1e2": "c"}}', Maps, { byI64: { '-5': 'a', '9223372036854775807': 'b', '100': 'c' } }],
    ['{"by_u64": {"18446744073709551615": "max"}}', Maps, { byU64: { '18446744073709551615': 'max' } }],
    ['{"byBool": {"true": 1, "false": 2}}', Maps, { byBool: { true: 1, false: 2 } }],
    ['{"nested": {"-1": {"byBool": {"false": 0}}}}', Maps, { nested: { '-1': { byBool: { false: 0 } } } }],
    ['{"values": {"a": null, "b": [1, "x"]}}', Maps, { values: { a: null, b: [1, 'x'] } }],
    ['{"blobs": {"-2": "AAE="}}', Maps, { blobs: { '-2': 'AAE=' } }],
  ])('%s', (body, type, expected) => {
    expect(JSON.parse(JSON.stringify(roundTrip(body, type)))).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it.each([
    ['{"byI64": {"x": "a"}}', 'byI64["x"]', 'invalid value for field "byI64[\\"x\\"]" (int64 map key): "x" is not a number'],
    ['{"byI64": {"1.5": "a"}}', 'byI64["1.5"]', 'invalid value for field "byI64[\\"1.5\\"]" (int64 map key): "1.5" is not an integer'],
    ['{"byI64": {"1": "a", "1e0": "b"}}', 'byI64["1e0"]', 'invalid value for field "byI64[\\"1e0\\"]" (int64 map key): the key is given twice'],
    ['{"byBool": {"yes": 1}}', 'byBool["yes"]', 'invalid value for field "byBool[\\"yes\\"]" (bool map key): "yes" is not a boolean'],
    [
      '{"nested": {"1": {"byU64": {"-1": "x"}}}}',
      'nested["1"].byU64["-1"]',
      'invalid value for field "nested[\\"1\\"].byU64[\\"-1\\"]" (uint64 map key): "-1" is out of range',
    ],
  ])('rejects %s', (body, field, message) => {
    const error = mappingErrorOf(() => messageFromJson(Maps, parseJsonText(body)));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });
});

describe('messageFromJson: well-known types', () => {
  it.each([
    // Q07 forms, in a body
    ['{"ts": "2016-12-15T12:23:32.000000049Z"}', { ts: '2016-12-15T12:23:32.000000049Z' }],
    ['{"ts": "2016-12-15T12:23:32+01:00"}', { ts: '2016-12-15T11:23:32Z' }],
    ['{"ts": "2016-12-15T12:23:32.5-08:30"}', { ts: '2016-12-15T20:53:32.500Z' }],
    ['{"ts": "1970-01-01T00:00:00Z"}', { ts: '1970-01-01T00:00:00Z' }],
    ['{"ts": "0001-01-01T00:00:00Z"}', { ts: '0001-01-01T00:00:00Z' }],
    ['{"ts": "9999-12-31T23:59:59.999999999Z"}', { ts: '9999-12-31T23:59:59.999999999Z' }],
    ['{"ts": "1969-12-31T23:59:59.000001Z"}', { ts: '1969-12-31T23:59:59.000001Z' }],
    ['{"ts": "2000-02-29T00:00:00Z"}', { ts: '2000-02-29T00:00:00Z' }],
    // Q08 forms
    ['{"ttl": "1.5s"}', { ttl: '1.500s' }],
    ['{"ttl": "-0.000000001s"}', { ttl: '-0.000000001s' }],
    ['{"ttl": "0s"}', { ttl: '0s' }],
    ['{"ttl": "-1.25s"}', { ttl: '-1.250s' }],
    ['{"ttl": "3.000001s"}', { ttl: '3.000001s' }],
    ['{"ttl": "315576000000s"}', { ttl: '315576000000s' }],
    ['{"ttl": "-315576000000.999999999s"}', { ttl: '-315576000000.999999999s' }],
    ['{"mask": "displayName,sub.child.b"}', { mask: 'displayName,sub.child.b' }],
    ['{"mask": "display_name"}', { mask: 'displayName' }],
    ['{"mask": ""}', { mask: '' }],
    // Q10: wrappers keep presence
    ['{"wi32": 0}', { wi32: 0 }],
    ['{"wi32": "-2"}', { wi32: -2 }],
    ['{"ws": ""}', { ws: '' }],
    // Q11 forms
    ['{"st": {"a": {"b": 1}, "l": [1, "x", null, true, {}]}}', { st: { a: { b: 1 }, l: [1, 'x', null, true, {}] } }],
    ['{"st": {}}', { st: {} }],
    ['{"val": true}', { val: true }],
    ['{"val": []}', { val: [] }],
    ['{"val": "x"}', { val: 'x' }],
    ['{"val": -1.5e3}', { val: -1500 }],
    ['{"val": {"k": [null]}}', { val: { k: [null] } }],
    ['{"any": {}}', { any: {} }],
    [
      '{"any": {"@type": "type.googleapis.com/vec.v1.Sub", "a": "x", "child": {"b": 2}}}',
      { any: { '@type': 'type.googleapis.com/vec.v1.Sub', a: 'x', child: { b: 2 } } },
    ],
    ['{"any": {"a": "x", "@type": "type.googleapis.com/vec.v1.Sub"}}', { any: { '@type': 'type.googleapis.com/vec.v1.Sub', a: 'x' } }],
    [
      '{"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.5s"}}',
      { any: { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1.500s' } },
    ],
    [
      '{"any": {"@type": "type.googleapis.com/google.protobuf.Empty", "value": {}}}',
      { any: { '@type': 'type.googleapis.com/google.protobuf.Empty', value: {} } },
    ],
    [
      '{"any": {"@type": "type.googleapis.com/google.protobuf.Value", "value": null}}',
      { any: { '@type': 'type.googleapis.com/google.protobuf.Value', value: null } },
    ],
    [
      '{"any": {"@type": "type.googleapis.com/google.protobuf.Any", "value": {"@type": "type.googleapis.com/google.protobuf.Int32Value", "value": 5}}}',
      { any: { '@type': 'type.googleapis.com/google.protobuf.Any', value: { '@type': 'type.googleapis.com/google.protobuf.Int32Value', value: 5 } } },
    ],
    ['{"upload": {"content_type": "text/plain", "data": "SGVsbG8h"}}', { upload: { contentType: 'text/plain', data: 'SGVsbG8h' } }],
  ])('%s', (body, expected) => {
    expect(roundTrip(body)).toEqual(expected);
  });

  it.each([
    ['{"d": "NaN", "f": 1.5, "i64": "-1", "u64": 18446744073709551615, "i32": -1, "u32": 1, "b": false, "s": "", "by": "AA=="}',
      { d: 'NaN', f: 1.5, i64: '-1', u64: '18446744073709551615', i32: -1, u32: 1, b: false, s: '', by: 'AA==' }],
    ['{"list": [1, 0]}', { list: [1, 0] }],
  ])('wrappers: %s', (body, expected) => {
    expect(roundTrip(body, Wrappers)).toEqual(expected);
  });

  it.each([
    ['{"ts": "2016-12-15T12:23:32+01:00x"}', 'ts', '"2016-12-15T12:23:32+01:00x" is not an RFC 3339 timestamp like "2006-01-02T15:04:05Z"'],
    ['{"ts": "2016-12-15 12:23:32Z"}', 'ts', 'is not an RFC 3339 timestamp'],
    ['{"ts": "2016-12-15T12:23:32.0000000001Z"}', 'ts', 'is not an RFC 3339 timestamp'],
    ['{"ts": "2016-12-15T12:23:32"}', 'ts', 'is not an RFC 3339 timestamp'],
    ['{"ts": "2016-02-30T00:00:00Z"}', 'ts', '"2016-02-30T00:00:00Z" is not a valid date and time'],
    ['{"ts": "2015-02-29T00:00:00Z"}', 'ts', 'is not a valid date and time'],
    ['{"ts": "2016-12-15T24:00:00Z"}', 'ts', 'is not a valid date and time'],
    ['{"ts": "2016-12-15T23:59:60Z"}', 'ts', 'is not a valid date and time'],
    ['{"ts": "2016-12-15T00:00:00+24:00"}', 'ts', 'is not a valid UTC offset'],
    ['{"ts": "0000-01-01T00:00:00Z"}', 'ts', 'is out of range (years 0001 to 9999)'],
    ['{"ts": "0001-01-01T00:00:00+00:01"}', 'ts', 'is out of range (years 0001 to 9999)'],
    ['{"ts": 0}', 'ts', '0 is not a string'],
    ['{"ttl": "13h"}', 'ttl', '"13h" is not a duration like "1.5s"'],
    ['{"ttl": "1.5"}', 'ttl', 'is not a duration like "1.5s"'],
    ['{"ttl": "+1s"}', 'ttl', 'is not a duration like "1.5s"'],
    ['{"ttl": ".5s"}', 'ttl', 'is not a duration like "1.5s"'],
    ['{"ttl": "1.0000000001s"}', 'ttl', 'is not a duration like "1.5s"'],
    ['{"ttl": "315576000001s"}', 'ttl', '"315576000001s" is out of range (at most 315576000000 seconds)'],
    ['{"ttl": 1}', 'ttl', '1 is not a string'],
    ['{"mask": "a,,b"}', 'mask', '"a,,b" is not a field mask (bad path "")'],
    ['{"mask": "a.1b"}', 'mask', 'is not a field mask (bad path "a.1b")'],
    ['{"mask": ["a"]}', 'mask', 'an array is not a string'],
    ['{"wi32": 2147483648}', 'wi32', 'invalid value for field "wi32" (int32): 2147483648 is out of range'],
    ['{"wi32": ""}', 'wi32', '"" is not a number'],
    ['{"ws": 1}', 'ws', '1 is not a string'],
    ['{"st": [1]}', 'st', 'invalid value for field "st" (google.protobuf.Struct): an array is not an object'],
    ['{"st": {"a": 1e999}}', 'st["a"]', 'invalid value for field "st[\\"a\\"]" (google.protobuf.Value): 1e999 is out of range'],
    ['{"val": [1e400]}', 'val[0]', 'is out of range'],
    ['{"any": {"a": "x"}}', 'any', 'invalid value for field "any" (google.protobuf.Any): an object without "@type" is not an Any'],
    ['{"any": {"@type": 5}}', 'any.@type', '5 is not a type URL'],
    ['{"any": {"@type": "type.googleapis.com/nope.Nope"}}', 'any.@type', 'unknown type "type.googleapis.com/nope.Nope" in "@type" of field "any"'],
    ['{"any": {"@type": "type.googleapis.com/Sub"}}', 'any.@type', 'unknown type'],
    ['{"any": {"@type": "type.googleapis.com/google.protobuf.Duration"}}', 'any', 'an Any of google.protobuf.Duration needs a "value"'],
    [
      '{"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1h"}}',
      'any.value',
      'invalid value for field "any.value" (google.protobuf.Duration): "1h" is not a duration',
    ],
    ['{"any": {"@type": "type.googleapis.com/vec.v1.Sub", "b": "x"}}', 'any.b', 'invalid value for field "any.b" (int32): "x" is not a number'],
  ])('rejects %s', (body, field, message) => {
    const error = mappingErrorOf(() => messageFromJson(Req, parseJsonText(body)));
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });
});

describe('fieldValueFromJson', () => {
  it.each([
    // B12 / B13: a body bound to one field
    ['s', '"History"', 'History'],
    ['tags', '["a", "b"]', ['a', 'b']],
    ['labels', '{"env": "prod"}', { env: 'prod' }],
    ['i64', '"5"', Long.fromNumber(5)],
    ['book', '{"author": "A"}', { author: 'A' }],
    ['s', 'null', undefined],
    ['tags', 'null', undefined],
    ['val', 'null', { nullValue: 0 }],
  ])('%s from %s', (fieldName, body, expected) => {
    expect(fieldValueFromJson(Req.fields[fieldName]!, parseJsonText(body))).toEqual(expected);
  });

  it('names the field, or the given path, in errors', () => {
    expect(mappingErrorOf(() => fieldValueFromJson(Req.fields['tags']!, parseJsonText('["a", 1]'))).field).toBe('tags[1]');
    expect(mappingErrorOf(() => fieldValueFromJson(Req.fields['tags']!, parseJsonText('["a", 1]'), {}, '')).field).toBe('[1]');
  });
});

describe('messageToJson', () => {
  const everything = messageFromJson(
    Req,
    parseJsonText(`{
      "name": "n", "shelf": 3, "book": {"id": 1, "quotes": ["q"]}, "s": "s", "i32": -1, "i64": "-2", "u64": "3",
      "flag": true, "d": 0.5, "raw": "AQI=", "color": "RED", "tags": ["t"], "colors": [1, 2], "labels": {"k": "v"},
      "sub": {"a": "x"}, "subs": [{"b": 1}], "ts": "2020-01-01T00:00:00Z", "ttl": "1s", "mask": "a,b.c", "wi32": 1,
      "ws": "w", "st": {"a": 1}, "val": 1, "any": {"@type": "type.googleapis.com/vec.v1.Sub", "a": "x"},
      "pick_i": 5, "display_name": "dn", "odd": "o", "maybe": "m", "upload": {"data": "AA=="}
    }`),
  );

  it('writes JSON names in field declaration order', () => {
    const json = messageToJson(Req, overTheWire(Req, everything)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'name', 'shelf', 'book', 's', 'i32', 'i64', 'u64', 'flag', 'd', 'raw', 'color', 'tags', 'colors', 'labels', 'sub',
      'subs', 'ts', 'ttl', 'mask', 'wi32', 'ws', 'st', 'val', 'any', 'pickI', 'displayName', 'renamed', 'maybe', 'upload',
    ]);
    expect(json).toMatchObject({ shelf: '3', book: { id: '1', quotes: ['q'] }, i64: '-2', raw: 'AQI=', colors: ['RED', 'GREEN'] });
  });

  it('writes proto names with useProtoNames', () => {
    const json = messageToJson(Req, overTheWire(Req, everything), { useProtoNames: true }) as Record<string, unknown>;
    expect(json).toMatchObject({ pick_i: 5, display_name: 'dn', odd: 'o', upload: { data: 'AA==' } });
    expect(json).not.toHaveProperty('displayName');
  });

  it('gives the same JSON for a decoded message and the plain object it came from', () => {
    expect(messageToJson(Req, everything)).toEqual(messageToJson(Req, overTheWire(Req, everything)));
  });

  it('leaves out defaults of fields without presence, keeps set fields with presence', () => {
    const message = overTheWire(Req, {
      s: '', i32: 0, i64: Long.ZERO, flag: false, raw: Buffer.alloc(0), color: 0,
      tags: [], labels: {}, subs: [], maybe: '', pick_s: '', sub: {},
    });
    expect(messageToJson(Req, message)).toEqual({ maybe: '', pickS: '', sub: {} });
    expect(messageToJson(Maps, overTheWire(Maps, { nested: {}, values: {} }))).toEqual({});
  });

  it('with emitDefaults writes every field without presence, and still only set fields with presence', () => {
    expect(messageToJson(Req, Req.decode(new Uint8Array(0)), { emitDefaults: true })).toEqual({
      name: '', parent: '', shelf: '0', s: '', i32: 0, i64: '0', u64: '0', flag: false, d: 0, raw: '',
      color: 'COLOR_UNSPECIFIED', tags: [], colors: [], labels: {}, subs: [], displayName: '', renamed: '',
    });
    expect(messageToJson(Req, {}, { emitDefaults: true, useProtoNames: true })).toMatchObject({ display_name: '', odd: '' });
    expect(messageToJson(Scalars, {}, { emitDefaults: true })).toMatchObject({ nv: null, by: '', fx64: '0', f: 0 });
  });

  it.each([
    ['an unknown enum number', { color: 7 }, { color: 7 }],
    ['NaN and infinities', { d: NaN, colors: [] }, { d: 'NaN' }],
    ['-Infinity', { d: -Infinity }, { d: '-Infinity' }],
    ['uint64 above 2^63', { u64: Long.fromString('18446744073709551615', true) }, { u64: '18446744073709551615' }],
    ['int64 from a decimal string', { i64: '-9223372036854775808' }, { i64: '-9223372036854775808' }],
    ['int64 from a number', { shelf: 42 }, { shelf: '42' }],
    ['bytes from a Uint8Array view', { raw: new Uint8Array([9, 1, 2, 3]).subarray(1) }, { raw: 'AQID' }],
    ['a Value holding null', { val: { nullValue: 0 } }, { val: null }],
    ['an unset Value', { val: {} }, { val: null }],
    ['an empty Any', { any: {} }, { any: {} }],
    [
      'an Any of a type the root does not know',
      { any: { type_url: 'type.googleapis.com/other.Thing', value: Buffer.from([8, 1]) } },
      { any: { '@type': 'type.googleapis.com/other.Thing', value: 'CAE=' } },
    ],
  ])('writes %s', (_, message, expected) => {
    expect(messageToJson(Req, overTheWire(Req, message))).toEqual(expected);
    expect(messageToJson(Req, message)).toEqual(expected);
  });

  it.each([
    [0.1, 0.1],
    [1 / 3, 0.33333334],
    [16777217, 16777216],
    [3.4028234663852886e38, 3.4028235e38],
    [1e-45, 1e-45],
  ])('writes the float %d as the shortest decimal of its float32 (%d)', (value, expected) => {
    expect(messageToJson(Scalars, overTheWire(Scalars, { f: value }))).toEqual({ f: expected });
  });

  it('writes 64-bit map keys of decoded messages as decimal text', () => {
    const body = '{"byI64": {"-5": "a", "12345678": "b"}, "byU64": {"18446744073709551615": "c"}, "byBool": {"false": 1, "true": 2}}';
    const message = overTheWire(Maps, messageFromJson(Maps, parseJsonText(body)));
    expect(messageToJson(Maps, message)).toEqual({
      byI64: { '-5': 'a', '12345678': 'b' },
      byU64: { '18446744073709551615': 'c' },
      byBool: { false: 1, true: 2 },
    });
  });

  it.each([
    [
      'a Timestamp before year 1',
      { ts: { seconds: -62135596801 } },
      'cannot write google.protobuf.Timestamp as JSON: out of range (years 0001 to 9999)',
    ],
    ['a Timestamp with negative nanos', { ts: { seconds: 0, nanos: -1 } }, 'cannot write google.protobuf.Timestamp as JSON'],
    ['a Duration with mixed signs', { ttl: { seconds: 1, nanos: -1 } }, 'cannot write google.protobuf.Duration as JSON: not a valid Duration'],
    ['a Value holding NaN', { val: { numberValue: NaN } }, 'cannot write google.protobuf.Value as JSON: NaN is not a JSON number'],
  ])('refuses %s', (_, message, error) => {
    expect(() => messageToJson(Req, overTheWire(Req, message))).toThrow(error);
  });

  it('gives JSON that reads back to the same message', () => {
    const original = overTheWire(Req, everything);
    const json = JSON.parse(JSON.stringify(messageToJson(Req, original))) as unknown;
    const again = overTheWire(Req, messageFromJson(Req, parseJsonText(JSON.stringify(json))));
    expect(Req.encode(again).finish()).toEqual(Req.encode(original).finish());
  });
});

describe('fieldValueToJson', () => {
  const books = [{ id: Long.fromNumber(1) }, { id: Long.fromNumber(2), title: 'T' }];
  const message = overTheWire(Resp, { books, next: 'n' }) as unknown as Record<string, unknown>;

  it.each([
    ['books', message['books'], [{ id: '1' }, { id: '2', title: 'T' }]],
    ['book', message['book'], null],
    ['next', message['next'], 'n'],
    ['next', undefined, ''],
    ['books', undefined, []],
  ])('%s', (fieldName, value, expected) => {
    expect(fieldValueToJson(Resp.fields[fieldName]!, value)).toEqual(expected);
  });

  it('writes maps and scalars of Req', () => {
    expect(fieldValueToJson(Req.fields['labels']!, { a: 'b' })).toEqual({ a: 'b' });
    expect(fieldValueToJson(Req.fields['u64']!, Long.MAX_UNSIGNED_VALUE)).toBe('18446744073709551615');
    expect(fieldValueToJson(Req.fields['ts']!, { seconds: 1, nanos: 5000 })).toBe('1970-01-01T00:00:01.000005Z');
  });
});

describe('jsonName', () => {
  it.each([
    ['display_name', Req, 'displayName'],
    ['odd', Req, 'renamed'],
    ['pick_s', Req, 'pickS'],
    ['foo_bar_1', Names, 'fooBar1'],
    ['a__b', Names, 'aB'],
    ['HTTPCode', Names, 'HTTPCode'],
  ])('%s -> %s', (fieldName, type, expected) => {
    expect(jsonName(type.fields[fieldName]!)).toBe(expected);
  });
});

describe('JSON syntax errors stay distinct from mapping errors', () => {
  it.each(['{"s":"a","s":"b"}', '{"s":"x"}EXTRA'])('%s', (body) => {
    expect(() => messageFromJson(Req, parseJsonText(body) as JsonValue)).toThrow(JsonSyntaxError);
  });
});
