import { describe, expect, it } from 'vitest';
import { parseQueryString, QueryDecodeError } from './query-string.js';

describe('parseQueryString', () => {
  it.each<[string, boolean, Array<[string, string]>]>([
    ['', true, []],
    ['a=1', true, [['a', '1']]],
    ['a=1&b=2', true, [['a', '1'], ['b', '2']]],
    ['a=1&a=2&b=3&a=4', true, [['a', '1'], ['a', '2'], ['b', '3'], ['a', '4']]],
    ['flag', true, [['flag', '']]],
    ['a=', true, [['a', '']]],
    ['=v', true, [['', 'v']]],
    ['&&a=1&&b=2&', true, [['a', '1'], ['b', '2']]],
    ['a=b=c', true, [['a', 'b=c']]],
    ['a=1;b=2', true, [['a', '1;b=2']]],
    ['q=a+b', true, [['q', 'a b']]],
    ['q=a+b', false, [['q', 'a+b']]],
    ['a+b=c', true, [['a b', 'c']]],
    ['q=a%2Bb', true, [['q', 'a+b']]],
    ['q=a%2Bb', false, [['q', 'a+b']]],
    ['q=%20', false, [['q', ' ']]],
    ['q=a%26b%3Dc', true, [['q', 'a&b=c']]],
    ['labels%5Benv%5D=prod', true, [['labels[env]', 'prod']]],
    ['labels[env]=prod', true, [['labels[env]', 'prod']]],
    ['q=%E2%82%AC', true, [['q', '€']]],
    ['q=%e2%82%ac', true, [['q', '€']]],
    ['q=%F0%9F%98%80', true, [['q', '😀']]],
    ['q=caf\u00e9', true, [['q', 'café']]],
  ])('%j (plus as space: %s)', (raw, plusAsSpace, pairs) => {
    expect(parseQueryString(raw, plusAsSpace)).toEqual(pairs);
  });

  it.each(['q=%zz', 'q=%', 'q=%4', 'q=%E2%82', 'q=%FF', '%zz=1', 'a=1&b=%C3'])('refuses the malformed escape in %j', (raw) => {
    expect(() => parseQueryString(raw, true)).toThrow(QueryDecodeError);
  });

  it('names the malformed text in the error', () => {
    expect(() => parseQueryString('ok=1&bad=x%G1y', true)).toThrow(/x%G1y/);
  });

  it('decodes every component exactly once', () => {
    expect(parseQueryString('q=%2541', true)).toEqual([['q', '%41']]);
  });
});
