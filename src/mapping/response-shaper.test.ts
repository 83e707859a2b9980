import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../errors/catalogue.js';
import { compileErrorShaper } from '../errors/error-shaper.js';
import type { ResponseMapping } from '../frontend/model.js';
import { buildRoot, PROJECT_DIR } from '../protos/root.js';
import { compileResponseShaper, fieldText, JSON_CONTENT_TYPE, type ShapedResponse } from './response-shaper.js';
import { compileNegotiator } from './content-negotiation.js';

const root = buildRoot([
  { name: 'vectors.proto', content: readFileSync(join(PROJECT_DIR, 'test/vectors/fixtures/vectors.proto'), 'utf8') },
]);
const Req = root.lookupType('vec.v1.Req');
const Resp = root.lookupType('vec.v1.Resp');
const HttpBody = root.lookupType('google.api.HttpBody');
const kv = (name: string) => root.lookupType(`prism.interfaces.keyvalue.${name}`);

/** What the backend's reply decodes to, as the proxy sees it. */
function decoded(type: protobuf.Type, message: Record<string, unknown>): Record<string, unknown> {
  return type.decode(type.encode(type.fromObject(message)).finish()) as unknown as Record<string, unknown>;
}

function shape(
  type: protobuf.Type,
  mapping: ResponseMapping | undefined,
  message: Record<string, unknown>,
  extra: { responseBody?: string; emitDefaults?: boolean } = {},
): ShapedResponse | ProxyError {
  const shaper = compileResponseShaper({ responseType: type, mapping, responseBody: extra.responseBody, emitDefaults: extra.emitDefaults ?? false });
  return shaper(decoded(type, message));
}

function reply(...args: Parameters<typeof shape>): ShapedResponse {
  const out = shape(...args);
  if (out instanceof ProxyError) throw new Error(`unexpected error reply: ${out.message}`);
  return out;
}

function jsonBody(...args: Parameters<typeof shape>): unknown {
  const out = reply(...args);
  expect(out.contentType).toBe(JSON_CONTENT_TYPE);
  return JSON.parse(out.body as string);
}

function errorReply(...args: Parameters<typeof shape>): ProxyError {
  const out = shape(...args);
  if (!(out instanceof ProxyError)) throw new Error(`expected an error reply, got ${out.status}`);
  return out;
}

describe('whole-message bodies', () => {
  it('renders canonical proto3 JSON with JSON names and 200', () => {
    const out = reply(Req, undefined, { display_name: 'd', odd: 'o', i64: '9007199254740993', color: 2, raw: Buffer.from([1, 2]) });
    expect(out.status).toBe(200);
    expect(out.headers).toEqual({});
    expect(out.contentType).toBe('application/json');
    expect(JSON.parse(out.body as string)).toEqual({ displayName: 'd', renamed: 'o', i64: '9007199254740993', color: 'GREEN', raw: 'AQI=' });
  });

  it.each<[string, ResponseMapping | undefined, boolean, unknown]>([
    ['defaults left out', undefined, false, {}],
    ['emit_defaults in the mapping', { emit_defaults: true }, false, { found: false, value: '', error: '' }],
    ['emit_defaults from the route options', undefined, true, { found: false, value: '', error: '' }],
    ['the mapping overrides the route options', { emit_defaults: false }, true, {}],
  ])('%s', (_name, mapping, emitDefaults, expected) => {
    expect(jsonBody(kv('GetResponse'), mapping, {}, { emitDefaults })).toEqual(expected);
  });

  it('use_proto_names writes proto field names', () => {
    expect(jsonBody(Req, { use_proto_names: true }, { display_name: 'd', odd: 'o' })).toEqual({ display_name: 'd', odd: 'o' });
  });

  it('a fixed status and content type', () => {
    const out = reply(kv('GetResponse'), { status: 201, content_type: 'application/vnd.kv+json' }, { found: true });
    expect(out.status).toBe(201);
    expect(out.contentType).toBe('application/vnd.kv+json');
    expect(JSON.parse(out.body as string)).toEqual({ found: true });
  });
});

describe('status_rules', () => {
  const ttlRule: ResponseMapping = {
    omit: ['error'],
    emit_defaults: true,
    status_rules: [{ field: 'ttl_seconds', equals: '-2', error_code: 'NOT_FOUND', error_message: 'key not found' }],
  };

  it.each<[string, protobuf.Type, ResponseMapping, Record<string, unknown>, number, unknown]>([
    ['an int64 rule that does not match', kv('GetTTLResponse'), ttlRule, { ttl_seconds: -1 }, 200, { ttlSeconds: '-1' }],
    ['a bool rule with a status', kv('GetResponse'), { status_rules: [{ field: 'found', equals: 'false', status: 204 }] }, {}, 204, {}],
    ['a bool rule that does not match', kv('GetResponse'), { status_rules: [{ field: 'found', equals: 'false', status: 204 }] }, { found: true }, 200, { found: true }],
    [
      'an enum name',
      Req,
      { status_rules: [{ field: 'color', equals: 'GREEN', status: 202 }] },
      { color: 2 },
      202,
      { color: 'GREEN' },
    ],
    [
      'an unset enum is its zero name',
      Req,
      { status_rules: [{ field: 'color', equals: 'COLOR_UNSPECIFIED', status: 202 }] },
      {},
      202,
      {},
    ],
    ['an empty string', Req, { status_rules: [{ field: 'name', equals: '', status: 204 }] }, {}, 204, {}],
    ['a nested field', Req, { status_rules: [{ field: 'sub.b', equals: '7', status: 203 }] }, { sub: { b: 7 } }, 203, { sub: { b: 7 } }],
    ['a field of an unset message is its default', Req, { status_rules: [{ field: 'sub.b', equals: '0', status: 203 }] }, {}, 203, {}],
    [
      'the first matching rule wins',
      Req,
      {
        status_rules: [
          { field: 'name', equals: 'x', status: 201 },
          { field: 'color', equals: 'RED', status: 202 },
          { field: 'flag', equals: 'false', status: 203 },
        ],
      },
      { color: 1 },
      202,
      { color: 'RED' },
    ],
    ['a rule status beats the fixed status', Req, { status: 201, status_rules: [{ field: 'flag', equals: 'true', status: 299 }] }, { flag: true }, 299, { flag: true }],
    ['the fixed status without a match', Req, { status: 201, status_rules: [{ field: 'flag', equals: 'true', status: 299 }] }, {}, 201, {}],
  ])('%s', (_name, type, mapping, message, status, body) => {
    const out = reply(type, mapping, message);
    expect(out.status).toBe(status);
    expect(JSON.parse(out.body as string)).toEqual(body);
  });

  it.each<[string, protobuf.Type, ResponseMapping, Record<string, unknown>, number, number, string]>([
    ['int64 -2 with error_code NOT_FOUND', kv('GetTTLResponse'), ttlRule, { ttl_seconds: -2 }, 5, 404, 'key not found'],
    [
      'bool false (unset) with error_code',
      kv('SetResponse'),
      { status_rules: [{ field: 'success', equals: 'false', error_code: 'INTERNAL', error_message: 'could not store' }] },
      {},
      13,
      500,
      'could not store',
    ],
    [
      'error_code with a status',
      kv('GetResponse'),
      { status_rules: [{ field: 'found', equals: 'false', error_code: 'NOT_FOUND', status: 410 }] },
      {},
      5,
      410,
      'found is false',
    ],
    [
      'an enum name with error_code',
      Req,
      { status_rules: [{ field: 'color', equals: 'RED', error_code: 'FAILED_PRECONDITION' }] },
      { color: 1 },
      9,
      400,
      'color is RED',
    ],
  ])('%s -> an error reply', (_name, type, mapping, message, code, status, text) => {
    const err = errorReply(type, mapping, message);
    expect(err.id).toBe('status_rule');
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(status);
    expect(err.message).toBe(text);
  });

  it("a rule's status survives the error mapping's override of its code", () => {
    const err = errorReply(kv('GetResponse'), { status_rules: [{ field: 'found', equals: 'false', error_code: 'NOT_FOUND', status: 404 }] }, {});
    const shaped = compileErrorShaper({ status: { NOT_FOUND: 410 } })(err);
    expect(shaped.status).toBe(404);
  });

  it('an error reply without a rule status follows the error mapping', () => {
    const err = errorReply(kv('GetResponse'), { status_rules: [{ field: 'found', equals: 'false', error_code: 'NOT_FOUND' }] }, {});
    const shaped = compileErrorShaper({ status: { NOT_FOUND: 410 }, body: { msg: '${message}' } })(err);
    expect(shaped.status).toBe(410);
    expect(JSON.parse(shaped.body)).toEqual({ msg: 'found is false' });
  });
});

describe('body_field and response_body', () => {
  it.each<[string, ResponseMapping | undefined, string | undefined, protobuf.Type, Record<string, unknown>, string]>([
    ['a bare array', { body_field: 'books' }, undefined, Resp, { books: [{ id: 1, title: 't' }] }, '[{"id":"1","title":"t"}]'],
    ['an empty repeated field is []', { body_field: 'books' }, undefined, Resp, {}, '[]'],
    ['a bare number', { body_field: 'i32' }, undefined, Req, { i32: 5 }, '5'],
    ['a bare int64 is a string', { body_field: 'i64' }, undefined, Req, { i64: 5 }, '"5"'],
    ['a bare string', { body_field: 'next' }, undefined, Resp, { next: 'n' }, '"n"'],
    ['a default number', { body_field: 'i32' }, undefined, Req, {}, '0'],
    ['an unset message is null', { body_field: 'book' }, undefined, Resp, {}, 'null'],
    ['a message', { body_field: 'book' }, undefined, Resp, { book: { id: 3 } }, '{"id":"3"}'],
    ['a nested field', { body_field: 'book.quotes' }, undefined, Resp, { book: { quotes: ['q'] } }, '["q"]'],
    ['an empty map is {}', { body_field: 'labels' }, undefined, Req, {}, '{}'],
    ['a well-known type', { body_field: 'ts' }, undefined, Req, { ts: { seconds: 0, nanos: 0 } }, '"1970-01-01T00:00:00Z"'],
    ['HttpRule response_body', undefined, 'next', Resp, { next: 'n' }, '"n"'],
    ['body_field wins over response_body', { body_field: 'books' }, 'next', Resp, { next: 'n' }, '[]'],
  ])('%s', (_name, mapping, responseBody, type, message, body) => {
    const out = reply(type, mapping, message, { responseBody });
    expect(out.contentType).toBe('application/json');
    expect(out.body).toBe(body);
  });

  it('rename and omit apply inside the body field', () => {
    const mapping: ResponseMapping = { body_field: 'book', rename: { title: 'name' }, omit: ['quotes'] };
    expect(jsonBody(Resp, mapping, { book: { id: 3, title: 't', quotes: ['q'] } })).toEqual({ id: '3', name: 't' });
  });
});

describe('raw_field and HttpBody replies', () => {
  it.each<[string, protobuf.Type, ResponseMapping | undefined, Record<string, unknown>, string, Buffer | string]>([
    ['bytes', Req, { raw_field: 'raw' }, { raw: Buffer.from([0, 1, 255]) }, 'application/octet-stream', Buffer.from([0, 1, 255])],
    ['a string with its content type', Req, { raw_field: 's', content_type: 'text/plain; charset=utf-8' }, { s: 'héllo' }, 'text/plain; charset=utf-8', 'héllo'],
    ['a nested string', Req, { raw_field: 'sub.a' }, { sub: { a: 'x' } }, 'application/octet-stream', 'x'],
    ['unset bytes', Req, { raw_field: 'raw' }, {}, 'application/octet-stream', ''],
    ['an HttpBody reply', HttpBody, undefined, { content_type: 'image/png', data: Buffer.from([137, 80]) }, 'image/png', Buffer.from([137, 80])],
    ['an empty HttpBody reply', HttpBody, undefined, {}, 'application/octet-stream', Buffer.alloc(0)],
  ])('%s', (_name, type, mapping, message, contentType, body) => {
    const out = reply(type, mapping, message);
    expect(out.status).toBe(200);
    expect(out.contentType).toBe(contentType);
    if (Buffer.isBuffer(body)) {
      expect(Buffer.isBuffer(out.body)).toBe(true);
      expect((out.body as Buffer).equals(body)).toBe(true);
    } else {
      expect(out.body.toString()).toBe(body);
    }
  });

  it('status rules and headers still apply to a raw reply', () => {
    const out = reply(Req, { raw_field: 'raw', status_rules: [{ field: 'flag', equals: 'true', status: 206 }], headers: { 'x-name': 'name' } }, {
      raw: Buffer.from('ab'),
      flag: true,
      name: 'n',
    });
    expect(out.status).toBe(206);
    expect(out.headers).toEqual({ 'x-name': 'n' });
    expect(out.body.toString()).toBe('ab');
  });
});

describe('rename and omit', () => {
  it.each<[string, protobuf.Type, ResponseMapping, Record<string, unknown>, unknown]>([
    ['a top-level rename', Resp, { rename: { next: 'cursor' } }, { next: 'n' }, { cursor: 'n' }],
    [
      'a nested rename and omit',
      Resp,
      { rename: { 'book.title': 'heading' }, omit: ['book.quotes'] },
      { book: { id: 3, title: 't', quotes: ['q'] } },
      { book: { id: '3', heading: 't' } },
    ],
    ['rename keyed by proto name, JSON output', Req, { rename: { display_name: 'dn' } }, { display_name: 'x', odd: 'y' }, { dn: 'x', renamed: 'y' }],
    ['omit keyed by proto name, JSON output', Req, { omit: ['display_name', 'odd'] }, { display_name: 'x', odd: 'y', s: 's' }, { s: 's' }],
    ['with use_proto_names', Req, { rename: { display_name: 'dn' }, omit: ['odd'], use_proto_names: true }, { display_name: 'x', odd: 'y' }, { dn: 'x' }],
    ['an absent field is not renamed', Resp, { rename: { next: 'cursor' } }, {}, {}],
    ['under an unset message nothing happens', Resp, { omit: ['book.title'] }, { next: 'n' }, { next: 'n' }],
    ['omitting a whole message', Resp, { omit: ['book'] }, { book: { id: 1 }, next: 'n' }, { next: 'n' }],
  ])('%s', (_name, type, mapping, message, expected) => {
    expect(jsonBody(type, mapping, message)).toEqual(expected);
  });

  it('emit_defaults with omit (routes/keyvalue-rest.yaml getKey)', () => {
    expect(jsonBody(kv('GetResponse'), { omit: ['found', 'error'], emit_defaults: true }, { found: true, value: Buffer.from('v') })).toEqual({
      value: Buffer.from('v').toString('base64'),
    });
  });
});

describe('headers from fields', () => {
  it('lower-cases header names and writes values as text', () => {
    const out = reply(Resp, { headers: { 'X-Next': 'next', 'x-book-id': 'book.id' } }, { next: 'n', book: { id: 7 } });
    expect(out.headers).toEqual({ 'x-next': 'n', 'x-book-id': '7' });
  });

  it.each<[string, string, Record<string, unknown>, string]>([
    ['int64', 'i64', { i64: -2 }, '-2'],
    ['bool', 'flag', { flag: true }, 'true'],
    ['enum', 'color', { color: 1 }, 'RED'],
    ['Duration', 'ttl', { ttl: { seconds: 90 } }, '90s'],
  ])('a %s field', (_name, path, message, value) => {
    expect(reply(Req, { headers: { 'x-v': path } }, message).headers).toEqual({ 'x-v': value });
  });

  it.each<[string, string]>([
    ['a line break', 'a\r\nx-injected: 1'],
    ['non-ASCII text', 'café'],
    ['an empty string', ''],
  ])('leaves out a value HTTP cannot carry: %s', (_name, value) => {
    const out = reply(Resp, { headers: { 'x-next': 'next', 'x-book-title': 'book.title' } }, { next: value, book: { title: 'ok' } });
    expect(out.headers).toEqual({ 'x-book-title': 'ok' });
    expect(JSON.parse(out.body as string)).toEqual({ next: value === '' ? undefined : value, book: { title: 'ok' } });
  });

  it('keeps tabs and spaces inside a value', () => {
    expect(reply(Resp, { headers: { 'x-next': 'next' } }, { next: 'a b\tc' }).headers).toEqual({ 'x-next': 'a b\tc' });
  });

  it('no header for a field under an unset message', () => {
    expect(reply(Resp, { headers: { 'x-book-id': 'book.id' } }, {}).headers).toEqual({});
  });
});

describe('fieldText', () => {
  it.each<[string, string, unknown, string]>([
    ['a string as it is', 'name', 'a "b"', 'a "b"'],
    ['an int64', 'i64', -2, '-2'],
    ['bool false', 'flag', false, 'false'],
    ['an enum name', 'color', 2, 'GREEN'],
    ['bytes as base64', 'raw', Buffer.from([1, 2, 3]), 'AQID'],
    ['an unset scalar is its default', 'i32', undefined, '0'],
    ['an unset message is empty', 'sub', undefined, ''],
    ['a repeated field as JSON', 'tags', ['a', 'b'], '["a","b"]'],
  ])('%s', (_name, field, value, text) => {
    expect(fieldText(Req.fields[field], value)).toBe(text);
  });
});

describe('invalid mappings are refused at compile time', () => {
  it.each<[string, protobuf.Type, ResponseMapping, RegExp]>([
    ['omit of an unknown field', Resp, { omit: ['nope'] }, /no field 'nope' in vec\.v1\.Resp/],
    ['rename of an unknown nested field', Resp, { rename: { 'book.nope': 'x' } }, /no field 'nope' in vec\.v1\.Book/],
    ['a path through a repeated field', Resp, { omit: ['books.title'] }, /'books' is a repeated field/],
    ['a status rule on an unknown field', Resp, { status_rules: [{ field: 'nope', equals: '' }] }, /nope/],
    ['a status rule without field', Resp, { status_rules: [{ equals: '', status: 204 }] }, /not a field path/],
    ['an unknown error code', Resp, { status_rules: [{ field: 'next', error_code: 'NOPE' }] }, /unknown gRPC code name 'NOPE'/],
    ['a header from an unknown field', Resp, { headers: { x: 'book.nope' } }, /nope/],
    ['an unknown body_field', Resp, { body_field: 'nope' }, /nope/],
    ['raw_field of a message', Req, { raw_field: 'sub' }, /raw_field 'sub' must be a singular string or bytes field/],
    ['raw_field of an int', Req, { raw_field: 'i32' }, /raw_field 'i32' must be a singular string or bytes field/],
    ['raw_field of a repeated string', Req, { raw_field: 'tags' }, /raw_field 'tags'/],
    ['omit with a scalar body_field', Resp, { body_field: 'next', omit: ['x'] }, /not a message/],
    ['rename with a repeated body_field', Resp, { body_field: 'books', rename: { title: 't' } }, /not a message/],
  ])('%s', (_name, type, mapping, message) => {
    expect(() => compileResponseShaper({ responseType: type, mapping, emitDefaults: false })).toThrow(message);
  });
});

describe('negotiated content type (RestConfig.produces)', () => {
  const negotiator = compileNegotiator([
    { content_type: 'application/vnd.example.v1+json' },
    { content_type: 'application/json', quality: 0.5 },
  ]);
  const shaperOf = (mapping: ResponseMapping = {}, type: protobuf.Type = Req) =>
    compileResponseShaper({ responseType: type, mapping, emitDefaults: false, negotiator });

  it('JSON bodies take the negotiated type', () => {
    const shaper = shaperOf();
    const message = decoded(Req, { name: 'n' });
    expect((shaper(message) as ShapedResponse).contentType).toBe('application/vnd.example.v1+json');
    expect((shaper(message, 'application/json') as ShapedResponse).contentType).toBe('application/json');
    expect((shaper(message, 'application/json, */*') as ShapedResponse).body).toBe('{"name":"n"}');
  });

  it('a raw_field body takes it too', () => {
    const out = shaperOf({ raw_field: 'name' })(decoded(Req, { name: '{"type":"string"}' }), 'application/json') as ShapedResponse;
    expect(out.contentType).toBe('application/json');
    expect(out.body).toBe('{"type":"string"}');
  });

  it('an explicit content_type opts out', () => {
    const out = shaperOf({ raw_field: 'name', content_type: 'text/plain' })(decoded(Req, { name: 'x' }), 'application/json') as ShapedResponse;
    expect(out.contentType).toBe('text/plain');
  });

  it('an unacceptable Accept (refused earlier with a 406) falls back to the preferred type', () => {
    expect((shaperOf()(decoded(Req, {}), 'text/html') as ShapedResponse).contentType).toBe('application/vnd.example.v1+json');
  });
});
