import { describe, expect, it } from 'vitest';
import { checkCompatibility, InvalidSchemaError, parseSchema, type CompatibilityLevel, type ParsedSchema, type SchemaType } from './index.js';

const NO_REFS = new Map();

const avro = (fields: unknown[]): ParsedSchema =>
  parseSchema('AVRO', JSON.stringify({ type: 'record', name: 'Person', fields }), NO_REFS);

const age = { name: 'age', type: 'int' };

// §5.2's transitive example, with one more version: the candidate reads
// the data of v3 and v2 (they have `first`) but not v1's.
const backwardHistory = [
  avro([age]),
  avro([age, { name: 'first', type: 'string', default: 'John' }]),
  avro([age, { name: 'first', type: 'string', default: 'John' }, { name: 'middle', type: 'string', default: '' }]),
];
const backwardCandidate = avro([age, { name: 'first', type: 'string' }, { name: 'last', type: 'string', default: 'Doe' }]);

// The FORWARD mirror: v1 cannot read the candidate (no `name`, and v1 has no default), v2 and v3 can.
const forwardHistory = [
  avro([age, { name: 'name', type: 'string' }]),
  avro([age, { name: 'name', type: 'string', default: 'x' }]),
  avro([age, { name: 'name', type: 'string', default: 'x' }, { name: 'nick', type: 'string', default: '' }]),
];
const forwardCandidate = avro([age]);

describe('compatibility levels (§5.1)', () => {
  const table: Array<{ level: CompatibilityLevel; history: ParsedSchema[]; candidate: ParsedSchema; compatible: boolean }> = [
    { level: 'NONE', history: backwardHistory, candidate: avro([{ name: 'x', type: 'string' }]), compatible: true },
    { level: 'BACKWARD', history: backwardHistory, candidate: backwardCandidate, compatible: true },
    { level: 'BACKWARD_TRANSITIVE', history: backwardHistory, candidate: backwardCandidate, compatible: false },
    { level: 'FORWARD', history: forwardHistory, candidate: forwardCandidate, compatible: true },
    { level: 'FORWARD_TRANSITIVE', history: forwardHistory, candidate: forwardCandidate, compatible: false },
    { level: 'FULL', history: forwardHistory, candidate: forwardCandidate, compatible: true },
    { level: 'FULL_TRANSITIVE', history: forwardHistory, candidate: forwardCandidate, compatible: false },
    // int -> long: the new schema reads old data, not the other way round.
    { level: 'BACKWARD', history: [avro([age])], candidate: avro([{ name: 'age', type: 'long' }]), compatible: true },
    { level: 'FORWARD', history: [avro([age])], candidate: avro([{ name: 'age', type: 'long' }]), compatible: false },
    { level: 'FULL', history: [avro([age])], candidate: avro([{ name: 'age', type: 'long' }]), compatible: false },
  ];

  it.each(table)('$level with $history.length versions: compatible = $compatible', ({ level, history, candidate, compatible }) => {
    expect(checkCompatibility(level, candidate, history).length === 0).toBe(compatible);
  });

  it('names the failing direction in the messages', () => {
    expect(checkCompatibility('BACKWARD_TRANSITIVE', backwardCandidate, backwardHistory)).toEqual([
      "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'first' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'first'}",
    ]);
    expect(checkCompatibility('FORWARD_TRANSITIVE', forwardCandidate, forwardHistory)).toEqual([
      "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'name' at path '/fields/1' in the old schema has no default value and is missing in the new schema', additionalInfo:'name'}",
    ]);
  });

  it('checks only the newest version unless transitive', () => {
    const incompatibleWithAll = avro([{ name: 'age', type: 'string' }]);
    expect(checkCompatibility('BACKWARD', incompatibleWithAll, backwardHistory)).toHaveLength(1);
    expect(checkCompatibility('BACKWARD_TRANSITIVE', incompatibleWithAll, backwardHistory)).toHaveLength(3);
    expect(checkCompatibility('FULL_TRANSITIVE', incompatibleWithAll, backwardHistory)).toHaveLength(6);
  });

  it.each<CompatibilityLevel>(['BACKWARD', 'FORWARD_TRANSITIVE', 'FULL'])('accepts anything on an empty subject (%s)', (level) => {
    expect(checkCompatibility(level, backwardCandidate, [])).toEqual([]);
  });

  it.each<CompatibilityLevel>(['BACKWARD', 'FORWARD', 'FULL_TRANSITIVE'])('rejects a change of schema type (%s)', (level) => {
    const json = parseSchema('JSON', '{"type":"object"}', NO_REFS);
    expect(checkCompatibility(level, json, [avro([age])]).join()).toContain("errorType:'SCHEMA_TYPE_CHANGED'");
  });

  it('rejects an unknown schema type as an invalid schema', () => {
    expect(() => parseSchema('XML' as SchemaType, '<a/>', NO_REFS)).toThrow(InvalidSchemaError);
  });

  it('accepts a change of schema type under NONE', () => {
    expect(checkCompatibility('NONE', parseSchema('JSON', '{}', NO_REFS), [avro([age])])).toEqual([]);
  });

  it('applies transitivity to JSON and Protobuf as well (only v1 of 3 incompatible)', () => {
    const json = (schema: unknown) => parseSchema('JSON', JSON.stringify(schema), NO_REFS);
    const jsonHistory = [json({ type: 'string' }), json({ type: 'string', maxLength: 10 }), json({ type: 'string', maxLength: 15 })];
    const jsonCandidate = json({ type: 'string', maxLength: 20 });
    expect(checkCompatibility('BACKWARD', jsonCandidate, jsonHistory)).toEqual([]);
    expect(checkCompatibility('BACKWARD_TRANSITIVE', jsonCandidate, jsonHistory).join()).toContain('MAX_LENGTH_ADDED');

    const proto = (body: string) => parseSchema('PROTOBUF', `syntax = "proto3"; ${body}`, NO_REFS);
    const protoHistory = [proto('message M { string a = 1; }'), proto('message M { int32 a = 1; }'), proto('message M { uint32 a = 1; }')];
    const protoCandidate = proto('message M { int64 a = 1; }');
    expect(checkCompatibility('FULL', protoCandidate, protoHistory)).toEqual([]);
    expect(checkCompatibility('FULL_TRANSITIVE', protoCandidate, protoHistory).join()).toContain('FIELD_SCALAR_KIND_CHANGED');
  });
});
