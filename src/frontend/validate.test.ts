import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_DIR } from '../protos/root.js';
import { FrontendCompileError } from './compile.js';
import type { Frontend, RouteMapping } from './model.js';
import { compileAndCheck, NAME_PATTERN, validateFrontend } from './validate.js';

const KEYVALUE_YAML = readFileSync(join(PROJECT_DIR, 'routes/keyvalue-rest.yaml'), 'utf8');
const VECTORS_PROTO = readFileSync(join(PROJECT_DIR, 'test/vectors/fixtures/vectors.proto'), 'utf8');
const CHAT_PROTO = `syntax = "proto3";
package chat.v1;
message Line { string text = 1; }
service Chat { rpc Talk(stream Line) returns (stream Line); }
`;

/** A fresh copy of routes/keyvalue-rest.yaml. */
function keyvalue(): Frontend {
  return parse(KEYVALUE_YAML) as Frontend;
}

/** A frontend over the vector schema (vec.v1.Vec is the default service). */
function vec(routes: RouteMapping[], rest: Partial<NonNullable<Frontend['rest']>> = {}): Frontend {
  return {
    name: 'vec',
    type: 'REST',
    rest: {
      protos: [
        { name: 'vectors.proto', content: VECTORS_PROTO },
        { name: 'chat.proto', content: CHAT_PROTO },
      ],
      default_service: 'vec.v1.Vec',
      routes,
      ...rest,
    },
  };
}

const get = (path_template: string, extra: Partial<RouteMapping> = {}): RouteMapping => ({
  method: 'GET',
  path_template,
  grpc: { method: 'Call' },
  ...extra,
});

function routeOf(f: Frontend, i: number): RouteMapping {
  return f.rest!.routes![i];
}

describe('validateFrontend on valid definitions', () => {
  it('accepts routes/keyvalue-rest.yaml', () => {
    expect(validateFrontend(keyvalue())).toEqual([]);
  });

  it.each<[string, Frontend]>([
    ['nested and well-known path variables', vec([get('/v/{sub.a}/{ts}')])],
    ['a QUERY parameter into a repeated field', vec([get('/v', { params: [{ source: 'QUERY', name: 't', field: 'tags' }] })])],
    ['a BODY parameter into a message field', vec([get('/v', { method: 'POST', params: [{ source: 'BODY', name: 's', field: 'sub' }] })])],
    ['a CONSTANT enum by name', vec([get('/v', { params: [{ source: 'CONSTANT', field: 'color', default: 'RED' }] })])],
    ['an HttpRule with a custom verb', vec([{ grpc: { method: 'Call' }, http_rule: { custom: { kind: 'REPORT', path: '/v' } } }])],
  ])('accepts %s', (_name, frontend) => {
    expect(validateFrontend(frontend)).toEqual([]);
  });
});

describe('validateFrontend on broken definitions', () => {
  it.each<[string, (f: Frontend) => void, string[]]>([
    ['an empty name', (f) => (f.name = ''), ['name: required']],
    ['a name with upper case and spaces', (f) => (f.name = 'Bad Name'), [`name: 'Bad Name' must match ${NAME_PATTERN.source}`]],
    ['a GRAPHQL type', (f) => (f.type = 'GRAPHQL'), ['type: GRAPHQL frontends are not supported yet; use REST']],
    ['no type', (f) => delete f.type, ['type: FRONTEND_TYPE_UNSPECIFIED frontends are not supported yet; use REST']],
    ['no rest config', (f) => delete f.rest, ['rest: required for a REST frontend']],
    ['no routes', (f) => (f.rest!.routes = []), ['rest.routes: a REST frontend needs at least one route']],
    ['a schema problem first', (f) => ((f.rest as Record<string, unknown>).rutes = []), ['rest.rutes: unknown field']],
    [
      'an unknown service',
      (f) => (routeOf(f, 4).grpc!.service = 'nope.v1.Svc'),
      ["rest.routes[4].grpc.service: no service 'nope.v1.Svc' in the loaded protos"],
    ],
    [
      'an unknown method',
      (f) => (routeOf(f, 1).grpc!.method = 'Fetch'),
      ["rest.routes[1].grpc.method: no method 'Fetch' in service prism.interfaces.keyvalue.KeyValueBasicInterface"],
    ],
    ['no grpc method', (f) => delete routeOf(f, 1).grpc!.method, ['rest.routes[1].grpc.method: required']],
    ['no method', (f) => delete routeOf(f, 1).method, ['rest.routes[1].method: required']],
    ['no path_template', (f) => delete routeOf(f, 1).path_template, ['rest.routes[1].path_template: required']],
    [
      'both http_rule and method + path_template',
      (f) => (routeOf(f, 1).http_rule = { get: '/x/{key}' }),
      ['rest.routes[1]: give either http_rule or method + path_template, not both'],
    ],
    [
      'an HttpRule with two verbs',
      (f) => (f.rest!.routes![1] = { grpc: { method: 'Get' }, http_rule: { get: '/x/{key}', put: '/y/{key}' } }),
      ['rest.routes[1].http_rule: only one member of a oneof may be set'],
    ],
    [
      'an HttpRule with no verb',
      (f) => (f.rest!.routes![1] = { grpc: { method: 'Get' }, http_rule: { body: '*' } }),
      ['rest.routes[1].http_rule: an HttpRule needs exactly one of get, put, post, delete, patch or custom (found 0)'],
    ],
    [
      'a custom HttpRule without kind',
      (f) => (f.rest!.routes![1] = { grpc: { method: 'Get' }, http_rule: { custom: { path: '/x/{key}' } } }),
      ['rest.routes[1].http_rule.custom.kind: required'],
    ],
    [
      'a custom HttpRule whose method Node cannot receive',
      (f) => (f.rest!.routes![1] = { grpc: { method: 'Get' }, http_rule: { custom: { kind: 'LIST', path: '/x/{key}' } } }),
      [expect.stringMatching(/^rest\.routes\[1\]\.http_rule\.custom\.kind: 'LIST' is not an HTTP method the proxy can receive \(one of ACL, .*GET/)],
    ],
    [
      'a route method Node cannot receive',
      (f) => (f.rest!.routes![1] = { ...f.rest!.routes![1], method: 'FETCH' }),
      [expect.stringMatching(/^rest\.routes\[1\]\.method: 'FETCH' is not an HTTP method the proxy can receive/)],
    ],
    [
      'nested additional_bindings',
      (f) =>
        (f.rest!.routes![1] = {
          grpc: { method: 'Get' },
          http_rule: { get: '/x/{key}', additional_bindings: [{ get: '/y/{key}', additional_bindings: [{ get: '/z/{key}' }] }] },
        }),
      ['rest.routes[1].http_rule.additional_bindings[0].additional_bindings: additional bindings cannot be nested'],
    ],
    [
      "a template with '**' before the end",
      (f) => (routeOf(f, 3).path_template = '/{key=**}/x'),
      [`rest.routes[3]: invalid path template "/kv/{key=**}/x": '**' must be the last segment at offset 13`],
    ],
    [
      'a template without a leading slash',
      (f) => (routeOf(f, 3).path_template = 'key'),
      [`rest.routes[3]: invalid path template "key": must start with '/' at offset 0`],
    ],
    [
      'a PATH parameter naming no template variable',
      (f) => (routeOf(f, 1).params = [{ source: 'PATH', name: 'id', field: 'key' }]),
      ["rest.routes[1].params[0].name: the path template has no variable '{id}'"],
    ],
    [
      'a parameter without source',
      (f) => (routeOf(f, 1).params = [{ name: 'x', field: 'key' }]),
      ['rest.routes[1].params[0].source: required (PATH, QUERY, HEADER, BODY or CONSTANT)'],
    ],
    [
      'a QUERY parameter into a message field',
      (f) => (routeOf(f, 0).params = [{ source: 'QUERY', name: 'tags' }]),
      ["rest.routes[0].params[0].field: 'tags' is a message field and cannot take a QUERY parameter"],
    ],
    [
      'a QUERY parameter into a map field',
      (f) => (routeOf(f, 0).params = [{ source: 'QUERY', name: 't', field: 'tags.tags' }]),
      ["rest.routes[0].params[0].field: 'tags.tags' is a map field and cannot take a QUERY parameter"],
    ],
    [
      'a bad default value',
      (f) => (routeOf(f, 4).params![0].default = 'abc'),
      ['rest.routes[4].params[0].default: invalid value for "seconds": expected int64, got "abc" (not a number)'],
    ],
    [
      'a bad constant value',
      (f) => routeOf(f, 4).params!.push({ source: 'CONSTANT', field: 'ttl_seconds', default: 'ten' }),
      ['rest.routes[4].params[1].default: invalid value for "ttl_seconds": expected int64, got "ten" (not a number)'],
    ],
    ['a zero route timeout', (f) => (routeOf(f, 1).timeout = '0s'), ["rest.routes[1].timeout: '0s' must be positive"]],
    ['a negative route timeout', (f) => (routeOf(f, 1).timeout = '-1.5s'), ["rest.routes[1].timeout: '-1.5s' must be positive"]],
    [
      'an unknown error code name in status_rules',
      (f) => (routeOf(f, 1).response!.status_rules![0].error_code = 'MISSING'),
      ["rest.routes[1].response: unknown gRPC code name 'MISSING'"],
    ],
    [
      'a status rule on an unknown field',
      (f) => (routeOf(f, 1).response!.status_rules![0].field = 'fund'),
      ["rest.routes[1].response: no field 'fund' in prism.interfaces.keyvalue.GetResponse"],
    ],
    ['omitting an unknown field', (f) => (routeOf(f, 1).response!.omit = ['nope']), [
      "rest.routes[1].response: no field 'nope' in prism.interfaces.keyvalue.GetResponse",
    ]],
    [
      'an unknown error code name in a route error_mapping',
      (f) => (routeOf(f, 1).error_mapping = { status: { NOPE: 404 } }),
      ["rest.routes[1].error_mapping: status: unknown gRPC code name 'NOPE'"],
    ],
    [
      'an unknown filter in the default error mapping',
      (f) => (f.rest!.default_error_mapping = { body: { a: '${code|nope}' } }),
      ["rest.default_error_mapping: unknown filter 'nope'"],
    ],
  ])('%s', (_name, breakIt, expected) => {
    const f = keyvalue();
    breakIt(f);
    expect(validateFrontend(f)).toEqual(expected);
  });

  it.each<[string, Frontend, string[]]>([
    ['a path variable bound to a repeated field', vec([get('/v/{tags}')]), ["rest.routes[0]: path variable '{tags}' binds a repeated field"]],
    ['a path variable bound to a map field', vec([get('/v/{labels}')]), ["rest.routes[0]: path variable '{labels}' binds a map field"]],
    ['a path variable bound to a message field', vec([get('/v/{sub}')]), ["rest.routes[0]: path variable '{sub}' binds a message field"]],
    [
      'a HEADER parameter into a repeated field',
      vec([get('/v', { params: [{ source: 'HEADER', name: 'x-tags', field: 'tags' }] })]),
      ["rest.routes[0].params[0].field: 'tags' is a repeated field and cannot take a HEADER parameter"],
    ],
    [
      'a CONSTANT that is no value of its enum',
      vec([get('/v', { params: [{ source: 'CONSTANT', field: 'color', default: 'PURPLE' }] })]),
      ['rest.routes[0].params[0].default: invalid value for "color": expected vec.v1.Color, got "PURPLE" (not a value of vec.v1.Color)'],
    ],
    [
      'a bidirectional streaming method',
      vec([{ method: 'POST', path_template: '/chat', grpc: { service: 'chat.v1.Chat', method: 'Talk' } }]),
      ['rest.routes[0].grpc.method: bidirectional streaming cannot be served over REST'],
    ],
    [
      'a raw_field response of a message field',
      vec([get('/v', { response: { raw_field: 'book' } })]),
      ["rest.routes[0].response: raw_field 'book' must be a singular string or bytes field"],
    ],
    [
      'an annotated service without annotations',
      vec([], { annotated_services: ['vec.v1.Vec'] }),
      [
        "rest.annotated_services[0]: service 'vec.v1.Vec' has no google.api.http annotations",
        'rest.routes: a REST frontend needs at least one route',
      ],
    ],
    [
      'a proto source with a missing import',
      vec([get('/v')], { protos: [{ name: 'a.proto', content: 'syntax = "proto3";\nimport "missing.proto";\n' }] }),
      ["rest.protos: a.proto: import 'missing.proto' not found"],
    ],
  ])('%s', (_name, frontend, expected) => {
    expect(validateFrontend(frontend)).toEqual(expected);
  });

  it('lists every problem of a definition at once', () => {
    const f = keyvalue();
    routeOf(f, 1).grpc!.method = 'Fetch';
    routeOf(f, 3).path_template = 'key';
    routeOf(f, 5).timeout = '0s';
    expect(validateFrontend(f)).toEqual([
      "rest.routes[1].grpc.method: no method 'Fetch' in service prism.interfaces.keyvalue.KeyValueBasicInterface",
      `rest.routes[3]: invalid path template "key": must start with '/' at offset 0`,
      "rest.routes[5].timeout: '0s' must be positive",
    ]);
  });
});

describe('validateFrontend: one problem, reported once at its path', () => {
  it('an unknown parameter field (kee)', () => {
    const f = keyvalue();
    routeOf(f, 4).params![0].field = 'kee';
    expect(validateFrontend(f)).toEqual(["rest.routes[4].params[0].field: no field 'kee' in prism.interfaces.keyvalue.ExpireRequest"]);
  });

  it('an unknown HttpRule body field', () => {
    const problems = validateFrontend(vec([{ grpc: { method: 'Call' }, http_rule: { post: '/v', body: 'nope' } }]));
    expect(problems).toEqual(["rest.routes[0].http_rule.body: no field 'nope' in vec.v1.Req"]);
  });

  it('a path variable naming no field', () => {
    const problems = validateFrontend(vec([get('/v/{nme}')]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rest\.routes\[0\]: path variable '\{nme\}'.*no field 'nme' in vec\.v1\.Req$/);
  });

  it('a bad default_timeout is reported at rest.default_timeout', () => {
    const f = keyvalue();
    f.rest!.default_timeout = '-1s';
    expect(validateFrontend(f)).toEqual(["rest.default_timeout: '-1s' must be positive"]);
  });

  it('a bad max_timeout is reported at rest.max_timeout', () => {
    expect(validateFrontend(vec([get('/v')], { max_timeout: '0s' }))).toEqual(["rest.max_timeout: '0s' must be positive"]);
  });

  it('a bad base_path is reported once, at rest.base_path', () => {
    const f = keyvalue();
    f.rest!.base_path = '/{x}';
    const problems = validateFrontend(f);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rest\.base_path: /);
  });

  it('an unknown HttpRule response_body is reported at the http_rule', () => {
    const problems = validateFrontend(vec([{ grpc: { method: 'Call' }, http_rule: { get: '/v', response_body: 'nope' } }]));
    expect(problems).toEqual(["rest.routes[0].http_rule.response_body: no field 'nope' in vec.v1.Resp"]);
  });
});

describe('validateFrontend: the route set as a whole (router)', () => {
  it('refuses a duplicate route, naming both by their paths', () => {
    const f = keyvalue();
    f.rest!.routes!.push({ ...routeOf(f, 1), operation_id: 'again' });
    const problems = validateFrontend(f);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rest\.routes\[6\]: GET \/kv\/\{key=\*\*\} duplicates .*rest\.routes\[1\]/);
  });

  it('refuses two routes of the same shape whatever their variable names', () => {
    const f = keyvalue();
    f.rest!.routes!.push({
      method: 'GET',
      path_template: '/{name=**}',
      grpc: { method: 'Get' },
      params: [{ source: 'PATH', name: 'name', field: 'key' }],
    });
    const problems = validateFrontend(f);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('GET /kv/{name=**} duplicates');
    expect(problems[0]).toContain('rest.routes[1]');
  });

  it('refuses an additional binding that duplicates its main binding', () => {
    const problems = validateFrontend(vec([{ grpc: { method: 'Call' }, http_rule: { get: '/v/{name}', additional_bindings: [{ get: '/v/{parent}' }] } }]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rest\.routes\[0\]\.http_rule\.additional_bindings\[0\]: GET \/v\/\{parent\} duplicates/);
  });

  it('refuses a method token the proxy cannot receive', () => {
    const f = keyvalue();
    routeOf(f, 1).method = 'GE T';
    expect(validateFrontend(f)).toEqual([expect.stringMatching(/^rest\.routes\[1\]\.method: 'GE T' is not an HTTP method the proxy can receive/)]);
  });

  it('accepts the same template under different methods', () => {
    const f = keyvalue();
    f.rest!.routes!.push({ method: 'PATCH', path_template: '/{key=**}', grpc: { method: 'Set' }, body: { field: '*' } });
    expect(validateFrontend(f)).toEqual([]);
  });
});

describe('compileAndCheck', () => {
  it('compiles a valid frontend', () => {
    expect(compileAndCheck(keyvalue()).routes).toHaveLength(6);
  });

  it('throws FrontendCompileError listing the route-set problems', () => {
    const f = keyvalue();
    f.rest!.routes!.push({ ...routeOf(f, 1) });
    let error: unknown;
    try {
      compileAndCheck(f);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrontendCompileError);
    expect((error as FrontendCompileError).frontend).toBe('keyvalue-rest');
    expect((error as FrontendCompileError).problems).toHaveLength(1);
    expect((error as FrontendCompileError).problems[0]).toContain('duplicates');
  });
});
