import { describe, expect, it } from 'vitest';
import { JsonNumber, JsonSyntaxError, jsonValueToPlain, parseJsonText } from './json-text.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

function syntaxErrorOf(input: string | Uint8Array): JsonSyntaxError {
  try {
    parseJsonText(input);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected a syntax error for ${String(input)}`);
}

describe('parseJsonText', () => {
  it.each([
    ['null', null],
    ['true', true],
    [' false\n', false],
    ['"abc"', 'abc'],
    ['[]', []],
    ['{}', {}],
    ['[1, "a", [true], {"k": null}]', [1, 'a', [true], { k: null }]],
    ['{"a": {"b": [1, 2]}, "c": "d"}', { a: { b: [1, 2] }, c: 'd' }],
    ['\t\r\n {"s" : "x"} \n', { s: 'x' }],
  ])('parses %j', (text, expected) => {
    expect(jsonValueToPlain(parseJsonText(text))).toEqual(expected);
  });

  it.each(['0', '-0', '12', '-12', '1.5', '-0.25', '1e2', '1E+2', '2.5e-3', '9223372036854775807', '18446744073709551616', '1e309'])(
    'keeps the number %s as its source text',
    (text) => {
      const value = parseJsonText(text);
      expect(value).toBeInstanceOf(JsonNumber);
      expect((value as JsonNumber).text).toBe(text);
    },
  );

  it.each([
    ['"a\\"b"', 'a"b'],
    ['"\\\\ \\/ \\b \\f \\n \\r \\t"', '\\ / \b \f \n \r \t'],
    ['"\\u00e9t\\u00E9"', 'été'],
    ['"\\ud83d\\ude00"', '😀'],
    ['"plain then \\n escape"', 'plain then \n escape'],
    ['"été 😀"', 'été 😀'],
  ])('decodes the string %s', (text, expected) => {
    expect(parseJsonText(text)).toBe(expected);
  });

  it('reads UTF-8 bytes and ignores a byte order mark', () => {
    expect(parseJsonText(utf8('{"s":"été"}'))).toEqual({ s: 'été' });
    expect(parseJsonText(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('1')]))).toEqual(new JsonNumber('1'));
  });

  it('returns null-prototype objects, so "__proto__" is an ordinary key', () => {
    const value = parseJsonText('{"__proto__": {"polluted": true}, "constructor": 1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps keys in document order', () => {
    expect(Object.keys(parseJsonText('{"b":1,"a":2,"c":3}') as object)).toEqual(['b', 'a', 'c']);
  });

  it.each([
    // B05: malformed JSON bodies
    ['INVALID_JSON', "unexpected character 'I' at offset 0", 0],
    ['{"s":"x"', 'unexpected end of input', 8],
    ['{"s" "x"}', "unexpected character '\"' at offset 5", 5],
    ['{"s":"x"}EXTRA', "unexpected character 'E' at offset 9", 9],
    // B10: duplicate keys
    ['{"s":"a","s":"b"}', 'duplicate key "s" at offset 9', 9],
    ['', 'unexpected end of input', 0],
    ['   ', 'unexpected end of input', 3],
    ['[1,]', "unexpected character ']' at offset 3", 3],
    ['{"a":1,}', "unexpected character '}' at offset 7", 7],
    ['[1 2]', "unexpected character '2' at offset 3", 3],
    ['{a:1}', "unexpected character 'a' at offset 1", 1],
    ["'a'", "unexpected character ''' at offset 0", 0],
    ['01', "unexpected character '1' at offset 1", 1],
    ['+1', "unexpected character '+' at offset 0", 0],
    ['.5', "unexpected character '.' at offset 0", 0],
    ['1.', 'unexpected end of input', 2],
    ['1e', 'unexpected end of input', 2],
    ['-', 'unexpected end of input', 1],
    ['NaN', "unexpected character 'N' at offset 0", 0],
    ['Infinity', "unexpected character 'I' at offset 0", 0],
    ['tru', 'unexpected end of input', 3],
    ['trux', "unexpected character 'x' at offset 3", 3],
    ['nul', 'unexpected end of input', 3],
    ['"abc', 'unexpected end of input', 4],
    ['"a\nb"', 'unescaped control character U+000A in string at offset 2', 2],
    ['"\\x"', "invalid escape '\\x' at offset 1", 1],
    ['"\\u12G4"', "unexpected character 'G' at offset 5", 5],
    ['"\\ud800"', 'unpaired surrogate escape at offset 1', 1],
    ['"\\udc00\\ud800"', 'unpaired surrogate escape at offset 1', 1],
    ['"\\ud800\\u0041"', 'unpaired surrogate escape at offset 1', 1],
    ['"\ud800"', 'unpaired surrogate U+D800 in string at offset 1', 1],
    ['\u00a0 1', 'unexpected character U+00A0 at offset 0', 0],
    ['1 // comment', "unexpected character '/' at offset 2", 2],
  ])('rejects %j: %s', (text, message, offset) => {
    const error = syntaxErrorOf(text);
    expect(error.message).toBe(message);
    expect(error.offset).toBe(offset);
  });

  it.each([
    // B11: the body {"s":"<C3 28>"}
    [Buffer.from('eyJzIjoiwygifQ==', 'base64'), 6],
    [new Uint8Array([0x22, 0xff, 0x22]), 1],
    [new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), 1], // an encoded surrogate
    [new Uint8Array([0x22, 0xc0, 0xaf, 0x22]), 1], // overlong '/'
    [new Uint8Array([0x22, 0xe2, 0x82]), 1], // truncated sequence
  ])('rejects invalid UTF-8 %#', (bytes, offset) => {
    const error = syntaxErrorOf(bytes);
    expect(error.message).toBe(`invalid UTF-8 at byte ${offset}`);
    expect(error.offset).toBe(offset);
  });

  it('limits nesting depth instead of overflowing the stack', () => {
    expect(() => parseJsonText('['.repeat(100_000))).toThrow(/nesting deeper than 1000 levels/);
    expect(jsonValueToPlain(parseJsonText('['.repeat(500) + ']'.repeat(500)))).toBeInstanceOf(Array);
  });
});

describe('jsonValueToPlain', () => {
  it('turns JsonNumbers into JS numbers, recursively', () => {
    expect(jsonValueToPlain(parseJsonText('{"a":[1,2.5,-3e2],"b":{"c":1e400}}'))).toEqual({
      a: [1, 2.5, -300],
      b: { c: Infinity },
    });
  });
});
