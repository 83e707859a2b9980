// sameSchema: structural equality of schemas with their references resolved,
// which lets a lookup match a schema sent with its references inlined (§2.3).
import { describe, expect, it } from 'vitest';
import { parseSchema, sameSchema, type ResolvedReferences, type SchemaType } from './index.js';

interface Side {
  schema: unknown;
  references?: Record<string, unknown>;
}

interface SameCase {
  name: string;
  a: Side;
  b: Side;
  same: boolean;
  /** Expected result under normalize, when it differs from `same`. */
  normalized?: boolean;
}

const text = (schema: unknown) => (typeof schema === 'string' ? schema : JSON.stringify(schema));

function parse(schemaType: SchemaType, side: Side) {
  const references: ResolvedReferences = new Map(
    Object.entries(side.references ?? {}).map(([name, schema]) => [name, { schemaType, schema: text(schema) }]),
  );
  return parseSchema(schemaType, text(side.schema), references);
}

function runCases(schemaType: SchemaType, cases: SameCase[]): void {
  it.each(cases)('$name', ({ a, b, same, normalized }) => {
    const [left, right] = [parse(schemaType, a), parse(schemaType, b)];
    expect(sameSchema(left, right)).toBe(same);
    expect(sameSchema(right, left)).toBe(same);
    expect(sameSchema(left, right, { normalize: true })).toBe(normalized ?? same);
  });
}

// ---- AVRO ---------------------------------------------------------------------

const ADDRESS = {
  type: 'record',
  name: 'Address',
  namespace: 'com.acme',
  fields: [{ name: 'street', type: 'string' }],
};
const ADDRESS_REFS = { 'com.acme.Address': ADDRESS };
const customer = (address: unknown, extraFields: unknown[] = []) => ({
  type: 'record',
  name: 'Customer',
  namespace: 'com.acme',
  fields: [{ name: 'address', type: address }, ...extraFields],
});

describe('sameSchema on AVRO', () => {
  runCases('AVRO', [
    {
      name: 'a referenced record and the same record written inline',
      a: { schema: customer('com.acme.Address'), references: ADDRESS_REFS },
      b: { schema: customer(ADDRESS) },
      same: true,
    },
    {
      name: 'inline with a full name instead of name + namespace',
      a: { schema: customer('Address'), references: ADDRESS_REFS },
      b: { schema: customer({ ...ADDRESS, name: 'com.acme.Address', namespace: undefined }) },
      same: true,
    },
    {
      name: 'a referenced type used twice and the inline one defined once, then named',
      a: {
        schema: customer('com.acme.Address', [{ name: 'billing', type: ['null', 'com.acme.Address'] }]),
        references: ADDRESS_REFS,
      },
      b: { schema: customer(ADDRESS, [{ name: 'billing', type: ['null', 'Address'] }]) },
      same: true,
    },
    {
      name: 'both sides with the reference',
      a: { schema: customer('com.acme.Address'), references: ADDRESS_REFS },
      b: { schema: customer('Address'), references: ADDRESS_REFS },
      same: true,
    },
    {
      name: 'the inline record has a field of another type',
      a: { schema: customer('com.acme.Address'), references: ADDRESS_REFS },
      b: { schema: customer({ ...ADDRESS, fields: [{ name: 'street', type: 'bytes' }] }) },
      same: false,
    },
    {
      name: 'the inline record has one more field',
      a: { schema: customer('com.acme.Address'), references: ADDRESS_REFS },
      b: { schema: customer({ ...ADDRESS, fields: [...ADDRESS.fields, { name: 'zip', type: 'string' }] }) },
      same: false,
    },
    {
      name: 'the inline record is in another namespace',
      a: { schema: customer('com.acme.Address'), references: ADDRESS_REFS },
      b: { schema: customer({ ...ADDRESS, namespace: 'org.other' }) },
      same: false,
    },
    {
      name: 'the outer record differs',
      a: { schema: customer('com.acme.Address'), references: ADDRESS_REFS },
      b: { schema: customer(ADDRESS, [{ name: 'vip', type: 'boolean' }]) },
      same: false,
    },
  ]);
});

// ---- JSON ---------------------------------------------------------------------

const POINT = { type: 'object', properties: { x: { type: 'number' } } };
const shape = (origin: unknown) => ({ type: 'object', properties: { origin } });

describe('sameSchema on JSON', () => {
  runCases('JSON', [
    {
      name: 'a "$ref" to a referenced document and the document written inline',
      a: { schema: shape({ $ref: 'point.json' }), references: { 'point.json': POINT } },
      b: { schema: shape(POINT) },
      same: true,
    },
    {
      name: 'the referenced document\'s "$schema" and "$id" are not part of it inline',
      a: {
        schema: shape({ $ref: 'point.json' }),
        references: {
          'point.json': { $schema: 'http://json-schema.org/draft-07/schema#', $id: 'point.json', ...POINT },
        },
      },
      b: { schema: shape(POINT) },
      same: true,
    },
    {
      name: 'a "$ref" with a JSON pointer into a referenced document',
      a: {
        schema: shape({ $ref: 'defs.json#/definitions/point' }),
        references: { 'defs.json': { definitions: { point: POINT } } },
      },
      b: { schema: shape(POINT) },
      same: true,
    },
    {
      name: 'a "$ref" with sibling keywords takes the target\'s keywords in its place',
      a: {
        schema: shape({ description: 'where', $ref: 'point.json' }),
        references: { 'point.json': POINT },
      },
      b: { schema: shape({ description: 'where', ...POINT }) },
      same: true,
    },
    {
      name: 'references of references are expanded too',
      a: {
        schema: shape({ $ref: 'point.json' }),
        references: {
          'point.json': { type: 'object', properties: { x: { $ref: 'coord.json' } } },
          'coord.json': { type: 'number' },
        },
      },
      b: { schema: shape(POINT) },
      same: true,
    },
    {
      name: 'the inline document differs in a property',
      a: { schema: shape({ $ref: 'point.json' }), references: { 'point.json': POINT } },
      b: { schema: shape({ type: 'object', properties: { x: { type: 'string' } } }) },
      same: false,
    },
    {
      name: 'a "$ref" whose sibling keywords clash with the target\'s stays a "$ref"',
      a: { schema: shape({ type: 'object', $ref: 'point.json' }), references: { 'point.json': POINT } },
      b: { schema: shape(POINT) },
      same: false,
    },
    {
      name: 'inline keys in another order match only under normalize',
      a: { schema: shape({ $ref: 'point.json' }), references: { 'point.json': POINT } },
      b: { schema: shape({ properties: POINT.properties, type: 'object' }) },
      same: false,
      normalized: true,
    },
  ]);
});

// ---- PROTOBUF and mixed types ------------------------------------------------------

describe('sameSchema on PROTOBUF and across types', () => {
  const order = 'syntax = "proto3";\npackage acme;\n\nmessage Order {\n  string id = 1;\n}\n';

  runCases('PROTOBUF', [
    {
      name: 'the same file reformatted',
      a: { schema: order },
      b: { schema: order.replaceAll('  ', '    ') },
      same: true,
    },
    {
      name: 'a field of another type',
      a: { schema: order },
      b: { schema: order.replace('string', 'int32') },
      same: false,
    },
  ]);

  it('never matches schemas of different types', () => {
    const avro = parseSchema('AVRO', '"string"', new Map());
    const json = parseSchema('JSON', '{"type":"string"}', new Map());
    expect(sameSchema(avro, json)).toBe(false);
    expect(sameSchema(json, avro)).toBe(false);
  });
});
