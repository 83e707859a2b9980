import { describe, expect, it } from 'vitest';
import { decodeAll, decodeMultiSegment, findPercentEncodingProblem } from './percent-encoding.js';

describe('findPercentEncodingProblem', () => {
  it.each([
    '/',
    '/a/b',
    '/a%20b',
    '/%2F%2f',
    '/%e2%82%ac',
    '/%C3%A9/%F0%9F%98%80',
    '/%00',
    '/%7F',
    '/%EF%BF%BF',
    '/%F4%8F%BF%BF',
    '/a+b:c',
  ])('accepts %j', (path) => {
    expect(findPercentEncodingProblem(path)).toBeUndefined();
  });

  it.each([
    ['/a/%zz', 'malformed percent-encoding "%zz" at offset 3'],
    ['/a/%2', 'incomplete percent-encoding "%2" at offset 3'],
    ['/a/%', 'incomplete percent-encoding "%" at offset 3'],
    ['/%2/x', 'malformed percent-encoding "%2/" at offset 1'],
    ['/%FF', 'percent-encoded bytes at offset 1 are not valid UTF-8'],
    ['/%80', 'percent-encoded bytes at offset 1 are not valid UTF-8'],
    ['/%C0%AF', 'percent-encoded bytes at offset 1 are not valid UTF-8'], // overlong '/'
    ['/%ED%A0%80', 'percent-encoded bytes at offset 1 are not valid UTF-8'], // UTF-16 surrogate
    ['/%F4%90%80%80', 'percent-encoded bytes at offset 1 are not valid UTF-8'], // above U+10FFFF
    ['/x%E2%82', 'percent-encoded bytes at offset 2 are not valid UTF-8'], // truncated at the end
    ['/%E2%82/%AC', 'percent-encoded bytes at offset 1 are not valid UTF-8'], // split by a '/'
    ['/%E2%2F%AC', 'percent-encoded bytes at offset 1 are not valid UTF-8'],
  ])('refuses %j', (path, problem) => {
    expect(findPercentEncodingProblem(path)).toBe(problem);
  });

  // The decoders call decodeURIComponent without a guard, so the validator must accept exactly
  // what it accepts.
  it('agrees with decodeURIComponent on random escape sequences', () => {
    let seed = 7;
    const nextByte = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >> 23;
    };
    // UTF-8 range boundaries, picked half the time so that valid multi-byte sequences come up.
    const interesting = [
      0x2f, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
    ];
    for (let round = 0; round < 20000; round++) {
      let text = '/';
      const length = 1 + (nextByte() % 5);
      for (let i = 0; i < length; i++) {
        const pick = nextByte();
        if (pick % 7 === 0) text += 'a';
        else {
          const byte = pick % 2 === 0 ? interesting[pick % interesting.length]! : pick;
          text += `%${byte.toString(16).padStart(2, '0')}`;
        }
      }
      let decodable = true;
      try {
        decodeURIComponent(text);
      } catch {
        decodable = false;
      }
      expect(findPercentEncodingProblem(text) === undefined, text).toBe(decodable);
    }
  });
});

describe('decoding', () => {
  // vectors.json P18.
  const reserved = '%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D';

  it.each([
    ['ALL_CHARACTERS_EXCEPT_RESERVED', reserved, reserved],
    ['ALL_CHARACTERS_EXCEPT_SLASH', reserved, "!#$&'()*+,%2F:;=?@[]"],
    ['ALL_CHARACTERS', reserved, "!#$&'()*+,/:;=?@[]"],
    ['ALL_CHARACTERS_EXCEPT_RESERVED', 'a%20b/%E2%82%AC%2fc%2Fd', 'a b/€%2fc%2Fd'],
    ['ALL_CHARACTERS_EXCEPT_SLASH', 'a%20b/%E2%82%AC%2fc%3A', 'a b/€%2fc:'],
    ['ALL_CHARACTERS', 'a%20b/%E2%82%AC%2fc', 'a b/€/c'],
    ['ALL_CHARACTERS_EXCEPT_RESERVED', 'plain/text+', 'plain/text+'],
    ['ALL_CHARACTERS_EXCEPT_RESERVED', '%25%2F', '%%2F'],
  ] as const)('%s: %j -> %j', (mode, text, decoded) => {
    expect(decodeMultiSegment(text, mode)).toBe(decoded);
  });

  it.each([
    ['p%20q%2Fr+', 'p q/r+'],
    ['%E2%82%AC', '€'],
    ['plain', 'plain'],
  ])('decodeAll(%j) -> %j', (text, decoded) => {
    expect(decodeAll(text)).toBe(decoded);
  });
});
