import { describe, expect, it } from 'vitest';
import { checkCompatibility, InvalidSchemaError, parseSchema, type ResolvedReferences } from './index.js';
import { expectChange, type ChangeCase } from './test-helpers.js';

const NO_REFS: ResolvedReferences = new Map();

function jsonText(text: string, references: ResolvedReferences = NO_REFS, normalize = false) {
  return parseSchema('JSON', text, references, { normalize });
}

function json(schema: unknown, references: ResolvedReferences = NO_REFS) {
  return jsonText(JSON.stringify(schema), references);
}

function object(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', properties, ...extra };
}

const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  object(properties, { additionalProperties: false, ...extra });

describe('JSON canonical text', () => {
  it('re-serializes compactly, so whitespace does not matter', () => {
    const spaced = '{\n  "type": "object",\n  "properties": { "a": { "type": "string" } }\n}\n';
    expect(jsonText(spaced).canonical).toBe('{"type":"object","properties":{"a":{"type":"string"}}}');
  });

  it('keeps key order unless normalizing, which sorts keys at every level', () => {
    const a = '{"type":"object","properties":{"b":{"type":"string","maxLength":3},"a":{}}}';
    const b = '{"properties":{"a":{},"b":{"maxLength":3,"type":"string"}},"type":"object"}';
    expect(jsonText(a).canonical).not.toBe(jsonText(b).canonical);
    expect(jsonText(a, NO_REFS, true).canonical).toBe(jsonText(b, NO_REFS, true).canonical);
    expect(jsonText(a, NO_REFS, true).canonical).toBe('{"properties":{"a":{},"b":{"maxLength":3,"type":"string"}},"type":"object"}');
  });

  it.each([
    ['draft-07 (default)', {}],
    ['draft-07', { $schema: 'http://json-schema.org/draft-07/schema#' }],
    ['draft-06', { $schema: 'http://json-schema.org/draft-06/schema#', exclusiveMinimum: 1 }],
    ['draft-04', { $schema: 'http://json-schema.org/draft-04/schema#', minimum: 1, exclusiveMinimum: true }],
    ['2019-09', { $schema: 'https://json-schema.org/draft/2019-09/schema', dependentRequired: { a: ['b'] } }],
    ['2020-12', { $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: [{ type: 'string' }] }],
    ['a boolean schema', true],
  ])('accepts %s', (_, schema) => {
    expect(json(schema).canonical).toBe(JSON.stringify(schema));
  });
});

describe('JSON invalid schemas', () => {
  it.each([
    ['not JSON', '{"type":', /^Invalid JSON schema: .*JSON/],
    ['an empty schema', '', /^Invalid JSON schema: /],
    ['not an object', '"string"', /must be an object or a boolean/],
    ['an unknown type', '{"type":"strin"}', /schema is invalid: data\/type must be equal to one of the allowed values/],
    ['a negative minLength', '{"minLength":-1}', /data\/minLength must be >= 0/],
    ['an unresolvable $ref', '{"properties":{"a":{"$ref":"missing.json"}}}', /can't resolve reference missing\.json/],
    ['an unknown $schema', '{"$schema":"http://example.com/mine#","type":"string"}', /no schema with key or ref "http:\/\/example\.com\/mine#"/],
    ['a bad 2020-12 keyword value', '{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":{}}', /prefixItems must be array/],
  ])('rejects %s with the validator message', (_, text, message) => {
    expect(() => jsonText(text)).toThrow(InvalidSchemaError);
    expect(() => jsonText(text)).toThrow(message);
  });
});

describe('JSON references', () => {
  const address = JSON.stringify(object({ city: { type: 'string' } }, { required: ['city'] }));
  const refs = (schema: string): ResolvedReferences => new Map([['address.json', { schemaType: 'JSON', schema }]]);

  it('resolves "$ref" to a referenced schema by its name', () => {
    const parsed = json(object({ home: { $ref: 'address.json' } }), refs(address));
    expect(parsed.canonical).toBe('{"type":"object","properties":{"home":{"$ref":"address.json"}}}');
  });

  it('resolves a pointer into a referenced schema', () => {
    const withDefs = JSON.stringify({ definitions: { zip: { type: 'string' } } });
    expect(() => json(object({ zip: { $ref: 'address.json#/definitions/zip' } }), refs(withDefs))).not.toThrow();
  });

  it('compares through references', () => {
    const narrowed = JSON.stringify(object({ city: { type: 'string', maxLength: 10 } }, { required: ['city'] }));
    const main = object({ home: { $ref: 'address.json' } });
    expectChange(json(main, refs(address)), json(main, refs(narrowed)), { name: 'ref', backward: 'MAX_LENGTH_ADDED', forward: true });
  });
});

describe('JSON compatibility', () => {
  const str = { type: 'string' };
  const cases: Array<ChangeCase & { old: unknown; new: unknown }> = [
    { name: 'no change', old: object({ a: str }), new: object({ a: str }), backward: true, forward: true },
    { name: 'integer widened to number', old: { type: 'integer' }, new: { type: 'number' }, backward: true, forward: 'TYPE_NARROWED' },
    { name: 'a type added to a type list', old: { type: 'string' }, new: { type: ['string', 'null'] }, backward: true, forward: 'TYPE_NARROWED' },
    { name: 'an unrelated type', old: { type: 'string' }, new: { type: 'integer' }, backward: 'TYPE_CHANGED', forward: 'TYPE_CHANGED' },
    { name: 'a type added where there was none', old: {}, new: { type: 'string' }, backward: 'TYPE_NARROWED', forward: true },
    { name: 'maxLength increased', old: { type: 'string', maxLength: 5 }, new: { type: 'string', maxLength: 10 }, backward: true, forward: 'MAX_LENGTH_DECREASED' },
    { name: 'maxLength added', old: { type: 'string' }, new: { type: 'string', maxLength: 10 }, backward: 'MAX_LENGTH_ADDED', forward: true },
    { name: 'minLength decreased', old: { type: 'string', minLength: 5 }, new: { type: 'string', minLength: 1 }, backward: true, forward: 'MIN_LENGTH_INCREASED' },
    { name: 'maximum increased', old: { type: 'number', maximum: 5 }, new: { type: 'number', maximum: 50 }, backward: true, forward: 'MAXIMUM_DECREASED' },
    { name: 'minimum added', old: { type: 'number' }, new: { type: 'number', minimum: 0 }, backward: 'MINIMUM_ADDED', forward: true },
    { name: 'exclusiveMaximum decreased', old: { type: 'number', exclusiveMaximum: 9 }, new: { type: 'number', exclusiveMaximum: 3 }, backward: 'EXCLUSIVE_MAXIMUM_DECREASED', forward: true },
    { name: 'maxItems removed', old: { type: 'array', maxItems: 3 }, new: { type: 'array' }, backward: true, forward: 'MAX_ITEMS_ADDED' },
    { name: 'minProperties increased', old: { type: 'object', minProperties: 1 }, new: { type: 'object', minProperties: 2 }, backward: 'MIN_PROPERTIES_INCREASED', forward: true },
    { name: 'pattern removed', old: { type: 'string', pattern: '^a' }, new: { type: 'string' }, backward: true, forward: 'PATTERN_ADDED' },
    { name: 'pattern changed', old: { type: 'string', pattern: '^a' }, new: { type: 'string', pattern: '^b' }, backward: 'PATTERN_CHANGED', forward: 'PATTERN_CHANGED' },
    { name: 'multipleOf relaxed (4 to 2)', old: { type: 'integer', multipleOf: 4 }, new: { type: 'integer', multipleOf: 2 }, backward: true, forward: 'MULTIPLE_OF_CHANGED' },
    { name: 'multipleOf added', old: { type: 'integer' }, new: { type: 'integer', multipleOf: 2 }, backward: 'MULTIPLE_OF_ADDED', forward: true },
    { name: 'uniqueItems added', old: { type: 'array' }, new: { type: 'array', uniqueItems: true }, backward: 'UNIQUE_ITEMS_ADDED', forward: true },
    { name: 'enum extended', old: { enum: ['a', 'b'] }, new: { enum: ['a', 'b', 'c'] }, backward: true, forward: 'ENUM_ARRAY_NARROWED' },
    { name: 'enum added', old: { type: 'string' }, new: { type: 'string', enum: ['a'] }, backward: 'ENUM_ARRAY_NARROWED', forward: true },
    { name: 'const changed', old: { const: 'a' }, new: { const: 'b' }, backward: 'ENUM_ARRAY_NARROWED', forward: 'ENUM_ARRAY_NARROWED' },
    { name: 'a property type changed', old: object({ a: str }), new: object({ a: { type: 'integer' } }), backward: 'TYPE_CHANGED', forward: 'TYPE_CHANGED' },
    // Closed content model (additionalProperties: false).
    { name: 'closed: optional property added', old: closed({ a: str }), new: closed({ a: str, b: str }), backward: true, forward: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL' },
    { name: 'closed: required property added', old: closed({ a: str }), new: closed({ a: str, b: str }, { required: ['b'] }), backward: 'REQUIRED_ATTRIBUTE_ADDED', forward: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL' },
    { name: 'closed: required property with a default added', old: closed({ a: str }), new: closed({ a: str, b: { ...str, default: 'x' } }, { required: ['b'] }), backward: true, forward: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL' },
    { name: 'closed: property removed', old: closed({ a: str, b: str }), new: closed({ a: str }), backward: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', forward: true },
    { name: 'closed: property removed, new schema open', old: closed({ a: str, b: str }), new: object({ a: str }), backward: true, forward: 'ADDITIONAL_PROPERTIES_REMOVED' },
    {
      name: 'closed: property removed but covered by patternProperties',
      old: closed({ a: str, b_x: str }),
      new: closed({ a: str }, { patternProperties: { '^b_': str } }),
      backward: true,
      forward: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
    },
    // Open content model (no additionalProperties: false).
    { name: 'open: property with a schema added', old: object({ a: str }), new: object({ a: str, b: str }), backward: 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', forward: true },
    { name: 'open: property with an empty schema added', old: object({ a: str }), new: object({ a: str, b: {} }), backward: true, forward: true },
    { name: 'open: property removed', old: object({ a: str, b: str }), new: object({ a: str }), backward: true, forward: 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL' },
    { name: 'open: required property removed', old: object({ a: str }, { required: ['a'] }), new: object({ a: str }), backward: true, forward: 'REQUIRED_ATTRIBUTE_ADDED' },
    // Partially open content model (additionalProperties is a schema).
    {
      name: 'partially open: property added, covered by additionalProperties',
      old: object({ a: str }, { additionalProperties: str }),
      new: object({ a: str, b: { type: 'string', maxLength: 3 } }, { additionalProperties: str }),
      backward: 'MAX_LENGTH_ADDED',
      forward: true,
    },
    {
      name: 'partially open: property added with the covering schema',
      old: object({ a: str }, { additionalProperties: str }),
      new: object({ a: str, b: str }, { additionalProperties: str }),
      backward: true,
      forward: true,
    },
    { name: 'additionalProperties opened', old: closed({ a: str }), new: object({ a: str }), backward: true, forward: 'ADDITIONAL_PROPERTIES_REMOVED' },
    { name: 'additionalProperties given a schema', old: object({ a: str }), new: object({ a: str }, { additionalProperties: str }), backward: 'ADDITIONAL_PROPERTIES_NARROWED', forward: true },
    // Arrays.
    { name: 'items widened', old: { type: 'array', items: { type: 'integer' } }, new: { type: 'array', items: { type: 'number' } }, backward: true, forward: 'TYPE_NARROWED' },
    {
      name: 'tuple item added to a closed tuple',
      old: { type: 'array', items: [str], additionalItems: false },
      new: { type: 'array', items: [str, str], additionalItems: false },
      backward: true,
      forward: 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL',
    },
    { name: 'tuple item added to an open tuple', old: { type: 'array', items: [str] }, new: { type: 'array', items: [str, str] }, backward: 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL', forward: true },
    // Combinations.
    { name: 'oneOf gains a branch', old: { oneOf: [str, { type: 'integer' }] }, new: { oneOf: [str, { type: 'integer' }, { type: 'boolean' }] }, backward: true, forward: 'SUM_TYPE_NARROWED' },
    { name: 'anyOf loses a branch', old: { anyOf: [str, { type: 'integer' }] }, new: { anyOf: [str] }, backward: 'SUM_TYPE_NARROWED', forward: true },
    { name: 'oneOf branch changed', old: { oneOf: [str, { type: 'integer' }] }, new: { oneOf: [str, { type: 'boolean' }] }, backward: 'COMBINED_TYPE_SUBSCHEMAS_CHANGED', forward: 'COMBINED_TYPE_SUBSCHEMAS_CHANGED' },
    { name: 'oneOf to anyOf', old: { oneOf: [str, { type: 'integer' }] }, new: { anyOf: [str, { type: 'integer' }] }, backward: 'COMBINED_TYPE_CHANGED', forward: 'COMBINED_TYPE_CHANGED' },
    { name: 'a type made one branch of a oneOf', old: str, new: { oneOf: [str, { type: 'integer' }] }, backward: true, forward: 'TYPE_NARROWED' },
    { name: 'allOf loses a branch', old: { allOf: [{ type: 'string' }, { maxLength: 5 }] }, new: { allOf: [{ type: 'string' }] }, backward: true, forward: 'PRODUCT_TYPE_EXTENDED' },
    { name: 'allOf branch tightened', old: { allOf: [{ maxLength: 5 }] }, new: { allOf: [{ maxLength: 3 }] }, backward: 'COMBINED_TYPE_SUBSCHEMAS_CHANGED', forward: true },
    { name: 'not added', old: str, new: { ...str, not: { const: 'x' } }, backward: 'NOT_TYPE_EXTENDED', forward: true },
    // References inside the document, and recursion.
    {
      name: 'an inlined definition equal to its $ref',
      old: { definitions: { name: str }, type: 'object', properties: { a: { $ref: '#/definitions/name' } } },
      new: object({ a: str }),
      backward: true,
      forward: true,
    },
    {
      name: 'a recursive schema gaining an optional open property',
      old: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } } } },
      new: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } }, name: {} } },
      backward: true,
      forward: true,
    },
    {
      name: 'a recursive schema tightened deep inside',
      old: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } }, name: str } },
      new: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } }, name: { ...str, maxLength: 3 } } },
      backward: 'MAX_LENGTH_ADDED',
      forward: true,
    },
    { name: 'false to anything', old: false, new: str, backward: true, forward: 'TYPE_NARROWED' },
  ];

  it.each(cases)('$name', (change) => {
    expectChange(json(change.old), json(change.new), change);
  });

  it('reports the path and the content model', () => {
    expect(checkCompatibility('BACKWARD', json(object({ a: str, b: str })), [json(object({ a: str }))])).toEqual([
      "{errorType:'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', description:'The new schema constrains path '#/properties/b', where the old schema allowed any value'}",
    ]);
  });
});
