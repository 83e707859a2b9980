import { describe, expect, it } from 'vitest';
import { bareMediaType, compileMediaTypeMatcher, DEFAULT_JSON_CONTENT_TYPES, isDefaultJsonMediaType, isValidMediaTypePattern } from './media-type.js';

describe('bareMediaType', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    [' ; charset=utf-8', undefined],
    ['application/json', 'application/json'],
    ['Application/JSON ; charset=UTF-8', 'application/json'],
  ])('%j -> %j', (header, expected) => expect(bareMediaType(header)).toBe(expected));
});

describe('compileMediaTypeMatcher', () => {
  const matcher = compileMediaTypeMatcher(['application/json', 'Application/Octet-Stream; x=y', 'application/vnd.*+json']);

  it.each<[string, boolean]>([
    ['application/json', true],
    ['application/octet-stream', true],
    ['application/vnd.example.v1+json', true],
    ['application/vnd.x+json', true],
    ['application/problem+json', false],
    ['application/vnd.x+xml', false],
    ['text/plain', false],
  ])('%s: %s', (mt, expected) => expect(matcher(mt)).toBe(expected));

  it("does not let '*' cross a '/'", () => {
    expect(compileMediaTypeMatcher(['*+json'])('application/x+json')).toBe(false);
    expect(compileMediaTypeMatcher(['*/*'])('text/plain')).toBe(true);
  });

  it('treats regex characters in a pattern literally', () => {
    const m = compileMediaTypeMatcher(['application/a.b+json']);
    expect(m('application/a.b+json')).toBe(true);
    expect(m('application/aXb+json')).toBe(false);
  });

  it('matches what the default predicate matches for the default list', () => {
    const defaults = compileMediaTypeMatcher(DEFAULT_JSON_CONTENT_TYPES);
    for (const mt of ['application/json', 'application/x+json', 'application/jsonx', 'text/json', 'application/x+json5']) {
      expect(defaults(mt)).toBe(isDefaultJsonMediaType(mt));
    }
  });

  it('checks patterns', () => {
    expect(isValidMediaTypePattern('application/*+json')).toBe(true);
    expect(isValidMediaTypePattern('application')).toBe(false);
    expect(isValidMediaTypePattern('application/json; charset=utf-8')).toBe(true);
    expect(isValidMediaTypePattern('application/json/x')).toBe(false);
  });
});
