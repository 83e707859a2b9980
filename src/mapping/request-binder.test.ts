import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../errors/catalogue.js';
import type { MappingOptions, ParamMapping } from '../frontend/model.js';
import { buildRoot, PROJECT_DIR } from '../protos/root.js';
import { resolveOptions } from './options.js';
import { messageToJson } from './proto-json.js';
import {
  compileRequestBinder,
  compileStreamRequestBinder,
  type HttpRequestParts,
  type Message,
  type PathVariableSpec,
  type RequestBinderSpec,
} from './request-binder.js';

const root = buildRoot([
  { name: 'vectors.proto', content: readFileSync(join(PROJECT_DIR, 'test/vectors/fixtures/vectors.proto'), 'utf8') },
]);
const Req = root.lookupType('vec.v1.Req');
const HttpBody = root.lookupType('google.api.HttpBody');

const JSON_CT = { 'content-type': 'application/json' };
const OCTETS = { 'content-type': 'application/octet-stream' };

interface Route {
  type?: protobuf.Type;
  /** Template variables, e.g. ['name', 'book.id']. */
  path?: Array<string | PathVariableSpec>;
  body?: string;
  raw?: string;
  rawTypes?: string[];
  /** BodyMapping.required */
  required?: boolean;
  params?: ParamMapping[];
  options?: MappingOptions;
}

interface Request {
  method?: string;
  bindings?: Array<[string, string]>;
  query?: string;
  headers?: IncomingHttpHeaders;
  body?: string | Buffer;
}

function specOf(route: Route): RequestBinderSpec {
  return {
    requestType: route.type ?? Req,
    pathVariables: (route.path ?? []).map((v) => (typeof v === 'string' ? { variable: v } : v)),
    bodyField: route.body ?? '',
    rawBodyField: route.raw,
    rawContentTypes: route.rawTypes,
    bodyRequired: route.required,
    params: route.params ?? [],
    options: resolveOptions(route.options),
  };
}

function partsOf(req: Request): HttpRequestParts {
  return {
    method: req.method ?? 'POST',
    bindings: req.bindings ?? [],
    rawQuery: req.query ?? '',
    headers: req.headers ?? (req.body !== undefined ? JSON_CT : {}),
    body: req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body),
  };
}

/** What the backend receives: encoded, decoded, rendered as proto JSON with proto names. */
function onTheWire(message: Message, type: protobuf.Type = Req): unknown {
  return messageToJson(type, type.decode(type.encode(message).finish()), { useProtoNames: true });
}

function bind(route: Route, req: Request): unknown {
  return onTheWire(compileRequestBinder(specOf(route))(partsOf(req)), route.type ?? Req);
}

/** A client stream bound from its headers, then its body fed in two chunks (split mid-body). */
function bindStream(route: Route, req: Request): unknown[] {
  const { body, ...parts } = partsOf(req);
  const headers = body?.length ? { ...parts.headers, 'content-length': String(body.length) } : parts.headers;
  const binding = compileStreamRequestBinder(specOf(route))({ ...parts, headers, body: undefined });
  const half = Math.floor((body?.length ?? 0) / 2);
  const messages = body ? [...binding.push(body.subarray(0, half)), ...binding.push(body.subarray(half))] : [];
  return [...messages, ...binding.end()].map((m) => onTheWire(m, route.type ?? Req));
}

function proxyErrorOf(run: () => unknown): ProxyError {
  try {
    run();
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  throw new Error('expected a ProxyError');
}

describe('path variables', () => {
  it.each<[string, Route, Request, unknown]>([
    ['a top-level variable', { path: ['name'] }, { bindings: [['name', 'shelves/1']] }, { name: 'shelves/1' }],
    ['a nested variable creates the parent', { path: ['book.id'] }, { bindings: [['book.id', '42']] }, { book: { id: '42' } }],
    ['an int64 keeps every digit', { path: ['shelf'] }, { bindings: [['shelf', '9007199254740993']] }, { shelf: '9007199254740993' }],
    ['an enum by name', { path: ['color'] }, { bindings: [['color', 'GREEN']] }, { color: 'GREEN' }],
    ['a well-known type', { path: ['ts'] }, { bindings: [['ts', '2024-01-02T03:04:05Z']] }, { ts: '2024-01-02T03:04:05Z' }],
    [
      'an explicit PATH parameter renames the variable',
      { path: ['person'], params: [{ source: 'PATH', name: 'person', field: 'display_name' }] },
      { bindings: [['person', 'Ann']] },
      { display_name: 'Ann' },
    ],
    [
      'a variable spec with its own target field',
      { path: [{ variable: 'id', field: 'book.id' }] },
      { bindings: [['id', '7']] },
      { book: { id: '7' } },
    ],
    ['bindings of unknown variables are ignored', { path: ['name'] }, { bindings: [['other', 'x']] }, {}],
  ])('%s', (_name, route, req, expected) => {
    expect(bind(route, req)).toEqual(expected);
  });

  it('a value that does not convert is a 400 naming the variable', () => {
    const err = proxyErrorOf(() => bind({ path: ['shelf'] }, { bindings: [['shelf', 'abc']] }));
    expect(err.httpStatus).toBe(400);
    expect(err.code).toBe(3);
    expect(err.id).toBe('bad_parameter');
    expect(err.message).toContain('"shelf"');
    expect(err.message).toContain('int64');
  });

  it('refuses at compile time a variable that names no field', () => {
    expect(() => compileRequestBinder(specOf({ path: ['nme'] }))).toThrow(/nme/);
  });
});

describe('query parameters (auto-bound)', () => {
  it.each<[string, Route, string, unknown]>([
    ['a proto name', {}, 'name=a', { name: 'a' }],
    ['a JSON name', {}, 'displayName=d', { display_name: 'd' }],
    ['a json_name option', {}, 'renamed=r', { odd: 'r' }],
    ['a dotted path creates intermediate messages', {}, 'book.title=T&sub.child.b=3', { book: { title: 'T' }, sub: { child: { b: 3 } } }],
    ['int64 exact', {}, 'i64=-9223372036854775808', { i64: '-9223372036854775808' }],
    ['uint64 exact', {}, 'u64=18446744073709551615', { u64: '18446744073709551615' }],
    ['bool', {}, 'flag=1', { flag: true }],
    ['double', {}, 'd=-Infinity', { d: '-Infinity' }],
    ['bytes base64', {}, 'raw=AQID', { raw: 'AQID' }],
    ['bytes URL-safe base64', {}, 'raw=-_8', { raw: '+/8=' }],
    ['an enum by name', {}, 'color=RED', { color: 'RED' }],
    ['an enum by number', {}, 'color=2', { color: 'GREEN' }],
    ['repeated keys become a list', {}, 'tags=a&tags=b&tags=c', { tags: ['a', 'b', 'c'] }],
    ['repeated enums', {}, 'colors=RED&colors=2', { colors: ['RED', 'GREEN'] }],
    ['a map key', {}, 'labels[env]=prod&labels[team]=kv', { labels: { env: 'prod', team: 'kv' } }],
    ['an empty map key', {}, 'labels[]=v', { labels: { '': 'v' } }],
    ['Timestamp', {}, 'ts=2020-01-01T00:00:00Z', { ts: '2020-01-01T00:00:00Z' }],
    ['Duration', {}, 'ttl=1.5s', { ttl: '1.500s' }],
    ['FieldMask', {}, 'mask=a.b,c', { mask: 'a.b,c' }],
    ['a wrapper', {}, 'wi32=5&ws=', { wi32: 5, ws: '' }],
    ['a proto3 optional field set to its default', {}, 'maybe=', { maybe: '' }],
    ['one member of a oneof', {}, 'pick_i=4', { pick_i: 4 }],
    ['+ is a space by default', {}, 's=a+b', { s: 'a b' }],
    ['+ is kept without query_plus_as_space', { options: { query_plus_as_space: false } }, 's=a+b', { s: 'a+b' }],
    ['percent-escapes are decoded', {}, 's=%E2%82%AC%26', { s: '€&' }],
    ['an escaped key', {}, 'display%5Fname=x', { display_name: 'x' }],
    ['split_repeated_on_comma', { options: { split_repeated_on_comma: true } }, 'tags=a,b&tags=c', { tags: ['a', 'b', 'c'] }],
    ['no split by default', {}, 'tags=a,b', { tags: ['a,b'] }],
    ['case_insensitive_enums', { options: { case_insensitive_enums: true } }, 'color=green', { color: 'GREEN' }],
    ['an unknown key is ignored', {}, 'zzz=1&name=a', { name: 'a' }],
    ['strict_query never refuses an ignored key', { options: { strict_query: true, ignored_query_parameters: ['utm'] } }, 'utm=x&name=a', { name: 'a' }],
    ['auto_query_params false binds nothing', { options: { auto_query_params: false } }, 'name=a&zzz=1', {}],
    ['a path-bound field is not overwritten', { path: ['name'] }, 'name=q', { name: 'p' }],
    ['fields outside the body field are bound', { body: 'sub' }, 'name=q&sub.a=inside', { name: 'q', sub: {} }],
    ['body "*" leaves nothing to the query', { body: '*' }, 's=x', {}],
  ])('%s', (_name, route, query, expected) => {
    const withPath = route.path ? { bindings: [['name', 'p']] as Array<[string, string]> } : {};
    const withBody = route.body ? { body: '{}' } : {};
    expect(bind(route, { query, ...withPath, ...withBody })).toEqual(expected);
  });

  it.each<[string, Route, string, string, string]>([
    ['strict_query refuses an unknown key', { options: { strict_query: true } }, 'zzz=1', 'unknown_parameter', 'zzz'],
    ['strict_query without auto binding', { options: { strict_query: true, auto_query_params: false } }, 'name=a', 'unknown_parameter', 'name'],
    ['strict_query refuses a path-bound field', { path: ['name'], options: { strict_query: true } }, 'name=q', 'unknown_parameter', 'name'],
    ['strict_query refuses a field inside the body', { body: 'sub', options: { strict_query: true } }, 'sub.a=q', 'unknown_parameter', 'sub.a'],
    ['strict_query refuses any key with body "*"', { body: '*', options: { strict_query: true } }, 's=x', 'unknown_parameter', '"s"'],
    ['a map field without [key]', {}, 'labels=x', 'unknown_parameter', 'labels'],
    ['[key] on a field that is no map', {}, 'name[x]=1', 'unknown_parameter', 'name[x]'],
    ['a path through a repeated field', {}, 'subs.a=1', 'unknown_parameter', 'subs.a'],
    ['a repeated message field', {}, 'subs=1', 'bad_parameter', 'subs'],
    ['a message field', {}, 'sub=1', 'bad_parameter', 'sub'],
    ['a singular field given twice', {}, 'name=a&name=b', 'bad_parameter', 'name'],
    ['one field under its proto and JSON names', {}, 'display_name=a&displayName=b', 'bad_parameter', 'displayName'],
    ['a map key given twice', {}, 'labels[a]=1&labels[a]=2', 'bad_parameter', 'labels[a]'],
    ['two members of a oneof', {}, 'pick_s=a&pick_i=1', 'bad_parameter', 'pick_i'],
    ['a bad int32', {}, 'i32=abc', 'bad_parameter', 'i32'],
    ['an int64 out of range', {}, 'i64=9223372036854775808', 'bad_parameter', 'i64'],
    ['a key without value for a bool', {}, 'flag', 'bad_parameter', 'flag'],
    ['an enum name in the wrong case', {}, 'color=green', 'bad_parameter', 'color'],
    ['a malformed escape', {}, 's=%zz', 'bad_parameter', '%zz'],
  ])('%s -> 400', (_name, route, query, id, named) => {
    const withPath = route.path ? { bindings: [['name', 'p']] as Array<[string, string]> } : {};
    const withBody = route.body ? { body: '{}' } : {};
    const err = proxyErrorOf(() => bind(route, { query, ...withPath, ...withBody }));
    expect(err.httpStatus).toBe(400);
    expect(err.code).toBe(3);
    expect(err.id).toBe(id);
    expect(err.message).toContain(named);
  });

  it('a oneof member set by the path and another by the query is refused', () => {
    const err = proxyErrorOf(() => bind({ path: ['pick_s'] }, { bindings: [['pick_s', 'a']], query: 'pick_i=1' }));
    expect(err.httpStatus).toBe(400);
    expect(err.message).toContain('pick_i');
  });
});

describe('explicit parameters', () => {
  it.each<[string, ParamMapping[], Request, unknown]>([
    ['QUERY renames a key', [{ source: 'QUERY', name: 'q', field: 'name' }], { query: 'q=a' }, { name: 'a' }],
    ['QUERY into a repeated field', [{ source: 'QUERY', name: 't', field: 'tags' }], { query: 't=a&t=b' }, { tags: ['a', 'b'] }],
    ['QUERY default fills an absent key', [{ source: 'QUERY', name: 'n', field: 'i64', default: '7' }], {}, { i64: '7' }],
    ['QUERY given beats its default', [{ source: 'QUERY', name: 'n', field: 'i64', default: '7' }], { query: 'n=9' }, { i64: '9' }],
    ['QUERY required and given', [{ source: 'QUERY', name: 'n', field: 'i64', required: true }], { query: 'n=0' }, {}],
    ['QUERY without field targets its name', [{ source: 'QUERY', name: 'shelf' }], { query: 'shelf=3' }, { shelf: '3' }],
    ['HEADER is case-insensitive', [{ source: 'HEADER', name: 'X-Shelf', field: 'shelf' }], { headers: { 'x-shelf': '12' } }, { shelf: '12' }],
    ['HEADER with several values', [{ source: 'HEADER', name: 'x-tag', field: 's' }], { headers: { 'x-tag': ['a', 'b'] } }, { s: 'a, b' }],
    ['HEADER default', [{ source: 'HEADER', name: 'x-n', field: 'i32', default: '3' }], {}, { i32: 3 }],
    ['CONSTANT sets its value', [{ source: 'CONSTANT', field: 'color', default: 'GREEN' }], {}, { color: 'GREEN' }],
    ['CONSTANT wins over the query', [{ source: 'CONSTANT', field: 'color', default: 'GREEN' }], { query: 'color=RED' }, { color: 'GREEN' }],
    ['CONSTANT into a nested field', [{ source: 'CONSTANT', field: 'book.author', default: 'anon' }], {}, { book: { author: 'anon' } }],
    [
      'BODY with a dotted key',
      [
        { source: 'BODY', name: 'meta.title', field: 'book.title' },
        { source: 'BODY', name: 'n', field: 'i64' },
      ],
      { body: '{"meta":{"title":"T"},"n":5,"other":1}' },
      { book: { title: 'T' }, i64: '5' },
    ],
    ['BODY into a message field', [{ source: 'BODY', name: 's', field: 'sub' }], { body: '{"s":{"a":"x","b":2}}' }, { sub: { a: 'x', b: 2 } }],
    ['BODY default', [{ source: 'BODY', name: 'n', field: 'i64', default: '4' }], { body: '{}' }, { i64: '4' }],
    ['BODY null is absent', [{ source: 'BODY', name: 'n', field: 'i64', default: '4' }], { body: '{"n":null}' }, { i64: '4' }],
  ])('%s', (_name, params, req, expected) => {
    expect(bind({ params }, req)).toEqual(expected);
  });

  it('QUERY parameters still bind with auto_query_params off', () => {
    const route: Route = { params: [{ source: 'QUERY', name: 'q', field: 'name' }], options: { auto_query_params: false } };
    expect(bind(route, { query: 'q=a&s=x' })).toEqual({ name: 'a' });
  });

  it('BODY parameters work beside body "*"', () => {
    const route: Route = { body: '*', params: [{ source: 'BODY', name: 'meta.t', field: 'book.title' }] };
    expect(bind(route, { body: '{"name":"a","meta":{"t":"T"}}' })).toEqual({ name: 'a', book: { title: 'T' } });
  });

  it.each<[string, ParamMapping[], Request, string, string]>([
    ['a missing required QUERY', [{ source: 'QUERY', name: 'seconds', field: 'i64', required: true }], {}, 'missing_parameter', 'seconds'],
    ['a missing required HEADER', [{ source: 'HEADER', name: 'X-Shelf', field: 'shelf', required: true }], {}, 'missing_parameter', 'X-Shelf'],
    ['a missing required BODY key', [{ source: 'BODY', name: 'n', field: 'i64', required: true }], { body: '{}' }, 'missing_parameter', '"n"'],
    ['a required BODY key without body', [{ source: 'BODY', name: 'n', field: 'i64', required: true }], {}, 'missing_parameter', '"n"'],
    ['a bad QUERY value', [{ source: 'QUERY', name: 'seconds', field: 'i64' }], { query: 'seconds=soon' }, 'bad_parameter', 'seconds'],
    ['an empty QUERY value for an int', [{ source: 'QUERY', name: 'n', field: 'i64' }], { query: 'n=' }, 'bad_parameter', '"n"'],
    ['a bad HEADER value', [{ source: 'HEADER', name: 'X-N', field: 'i32' }], { headers: { 'x-n': 'x' } }, 'bad_parameter', 'X-N'],
    ['a bad BODY value', [{ source: 'BODY', name: 'n', field: 'i64' }], { body: '{"n":"x"}' }, 'bad_body', '"n"'],
    [
      'a field given as the explicit key and its own name',
      [{ source: 'QUERY', name: 'n', field: 'i64' }],
      { query: 'n=9&i64=3' },
      'bad_parameter',
      'i64',
    ],
  ])('%s -> 400', (_name, params, req, id, named) => {
    const err = proxyErrorOf(() => bind({ params }, req));
    expect(err.httpStatus).toBe(400);
    expect(err.code).toBe(3);
    expect(err.id).toBe(id);
    expect(err.message).toContain(named);
  });

  it('a missing parameter carries a BadRequest detail naming it', () => {
    const err = proxyErrorOf(() => bind({ params: [{ source: 'QUERY', name: 'seconds', field: 'i64', required: true }] }, {}));
    expect(err.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'seconds', description: 'required' }] },
    ]);
  });

  it('refuses at compile time a parameter naming no field', () => {
    expect(() => compileRequestBinder(specOf({ params: [{ source: 'QUERY', name: 'q', field: 'kee' }] }))).toThrow(/kee/);
  });
});

describe('JSON bodies', () => {
  it.each<[string, Route, Request, unknown]>([
    ['body "*" is the whole message', { body: '*' }, { body: '{"name":"b","i64":"5","sub":{"a":"x"}}' }, { name: 'b', i64: '5', sub: { a: 'x' } }],
    ['path values win over body "*"', { body: '*', path: ['name'] }, { bindings: [['name', 'p']], body: '{"name":"b","s":"x"}' }, { name: 'p', s: 'x' }],
    [
      'a nested path value merges into the body message',
      { body: '*', path: ['sub.a'] },
      { bindings: [['sub.a', 'p']], body: '{"sub":{"a":"b","b":2}}' },
      { sub: { a: 'p', b: 2 } },
    ],
    ['body into a message field', { body: 'sub' }, { body: '{"a":"x","b":2}' }, { sub: { a: 'x', b: 2 } }],
    ['body into a nested message field', { body: 'sub.child' }, { body: '{"a":"x"}' }, { sub: { child: { a: 'x' } } }],
    ['body into a repeated field (array)', { body: 'tags' }, { body: '["a","b"]' }, { tags: ['a', 'b'] }],
    ['body into a repeated message field', { body: 'subs' }, { body: '[{"a":"x"},{"b":1}]' }, { subs: [{ a: 'x' }, { b: 1 }] }],
    ['body into a map field', { body: 'labels' }, { body: '{"env":"prod"}' }, { labels: { env: 'prod' } }],
    ['body into an int64 (string)', { body: 'i64' }, { body: '"123"' }, { i64: '123' }],
    ['body into an int64 (number, exact)', { body: 'i64' }, { body: '9007199254740993' }, { i64: '9007199254740993' }],
    ['body into a string', { body: 's' }, { body: '"text"' }, { s: 'text' }],
    ['body into a Struct', { body: 'st' }, { body: '{"x":[1,true,null]}' }, { st: { x: [1, true, null] } }],
    ['body null leaves the field unset', { body: 'sub' }, { body: 'null' }, {}],
    ['an empty body binds nothing', { body: '*' }, { body: '' }, {}],
    ['unknown JSON fields are ignored by default', { body: '*' }, { body: '{"zzz":1,"name":"a"}' }, { name: 'a' }],
    ['a body on a route without body mapping is ignored', {}, { body: '{"name":"x"}' }, {}],
    ['a missing Content-Type is read as JSON', { body: '*' }, { headers: {}, body: '{"name":"x"}' }, { name: 'x' }],
    ['application/*+json', { body: '*' }, { headers: { 'content-type': 'application/merge-patch+json' }, body: '{"name":"x"}' }, { name: 'x' }],
    ['media type parameters and case', { body: '*' }, { headers: { 'content-type': 'Application/JSON; charset=UTF-8' }, body: '{"name":"x"}' }, { name: 'x' }],
    ['JSON names and proto names in the body', { body: '*' }, { body: '{"displayName":"a","renamed":"r","pick_i":2}' }, { display_name: 'a', odd: 'r', pick_i: 2 }],
  ])('%s', (_name, route, req, expected) => {
    expect(bind(route, req)).toEqual(expected);
  });

  it.each<[string, Route, Request, number, string, string]>([
    ['a Content-Type that is not JSON', { body: '*' }, { headers: { 'content-type': 'text/plain' }, body: '{}' }, 415, 'unsupported_media_type', 'text/plain'],
    ['form data', { body: 'sub' }, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 415, 'unsupported_media_type', 'application/x-www-form-urlencoded'],
    ['broken JSON', { body: '*' }, { body: '{"name":' }, 400, 'bad_json', 'invalid JSON body'],
    ['duplicate keys', { body: '*' }, { body: '{"name":"a","name":"b"}' }, 400, 'bad_json', 'name'],
    ['trailing data', { body: '*' }, { body: '{"name":"a"} x' }, 400, 'bad_json', 'invalid JSON body'],
    ['an array for body "*"', { body: '*' }, { body: '[1]' }, 400, 'bad_body', 'array'],
    ['a bad nested value', { body: '*' }, { body: '{"sub":{"b":"x"}}' }, 400, 'bad_body', 'sub.b'],
    ['a bad value for a body field', { body: 'i64' }, { body: '"abc"' }, 400, 'bad_body', 'i64'],
    ['unknown fields under strict_body', { body: '*', options: { strict_body: true } }, { body: '{"zzz":1}' }, 400, 'bad_body', 'zzz'],
    ['a body on a route without body mapping under strict_body', { options: { strict_body: true } }, { body: '{}' }, 400, 'unexpected_body', 'no request body'],
    [
      'a field given by both path and body under reject_binding_body_collisions',
      { body: '*', path: ['name'], options: { reject_binding_body_collisions: true } },
      { bindings: [['name', 'p']], body: '{"name":"b"}' },
      400,
      'bad_parameter',
      'name',
    ],
  ])('%s', (_name, route, req, status, id, named) => {
    const err = proxyErrorOf(() => bind(route, req));
    expect(err.httpStatus).toBe(status);
    expect(err.code).toBe(3);
    expect(err.id).toBe(id);
    expect(err.message).toContain(named);
  });

  it('a bad body value carries a BadRequest detail with the field path', () => {
    const err = proxyErrorOf(() => bind({ body: '*' }, { body: '{"sub":{"b":"x"}}' }));
    expect(err.details[0]).toMatchObject({ fieldViolations: [{ field: 'sub.b' }] });
  });

  it('reject_binding_body_collisions allows a body that does not set the path field', () => {
    const route: Route = { body: '*', path: ['name'], options: { reject_binding_body_collisions: true } };
    expect(bind(route, { bindings: [['name', 'p']], body: '{"s":"b"}' })).toEqual({ name: 'p', s: 'b' });
  });

  it('refuses at compile time a body field that names no field', () => {
    expect(() => compileRequestBinder(specOf({ body: 'nope' }))).toThrow(/nope/);
  });
});

describe('raw bodies and google.api.HttpBody', () => {
  const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);

  it.each<[string, Route, Request, unknown]>([
    ['raw_field takes application/octet-stream', { body: '*', raw: 'raw' }, { headers: OCTETS, body: bytes }, { raw: bytes.toString('base64') }],
    ['raw_field with media type parameters', { body: '*', raw: 'raw' }, { headers: { 'content-type': 'application/octet-stream; x=y' }, body: bytes }, { raw: bytes.toString('base64') }],
    ['raw_field still accepts JSON', { body: '*', raw: 'raw' }, { body: '{"name":"j","raw":"AQ=="}' }, { name: 'j', raw: 'AQ==' }],
    ['raw_field on a route without body field', { raw: 'raw' }, { headers: OCTETS, body: bytes }, { raw: bytes.toString('base64') }],
    [
      'custom raw_content_types (case-insensitive)',
      { body: '*', raw: 'raw', rawTypes: ['image/png', 'image/jpeg'] },
      { headers: { 'content-type': 'IMAGE/PNG' }, body: bytes },
      { raw: bytes.toString('base64') },
    ],
    [
      'path values bind beside a raw body',
      { body: '*', raw: 'raw', path: ['name'] },
      { bindings: [['name', 'n']], headers: OCTETS, body: bytes },
      { name: 'n', raw: bytes.toString('base64') },
    ],
    [
      'an HttpBody field takes any content type raw',
      { body: 'upload' },
      { headers: { 'content-type': 'text/csv; charset=utf-8' }, body: 'a,b' },
      { upload: { content_type: 'text/csv; charset=utf-8', data: Buffer.from('a,b').toString('base64') } },
    ],
    [
      'an HttpBody field takes JSON raw too',
      { body: 'upload' },
      { headers: JSON_CT, body: '{"a":1}' },
      { upload: { content_type: 'application/json', data: Buffer.from('{"a":1}').toString('base64') } },
    ],
    [
      'an HttpBody request with body "*"',
      { type: HttpBody, body: '*' },
      { headers: { 'content-type': 'image/png' }, body: bytes },
      { content_type: 'image/png', data: bytes.toString('base64') },
    ],
  ])('%s', (_name, route, req, expected) => {
    expect(bind(route, req)).toEqual(expected);
  });

  it('other content types are a 415 naming the accepted ones', () => {
    const err = proxyErrorOf(() => bind({ body: '*', raw: 'raw', rawTypes: ['image/png'] }, { headers: OCTETS, body: bytes }));
    expect(err.httpStatus).toBe(415);
    expect(err.code).toBe(3);
    expect(err.message).toContain('application/octet-stream');
    expect(err.message).toContain('image/png');
  });

  it('a raw_field that is an HttpBody field takes the raw body', () => {
    expect(bind({ body: '*', raw: 'upload' }, { headers: OCTETS, body: bytes })).toEqual({
      upload: { content_type: 'application/octet-stream', data: bytes.toString('base64') },
    });
  });

  it('refuses at compile time a raw_field that is not bytes (or HttpBody)', () => {
    expect(() => compileRequestBinder(specOf({ raw: 's' }))).toThrow();
  });
});

describe('PATCH field-mask inference', () => {
  const route: Route = { body: '*', options: { patch_infers_field_mask: 'mask' } };

  function maskOf(r: Route, req: Request): string[] | undefined {
    const message = compileRequestBinder(specOf(r))(partsOf(req));
    const decoded = Req.decode(Req.encode(message).finish()) as unknown as { mask?: { paths: string[] } };
    return decoded.mask?.paths;
  }

  it.each<[string, string, string[]]>([
    ['top-level keys by proto or JSON name', '{"name":"x","displayName":"d"}', ['name', 'display_name']],
    ['nested messages down to their leaves', '{"sub":{"a":"y","child":{"b":1}}}', ['sub.a', 'sub.child.b']],
    ['repeated, map and well-known fields as a whole', '{"tags":["a"],"labels":{"k":"v"},"ts":"2020-01-01T00:00:00Z","st":{"x":1}}', ['tags', 'labels', 'ts', 'st']],
    ['an empty nested object', '{"book":{}}', []],
  ])('%s', (_name, body, paths) => {
    expect(maskOf(route, { method: 'PATCH', body })).toEqual(paths);
  });

  it('paths are relative to the body field', () => {
    expect(maskOf({ body: 'sub', options: { patch_infers_field_mask: 'mask' } }, { method: 'PATCH', body: '{"a":"x","child":{"a":"z"}}' })).toEqual([
      'a',
      'child.a',
    ]);
  });

  it('only on PATCH', () => {
    expect(maskOf(route, { method: 'PUT', body: '{"name":"x"}' })).toBeUndefined();
  });

  it('not without the option', () => {
    expect(maskOf({ body: '*' }, { method: 'PATCH', body: '{"name":"x"}' })).toBeUndefined();
  });

  it('not when the client sent a mask in the query', () => {
    expect(maskOf({ body: 'sub', options: { patch_infers_field_mask: 'mask' } }, { method: 'PATCH', query: 'mask=b', body: '{"a":"x"}' })).toEqual(['b']);
  });

  it('not when the client sent a mask in the body', () => {
    expect(maskOf(route, { method: 'PATCH', body: '{"name":"x","mask":"s"}' })).toEqual(['s']);
  });

  it('an unknown body key is a 400 naming it', () => {
    const err = proxyErrorOf(() => maskOf(route, { method: 'PATCH', body: '{"name":"x","zzz":1}' }));
    expect(err.httpStatus).toBe(400);
    expect(err.message).toContain('zzz');
  });

  it('refuses at compile time a mask field that names no field', () => {
    expect(() => compileRequestBinder(specOf({ body: '*', options: { patch_infers_field_mask: 'nope' } }))).toThrow(/nope/);
  });
});

describe('client-stream bodies', () => {
  const route: Route = { body: '*', path: ['parent'] };

  it.each<[string, Request, unknown[]]>([
    ['a JSON array', { body: '[{"name":"a"},{"name":"b"}]' }, [{ name: 'a' }, { name: 'b' }]],
    ['NDJSON', { headers: { 'content-type': 'application/x-ndjson' }, body: '{"name":"a"}\n{"name":"b"}\n' }, [{ name: 'a' }, { name: 'b' }]],
    ['NDJSON without Content-Type', { headers: {}, body: '{"name":"a"}\n{"name":"b"}' }, [{ name: 'a' }, { name: 'b' }]],
    ['a single object', { body: '{"name":"a"}' }, [{ name: 'a' }]],
    ['an empty array', { body: '[]' }, []],
    ['an empty body', { body: '' }, []],
  ])('%s', (_name, req, expected) => {
    expect(bindStream({ body: '*' }, req)).toEqual(expected);
  });

  it('binds path and query values into every message, over the body', () => {
    expect(
      bindStream(route, { bindings: [['parent', 'p']], query: 'i32=4', body: '[{"name":"a"},{"name":"b","parent":"body"}]' }),
    ).toEqual([
      { name: 'a', parent: 'p', i32: 4 },
      { name: 'b', parent: 'p', i32: 4 },
    ]);
  });

  it('a nested path value merges into each message', () => {
    expect(bindStream({ body: '*', path: ['sub.a'] }, { bindings: [['sub.a', 'p']], body: '[{"sub":{"b":1}}]' })).toEqual([
      { sub: { a: 'p', b: 1 } },
    ]);
  });

  it.each<[string, Route, Request, number, string, string]>([
    ['a Content-Type that is not JSON', { body: '*' }, { headers: { 'content-type': 'text/plain' }, body: '{}' }, 415, 'unsupported_media_type', 'application/x-ndjson'],
    ['broken JSON', { body: '*' }, { body: '[{"name":"a"},' }, 400, 'bad_json', 'invalid JSON body'],
    ['a bad value names the element', { body: '*' }, { body: '[{"name":"a"},{"i32":"x"}]' }, 400, 'bad_body', '[1].i32'],
    ['unknown fields under strict_body', { body: '*', options: { strict_body: true } }, { body: '[{"zzz":1}]' }, 400, 'bad_body', '[0].zzz'],
    [
      'a missing required query parameter',
      { body: '*', params: [{ source: 'QUERY', name: 'n', field: 'name', required: true }] },
      { body: '[{}]' },
      400,
      'missing_parameter',
      '"n"',
    ],
  ])('%s', (_name, r, req, status, id, named) => {
    const err = proxyErrorOf(() => bindStream(r, req));
    expect(err.httpStatus).toBe(status);
    expect(err.id).toBe(id);
    expect(err.message).toContain(named);
  });
});

describe('json_content_types', () => {
  const registryTypes: MappingOptions = {
    json_content_types: ['application/vnd.example.v1+json', 'application/vnd.example+json', 'application/json', 'application/octet-stream'],
  };

  it.each([
    'application/vnd.example.v1+json',
    'application/vnd.example+json; charset=utf-8',
    'Application/JSON',
    'application/octet-stream',
  ])('parses a %s body as JSON', (contentType) => {
    expect(bind({ body: '*', options: registryTypes }, { headers: { 'content-type': contentType }, body: '{"name":"n"}' })).toEqual({ name: 'n' });
  });

  it('refuses any other type with a 415 listing the accepted ones, even another +json type', () => {
    const err = proxyErrorOf(() =>
      bind({ body: '*', options: registryTypes }, { headers: { 'content-type': 'application/problem+json' }, body: '{}' }),
    );
    expect(err.id).toBe('unsupported_media_type');
    expect(err.httpStatus).toBe(415);
    expect(err.message).toBe(
      'unsupported Content-Type "application/problem+json"; send application/vnd.example.v1+json, application/vnd.example+json, application/json, application/octet-stream',
    );
  });

  it('a raw_field still takes its raw content types first', () => {
    const route: Route = { body: '*', raw: 'raw', options: { json_content_types: ['application/octet-stream'] } };
    expect(bind(route, { headers: OCTETS, body: 'bytes' })).toEqual({ raw: Buffer.from('bytes').toString('base64') });
  });

  it('a Content-Type on a request without a body is never checked', () => {
    expect(bind({ body: '*', options: registryTypes }, { headers: { 'content-type': 'text/html' } })).toEqual({});
  });

  it('applies to client-streaming bodies', () => {
    const route: Route = { options: { json_content_types: ['application/octet-stream'] } };
    expect(bindStream(route, { headers: OCTETS, body: '{"name":"a"}\n{"name":"b"}' })).toEqual([{ name: 'a' }, { name: 'b' }]);
    const err = proxyErrorOf(() => bindStream(route, { headers: JSON_CT, body: '{}' }));
    expect(err.message).toBe('unsupported Content-Type "application/json"; send application/octet-stream or application/x-ndjson');
  });
});

describe('lenient_booleans', () => {
  const lenient: MappingOptions = { lenient_booleans: true };

  it.each<[string, boolean]>([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['false', false],
    ['1', false],
    ['yes', false],
    ['', false],
    [' true', false],
  ])('?flag=%j is %s', (value, expected) => {
    expect(bind({ options: lenient }, { query: `flag=${encodeURIComponent(value)}` })).toEqual(expected ? { flag: true } : {});
  });

  it('applies to explicit query, header and path parameters too', () => {
    const route: Route = {
      path: ['flag'],
      options: lenient,
    };
    expect(bind(route, { bindings: [['flag', 'TrUe']] })).toEqual({ flag: true });
    const header: Route = { params: [{ source: 'HEADER', name: 'x-flag', field: 'flag' }], options: lenient };
    expect(bind(header, { headers: { 'x-flag': 'nope' } })).toEqual({});
    const query: Route = { body: '*', params: [{ source: 'QUERY', name: 'f', field: 'flag' }], options: lenient };
    expect(bind(query, { query: 'f=True', headers: JSON_CT, body: '{"name":"x"}' })).toEqual({ name: 'x', flag: true });
  });

  it('is off by default: other spellings are a 400', () => {
    expect(bind({}, { query: 'flag=1' })).toEqual({ flag: true });
    expect(proxyErrorOf(() => bind({}, { query: 'flag=True' })).httpStatus).toBe(400);
  });

  it('leaves non-bool fields alone', () => {
    expect(proxyErrorOf(() => bind({ options: lenient }, { query: 'i32=true' })).id).toBe('bad_parameter');
  });
});

describe('a required body', () => {
  it.each<[string, Request]>([
    ['no body at all', {}],
    ['an empty body', { body: '' }],
  ])('%s is a missing_body error', (_name, req) => {
    const err = proxyErrorOf(() => bind({ body: '*', required: true }, req));
    expect(err.id).toBe('missing_body');
    expect(err.httpStatus).toBe(400);
  });

  it('a body is bound as usual, even {}', () => {
    expect(bind({ body: '*', required: true }, { body: '{}' })).toEqual({});
    expect(bind({ body: '*', required: true }, { body: '{"name":"n"}' })).toEqual({ name: 'n' });
  });

  it('client streaming: no body is a missing_body error', () => {
    expect(proxyErrorOf(() => bindStream({ required: true }, {})).id).toBe('missing_body');
    expect(bindStream({ required: true }, { body: '{"name":"a"}' })).toEqual([{ name: 'a' }]);
  });
});
