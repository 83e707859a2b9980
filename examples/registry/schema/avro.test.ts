import { describe, expect, it } from 'vitest';
import { checkCompatibility, InvalidSchemaError, parseSchema, type ResolvedReferences } from './index.js';
import { expectChange, type ChangeCase } from './test-helpers.js';

const NO_REFS: ResolvedReferences = new Map();

function avroText(text: string, references: ResolvedReferences = NO_REFS) {
  return parseSchema('AVRO', text, references);
}

function avro(schema: unknown, references: ResolvedReferences = NO_REFS) {
  return avroText(JSON.stringify(schema), references);
}

function record(fields: unknown[], extra: Record<string, unknown> = {}) {
  return { type: 'record', name: 'User', namespace: 'com.acme', fields, ...extra };
}

describe('AVRO canonical text', () => {
  const equivalent: Array<{ name: string; inputs: unknown[]; canonical: string }> = [
    {
      name: 'whitespace and key order',
      inputs: [
        '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}',
        ' {\n  "fields" : [ { "type" : "int", "name" : "a" } ],\n  "name" : "R",\n  "type" : "record"\n}\n',
      ],
      canonical: '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}',
    },
    {
      name: '"string" and {"type":"string"}',
      inputs: [
        record([{ name: 's', type: 'string' }]),
        record([{ name: 's', type: { type: 'string' } }]),
      ],
      canonical: '{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"s","type":"string"}]}',
    },
    {
      name: 'a full name and name + namespace',
      inputs: [
        { type: 'record', name: 'com.acme.User', fields: [] },
        { type: 'record', name: 'User', namespace: 'com.acme', fields: [] },
        { type: 'record', name: 'com.acme.User', namespace: 'ignored.when.name.is.full', fields: [] },
      ],
      canonical: '{"type":"record","name":"User","namespace":"com.acme","fields":[]}',
    },
    {
      name: "a nested type's namespace equal to the enclosing one",
      inputs: [
        record([{ name: 'a', type: { type: 'record', name: 'Address', namespace: 'com.acme', fields: [] } }]),
        record([{ name: 'a', type: { type: 'record', name: 'com.acme.Address', fields: [] } }]),
        record([{ name: 'a', type: { type: 'record', name: 'Address', fields: [] } }]),
      ],
      canonical:
        '{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"a","type":{"type":"record","name":"Address","fields":[]}}]}',
    },
    {
      name: 'a named type referred to by short and by full name',
      inputs: [
        record([
          { name: 'a', type: { type: 'enum', name: 'Kind', symbols: ['A'] } },
          { name: 'b', type: 'Kind' },
        ]),
        record([
          { name: 'a', type: { type: 'enum', name: 'Kind', symbols: ['A'] } },
          { name: 'b', type: 'com.acme.Kind' },
        ]),
      ],
      canonical:
        '{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"a","type":{"type":"enum","name":"Kind","symbols":["A"]}},{"name":"b","type":"Kind"}]}',
    },
    {
      name: 'aliases qualified or not, custom properties in any key order',
      inputs: [
        record([], { aliases: ['OldUser'], zeta: 1, alpha: { y: 2, x: 1 } }),
        record([], { alpha: { x: 1, y: 2 }, aliases: ['com.acme.OldUser'], zeta: 1 }),
      ],
      canonical: '{"type":"record","name":"User","namespace":"com.acme","fields":[],"alpha":{"x":1,"y":2},"zeta":1,"aliases":["OldUser"]}',
    },
    {
      name: 'a top-level primitive',
      inputs: ['"int"', '{"type":"int"}'],
      canonical: '"int"',
    },
  ];

  it.each(equivalent)('collapses $name', ({ inputs, canonical }) => {
    for (const input of inputs) expect((typeof input === 'string' ? avroText(input) : avro(input)).canonical).toBe(canonical);
  });

  it('keeps doc, aliases, defaults, order, logical types and custom properties, in Java order', () => {
    const schema = {
      aliases: ['Person'],
      doc: 'a user',
      fields: [
        { default: 'n/a', doc: 'the name', name: 'name', order: 'descending', aliases: ['fullName'], type: 'string', 'x-pii': true },
        { name: 'born', type: { type: 'int', logicalType: 'date' } },
        { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'], default: 'A', doc: 'kind' } },
        { name: 'id', type: { type: 'fixed', name: 'Id', size: 16 } },
        { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'string' } }, default: {} },
        { name: 'opt', type: ['null', 'Kind'], default: null },
      ],
      name: 'User',
      namespace: 'com.acme',
      type: 'record',
    };
    expect(JSON.parse(avro(schema).canonical)).toEqual(schema);
    expect(avro(schema).canonical).toBe(
      '{"type":"record","name":"User","namespace":"com.acme","doc":"a user","fields":[' +
        '{"name":"name","type":"string","doc":"the name","default":"n/a","order":"descending","aliases":["fullName"],"x-pii":true},' +
        '{"name":"born","type":{"type":"int","logicalType":"date"}},' +
        '{"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},' +
        '{"name":"kind","type":{"type":"enum","name":"Kind","doc":"kind","symbols":["A","B"],"default":"A"}},' +
        '{"name":"id","type":{"type":"fixed","name":"Id","size":16}},' +
        '{"name":"tags","type":{"type":"map","values":{"type":"array","items":"string"}},"default":{}},' +
        '{"name":"opt","type":["null","Kind"],"default":null}],"aliases":["Person"]}',
    );
  });

  it('writes a namespace that differs from the enclosing one, "" included', () => {
    const schema = record([
      { name: 'a', type: { type: 'record', name: 'Other', namespace: 'org.other', fields: [] } },
      { name: 'b', type: { type: 'record', name: 'Plain', namespace: '', fields: [] } },
      { name: 'c', type: 'org.other.Other' },
    ]);
    expect(avro(schema).canonical).toBe(
      '{"type":"record","name":"User","namespace":"com.acme","fields":[' +
        '{"name":"a","type":{"type":"record","name":"Other","namespace":"org.other","fields":[]}},' +
        '{"name":"b","type":{"type":"record","name":"Plain","namespace":"","fields":[]}},' +
        '{"name":"c","type":"org.other.Other"}]}',
    );
  });
});

describe('AVRO invalid schemas', () => {
  const invalid: Array<{ name: string; schema: string; message: RegExp }> = [
    { name: 'not JSON', schema: '{"type": "record",', message: /^Invalid Avro schema: .*JSON/ },
    { name: 'an empty schema', schema: '', message: /^Invalid Avro schema: / },
    { name: 'an unknown type', schema: '{"type":"strin"}', message: /unknown type: "strin"/ },
    { name: 'an undefined named type', schema: JSON.stringify(record([{ name: 'a', type: 'Missing' }])), message: /undefined type name: com\.acme\.Missing/ },
    { name: 'an invalid record name', schema: '{"type":"record","name":"1User","fields":[]}', message: /invalid name: "1User"/ },
    { name: 'an invalid namespace', schema: '{"type":"record","name":"User","namespace":"foo-bar","fields":[]}', message: /invalid name: "foo-bar\.User"/ },
    { name: 'an invalid field name', schema: JSON.stringify(record([{ name: 'a-b', type: 'int' }])), message: /invalid field name: a-b/ },
    {
      name: 'a duplicate field',
      schema: JSON.stringify(record([{ name: 'a', type: 'int' }, { name: 'a', type: 'string' }])),
      message: /duplicate field name/,
    },
    {
      name: 'a default not matching the type',
      schema: JSON.stringify(record([{ name: 'a', type: 'string', default: null }])),
      message: /incompatible field default null/,
    },
    {
      name: 'a union default not matching the first branch',
      schema: JSON.stringify(record([{ name: 'a', type: ['null', 'int'], default: 1 }])),
      message: /union defaults must match the first branch/,
    },
    { name: 'a duplicate enum symbol', schema: '{"type":"enum","name":"E","symbols":["A","A"]}', message: /duplicate "E" symbol: "A"/ },
    { name: 'an enum default not among the symbols', schema: '{"type":"enum","name":"E","symbols":["A"],"default":"B"}', message: /invalid "E" default/ },
    { name: 'a negative fixed size', schema: '{"type":"fixed","name":"F","size":-1}', message: /invalid F size/ },
    { name: 'a duplicate union branch', schema: '["int","int"]', message: /duplicate union branch/ },
    { name: 'a record without fields', schema: '{"type":"record","name":"R"}', message: /record fields/ },
  ];

  it.each(invalid)('rejects $name with the parser message', ({ schema, message }) => {
    expect(() => avroText(schema)).toThrow(InvalidSchemaError);
    expect(() => avroText(schema)).toThrow(message);
  });
});

describe('AVRO references', () => {
  const address = JSON.stringify({ type: 'record', name: 'Address', namespace: 'com.acme', fields: [{ name: 'city', type: 'string' }] });
  const country = JSON.stringify({ type: 'enum', name: 'Country', namespace: 'com.acme', symbols: ['NL', 'FR'] });
  const addressWithCountry = JSON.stringify({
    type: 'record',
    name: 'Address',
    namespace: 'com.acme',
    fields: [{ name: 'country', type: 'Country' }],
  });

  it('resolves a named type from a referenced schema and prints it by name', () => {
    const refs: ResolvedReferences = new Map([['com.acme.Address', { schemaType: 'AVRO', schema: address }]]);
    const user = avro(record([{ name: 'home', type: 'Address' }, { name: 'work', type: 'com.acme.Address' }]), refs);
    expect(user.canonical).toBe(
      '{"type":"record","name":"User","namespace":"com.acme","fields":[{"name":"home","type":"Address"},{"name":"work","type":"Address"}]}',
    );
  });

  it('parses references that need each other, whatever their order in the map', () => {
    const refs: ResolvedReferences = new Map([
      ['com.acme.Address', { schemaType: 'AVRO', schema: addressWithCountry }],
      ['com.acme.Country', { schemaType: 'AVRO', schema: country }],
    ]);
    expect(avro(record([{ name: 'home', type: 'Address' }]), refs).canonical).toContain('"type":"Address"');
  });

  it('rejects a type no reference defines', () => {
    expect(() => avro(record([{ name: 'home', type: 'Address' }]))).toThrow(/undefined type name: com\.acme\.Address/);
  });

  it('rejects an invalid reference with its own message', () => {
    const refs: ResolvedReferences = new Map([['com.acme.Address', { schemaType: 'AVRO', schema: '{"type":"record"' }]]);
    expect(() => avro(record([]), refs)).toThrow(/Avro reference 'com\.acme\.Address'/);
  });

  it('compares a field of a referenced type by its definition', () => {
    const refs = (schema: string): ResolvedReferences => new Map([['com.acme.Address', { schemaType: 'AVRO', schema }]]);
    const widened = JSON.stringify({ type: 'record', name: 'Address', namespace: 'com.acme', fields: [{ name: 'city', type: 'string' }, { name: 'zip', type: 'string' }] });
    const oldUser = avro(record([{ name: 'home', type: 'Address' }]), refs(address));
    const newUser = avro(record([{ name: 'home', type: 'Address' }]), refs(widened));
    expectChange(oldUser, newUser, { name: 'ref', backward: 'READER_FIELD_MISSING_DEFAULT_VALUE', forward: true });
  });
});

describe('AVRO compatibility (reader/writer resolution)', () => {
  const field = (name: string, type: unknown, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });
  const kind = (symbols: string[], extra: Record<string, unknown> = {}) => ({ type: 'enum', name: 'Kind', symbols, ...extra });
  const node = (extra: unknown[] = []) => ({
    type: 'record',
    name: 'Node',
    fields: [field('value', 'int'), field('next', ['null', 'Node'], { default: null }), ...extra],
  });

  const cases: Array<ChangeCase & { old: unknown; new: unknown }> = [
    { name: 'add a field with a default', old: record([field('a', 'int')]), new: record([field('a', 'int'), field('b', 'string', { default: 'x' })]), backward: true, forward: true },
    { name: 'add a field without a default', old: record([field('a', 'int')]), new: record([field('a', 'int'), field('b', 'string')]), backward: 'READER_FIELD_MISSING_DEFAULT_VALUE', forward: true },
    { name: 'remove a field that had a default', old: record([field('a', 'int'), field('b', 'string', { default: 'x' })]), new: record([field('a', 'int')]), backward: true, forward: true },
    { name: 'remove a field without a default', old: record([field('a', 'int'), field('b', 'string')]), new: record([field('a', 'int')]), backward: true, forward: 'READER_FIELD_MISSING_DEFAULT_VALUE' },
    { name: 'promote int to long', old: 'int', new: 'long', backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'promote int to float', old: 'int', new: 'float', backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'promote int to double', old: 'int', new: 'double', backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'promote long to float', old: 'long', new: 'float', backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'promote long to double', old: 'long', new: 'double', backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'promote float to double', old: 'float', new: 'double', backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'string to bytes', old: 'string', new: 'bytes', backward: true, forward: true },
    { name: 'bytes to string', old: 'bytes', new: 'string', backward: true, forward: true },
    { name: 'string to int', old: 'string', new: 'int', backward: 'TYPE_MISMATCH', forward: 'TYPE_MISMATCH' },
    { name: 'int to boolean', old: 'int', new: 'boolean', backward: 'TYPE_MISMATCH', forward: 'TYPE_MISMATCH' },
    { name: 'a field from int to long', old: record([field('a', 'int')]), new: record([field('a', 'long')]), backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'array items int to long', old: { type: 'array', items: 'int' }, new: { type: 'array', items: 'long' }, backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'map values int to long', old: { type: 'map', values: 'int' }, new: { type: 'map', values: 'long' }, backward: true, forward: 'TYPE_MISMATCH' },
    { name: 'array to map', old: { type: 'array', items: 'int' }, new: { type: 'map', values: 'int' }, backward: 'TYPE_MISMATCH', forward: 'TYPE_MISMATCH' },
    { name: 'add an enum symbol', old: kind(['A', 'B']), new: kind(['A', 'B', 'C']), backward: true, forward: 'MISSING_ENUM_SYMBOLS' },
    { name: 'remove an enum symbol', old: kind(['A', 'B', 'C']), new: kind(['A', 'B']), backward: 'MISSING_ENUM_SYMBOLS', forward: true },
    { name: 'remove an enum symbol, the new enum having a default', old: kind(['A', 'B', 'C']), new: kind(['A', 'B'], { default: 'A' }), backward: true, forward: true },
    { name: 'add an enum symbol, the old enum having a default', old: kind(['A', 'B'], { default: 'A' }), new: kind(['A', 'B', 'C'], { default: 'A' }), backward: true, forward: true },
    { name: 'rename an enum', old: kind(['A']), new: { type: 'enum', name: 'Sort', symbols: ['A'] }, backward: 'NAME_MISMATCH', forward: 'NAME_MISMATCH' },
    { name: 'T to ["null", T]', old: record([field('a', 'string')]), new: record([field('a', ['null', 'string'], { default: null })]), backward: true, forward: 'TYPE_MISMATCH' },
    { name: '["null", T] to T', old: record([field('a', ['null', 'string'], { default: null })]), new: record([field('a', 'string')]), backward: 'TYPE_MISMATCH', forward: true },
    { name: 'add a union branch', old: ['null', 'string'], new: ['null', 'string', 'int'], backward: true, forward: 'MISSING_UNION_BRANCH' },
    { name: 'a union branch promoted', old: ['null', 'int'], new: ['null', 'long'], backward: true, forward: 'MISSING_UNION_BRANCH' },
    { name: 'a writer type missing from the reader union', old: 'int', new: ['null', 'string'], backward: 'MISSING_UNION_BRANCH', forward: 'TYPE_MISMATCH' },
    { name: 'a union member promoted out of the union', old: ['int', 'string'], new: ['long', 'string'], backward: true, forward: 'MISSING_UNION_BRANCH' },
    { name: 'rename a record', old: record([]), new: { ...record([]), name: 'Person' }, backward: 'NAME_MISMATCH', forward: 'NAME_MISMATCH' },
    { name: 'rename a record, the new one aliasing the old name', old: record([]), new: { ...record([]), name: 'Person', aliases: ['com.acme.User'] }, backward: true, forward: 'NAME_MISMATCH' },
    { name: 'change only the namespace', old: record([field('a', 'int')]), new: { ...record([field('a', 'int')]), namespace: 'org.other' }, backward: true, forward: true },
    {
      name: 'rename a field, the new one aliasing the old name',
      old: record([field('a', 'int')]),
      new: record([field('b', 'int', { aliases: ['a'] })]),
      backward: true,
      forward: 'READER_FIELD_MISSING_DEFAULT_VALUE',
    },
    {
      name: 'rename a field with an alias, the old field having a default',
      old: record([field('a', 'int', { default: 0 })]),
      new: record([field('b', 'int', { aliases: ['a'] })]),
      backward: true,
      forward: true,
    },
    { name: 'change a fixed size', old: { type: 'fixed', name: 'Id', size: 16 }, new: { type: 'fixed', name: 'Id', size: 8 }, backward: 'FIXED_SIZE_MISMATCH', forward: 'FIXED_SIZE_MISMATCH' },
    { name: 'rename a fixed', old: { type: 'fixed', name: 'Id', size: 16 }, new: { type: 'fixed', name: 'Key', size: 16 }, backward: 'NAME_MISMATCH', forward: 'NAME_MISMATCH' },
    {
      name: 'add a field without default to a nested record',
      old: record([field('home', { type: 'record', name: 'Address', fields: [field('city', 'string')] })]),
      new: record([field('home', { type: 'record', name: 'Address', fields: [field('city', 'string'), field('zip', 'string')] })]),
      backward: 'READER_FIELD_MISSING_DEFAULT_VALUE',
      forward: true,
    },
    { name: 'a recursive record gaining a field with a default', old: node(), new: node([field('label', 'string', { default: '' })]), backward: true, forward: true },
    { name: 'a recursive record gaining a field without default', old: node(), new: node([field('label', 'string')]), backward: 'READER_FIELD_MISSING_DEFAULT_VALUE', forward: true },
    { name: 'add a logical type', old: record([field('d', 'int')]), new: record([field('d', { type: 'int', logicalType: 'date' })]), backward: true, forward: true },
    { name: 'a record made one branch of a union', old: record([field('a', 'int')]), new: ['null', record([field('a', 'int')])], backward: true, forward: 'TYPE_MISMATCH' },
  ];

  it.each(cases)('$name', (change) => {
    expectChange(avro(change.old), avro(change.new), change);
  });

  it('reports where and why, naming the new and the old schema', () => {
    const messages = (level: 'BACKWARD' | 'FORWARD') =>
      parseAndCheck(level, record([field('a', 'int')]), record([field('a', 'int'), field('first', 'string')]));
    expect(messages('BACKWARD')).toEqual([
      "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'first' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'first'}",
    ]);
    expect(parseAndCheck('FORWARD', 'long', 'int')).toEqual([]);
    expect(parseAndCheck('FORWARD', 'int', 'long')).toEqual([
      "{errorType:'TYPE_MISMATCH', description:'The type (path '/') of a field in the old schema does not match with the new schema', additionalInfo:'reader type: INT not compatible with writer type: LONG'}",
    ]);
  });
});

function parseAndCheck(level: 'BACKWARD' | 'FORWARD', oldSchema: unknown, newSchema: unknown): string[] {
  return checkCompatibility(level, avro(newSchema), [avro(oldSchema)]);
}
