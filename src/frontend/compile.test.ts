import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { proxyErrors } from '../errors/catalogue.js';
import { messageToJson } from '../mapping/proto-json.js';
import { buildRoot, PROJECT_DIR } from '../protos/root.js';
import { compileFrontend, durationMs, FrontendCompileError, type CompiledRoute } from './compile.js';
import type { Frontend, RouteMapping } from './model.js';

const KEYVALUE_YAML = readFileSync(join(PROJECT_DIR, 'routes/keyvalue-rest.yaml'), 'utf8');
const VECTORS_PROTO = readFileSync(join(PROJECT_DIR, 'test/vectors/fixtures/vectors.proto'), 'utf8');

const SHOP_PROTO = `syntax = "proto3";
package shop.v1;
import "google/api/annotations.proto";

message Item { string name = 1; int64 count = 2; repeated string tags = 3; }
message GetItemRequest { string name = 1; }

service Shop {
  rpc CreateItem(Item) returns (Item) {
    option (google.api.http) = {
      post: "/v1/items"
      body: "*"
      additional_bindings { put: "/v1/items/{name}" body: "*" }
      additional_bindings { patch: "/v1/items/{name}" body: "count" }
    };
  }
  rpc GetItem(GetItemRequest) returns (Item) {
    option (google.api.http) = { get: "/v1/{name=items/*}" response_body: "tags" };
  }
  rpc WatchItem(GetItemRequest) returns (stream Item) {
    option (google.api.http) = { get: "/v1/{name=items/*}:watch" };
  }
  rpc Unannotated(GetItemRequest) returns (Item);
}

service Plain {
  rpc Ping(GetItemRequest) returns (Item);
}
`;

function keyvalue(): Frontend {
  return parse(KEYVALUE_YAML) as Frontend;
}

function vec(routes: RouteMapping[], rest: Partial<NonNullable<Frontend['rest']>> = {}): Frontend {
  return {
    name: 'vec',
    type: 'REST',
    rest: { protos: [{ name: 'vectors.proto', content: VECTORS_PROTO }], default_service: 'vec.v1.Vec', routes, ...rest },
  };
}

function shop(annotated: string[], protoText = SHOP_PROTO): Frontend {
  return { name: 'shop', type: 'REST', rest: { protos: [{ name: 'shop/shop.proto', content: protoText }], annotated_services: annotated } };
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof FrontendCompileError) return err.problems;
    throw err;
  }
  throw new Error('expected a FrontendCompileError');
}

/** Binds a request with a route's binder and renders what the backend would receive (proto names). */
function bound(route: CompiledRoute, parts: { bindings?: Array<[string, string]>; query?: string; body?: string; method?: string }): unknown {
  const message = route.bind({
    method: parts.method ?? route.method,
    bindings: parts.bindings ?? [],
    rawQuery: parts.query ?? '',
    headers: parts.body !== undefined ? { 'content-type': 'application/json' } : {},
    body: parts.body !== undefined ? Buffer.from(parts.body) : undefined,
  });
  const type = route.requestType;
  return messageToJson(type, type.decode(type.encode(message).finish()), { useProtoNames: true });
}

describe('durationMs', () => {
  it.each([
    ['1s', 1000],
    ['1.5s', 1500],
    ['0.001s', 1],
    ['30s', 30_000],
    ['2.123456789s', 2123.456789],
    ['600.25s', 600_250],
    [' 3s ', 3000],
  ])('%j -> %i ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['10', '1m', '1.5', 's', '1.s', '1.0000000001s', '1e3s', ''])('refuses %j as not a duration', (text) => {
    expect(() => durationMs(text)).toThrow(/is not a duration/);
  });

  it.each(['0s', '-1s', '-0.5s', '0.000s'])('refuses %j as not positive', (text) => {
    expect(() => durationMs(text)).toThrow(/must be positive/);
  });

  it('does not refuse a positive duration below one millisecond as "not positive"', () => {
    expect(durationMs('0.0005s')).toBeGreaterThan(0);
  });
});

describe('compileFrontend: routes/keyvalue-rest.yaml', () => {
  const compiled = compileFrontend(keyvalue());

  it('compiles one route per route mapping, in order', () => {
    expect(compiled.name).toBe('keyvalue-rest');
    expect(compiled.routes.map((r) => [r.operationId, r.method, r.template.source, r.grpcPath])).toEqual([
      ['setKey', 'PUT', '/kv/{key=**}', '/prism.interfaces.keyvalue.KeyValueBasicInterface/Set'],
      ['getKey', 'GET', '/kv/{key=**}', '/prism.interfaces.keyvalue.KeyValueBasicInterface/Get'],
      ['keyExists', 'HEAD', '/kv/{key=**}', '/prism.interfaces.keyvalue.KeyValueBasicInterface/Exists'],
      ['deleteKey', 'DELETE', '/kv/{key=**}', '/prism.interfaces.keyvalue.KeyValueBasicInterface/Delete'],
      ['expireKey', 'POST', '/kv/{key=**}:expire', '/prism.interfaces.keyvalue.KeyValueTTLInterface/Expire'],
      ['getKeyTtl', 'GET', '/kv/{key=**}:ttl', '/prism.interfaces.keyvalue.KeyValueTTLInterface/GetTTL'],
    ]);
  });

  it('labels routes by frontend and definition path', () => {
    expect(compiled.routes.map((r) => r.label)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `keyvalue-rest rest.routes[${i}]`));
    expect(compiled.routes.map((r) => r.definitionPath)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `rest.routes[${i}]`));
  });

  it('resolves request and response types and the call kind', () => {
    const expire = compiled.routes[4];
    expect(expire.requestType.fullName).toBe('.prism.interfaces.keyvalue.ExpireRequest');
    expect(expire.responseType.fullName).toBe('.prism.interfaces.keyvalue.ExpireResponse');
    expect(compiled.routes.every((r) => r.callKind === 'unary' && r.bindStream === undefined)).toBe(true);
  });

  it('uses the default timeouts (30 s, at most 600 s)', () => {
    expect(compiled.routes.every((r) => r.timeoutMs === 30_000 && r.maxTimeoutMs === 600_000)).toBe(true);
  });

  it('applies the frontend options to every route', () => {
    expect(compiled.routes.every((r) => r.options.unescape === 'ALL_CHARACTERS' && r.options.strictQuery)).toBe(true);
  });

  it('binds requests with the compiled binder (path + required query)', () => {
    const expire = compiled.routes[4];
    expect(bound(expire, { bindings: [['key', 'a/b']], query: 'seconds=60' })).toEqual({ key: 'a/b', ttl_seconds: '60' });
    expect(() => bound(expire, { bindings: [['key', 'a']] })).toThrow(/seconds/);
  });

  it('shapes replies with the compiled response mapping', () => {
    const getKey = compiled.routes[1];
    const reply = getKey.shape({ found: true, value: Buffer.from('hi'), error: '' });
    expect(reply).toMatchObject({ status: 200 });
    expect(JSON.parse((reply as { body: string }).body)).toEqual({ value: Buffer.from('hi').toString('base64') });
  });

  it('reuses a given Root and accepts a base path from the binding', () => {
    const root = buildRoot();
    const again = compileFrontend(keyvalue(), { root, basePath: '/v2/store' });
    expect(again.root).toBe(root);
    expect(again.routes.every((r) => r.root === root)).toBe(true);
    expect(again.routes[0].template.source).toBe('/v2/store/{key=**}');
  });
});

describe('compileFrontend: route options', () => {
  it('takes timeouts from the route, else rest.default_timeout, capped by rest.max_timeout', () => {
    const f = vec([get('/a', { timeout: '1.5s' }), get('/b')], { default_timeout: '5s', max_timeout: '60s' });
    const { routes } = compileFrontend(f);
    expect(routes.map((r) => [r.timeoutMs, r.maxTimeoutMs])).toEqual([
      [1500, 60_000],
      [5000, 60_000],
    ]);
  });

  it("lets a route override one option of its frontend's set", () => {
    const f = vec([get('/a', { options: { strict_query: false } }), get('/b')], { options: { strict_query: true, strict_body: true } });
    const { routes } = compileFrontend(f);
    expect(routes.map((r) => [r.options.strictQuery, r.options.strictBody])).toEqual([
      [false, true],
      [true, true],
    ]);
  });

  it('defaults operation ids to the method name', () => {
    const { routes } = compileFrontend(vec([get('/a'), get('/b', { operation_id: 'named' })]));
    expect(routes.map((r) => r.operationId)).toEqual(['Call', 'named']);
  });

  it('renders errors with the route error_mapping, else the default one', () => {
    const f = vec([get('/a', { error_mapping: { status: { NOT_FOUND: 410 } } }), get('/b')], {
      default_error_mapping: { body: { msg: '${message}' } },
    });
    const compiled = compileFrontend(f);
    const err = proxyErrors.routeNotFound('GET', '/x');
    expect(compiled.routes[0].shapeError(err).status).toBe(410);
    expect(JSON.parse(compiled.routes[1].shapeError(err).body)).toEqual({ msg: 'no route for GET /x' });
    expect(JSON.parse(compiled.shapeError(err).body)).toEqual({ msg: 'no route for GET /x' });
  });
});

describe('compileFrontend: HttpRule bindings and call kinds', () => {
  it('compiles every additional binding as a route of its own', () => {
    const f = vec([
      {
        operation_id: 'getThing',
        grpc: { method: 'Call' },
        http_rule: {
          get: '/v1/{name}',
          response_body: 'next',
          additional_bindings: [{ post: '/v1/{name}:fetch', body: '*' }, { custom: { kind: 'search', path: '/v1/things' } }],
        },
      },
    ]);
    const { routes } = compileFrontend(f, { basePath: '/api' });
    expect(routes.map((r) => [r.label, r.operationId, r.method, r.template.source])).toEqual([
      ['vec rest.routes[0].http_rule', 'getThing', 'GET', '/api/v1/{name}'],
      ['vec rest.routes[0].http_rule.additional_bindings[0]', 'getThing', 'POST', '/api/v1/{name}:fetch'],
      ['vec rest.routes[0].http_rule.additional_bindings[1]', 'getThing', 'SEARCH', '/api/v1/things'],
    ]);
    // response_body belongs to the binding that declares it.
    const decoded = { next: 'n', book: { title: 't' } };
    expect((routes[0].shape(decoded) as { body: string }).body).toBe('"n"');
    expect(JSON.parse((routes[1].shape(decoded) as { body: string }).body)).toEqual(decoded);
    // body belongs to the binding that declares it.
    expect(bound(routes[1], { bindings: [['name', 'x']], body: '{"s":"from body"}' })).toEqual({ name: 'x', s: 'from body' });
  });

  it.each([
    ['Call', 'unary'],
    ['ServerStream', 'server-stream'],
    ['ClientStream', 'client-stream'],
  ])('%s is a %s call', (method, kind) => {
    const { routes } = compileFrontend(vec([{ method: 'POST', path_template: '/x', grpc: { method }, body: { field: '*' } }]));
    expect(routes[0].callKind).toBe(kind);
    expect(routes[0].grpcPath).toBe(`/vec.v1.Vec/${method}`);
    expect(routes[0].bindStream !== undefined).toBe(kind === 'client-stream');
  });

  it('binds a client stream body as one message per element', () => {
    const { routes } = compileFrontend(vec([{ method: 'POST', path_template: '/x/{name}', grpc: { method: 'ClientStream' }, body: { field: '*' } }]));
    const body = '[{"s":"a"},{"s":"b"}]';
    const binding = routes[0].bindStream!({
      method: 'POST',
      bindings: [['name', 'n']],
      rawQuery: '',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      body: undefined,
    });
    const messages = [...binding.push(Buffer.from(body)), ...binding.end()];
    expect(messages.map((m) => [m.name, m.s])).toEqual([
      ['n', 'a'],
      ['n', 'b'],
    ]);
  });
});

describe('compileFrontend: annotated_services', () => {
  it('turns google.api.http annotations into routes', () => {
    const { routes } = compileFrontend(shop(['shop.v1.Shop']));
    expect(routes.map((r) => [r.operationId, r.method, r.template.source, r.grpcPath, r.callKind])).toEqual([
      ['CreateItem', 'POST', '/v1/items', '/shop.v1.Shop/CreateItem', 'unary'],
      ['CreateItem', 'PUT', '/v1/items/{name}', '/shop.v1.Shop/CreateItem', 'unary'],
      ['CreateItem', 'PATCH', '/v1/items/{name}', '/shop.v1.Shop/CreateItem', 'unary'],
      ['GetItem', 'GET', '/v1/{name=items/*}', '/shop.v1.Shop/GetItem', 'unary'],
      ['WatchItem', 'GET', '/v1/{name=items/*}:watch', '/shop.v1.Shop/WatchItem', 'server-stream'],
    ]);
  });

  it('applies the annotation body and response_body', () => {
    const { routes } = compileFrontend(shop(['shop.v1.Shop']));
    expect(bound(routes[1], { bindings: [['name', 'n1']], body: '{"count":"3","tags":["a"]}' })).toEqual({
      name: 'n1',
      count: '3',
      tags: ['a'],
    });
    expect(bound(routes[2], { bindings: [['name', 'n1']], body: '7' })).toEqual({ name: 'n1', count: '7' });
    expect((routes[3].shape({ name: 'x', tags: ['a', 'b'] }) as { body: string }).body).toBe('["a","b"]');
  });

  it('accepts an annotation with a single additional binding', () => {
    const proto = `syntax = "proto3";
package one.v1;
import "google/api/annotations.proto";
message GetRequest { string name = 1; }
message Thing { string name = 1; }
service Things {
  rpc Get(GetRequest) returns (Thing) {
    option (google.api.http) = { get: "/v1/things/{name}" additional_bindings { get: "/v1/alias/{name}" } };
  }
}
`;
    const { routes } = compileFrontend(shop(['one.v1.Things'], proto));
    expect(routes.map((r) => [r.method, r.template.source])).toEqual([
      ['GET', '/v1/things/{name}'],
      ['GET', '/v1/alias/{name}'],
    ]);
  });

  it('adds annotated routes to declared ones', () => {
    const f = shop(['shop.v1.Shop']);
    f.rest!.routes = [{ method: 'GET', path_template: '/ping/{name}', grpc: { service: 'shop.v1.Plain', method: 'Ping' } }];
    const { routes } = compileFrontend(f);
    expect(routes).toHaveLength(6);
    expect(routes[0].grpcPath).toBe('/shop.v1.Plain/Ping');
  });

  it('refuses a service without annotations and an unknown service', () => {
    expect(problemsOf(() => compileFrontend(shop(['shop.v1.Plain'])))).toEqual([
      "rest.annotated_services[0]: service 'shop.v1.Plain' has no google.api.http annotations",
      'rest.routes: a REST frontend needs at least one route',
    ]);
    const problems = problemsOf(() => compileFrontend(shop(['shop.v1.Nope'])));
    expect(problems[0]).toMatch(/^rest\.annotated_services\[0\]: .*shop\.v1\.Nope/);
  });
});

describe('compileFrontend: refusals', () => {
  it('refuses a frontend without rest', () => {
    expect(problemsOf(() => compileFrontend({ name: 'x', type: 'REST' }))).toEqual(['rest: required (only REST frontends are served so far)']);
  });

  it('refuses broken proto sources with the file name', () => {
    const problems = problemsOf(() => compileFrontend(vec([get('/v')], { protos: [{ name: 'bad.proto', content: 'syntax = "proto3"; message {' }] })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rest\.protos: bad\.proto: /);
  });

  it('the error names the frontend and lists every problem', () => {
    let error: FrontendCompileError | undefined;
    try {
      compileFrontend(vec([get('/a', { grpc: { method: 'Nope' } }), get('/b', { timeout: '0s' })]));
    } catch (err) {
      error = err as FrontendCompileError;
    }
    expect(error).toBeInstanceOf(FrontendCompileError);
    expect(error!.frontend).toBe('vec');
    expect(error!.problems).toEqual([
      "rest.routes[0].grpc.method: no method 'Nope' in service vec.v1.Vec",
      "rest.routes[1].timeout: '0s' must be positive",
    ]);
    expect(error!.message).toBe(`frontend 'vec' is invalid:\n  ${error!.problems.join('\n  ')}`);
  });
});

function get(path_template: string, extra: Partial<RouteMapping> = {}): RouteMapping {
  return { method: 'GET', path_template, grpc: { method: 'Call' }, ...extra };
}

describe('produces, json_content_types, allow_inner_double_wildcard, body.required', () => {
  const parts = (headers: Record<string, string>, body?: string) => ({
    method: 'POST',
    bindings: [] as Array<[string, string]>,
    rawQuery: '',
    headers,
    body: body === undefined ? undefined : Buffer.from(body),
  });

  it('produces: a unary route refuses an unacceptable Accept with a 406 before binding, and shapes with the negotiated type', () => {
    const compiled = compileFrontend(
      vec([{ method: 'POST', path_template: '/v1/call', grpc: { method: 'Call' }, body: { field: '*' } }], {
        produces: [{ content_type: 'application/vnd.x.v1+json' }, { content_type: 'application/json', quality: 0.5 }],
      }),
    );
    const route = compiled.routes[0];
    let thrown: unknown;
    try {
      route.bind(parts({ accept: 'text/html', 'content-type': 'application/json' }, '{not json'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ id: 'not_acceptable', httpStatus: 406 });
    expect(route.bind(parts({ accept: 'application/json' }, '{"name":"n"}'))).toEqual({ name: 'n' });
    const shaped = route.shape({}, 'application/json');
    expect(shaped).toMatchObject({ contentType: 'application/json' });
    expect(route.shapeError(proxyErrors.badJson('x'), 'text/html').contentType).toBe('application/vnd.x.v1+json');
    expect(compiled.shapeError(proxyErrors.routeNotFound('GET', '/'), 'application/json').contentType).toBe('application/json');
  });

  it('produces: a route with its own content_type and a server-streaming route are not negotiated', () => {
    const compiled = compileFrontend(
      vec(
        [
          { method: 'GET', path_template: '/v1/text', grpc: { method: 'Call' }, response: { raw_field: 'next', content_type: 'text/plain' } },
          { method: 'GET', path_template: '/v1/stream', grpc: { method: 'ServerStream' } },
        ],
        { produces: [{ content_type: 'application/vnd.x.v1+json' }] },
      ),
    );
    for (const route of compiled.routes) expect(() => route.bind({ ...parts({ accept: 'text/plain' }), method: 'GET' })).not.toThrow();
    expect(compiled.routes[0].shape({}, 'text/plain')).toMatchObject({ contentType: 'text/plain' });
  });

  it('reports a bad produces list, a bad json_content_types entry and an inner ** without the option', () => {
    const problems = problemsOf(() =>
      compileFrontend(
        vec(
          [
            { method: 'GET', path_template: '/v1/{name=**}/x', grpc: { method: 'Call' } },
            { method: 'GET', path_template: '/v2/{name}', grpc: { method: 'Call' }, options: { json_content_types: ['nope'] } },
          ],
          { produces: [{ content_type: 'json' }] },
        ),
      ),
    );
    expect(problems).toEqual([
      "rest.produces[0].content_type: 'json' is not a media type like application/json",
      `rest.routes[0]: invalid path template "/v1/{name=**}/x": '**' must be the last segment at offset 14`,
      "rest.routes[1].options: json_content_types: 'nope' is not a media type like application/json",
    ]);
  });

  it('allow_inner_double_wildcard (frontend or route) lets a template continue after **', () => {
    const route: RouteMapping = { method: 'GET', path_template: '/v1/{name=**}/x', grpc: { method: 'Call' } };
    expect(compileFrontend(vec([route], { options: { allow_inner_double_wildcard: true } })).routes[0].template.segments).toHaveLength(3);
    expect(compileFrontend(vec([{ ...route, options: { allow_inner_double_wildcard: true } }])).routes).toHaveLength(1);
  });

  it('body.required makes a bodiless request a missing_body error', () => {
    const compiled = compileFrontend(
      vec([{ method: 'POST', path_template: '/v1/call', grpc: { method: 'Call' }, body: { field: '*', required: true } }]),
    );
    expect(() => compiled.routes[0].bind(parts({}))).toThrow('this route needs a request body');
  });
});
