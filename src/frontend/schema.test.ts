import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRoot, PROJECT_DIR, shippedRoot } from '../protos/root.js';
import { instancePathToFieldPath, jsonSchemaOf, schemaProblems } from './schema.js';

const FRONTEND = 'prism.frontend.v1.Frontend';
type Schema = Record<string, any>;

const vectors = buildRoot([
  { name: 'vectors.proto', content: readFileSync(join(PROJECT_DIR, 'test/vectors/fixtures/vectors.proto'), 'utf8') },
]);
const keyvalueRest = parse(readFileSync(join(PROJECT_DIR, 'routes/keyvalue-rest.yaml'), 'utf8')) as unknown;

function defOf(schema: Schema, name: string): Schema {
  return schema.$defs[name] as Schema;
}

describe('jsonSchemaOf', () => {
  const param = jsonSchemaOf(shippedRoot().lookupType('prism.frontend.v1.ParamMapping'));
  const frontend = jsonSchemaOf(shippedRoot().lookupType(FRONTEND));
  const req = jsonSchemaOf(vectors.lookupType('vec.v1.Req'));
  const reqDef = defOf(req, 'vec.v1.Req');

  it('refers to the message definition and closes it to unknown keys', () => {
    expect(param.$ref).toBe('#/$defs/prism.frontend.v1.ParamMapping');
    const def = defOf(param, 'prism.frontend.v1.ParamMapping');
    expect(def.type).toBe('object');
    expect(def.additionalProperties).toBe(false);
    expect(Object.keys(def.properties)).toEqual(['source', 'name', 'field', 'required', 'default']);
  });

  it('writes enums as their value names', () => {
    expect(defOf(param, 'prism.frontend.v1.ParamMapping').properties.source).toEqual({
      enum: ['SOURCE_UNSPECIFIED', 'PATH', 'QUERY', 'HEADER', 'BODY', 'CONSTANT'],
    });
  });

  it.each<[string, Schema]>([
    ['name', { type: 'string' }],
    ['flag', { type: 'boolean' }],
    ['d', { type: 'number' }],
    ['i32', { type: 'integer' }],
    ['raw', { type: 'string' }],
    ['tags', { type: 'array', items: { type: 'string' } }],
    ['labels', { type: 'object', additionalProperties: { type: 'string' } }],
    ['colors', { type: 'array', items: { enum: ['COLOR_UNSPECIFIED', 'RED', 'GREEN'] } }],
    ['sub', { $ref: '#/$defs/vec.v1.Sub' }],
    ['subs', { type: 'array', items: { $ref: '#/$defs/vec.v1.Sub' } }],
    ['val', {}],
    ['st', { type: 'object' }],
  ])('field %s has the schema %j', (field, expected) => {
    expect(reqDef.properties[field]).toEqual(expected);
  });

  it('accepts 64-bit integers as numbers or decimal strings', () => {
    const ajv = new Ajv({ strict: false });
    const i64 = ajv.compile(reqDef.properties.i64);
    const u64 = ajv.compile(reqDef.properties.u64);
    expect([12, '-12', '9223372036854775807'].map((v) => i64(v))).toEqual([true, true, true]);
    expect(['1.5', 'abc', 1.5, ''].map((v) => i64(v))).toEqual([false, false, false, false]);
    expect([0, '18446744073709551615'].map((v) => u64(v))).toEqual([true, true]);
    expect([-1, '-1'].map((v) => u64(v))).toEqual([false, false]);
  });

  it('accepts Durations only in their JSON form', () => {
    const ajv = new Ajv({ strict: false });
    const duration = ajv.compile(reqDef.properties.ttl);
    expect(['1s', '1.5s', '-2s', '0.000000001s'].map((v) => duration(v))).toEqual([true, true, true, true]);
    expect(['1', '1m', '1.0000000001s', 1].map((v) => duration(v))).toEqual([false, false, false, false]);
  });

  it('defines nested and recursive messages once', () => {
    expect(Object.keys(req.$defs as Schema)).toContain('vec.v1.Sub');
    expect(defOf(req, 'vec.v1.Sub').properties.child).toEqual({ $ref: '#/$defs/vec.v1.Sub' });
    expect(defOf(frontend, 'google.api.HttpRule').properties.additional_bindings).toEqual({
      type: 'array',
      items: { $ref: '#/$defs/google.api.HttpRule' },
    });
  });

  it('makes the members of a real oneof exclusive, but not proto3 optional fields', () => {
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(req);
    expect(validate({ pick_s: 'a' })).toBe(true);
    expect(validate({ pick_i: 1 })).toBe(true);
    expect(validate({ pick_s: 'a', pick_i: 1 })).toBe(false);
    expect(validate({ maybe: 'x', pick_s: 'a' })).toBe(true);
    const options = defOf(frontend, 'prism.frontend.v1.MappingOptions');
    expect(options.allOf).toBeUndefined();
  });

  it('compiles with ajv and accepts the shipped keyvalue frontend', () => {
    const validate = new Ajv({ strict: false }).compile(frontend);
    expect(validate(keyvalueRest)).toBe(true);
  });
});

describe('instancePathToFieldPath', () => {
  it.each([
    ['', ''],
    ['/name', 'name'],
    ['/rest/routes/3/params/1', 'rest.routes[3].params[1]'],
    ['/rest/routes/0/params/2/source', 'rest.routes[0].params[2].source'],
    ['/rest/protos/0', 'rest.protos[0]'],
    ['/labels/a~1b', 'labels.a/b'],
    ['/labels/a~0b', 'labels.a~b'],
    ['/labels/~01', 'labels.~1'],
  ])('%j -> %j', (pointer, expected) => {
    expect(instancePathToFieldPath(pointer)).toBe(expected);
  });
});

describe('schemaProblems', () => {
  it('finds nothing wrong with the shipped keyvalue frontend', () => {
    expect(schemaProblems(FRONTEND, keyvalueRest)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['an unknown top-level key', { name: 'a', kee: 1 }, ['kee: unknown field']],
    ['an unknown nested key', { name: 'a', rest: { routes: [{ methd: 'GET' }] } }, ['rest.routes[0].methd: unknown field']],
    [
      'an unknown key in a param',
      { name: 'a', rest: { routes: [{}, { params: [{ source: 'QUERY', nmae: 'x' }] }] } },
      ['rest.routes[1].params[0].nmae: unknown field'],
    ],
    ['a wrong scalar type', { name: 5 }, ['name: must be string']],
    ['a wrong bool type', { name: 'a', rest: { routes: [{ response: { emit_defaults: 'yes' } }] } }, [
      'rest.routes[0].response.emit_defaults: must be boolean',
    ]],
    ['a list given as a string', { name: 'a', rest: { routes: [{ response: { omit: 'error' } }] } }, [
      'rest.routes[0].response.omit: must be array',
    ]],
    ['a map of the wrong value type', { name: 'a', labels: { team: 1 } }, ['labels.team: must be string']],
    ['a negative uint32', { name: 'a', rest: { listener: { port: -1 } } }, ['rest.listener.port: must be >= 0']],
    ['a fractional uint32', { name: 'a', rest: { listener: { port: 80.5 } } }, ['rest.listener.port: must be integer']],
    ['a Duration without unit', { name: 'a', rest: { default_timeout: '5' } }, [
      'rest.default_timeout: must match pattern "^-?\\d+(\\.\\d{1,9})?s$"',
    ]],
    [
      'a bad enum name deep in the routes',
      { name: 'a', type: 'REST', rest: { routes: [{}, {}, {}, { params: [{ source: 'PATH' }, { source: 'QUERYY' }] }] } },
      ['rest.routes[3].params[1].source: must be one of SOURCE_UNSPECIFIED, PATH, QUERY, HEADER, BODY, CONSTANT'],
    ],
    ['a bad frontend type', { name: 'a', type: 'rest' }, ['type: must be one of FRONTEND_TYPE_UNSPECIFIED, REST, GRAPHQL, GRPC_WEB, SSE, WEBSOCKET']],
    [
      'two verbs of an HttpRule',
      { name: 'a', rest: { routes: [{ http_rule: { get: '/a', post: '/b' } }] } },
      ['rest.routes[0].http_rule: only one member of a oneof may be set'],
    ],
    ['an error body of any JSON', { name: 'a', rest: { default_error_mapping: { body: { a: [1, { b: null }], c: 'x' } } } }, []],
    ['a numeric int64 revision', { name: 'a', revision: 12 }, []],
    ['a decimal-string int64 revision', { name: 'a', revision: '-12' }, []],
  ])('%s', (_name, value, expected) => {
    expect(schemaProblems(FRONTEND, value)).toEqual(expected);
  });

  it('lists every problem, each once', () => {
    const problems = schemaProblems(FRONTEND, {
      name: 'a',
      kee: 1,
      rest: { routes: [{ method: 1, params: [{ source: 'X' }] }], options: { strict_query: 'yes' } },
    });
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'kee: unknown field',
        'rest.routes[0].method: must be string',
        'rest.routes[0].params[0].source: must be one of SOURCE_UNSPECIFIED, PATH, QUERY, HEADER, BODY, CONSTANT',
        'rest.options.strict_query: must be boolean',
      ]),
    );
  });

  it('refuses two members of the config oneof at the root (rest + graphql)', () => {
    expect(schemaProblems(FRONTEND, { name: 'a', rest: {}, graphql: {} })).toEqual(['(root): only one member of a oneof may be set']);
  });

  it('reports one problem for an int64 that is neither a number nor decimal text', () => {
    const problems = schemaProblems(FRONTEND, { name: 'a', revision: 'abc' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^revision: /);
  });

  it('reports only the type problem for a message given as a string', () => {
    expect(schemaProblems(FRONTEND, { name: 'a', rest: { routes: [{ http_rule: '/v1/x' }] } })).toEqual([
      'rest.routes[0].http_rule: must be object',
    ]);
  });

  it.each([['a string', 'frontend'], ['null', null], ['an array', []]])('reports only "(root): must be object" for %s', (_name, value) => {
    expect(schemaProblems(FRONTEND, value)).toEqual(['(root): must be object']);
  });

  it('validates other message types by name', () => {
    expect(schemaProblems('prism.frontend.v1.ParamMapping', { source: 'PATH', name: 'key' })).toEqual([]);
    expect(schemaProblems('prism.frontend.v1.ParamMapping', { source: 'PATH', nme: 'key' })).toEqual(['nme: unknown field']);
  });
});
