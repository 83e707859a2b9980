// Frontend definitions through the admin's gRPC API: a bad definition is
// refused whole with the path of every problem, and the other ways of
// writing routes (HttpRule objects, annotated .proto files) are served.
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyValuePattern, type RunningPattern } from '../../examples/keyvalue/server.js';
import { problemsOf } from '../../src/admin/client.js';
import type { Frontend, RouteMapping } from '../../src/frontend/model.js';
import { buildRoot } from '../../src/protos/root.js';
import {
  KV_BASIC,
  THINGS_PROTO,
  THINGS_SERVICE,
  b64,
  keyvalueFrontend,
  rejection,
  serveFrontend,
  startBackend,
  startStack,
  thingsAnswers,
  type Backend,
  type Stack,
} from './helpers.js';

/** Edits a fresh copy of routes/keyvalue-rest.yaml (loosely typed: some edits are deliberately wrong). */
function keyvalueWith(edit: (f: any) => void): Frontend {
  const frontend = keyvalueFrontend();
  edit(frontend);
  return frontend;
}

const LISTS_PROTO = `syntax = "proto3";
package lists.v1;
service Lists {
  rpc Get(GetListRequest) returns (GetListRequest);
}
message GetListRequest {
  repeated string ids = 1;
  string name = 2;
}
`;

interface RefusalCase {
  what: string;
  frontend: () => Frontend;
  /** Every problem expected: the element's path and what the reason must say. */
  problems: Array<{ path: string; says: RegExp }>;
}

const refusals: RefusalCase[] = [
  {
    what: "a parameter's field that the request message lacks",
    frontend: () => keyvalueWith((f) => (f.rest.routes[4].params[0].field = 'kee')),
    problems: [{ path: 'rest.routes[4].params[0].field', says: /no field 'kee' in prism\.interfaces\.keyvalue\.ExpireRequest/ }],
  },
  {
    what: 'an unknown gRPC method',
    frontend: () => keyvalueWith((f) => (f.rest.routes[1].grpc.method = 'Fetch')),
    problems: [{ path: 'rest.routes[1].grpc.method', says: /Fetch/ }],
  },
  {
    what: 'an unknown gRPC service',
    frontend: () => keyvalueWith((f) => (f.rest.routes[5].grpc.service = 'prism.interfaces.keyvalue.NoSuchInterface')),
    problems: [{ path: 'rest.routes[5].grpc.service', says: /NoSuchInterface/ }],
  },
  {
    what: "a path template with '**' before the last segment",
    frontend: () => keyvalueWith((f) => (f.rest.routes[1].path_template = '/{key=**}/x')),
    problems: [{ path: 'rest.routes[1]', says: /\*\*/ }],
  },
  {
    what: 'two routes with the same method and template',
    frontend: () => keyvalueWith((f) => f.rest.routes.push({ ...f.rest.routes[1], operation_id: 'getKeyAgain' })),
    problems: [{ path: 'rest.routes[6]', says: /rest\.routes\[1\]/ }],
  },
  {
    what: 'a path variable bound to a message field',
    frontend: () => keyvalueWith((f) => (f.rest.routes[0].path_template = '/{tags}')),
    problems: [{ path: 'rest.routes[0]', says: /tags.*message/ }],
  },
  {
    what: 'a path variable bound to a repeated field',
    frontend: () => ({
      name: 'lists',
      type: 'REST',
      rest: {
        protos: [{ name: 'lists.proto', content: LISTS_PROTO }],
        routes: [{ operation_id: 'getList', method: 'GET', path_template: '/lists/{ids}', grpc: { service: 'lists.v1.Lists', method: 'Get' } }],
      },
    }),
    problems: [{ path: 'rest.routes[0]', says: /ids.*repeated/ }],
  },
  {
    what: 'two problems at once',
    frontend: () =>
      keyvalueWith((f) => {
        f.rest.routes[4].params[0].field = 'kee';
        f.rest.routes[1].grpc.method = 'Fetch';
      }),
    problems: [
      { path: 'rest.routes[1].grpc.method', says: /Fetch/ },
      { path: 'rest.routes[4].params[0].field', says: /kee/ },
    ],
  },
  // The proto codec cannot carry what the Frontend message has no field or
  // enum value for, so these are refused before anything is stored too.
  {
    what: 'an unknown top-level key',
    frontend: () => keyvalueWith((f) => (f.colour = 'blue')),
    problems: [{ path: 'colour', says: /unknown|no such field/i }],
  },
  {
    what: 'an unknown key inside a route',
    frontend: () => keyvalueWith((f) => (f.rest.routes[2].respnse = {})),
    problems: [{ path: 'rest.routes[2].respnse', says: /unknown|no such field/i }],
  },
  {
    what: 'a wrong enum value',
    frontend: () => keyvalueWith((f) => (f.rest.options.unescape = 'SOME_CHARACTERS')),
    problems: [{ path: 'rest.options.unescape', says: /SOME_CHARACTERS|ALL_CHARACTERS/ }],
  },
  {
    what: 'a wrong enum value in a parameter',
    frontend: () => keyvalueWith((f) => (f.rest.routes[4].params[0].source = 'QUERYSTRING')),
    problems: [{ path: 'rest.routes[4].params[0].source', says: /QUERYSTRING|QUERY/ }],
  },
];

describe('frontend definitions', () => {
  let stack: Stack;
  let pattern: RunningPattern;
  let things: Backend;

  beforeAll(async () => {
    [stack, pattern, things] = await Promise.all([
      startStack(),
      startKeyValuePattern({ address: '127.0.0.1:0' }),
      startBackend({ [THINGS_SERVICE]: thingsAnswers() }, { root: buildRoot([{ name: 'things.proto', content: THINGS_PROTO }]) }),
    ]);
  });

  afterAll(async () => {
    await stack?.close();
    await Promise.all([pattern?.close(), things?.close()]);
  });

  describe('registration refuses a bad definition with the path of every problem', () => {
    it.each(refusals.map((c, i) => ({ ...c, name: `bad-${i}` })))('$what', async ({ name, frontend, problems }) => {
      const err = await rejection<ServiceError>(stack.admin.registerFrontend({ ...frontend(), name }));
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
      // One "path: reason" line per problem in the status message…
      const lines = err.details.split('\n');
      for (const { path, says } of problems) {
        const line = lines.find((l) => l.startsWith(`${path}: `));
        expect(line, `a line for ${path} in:\n${err.details}`).toBeDefined();
        expect(line).toMatch(says);
      }
      // …and the same as structured BadRequest field violations.
      const violations = problemsOf(err);
      for (const { path, says } of problems) {
        expect(violations).toContainEqual({ field: path, description: expect.stringMatching(says) });
      }
      // Nothing of it was stored.
      expect((await rejection<ServiceError>(stack.admin.getFrontend(name))).code).toBe(Code.NOT_FOUND);
    });

    it('the unmodified keyvalue-rest.yaml is accepted (the refusals above are about their edits)', async () => {
      const stored = await stack.admin.registerFrontend({ ...keyvalueFrontend(), name: 'kv-as-shipped' });
      expect(stored.revision).toMatch(/^[1-9]\d*$/);
      await stack.admin.deleteFrontend('kv-as-shipped');
    });
  });

  describe('routes written as an HttpRule object', () => {
    const rule = (operation_id: string, method: string, http_rule: RouteMapping['http_rule']): RouteMapping => ({
      operation_id,
      grpc: { service: KV_BASIC, method },
      http_rule,
    });

    beforeAll(async () => {
      await serveFrontend(
        stack,
        {
          name: 'items',
          type: 'REST',
          rest: {
            routes: [
              rule('getItem', 'Get', { get: '/v1/items/{key}', additional_bindings: [{ get: '/v2/items/{key}' }] }),
              rule('putItem', 'Set', { put: '/v1/items/{key}', body: '*' }),
            ],
          },
        },
        pattern.address,
        'items',
      );
    });

    it('serves the main binding and its additional binding', async () => {
      expect((await stack.http.sendJson('PUT', '/v1/items/lamp', { value: b64('bright') })).status).toBe(200);
      for (const path of ['/v1/items/lamp', '/v2/items/lamp']) {
        const res = await stack.http.get(path);
        expect(res.status, path).toBe(200);
        expect(res.json()).toEqual({ found: true, value: b64('bright') });
      }
    });

    it('binds the path variable on each binding and nothing else', async () => {
      expect((await stack.http.sendJson('PUT', '/v1/items/chair', { value: b64('wooden') })).status).toBe(200);
      expect((await stack.http.get('/v2/items/chair')).json()).toEqual({ found: true, value: b64('wooden') });
      expect((await stack.http.get('/v3/items/chair')).status).toBe(404);
      expect((await stack.http.sendJson('PUT', '/v2/items/chair', { value: b64('x') })).status).toBe(405);
    });
  });

  describe('a frontend carrying an annotated .proto (rest.protos + annotated_services)', () => {
    beforeAll(async () => {
      await serveFrontend(
        stack,
        {
          name: 'things',
          type: 'REST',
          rest: { protos: [{ name: 'things.proto', content: THINGS_PROTO }], annotated_services: [THINGS_SERVICE] },
        },
        things.address,
        'things',
      );
    });

    it('serves POST with body "*" and GET with a path variable against the grpc-js backend', async () => {
      const created = await stack.http.sendJson('POST', '/v1/things', { id: 't-1', name: 'lamp', size: 3 });
      expect(created.status).toBe(200);
      expect(created.json()).toEqual({ id: 't-1', name: 'lamp', size: 3, version: '1' });

      const got = await stack.http.get('/v1/things/t-1');
      expect(got.status).toBe(200);
      expect(got.json()).toEqual({ id: 't-1', name: 'lamp', size: 3, version: '1' });
    });

    it("maps the backend's NOT_FOUND and refuses a body field of the wrong type", async () => {
      const missing = await stack.http.get('/v1/things/none');
      expect(missing.status).toBe(404);
      expect(missing.json()).toEqual({ code: 5, message: "no thing 'none'", details: [] });

      const bad = await stack.http.sendJson('POST', '/v1/things', { id: 't-2', size: 'big' });
      expect(bad.status).toBe(400);
      expect(bad.json().message).toContain('size');
    });

    it('a frontend naming an annotated service that is not in its protos is refused', async () => {
      const err = await rejection<ServiceError>(
        stack.admin.registerFrontend({
          name: 'things-typo',
          type: 'REST',
          rest: { protos: [{ name: 'things.proto', content: THINGS_PROTO }], annotated_services: ['things.v1.Thingz'] },
        }),
      );
      expect(err.code).toBe(Code.INVALID_ARGUMENT);
      expect(err.details).toMatch(/^rest\.annotated_services\[0\]: .*Thingz/m);
    });
  });
});
