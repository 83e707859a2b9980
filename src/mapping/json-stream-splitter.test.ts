import { describe, expect, it } from 'vitest';
import { ProxyError } from '../errors/catalogue.js';
import { JsonStreamSplitter } from './json-stream-splitter.js';
import { JsonSyntaxError } from './json-text.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const text = (values: Uint8Array[]) => values.map((v) => Buffer.from(v).toString('utf8'));

/** Feeds `body` in the given chunks and returns each value's text. */
function splitChunks(chunks: Uint8Array[], limit = Infinity): string[] {
  const splitter = new JsonStreamSplitter(limit);
  const values = chunks.flatMap((c) => text(splitter.push(c)));
  return [...values, ...text(splitter.end())];
}

/** Every way to cut `body` in two, and one byte at a time: the chunking must never change the result. */
function cuts(body: Buffer): Uint8Array[][] {
  const ways: Uint8Array[][] = [];
  for (let i = 0; i <= body.length; i++) ways.push([body.subarray(0, i), body.subarray(i)]);
  ways.push([...body].map((b) => Uint8Array.of(b)));
  return ways;
}

function splitEveryWay(body: Buffer): string[] {
  const results = cuts(body).map((chunks) => splitChunks(chunks));
  for (const result of results) expect(result).toEqual(results[0]);
  return results[0]!;
}

function errorEveryWay(body: Buffer): string {
  const messages = cuts(body).map((chunks) => {
    try {
      splitChunks(chunks);
    } catch (err) {
      expect(err).toBeInstanceOf(JsonSyntaxError);
      return (err as Error).message;
    }
    throw new Error(`${JSON.stringify(body.toString('latin1'))} split without an error`);
  });
  for (const message of messages) expect(message).toBe(messages[0]);
  return messages[0]!;
}

describe('JsonStreamSplitter', () => {
  it.each<[string, string, string[]]>([
    ['array elements', '[{"s":"a"},{"s":"b"}]', ['{"s":"a"}', '{"s":"b"}']],
    ['NDJSON', '{"s":"a"}\n{"s":"b"}\n', ['{"s":"a"}', '{"s":"b"}']],
    ['NDJSON with CRLF and blank lines', '\r\n{"s":"a"}\r\n\r\n{"s":"b"}\r\n', ['{"s":"a"}', '{"s":"b"}']],
    ['concatenated values', '{"s":"a"}{"s":"b"}', ['{"s":"a"}', '{"s":"b"}']],
    ['an empty array', ' [ ] ', []],
    ['an empty body', '', []],
    ['only whitespace', '\n \t', []],
    ['brackets and quotes inside strings', '["a]b", "q\\"]", "\\\\", {"k":"}{"}]', ['"a]b"', '"q\\"]"', '"\\\\"', '{"k":"}{"}']],
    ['an escaped backslash before a quote', '{"a":"x\\\\"}\n{"b":1}', ['{"a":"x\\\\"}', '{"b":1}']],
    ['numbers in an array', '[1,-2.5e3 , 0]', ['1', '-2.5e3', '0']],
    ['numbers and literals in a sequence', '12\n-3e2 true false\nnull "x"', ['12', '-3e2', 'true', 'false', 'null', '"x"']],
    ['a number at the very end of a sequence', '1 22', ['1', '22']],
    ['nested arrays and objects', '[[1,[2]],{"a":{"b":[3,{}]}}]', ['[1,[2]]', '{"a":{"b":[3,{}]}}']],
    ['multi-byte UTF-8', '["é€😀", {"k":"😀"}]', ['"é€😀"', '{"k":"😀"}']],
  ])('splits %s', (_name, body, expected) => {
    expect(splitEveryWay(bytes(body))).toEqual(expected);
  });

  it('skips a leading UTF-8 byte order mark', () => {
    expect(splitEveryWay(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('[1]')]))).toEqual(['1']);
  });

  it('returns each value as soon as it is complete', () => {
    const splitter = new JsonStreamSplitter(Infinity);
    expect(text(splitter.push(bytes('[{"s":"a"},{"s"')))).toEqual(['{"s":"a"}']);
    expect(text(splitter.push(bytes(':"b"}')))).toEqual(['{"s":"b"}']);
    expect(text(splitter.push(bytes(']')))).toEqual([]);
    expect(text(splitter.end())).toEqual([]);
  });

  it('holds a number until a byte shows it has ended', () => {
    const splitter = new JsonStreamSplitter(Infinity);
    expect(text(splitter.push(bytes('12')))).toEqual([]);
    expect(text(splitter.push(bytes('3\n4')))).toEqual(['123']);
    expect(text(splitter.end())).toEqual(['4']);
  });

  it.each<[string, string, string]>([
    ['garbage after the array', '[{"s":"a"}] {"s":"b"}', "unexpected character '{' at offset 12"],
    ['a missing comma', '[1 2]', "unexpected character '2' at offset 3"],
    ['a trailing comma', '[1,]', "unexpected character ']' at offset 3"],
    ['garbage between elements', '[{"a":1} x {"b":2}]', "unexpected character 'x' at offset 9"],
    ['a stray closing brace', '{"a":1}\n}', "unexpected character '}' at offset 8"],
    ['a control character between values', '{}\u0001{}', 'unexpected character byte 0x01 at offset 2'],
    ['a missing ]', '[{"a":1}', "unexpected end of input: the array is missing its ']'"],
    ['a missing element after a comma', '[{"a":1},', "unexpected end of input: the array is missing its ']'"],
    ['a value cut short', '{"s":"a"}\n{"s":', 'unexpected end of input at offset 15'],
    ['a string cut short', '["abc', 'unexpected end of input at offset 5'],
    ['a number cut short inside an array', '[1, 2', 'unexpected end of input at offset 5'],
  ])('refuses %s', (_name, body, message) => {
    expect(errorEveryWay(bytes(body))).toBe(message);
  });

  it.each<[string, number[], number]>([
    ['a byte that never starts a character', [0x5b, 0x22, 0xff, 0x22, 0x5d], 2],
    ['a lone continuation byte', [0x22, 0x80, 0x22], 1],
    ['an overlong encoding', [0x22, 0xc0, 0xaf, 0x22], 1],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22], 1],
    ['a code point past U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], 1],
    ['a sequence cut by a quote', [0x5b, 0x22, 0xe2, 0x82, 0x22, 0x5d], 2],
    ['a sequence cut by the end of the body', [0x22, 0x61, 0xe2, 0x82], 2],
  ])('refuses invalid UTF-8: %s', (_name, body, offset) => {
    expect(errorEveryWay(Buffer.from(body))).toBe(`invalid UTF-8 at byte ${offset}`);
  });

  it('refuses a body over the limit, counting every chunk', () => {
    expect(splitChunks([bytes('[1,'), bytes('2]')], 5)).toEqual(['1', '2']);
    const splitter = new JsonStreamSplitter(5);
    splitter.push(bytes('[1,'));
    let error: unknown;
    try {
      splitter.push(bytes('22]'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProxyError);
    expect((error as ProxyError).httpStatus).toBe(413);
    expect((error as ProxyError).id).toBe('body_too_large');
  });
});
