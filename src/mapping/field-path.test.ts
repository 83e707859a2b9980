import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRoot, PROJECT_DIR } from '../protos/root.js';
import {
  canonicalPath,
  FieldPathError,
  findField,
  messageTypeOf,
  parentFor,
  resolveFieldPath,
  setAt,
  valueAt,
} from './field-path.js';
import { messageToJson } from './proto-json.js';

const root = buildRoot([
  { name: 'vectors.proto', content: readFileSync(join(PROJECT_DIR, 'test/vectors/fixtures/vectors.proto'), 'utf8') },
]);
const Req = root.lookupType('vec.v1.Req');

function errorOf(run: () => unknown): FieldPathError {
  try {
    run();
  } catch (err) {
    if (err instanceof FieldPathError) return err;
    throw err;
  }
  throw new Error('expected a FieldPathError');
}

describe('findField', () => {
  it.each<[string, boolean, string | undefined]>([
    ['display_name', false, 'display_name'],
    ['display_name', true, 'display_name'],
    ['displayName', false, undefined],
    ['displayName', true, 'display_name'],
    ['renamed', true, 'odd'],
    ['odd', true, 'odd'],
    ['renamed', false, undefined],
    ['pickS', true, 'pick_s'],
    ['nope', true, undefined],
  ])('%s (JSON names: %s) -> %s', (name, acceptJson, expected) => {
    expect(findField(Req, name, acceptJson)?.name).toBe(expected);
  });
});

describe('messageTypeOf', () => {
  it.each<[string, string | undefined]>([
    ['sub', '.vec.v1.Sub'],
    ['subs', '.vec.v1.Sub'],
    ['ts', '.google.protobuf.Timestamp'],
    ['name', undefined],
    ['color', undefined],
  ])('%s -> %s', (field, type) => {
    expect(messageTypeOf(Req.fields[field])?.fullName).toBe(type);
  });
});

describe('resolveFieldPath', () => {
  it.each<[string, boolean, string, Array<string | undefined>]>([
    ['name', false, 'name', [undefined]],
    ['book.id', false, 'book.id', ['.vec.v1.Book', undefined]],
    ['sub.child.child.a', false, 'sub.child.child.a', ['.vec.v1.Sub', '.vec.v1.Sub', '.vec.v1.Sub', undefined]],
    ['displayName', true, 'display_name', [undefined]],
    ['sub.child.b', true, 'sub.child.b', ['.vec.v1.Sub', '.vec.v1.Sub', undefined]],
    ['renamed', true, 'odd', [undefined]],
    ['tags', false, 'tags', [undefined]],
    ['labels', false, 'labels', [undefined]],
    ['subs', false, 'subs', [undefined]],
    ['ts', false, 'ts', ['.google.protobuf.Timestamp']],
  ])('%s (JSON names: %s) -> %s', (path, acceptJson, canonical, types) => {
    const steps = resolveFieldPath(Req, path, acceptJson);
    expect(canonicalPath(steps)).toBe(canonical);
    expect(steps.map((s) => s.messageType?.fullName)).toEqual(types);
  });

  it.each<[string, boolean, FieldPathError['kind'], string]>([
    ['', false, 'syntax', "'' is not a field path"],
    ['a..b', false, 'syntax', "'a..b' is not a field path"],
    ['.a', false, 'syntax', "'.a' is not a field path"],
    ['a.', false, 'syntax', "'a.' is not a field path"],
    ['1a', false, 'syntax', "'1a' is not a field path"],
    ['labels[env]', false, 'syntax', "'labels[env]' is not a field path"],
    ['a-b', false, 'syntax', "'a-b' is not a field path"],
    ['nope', false, 'unknown', "no field 'nope' in vec.v1.Req"],
    ['displayName', false, 'unknown', "no field 'displayName' in vec.v1.Req"],
    ['book.nope', false, 'unknown', "no field 'nope' in vec.v1.Book"],
    ['sub.child.zz', true, 'unknown', "no field 'zz' in vec.v1.Sub"],
    ['name.x', false, 'structure', "'name' is not a message field"],
    ['sub.a.b', false, 'structure', "'sub.a' is not a message field"],
    ['subs.a', false, 'structure', "'subs' is a repeated field"],
    ['tags.x', false, 'structure', "'tags' is a repeated field"],
    ['labels.env', false, 'structure', "'labels' is a map field"],
  ])('%j (JSON names: %s) is a %s error', (path, acceptJson, kind, message) => {
    const err = errorOf(() => resolveFieldPath(Req, path, acceptJson));
    expect(err).toBeInstanceOf(Error);
    expect(err.kind).toBe(kind);
    expect(err.message).toBe(message);
  });
});

describe('setAt, valueAt, parentFor', () => {
  it('setAt creates the intermediate messages', () => {
    const message: Record<string, unknown> = {};
    setAt(message, resolveFieldPath(Req, 'sub.child.a'), 'x');
    setAt(message, resolveFieldPath(Req, 'sub.b'), 2);
    expect(message).toEqual({ sub: { child: { a: 'x' }, b: 2 } });
    const encoded = Req.encode(message).finish();
    expect(messageToJson(Req, Req.decode(encoded), { useProtoNames: true })).toEqual({ sub: { b: 2, child: { a: 'x' } } });
  });

  it('setAt keeps existing siblings and replaces null parents', () => {
    const message: Record<string, unknown> = { sub: { a: 'keep' }, book: null };
    setAt(message, resolveFieldPath(Req, 'sub.b'), 3);
    setAt(message, resolveFieldPath(Req, 'book.title'), 't');
    expect(message).toEqual({ sub: { a: 'keep', b: 3 }, book: { title: 't' } });
  });

  it('setAt uses proto names even for paths resolved by JSON name', () => {
    const message: Record<string, unknown> = {};
    setAt(message, resolveFieldPath(Req, 'displayName', true), 'd');
    expect(message).toEqual({ display_name: 'd' });
  });

  it('setAt replaces a value', () => {
    const message: Record<string, unknown> = { name: 'a' };
    setAt(message, resolveFieldPath(Req, 'name'), 'b');
    expect(message).toEqual({ name: 'b' });
  });

  it.each<[string, Record<string, unknown> | undefined, unknown]>([
    ['sub.child.a', { sub: { child: { a: 'x' } } }, 'x'],
    ['sub.child.a', { sub: { child: null } }, undefined],
    ['sub.child.a', { sub: {} }, undefined],
    ['sub.child.a', {}, undefined],
    ['sub.child.a', undefined, undefined],
    ['sub', { sub: { a: 'x' } }, { a: 'x' }],
    ['flag', { flag: false }, false],
  ])('valueAt %s of %j', (path, message, expected) => {
    expect(valueAt(message, resolveFieldPath(Req, path))).toEqual(expected);
  });

  it('valueAt reads a decoded message', () => {
    const decoded = Req.decode(Req.encode({ sub: { child: { b: 5 } } }).finish()) as unknown as Record<string, unknown>;
    expect(valueAt(decoded, resolveFieldPath(Req, 'sub.child.b'))).toBe(5);
  });

  it('parentFor returns the object holding the last step', () => {
    const message: Record<string, unknown> = {};
    const parent = parentFor(message, resolveFieldPath(Req, 'book.id'));
    parent.id = 9;
    expect(message).toEqual({ book: { id: 9 } });
    expect(parentFor(message, resolveFieldPath(Req, 'name'))).toBe(message);
  });
});
