import { describe, expect, it } from 'vitest';
import { joinBasePath, parsePathTemplate, TemplateError, type PathTemplate } from './path-template.js';

function rejectionOf(template: string): string {
  try {
    parsePathTemplate(template);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return (error as TemplateError).message;
  }
  throw new Error(`${JSON.stringify(template)} was accepted`);
}

describe('parsePathTemplate rejects', () => {
  // vectors.json T01 (malformed), T04 (nested variable), T05 (field bound twice), with the problem reported.
  it.each([
    ['', "must start with '/'", 0],
    ['v1/{name}', "must start with '/'", 0],
    ['//', 'empty segment', 1],
    ['/{}', 'missing field name', 2],
    ['/a/', 'empty segment', 3],
    ['/a//b', 'empty segment', 3],
    [':verb', "must start with '/'", 0],
    ['/:verb', "missing segment before ':'", 1],
    ['/a/:verb', "missing segment before ':'", 3],
    ['/*:', "missing verb after ':'", 2],
    ['/{name}:', "missing verb after ':'", 7],
    ['/a/{', 'unterminated variable', 3],
    ['/a/{name', 'unterminated variable', 3],
    ['/a/{name.', 'unterminated variable', 3],
    ['/a/{name=s:verb}', "':' is not allowed inside a variable", 10],
    ['/a/{name=/b}', 'empty segment', 9],
    ['/a{name}', 'a variable must be a whole segment', 2],
    ['/{name}a', 'a variable must be a whole segment', 7],
    ['/a/b{name}c', 'a variable must be a whole segment', 4],
    ['/a/**/*', "'**' must be the last segment", 6],
    ['/a/**/**', "'**' must be the last segment", 6],
    ['/a/**/b/**', "'**' must be the last segment", 6],
    ['/{field-name}', 'invalid character "-" in field path', 7],
    ['/{sub..a}', 'expected a field name', 6],
    ['/{name=a/{parent=*}}', 'a variable may not contain another variable', 9],
    ['/v1/{name}/{name}', 'field path "name" is bound twice', 12],
  ])('%j: %s at offset %i', (template, problem, offset) => {
    expect(rejectionOf(template)).toBe(`invalid path template ${JSON.stringify(template)}: ${problem} at offset ${offset}`);
  });

  it.each([
    ['/a/{x=**}/b', "'**' must be the last segment"],
    ['/{x=a/**/b}', "'**' must be the last segment"],
    ['/a*', "'*' must be a whole segment"],
    ['/*a', "'*' must be a whole segment"],
    ['/***', "'*' must be a whole segment"],
    ['/a/{x=}', 'empty segment'],
    ['/a/{x=a/}', 'empty segment'],
    ['/a}', "unmatched '}'"],
    ['/a:b:c', 'unexpected ":"'],
    ['/a:b/c', 'unexpected "/"'],
    ['/a%20b', 'invalid character "%" in literal'],
    ['/a?b', 'invalid character "?" in literal'],
    ['/café', 'invalid character "é" in literal'],
    ['/{1x}', 'missing field name'],
    ['/{a.1}', 'expected a field name'],
    ['/{x}{y}', 'a variable must be a whole segment'],
    ['/a:v*', 'unexpected "*"'],
  ])('%j: %s', (template, problem) => {
    expect(rejectionOf(template)).toContain(`: ${problem} at offset `);
  });
});

describe('parsePathTemplate accepts', () => {
  it.each<[string, Omit<PathTemplate, 'source'>]>([
    ['/', { segments: [], variables: [] }],
    // T02: {var} is {var=*}.
    ['/v1/{name}', { segments: [lit('v1'), any()], variables: [v('name', 1, 1)] }],
    ['/v1/{name=*}', { segments: [lit('v1'), any()], variables: [v('name', 1, 1)] }],
    ['/v1/{name=messages/*}', { segments: [lit('v1'), lit('messages'), any()], variables: [v('name', 1, 2)] }],
    [
      '/v1/{name=shelves/*/books/*}',
      { segments: [lit('v1'), lit('shelves'), any(), lit('books'), any()], variables: [v('name', 1, 4)] },
    ],
    ['/v1/{name=files/**}', { segments: [lit('v1'), lit('files'), rest()], variables: [v('name', 1, 2)] }],
    [
      '/v1/users/{parent}/messages/{name}',
      { segments: [lit('v1'), lit('users'), any(), lit('messages'), any()], variables: [v('parent', 2, 2), v('name', 4, 4)] },
    ],
    // P06 / T09: dotted field paths.
    [
      '/v1/shelves/{shelf}/books/{book.id}',
      { segments: [lit('v1'), lit('shelves'), any(), lit('books'), any()], variables: [v('shelf', 2, 2), v('book.id', 4, 4)] },
    ],
    [
      '/v1/{name=operations/*}:cancel',
      { segments: [lit('v1'), lit('operations'), any()], variables: [v('name', 1, 2)], verb: 'cancel' },
    ],
    ['/{name=**}:verb', { segments: [rest()], variables: [v('name', 0, 0)], verb: 'verb' }],
    ['/{name}/{parent}:verb', { segments: [any(), any()], variables: [v('name', 0, 0), v('parent', 1, 1)], verb: 'verb' }],
    ['/c/*/d/**', { segments: [lit('c'), any(), lit('d'), rest()], variables: [] }],
    ['/a/*:x', { segments: [lit('a'), any()], variables: [], verb: 'x' }],
    // OpenAPI style.
    [
      '/folders/{folder}/versions/{version}',
      { segments: [lit('folders'), any(), lit('versions'), any()], variables: [v('folder', 1, 1), v('version', 3, 3)] },
    ],
    ['/{x=literal}', { segments: [lit('literal')], variables: [v('x', 0, 0)] }],
    [
      "/a-b.c_d~e!f$g&h'i(j)k+l,m;n=o@p/v1.2",
      { segments: [lit("a-b.c_d~e!f$g&h'i(j)k+l,m;n=o@p"), lit('v1.2')], variables: [] },
    ],
    ['/{_a1.b_2}', { segments: [any()], variables: [v('_a1.b_2', 0, 0)] }],
  ])('%j', (template, expected) => {
    expect(parsePathTemplate(template)).toEqual({ source: template, ...expected });
  });
});

describe('joinBasePath', () => {
  it.each([
    ['/kv', '/{key=**}', '/kv/{key=**}'],
    ['', '/{key=**}', '/{key=**}'],
    ['/', '/{key=**}', '/{key=**}'],
    ['/kv/', '/{key=**}', '/kv/{key=**}'],
    ['/api/v2', '/x:verb', '/api/v2/x:verb'],
    ['/kv', '/', '/kv'],
    ['', '/', '/'],
  ])('(%j, %j) -> %j', (base, template, joined) => {
    expect(joinBasePath(base, template)).toBe(joined);
  });

  it.each([
    ['/kv/{x}', '/a', 'invalid base path "/kv/{x}": only literal segments are allowed'],
    ['/kv/*', '/a', 'invalid base path "/kv/*": only literal segments are allowed'],
    ['/kv:verb', '/a', 'invalid base path "/kv:verb": only literal segments are allowed'],
    ['kv', '/a', `invalid base path "kv": must start with '/' at offset 0`],
    ['/a//b', '/a', 'invalid base path "/a//b": empty segment at offset 3'],
    ['/kv', 'a', `invalid path template "a": must start with '/' at offset 0`],
    ['/kv', '', `invalid path template "": must start with '/' at offset 0`],
  ])('(%j, %j) is refused', (base, template, message) => {
    expect(() => joinBasePath(base, template)).toThrow(new TemplateError(message));
  });

  it('gives a template whose errors point into the joined text', () => {
    expect(rejectionOf(joinBasePath('/kv', '/{key'))).toBe('invalid path template "/kv/{key": unterminated variable at offset 4');
  });
});

function lit(value: string) {
  return { kind: 'literal' as const, value };
}

function any() {
  return { kind: 'any' as const };
}

function rest() {
  return { kind: 'rest' as const };
}

function v(fieldPath: string, first: number, last: number) {
  return { fieldPath, first, last };
}

describe('parsePathTemplate with allowInnerDoubleWildcard', () => {
  const inner = { allowInnerDoubleWildcard: true };

  it('is off by default: T01 still refuses a segment after **', () => {
    for (const template of ['/a/**/*', '/a/{x=**}/b', '/a/**/b/**']) {
      expect(rejectionOf(template)).toContain("'**' must be the last segment");
    }
  });

  it.each<[string, Omit<PathTemplate, 'source'>]>([
    ['/a/**/*', { segments: [lit('a'), rest(), any()], variables: [] }],
    [
      '/folders/{folder=**}/versions',
      { segments: [lit('folders'), rest(), lit('versions')], variables: [v('folder', 1, 1)] },
    ],
    [
      '/c/folders/{folder=**}/versions/{version}',
      { segments: [lit('c'), lit('folders'), rest(), lit('versions'), any()], variables: [v('folder', 2, 2), v('version', 4, 4)] },
    ],
    ['/{x=a/**/b}:verb', { segments: [lit('a'), rest(), lit('b')], variables: [v('x', 0, 2)], verb: 'verb' }],
    // Without a tail it is the ordinary template.
    ['/kv/{key=**}', { segments: [lit('kv'), rest()], variables: [v('key', 1, 1)] }],
  ])('accepts %j', (template, expected) => {
    expect(parsePathTemplate(template, inner)).toEqual({ source: template, ...expected });
  });

  it.each(['/a/**/b/**', '/a/{x=**}/{y=**}', '/**/x/**:v'])('still refuses a second ** in %j', (template) => {
    expect(() => parsePathTemplate(template, inner)).toThrow("only one '**' is allowed in a template");
  });

  it('still refuses the other malformed templates', () => {
    expect(() => parsePathTemplate('/a/**//b', inner)).toThrow('empty segment');
    expect(() => parsePathTemplate('/a/**/b{x}', inner)).toThrow('a variable must be a whole segment');
  });
});
