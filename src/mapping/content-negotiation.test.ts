import { describe, expect, it } from 'vitest';
import { compileNegotiator, OfferError, parseAccept } from './content-negotiation.js';

const V1 = 'application/vnd.example.v1+json';
const SR = 'application/vnd.example+json';
const JSON_TYPE = 'application/json';

const registry = compileNegotiator([
  { content_type: V1, quality: 1 },
  { content_type: SR, quality: 0.9 },
  { content_type: JSON_TYPE, quality: 0.5 },
]);

describe('compileNegotiator', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['no Accept header', undefined, V1],
    ['a blank Accept header', '  ', V1],
    ['*/*', '*/*', V1],
    ['a bare *', '*', V1],
    ['application/*', 'application/*', V1],
    ['the v1 type alone', V1, V1],
    ['application/json alone', JSON_TYPE, JSON_TYPE],
    ['application/json, any case, with parameters', 'Application/JSON; charset=utf-8', JSON_TYPE],
    ['axios default: equal q, the server weight decides', 'application/json, text/plain, */*', V1],
    ['python GET list', `${V1}, ${SR}, ${JSON_TYPE}`, V1],
    ['the client q decides before the server weight', `${V1};q=0.5, ${SR}`, SR],
    ['a q on */* below a named type', `${JSON_TYPE}, */*;q=0.1`, JSON_TYPE],
    ['the most specific range gives the q', `application/*;q=0.2, ${V1};q=0`, SR],
    ['nothing acceptable', 'text/html', undefined],
    ['q=0 refuses', `${JSON_TYPE};q=0`, undefined],
    ['all refused through */*;q=0', '*/*;q=0', undefined],
    ['an unparsable header is as if absent', 'garbage', V1],
    ['unparsable entries are skipped', `garbage, ${JSON_TYPE}`, JSON_TYPE],
  ])('%s', (_name, accept, expected) => {
    expect(registry.negotiate(accept)).toBe(expected);
  });

  it('takes a repeated Accept header as one list', () => {
    expect(registry.negotiate(['text/html', JSON_TYPE])).toBe(JSON_TYPE);
  });

  it('answers repeated headers from its cache consistently', () => {
    for (let i = 0; i < 600; i++) expect(registry.negotiate(`text/x-${i % 300}, ${JSON_TYPE}`)).toBe(JSON_TYPE);
  });

  it('falls back to the best-weighted offer, and breaks ties by declaration order', () => {
    expect(registry.fallback).toBe(V1);
    const tie = compileNegotiator([{ content_type: 'text/plain' }, { content_type: JSON_TYPE }]);
    expect(tie.fallback).toBe('text/plain');
    expect(tie.negotiate('*/*')).toBe('text/plain');
    const weighted = compileNegotiator([{ content_type: 'text/plain', quality: 0.3 }, { content_type: JSON_TYPE }]);
    expect(weighted.fallback).toBe(JSON_TYPE);
  });

  it('sends an offer with its parameters as declared', () => {
    const n = compileNegotiator([{ content_type: 'application/json; charset=utf-8' }]);
    expect(n.negotiate(JSON_TYPE)).toBe('application/json; charset=utf-8');
  });

  it.each([
    [[], 'at least one'],
    [[{ content_type: 'json' }], "'json' is not a media type"],
    [[{ content_type: 'application/*' }], 'is not a media type'],
    [[{ content_type: JSON_TYPE, quality: 1.5 }], 'quality: 1.5 is not in (0, 1]'],
    [[{ content_type: JSON_TYPE, quality: -1 }], 'quality: -1'],
  ])('refuses the offers %j', (offers, message) => {
    expect(() => compileNegotiator(offers)).toThrow(OfferError);
    expect(() => compileNegotiator(offers)).toThrow(message);
  });
});

describe('parseAccept', () => {
  it('reads ranges with q values and specificity', () => {
    expect(parseAccept('text/html;level=1;q=0.7, */*;q=0.1, application/*')).toEqual([
      { type: 'text', subtype: 'html', q: 0.7, specificity: 3 },
      { type: '*', subtype: '*', q: 0.1, specificity: 1 },
      { type: 'application', subtype: '*', q: 1, specificity: 2 },
    ]);
  });

  it('skips what is not a media range and clamps q', () => {
    expect(parseAccept('*/json, /x, x/, ,text/plain;q=7, a/b;q=abc')).toEqual([
      { type: 'text', subtype: 'plain', q: 1, specificity: 3 },
      { type: 'a', subtype: 'b', q: 0, specificity: 3 },
    ]);
  });
});
