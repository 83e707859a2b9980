import { describe, expect, it } from 'vitest';
import { parsePathTemplate } from './path-template.js';
import { buildRouter, RouterBuildError, type RouteEntry, type RouteMatch, type Router } from './router.js';

/** [route id, method, template] */
type Rule = [id: string, method: string, template: string];
type RouteOptions = Pick<RouteEntry<string>, 'unescape' | 'ignoreTrailingSlash' | 'matchUnregisteredCustomVerb'>;

/** A match reduced to what the vectors state: the route and its bindings, or the HTTP outcome. */
type Outcome =
  | { route: string; bindings: Record<string, string>; viaGet?: true }
  | { status: 404 }
  | { status: 400 }
  | { status: 405; allow: string[] }
  | { options: string[] };

function routerOf(rules: Rule[], options: RouteOptions = {}): Router<string> {
  return buildRouter(
    rules.map(([id, method, template]) => ({ method, template: parsePathTemplate(template), value: id, label: id, ...options })),
  );
}

function outcomeOf(match: RouteMatch<string>): Outcome {
  switch (match.kind) {
    case 'found':
      return { route: match.value, bindings: Object.fromEntries(match.bindings), ...(match.viaGet ? { viaGet: true } : {}) };
    case 'not-found':
      return { status: 404 };
    case 'bad-path':
      return { status: 400 };
    case 'method-not-allowed':
      return { status: 405, allow: match.allow };
    case 'options':
      return { options: match.allow };
  }
}

function found(route: string, bindings: Record<string, string> = {}): Outcome {
  return { route, bindings };
}

const NOT_FOUND: Outcome = { status: 404 };
const BAD_PATH: Outcome = { status: 400 };

interface RoutingVector {
  id: string;
  rules: Rule[];
  cases: Array<{ method?: string; target: string; expect: Outcome; options?: RouteOptions }>;
}

// The routing half of vectors.json T02 and P01-P23: which rule handles the request and what the
// path binds (field types and presence are checked by the binder, so P21's out-of-range values
// still route here).
const VECTORS: RoutingVector[] = [
  {
    id: 'T02',
    rules: [['R1', 'GET', '/v1/{name}']],
    cases: [
      { target: '/v1/abc', expect: found('R1', { name: 'abc' }) },
      { target: '/v1/abc/def', expect: NOT_FOUND },
    ],
  },
  {
    id: 'P01',
    rules: [['R1', 'GET', '/v1/{name=messages/*}']],
    cases: [{ target: '/v1/messages/123456', expect: found('R1', { name: 'messages/123456' }) }],
  },
  {
    id: 'P03',
    rules: [
      ['R1', 'GET', '/v1/messages/{name}'],
      ['R2', 'GET', '/v1/users/{parent}/messages/{name}'],
    ],
    cases: [
      { target: '/v1/messages/123456', expect: found('R1', { name: '123456' }) },
      { target: '/v1/users/me/messages/123456', expect: found('R2', { parent: 'me', name: '123456' }) },
    ],
  },
  {
    id: 'P04',
    rules: [['R1', 'GET', '/v1/{name=shelves/*/books/*}']],
    cases: [
      { target: '/v1/shelves/1/books/2', expect: found('R1', { name: 'shelves/1/books/2' }) },
      { target: '/v1/shelves/1/books', expect: NOT_FOUND },
      { target: '/v1/shelves/1/books/2/x', expect: NOT_FOUND },
      { target: '/v1/shelves/1/tomes/2', expect: NOT_FOUND },
    ],
  },
  {
    id: 'P05',
    rules: [['R1', 'GET', '/v1/{name=files/**}']],
    cases: [
      { target: '/v1/files/a/b/c.txt', expect: found('R1', { name: 'files/a/b/c.txt' }) },
      { target: '/v1/files', expect: found('R1', { name: 'files' }) },
    ],
  },
  {
    id: 'P06',
    rules: [['R1', 'GET', '/v1/shelves/{shelf}/books/{book.id}']],
    cases: [{ target: '/v1/shelves/1/books/2', expect: found('R1', { shelf: '1', 'book.id': '2' }) }],
  },
  {
    id: 'P08',
    rules: [['R1', 'POST', '/v1/{name=operations/*}:cancel']],
    cases: [
      { method: 'POST', target: '/v1/operations/123:cancel', expect: found('R1', { name: 'operations/123' }) },
      { method: 'POST', target: '/v1/operations/123:cancelx', expect: NOT_FOUND },
      { method: 'POST', target: '/v1/operations/123', expect: NOT_FOUND },
    ],
  },
  {
    id: 'P09',
    rules: [
      ['R1', 'GET', '/person'],
      ['R2', 'GET', '/person/{name}'],
      ['R3', 'GET', '/{name=**}:verb'],
    ],
    cases: [
      { target: '/person:verb', expect: found('R3', { name: 'person' }) },
      { target: '/person/jason:verb', expect: found('R3', { name: 'person/jason' }) },
      { target: '/animal/cat:verb', expect: found('R3', { name: 'animal/cat' }) },
      { target: '/person', expect: found('R1') },
      { target: '/person/jason', expect: found('R2', { name: 'jason' }) },
      { target: '/person/jason:other', expect: found('R2', { name: 'jason:other' }) },
      { target: '/person:other', expect: NOT_FOUND },
      { target: '/animal/cat', expect: NOT_FOUND },
    ],
  },
  {
    id: 'P10',
    rules: [['R1', 'GET', '/foo/{name}']],
    cases: [
      { target: '/foo/other:verb', expect: found('R1', { name: 'other:verb' }) },
      { target: '/foo/other:verb', options: { matchUnregisteredCustomVerb: true }, expect: NOT_FOUND },
      { target: '/foo/other', options: { matchUnregisteredCustomVerb: true }, expect: found('R1', { name: 'other' }) },
    ],
  },
  {
    id: 'P11',
    rules: [['R1', 'GET', '/{name}/{parent}:verb']],
    cases: [{ target: '/some:verb/const:verb', expect: found('R1', { name: 'some:verb', parent: 'const' }) }],
  },
  {
    id: 'P13',
    rules: [
      ['R1', 'GET', '/a/**'],
      ['R2', 'GET', '/b/*'],
      ['R3', 'GET', '/c/*/d/**'],
      ['R4', 'GET', '/c/*/d/e'],
      ['R5', 'GET', '/c/f/d/e'],
      ['R6', 'GET', '/'],
    ],
    cases: [
      { target: '/a/b/c', expect: found('R1') },
      { target: '/b/c', expect: found('R2') },
      { target: '/c/v/d/w/x', expect: found('R3') },
      { target: '/c/x/d/e', expect: found('R4') },
      { target: '/c/f/d/e', expect: found('R5') },
      { target: '/', expect: found('R6') },
      { target: '/c/x/y/d/z', expect: NOT_FOUND },
      { target: '/c//v/d/w/x', expect: NOT_FOUND },
    ],
  },
  {
    id: 'P14',
    rules: [['R1', 'GET', '/v1/shelves']],
    cases: [
      { target: '/v1/shelves/', expect: NOT_FOUND },
      { target: '/v1/shelves/', options: { ignoreTrailingSlash: true }, expect: found('R1') },
    ],
  },
  {
    id: 'P15',
    rules: [['R1', 'GET', '/a/b']],
    cases: [{ method: 'POST', target: '/a/b', expect: { status: 405, allow: ['GET', 'HEAD', 'OPTIONS'] } }],
  },
  {
    id: 'P16',
    rules: [['R1', 'GET', '/a/{name}/c']],
    cases: [{ target: '/a/p%20q%2Fr+/c', expect: found('R1', { name: 'p q/r+' }) }],
  },
  {
    id: 'P18',
    rules: [['R1', 'GET', '/{name=**}']],
    cases: [
      {
        target: '/%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D',
        options: { unescape: 'ALL_CHARACTERS_EXCEPT_RESERVED' },
        expect: found('R1', { name: '%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D' }),
      },
      {
        target: '/%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D',
        expect: found('R1', { name: '%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D' }),
      },
      {
        target: '/%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D',
        options: { unescape: 'ALL_CHARACTERS_EXCEPT_SLASH' },
        expect: found('R1', { name: "!#$&'()*+,%2F:;=?@[]" }),
      },
      {
        target: '/%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D',
        options: { unescape: 'ALL_CHARACTERS' },
        expect: found('R1', { name: "!#$&'()*+,/:;=?@[]" }),
      },
    ],
  },
  {
    id: 'P19',
    rules: [['R1', 'GET', '/v1/{name}/x']],
    cases: [{ target: '/v1/a%2Fb/x', expect: found('R1', { name: 'a/b' }) }],
  },
  {
    id: 'P20',
    rules: [['R1', 'GET', '/a/{name}']],
    cases: [
      { target: '/a/%zz', expect: BAD_PATH },
      { target: '/a/%2', expect: BAD_PATH },
    ],
  },
  {
    id: 'P21',
    rules: [['R1', 'GET', '/v1/shelves/{shelf}']],
    cases: [
      { target: '/v1/shelves/9223372036854775807', expect: found('R1', { shelf: '9223372036854775807' }) },
      { target: '/v1/shelves/-1', expect: found('R1', { shelf: '-1' }) },
      { target: '/v1/shelves/9223372036854775808', expect: found('R1', { shelf: '9223372036854775808' }) },
      { target: '/v1/shelves/abc', expect: found('R1', { shelf: 'abc' }) },
    ],
  },
  {
    id: 'P23',
    rules: [['R1', 'OPTIONS', '/v1/shelves/{shelf}']],
    cases: [{ method: 'OPTIONS', target: '/v1/shelves/456', expect: found('R1', { shelf: '456' }) }],
  },
];

const VECTOR_CASES = VECTORS.flatMap(({ id, rules, cases }) =>
  cases.map(({ method = 'GET', target, expect, options }) => ({ id, rules, method, target, expected: expect, options })),
);

describe('vectors', () => {
  it.each(VECTOR_CASES)('$id: $method $target $options', ({ rules, method, target, expected, options }) => {
    expect(outcomeOf(routerOf(rules, options).match(method, target))).toEqual(expected);
  });
});

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const others = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const permutation of permutations(others)) yield [items[i]!, ...permutation];
  }
}

describe('precedence does not depend on declaration order', () => {
  it.each(VECTORS.filter((vector) => vector.rules.length > 1))('$id: every order of its rules', ({ rules, cases }) => {
    for (const ordered of permutations(rules)) {
      for (const { method = 'GET', target, expect: expected, options } of cases) {
        expect(outcomeOf(routerOf(ordered, options).match(method, target)), `${method} ${target}`).toEqual(expected);
      }
    }
  });

  const mixed: Rule[] = [
    ['literal', 'GET', '/v1/shelves/first'],
    ['shelf', 'GET', '/v1/shelves/{shelf}'],
    ['shelfTail', 'GET', '/v1/shelves/{shelf}/{rest=**}'],
    ['anyThenLiteral', 'GET', '/v1/{collection}/first/x'],
    ['everything', 'GET', '/{path=**}'],
    ['verb', 'GET', '/v1/shelves/{shelf}:archive'],
    ['verbTail', 'GET', '/{path=**}:archive'],
  ];
  it.each<[string, Outcome]>([
    ['/v1/shelves/first', found('literal')],
    ['/v1/shelves/second', found('shelf', { shelf: 'second' })],
    ['/v1/shelves/first/x', found('shelfTail', { shelf: 'first', rest: 'x' })],
    ['/v1/books/first/x', found('anyThenLiteral', { collection: 'books' })],
    ['/v1/shelves/first:archive', found('verb', { shelf: 'first' })],
    ['/v2/a:archive', found('verbTail', { path: 'v2/a' })],
    ['/v2/a', found('everything', { path: 'v2/a' })],
  ])('%s, routes shuffled', (target, expected) => {
    let seed = 1;
    for (let round = 0; round < 50; round++) {
      const shuffled = [...mixed].sort(() => {
        seed = (seed * 48271) % 2147483647;
        return (seed % 3) - 1;
      });
      expect(outcomeOf(routerOf(shuffled).match('GET', target))).toEqual(expected);
    }
  });
});

describe('matching the raw path', () => {
  const prefixes: Rule[] = [
    ['deep', 'GET', '/v1/shelves/{id}'],
    ['shallow', 'GET', '/v1/{id}/x/y'],
    ['variable', 'GET', '/{version}/shelves/{id}'],
    ['pair', 'GET', '/{a}/{b}'],
  ];
  const verbOnLiterals: Rule[] = [
    ['verb', 'POST', '/v1/ops:cancel'],
    ['plain', 'POST', '/v1/ops'],
    ['any', 'POST', '/v1/{x}'],
  ];
  it.each<[Rule[], string, Outcome]>([
    // find-my-way returns the deepest literal prefix; a shorter prefix's route must still be found.
    [prefixes, '/v1/shelves/x/y', found('shallow', { id: 'shelves' })],
    [prefixes, '/v1/shelves/x', found('deep', { id: 'x' })],
    // find-my-way decodes "%31" before comparing; literals compare with the raw text.
    [prefixes, '/v%31/shelves/1', found('variable', { version: 'v1', id: '1' })],
    [[['deep', 'GET', '/v1/shelves/{id}']], '/v%31/shelves/1', NOT_FOUND],
    // ... but leaves %2F alone, which never splits a segment.
    [prefixes, '/v1%2Fshelves/1', found('pair', { a: 'v1/shelves', b: '1' })],
    // ':' and '*' in a request are data.
    [[['R1', 'GET', '/files/{name}']], '/files/a:b', found('R1', { name: 'a:b' })],
    [[['R1', 'GET', '/files/{name}']], '/files/*', found('R1', { name: '*' })],
    [[['R1', 'GET', '/files/{name}']], '/files/%2A%3A', found('R1', { name: '*:' })],
    [[['R1', 'GET', '/files/*']], '/files/*', found('R1')],
    // find-my-way would stop at '#'; the router does not.
    [[['R1', 'GET', '/files/{name}']], '/files/a#b', found('R1', { name: 'a#b' })],
    // Literal characters find-my-way could read as syntax.
    [[['R1', 'GET', "/a(b)c;d=e/x!$&'+,@/{id}"]], "/a(b)c;d=e/x!$&'+,@/7", found('R1', { id: '7' })],
    [[['R1', 'GET', '/a(b)c/{id}']], '/a(b)/7', NOT_FOUND],
    // A verb route made of literals only.
    [verbOnLiterals, '/v1/ops:cancel', found('verb')],
    [verbOnLiterals, '/v1/ops', found('plain')],
    [verbOnLiterals, '/v1/opsx:cancel', found('any', { x: 'opsx:cancel' })],
    // The verb is what follows the last ':'; an encoded colon is not a verb separator.
    [[['R1', 'GET', '/{name}:verb']], '/a:b:verb', found('R1', { name: 'a:b' })],
    [[['R1', 'GET', '/{name}:verb']], '/a%3Averb', NOT_FOUND],
    [[['R1', 'GET', '/{name}:verb']], '/:verb', NOT_FOUND],
    // '**' and empty segments.
    [[['R1', 'GET', '/v1/{x=**}']], '/v1', found('R1', { x: '' })],
    [[['R1', 'GET', '/v1/{x=**}']], '/v1/', NOT_FOUND],
    [[['R1', 'GET', '/v1/{x=**}']], '/v1/a//b', NOT_FOUND],
    [[['R1', 'GET', '/{x=**}']], '/', found('R1', { x: '' })],
    [[['R1', 'GET', '/a/{x}/b']], '/a//b', NOT_FOUND],
    [[['R1', 'GET', '/']], '//', NOT_FOUND],
    // Single-segment values are fully decoded, multi-segment ones keep reserved escapes by default.
    [[['R1', 'GET', '/files/{name}']], '/files/%E2%82%AC%20x', found('R1', { name: '€ x' })],
    [[['R1', 'GET', '/kv/{key=**}']], '/kv/a%2Fb/c%20d', found('R1', { key: 'a%2Fb/c d' })],
    [[['R1', 'GET', '/kv/{key=a/*}']], '/kv/a/b%2fc', found('R1', { key: 'a/b%2fc' })],
    [[['R1', 'GET', '/kv/{key=x}']], '/kv/x', found('R1', { key: 'x' })],
    [[['R1', 'GET', '/{a}/{b=x/**}']], '/%2F/x/%2F', found('R1', { a: '/', b: 'x/%2F' })],
    // Malformed encoding is a 400 wherever it is, even where no route would match.
    [[['R1', 'GET', '/a/{name}']], '/nothing/here/%zz', BAD_PATH],
    [[['R1', 'GET', '/a/{name}']], '/a/%FF', BAD_PATH],
    [[['R1', 'GET', '/a/{name}']], 'a/b', BAD_PATH],
    [[['R1', 'GET', '/a/{name}']], '', BAD_PATH],
  ])('%j: %s', (rules, target, expected) => {
    // The first rule's method is the request's.
    const method = rules[0]![1];
    expect(outcomeOf(routerOf(rules).match(method, target))).toEqual(expected);
  });

  it('names the problem of a bad path', () => {
    const router = routerOf([['R1', 'GET', '/a/{name}']]);
    expect(router.match('GET', '/a/%zz')).toEqual({ kind: 'bad-path', message: 'malformed percent-encoding "%zz" at offset 3' });
    expect(router.match('GET', '/a/%2')).toEqual({ kind: 'bad-path', message: 'incomplete percent-encoding "%2" at offset 3' });
    expect(router.match('GET', 'a')).toEqual({ kind: 'bad-path', message: `path "a" does not start with '/'` });
  });

  it.each<[string, RouteOptions, Outcome]>([
    ['/a/b/', { ignoreTrailingSlash: true }, found('R1', { a: 'a', x: 'b' })],
    ['/a/b/', {}, NOT_FOUND],
    ['/a/b//', { ignoreTrailingSlash: true }, NOT_FOUND],
    ['/a/b:go/', { ignoreTrailingSlash: true }, found('R2', { x: 'b' })],
    ['/a/b:go', { matchUnregisteredCustomVerb: true }, found('R2', { x: 'b' })],
    ['/a/b:stop', { matchUnregisteredCustomVerb: true }, NOT_FOUND],
    ['/a:x/b', { matchUnregisteredCustomVerb: true }, found('R1', { a: 'a:x', x: 'b' })],
  ])('%s with %j', (target, options, expected) => {
    const router = routerOf(
      [
        ['R1', 'GET', '/{a}/{x}'],
        ['R2', 'GET', '/a/{x}:go'],
      ],
      options,
    );
    expect(outcomeOf(router.match('GET', target))).toEqual(expected);
  });

  it('ignores a trailing slash per route', () => {
    const router = buildRouter([
      { method: 'GET', template: parsePathTemplate('/lenient'), value: 'lenient', ignoreTrailingSlash: true },
      { method: 'GET', template: parsePathTemplate('/strict'), value: 'strict' },
      { method: 'GET', template: parsePathTemplate('/'), value: 'root', ignoreTrailingSlash: true },
    ]);
    expect(outcomeOf(router.match('GET', '/lenient/'))).toEqual(found('lenient'));
    expect(outcomeOf(router.match('GET', '/strict/'))).toEqual(NOT_FOUND);
    expect(outcomeOf(router.match('GET', '/'))).toEqual(found('root'));
  });

  it('handles paths with many segments, and keeps no state between calls', () => {
    const router = routerOf([
      ['tail', 'GET', '/deep/{rest=**}'],
      ['pair', 'GET', '/{a}/{b}'],
    ]);
    const segments = Array.from({ length: 200 }, (_, i) => `s${i}`);
    expect(outcomeOf(router.match('GET', `/deep/${segments.join('/')}`))).toEqual(found('tail', { rest: segments.join('/') }));
    expect(outcomeOf(router.match('GET', '/x/y'))).toEqual(found('pair', { a: 'x', b: 'y' }));
    expect(outcomeOf(router.match('GET', '/deep/%20'))).toEqual(found('tail', { rest: ' ' }));
    expect(outcomeOf(router.match('GET', '/other/a'))).toEqual(found('pair', { a: 'other', b: 'a' }));
  });
});

describe('methods', () => {
  const rules: Rule[] = [
    ['getItem', 'GET', '/items/{id}'],
    ['putItem', 'PUT', '/items/{id}'],
    ['postSpecial', 'POST', '/items/special'],
    ['list', 'LIST', '/items'],
    ['headFixed', 'HEAD', '/items/fixed'],
  ];
  const router = routerOf(rules);

  it.each<[string, string, Outcome]>([
    ['GET', '/items/1', found('getItem', { id: '1' })],
    ['PUT', '/items/1', found('putItem', { id: '1' })],
    ['LIST', '/items', found('list')],
    // HEAD is answered by the GET route unless a HEAD route matches.
    ['HEAD', '/items/1', { route: 'getItem', bindings: { id: '1' }, viaGet: true }],
    ['HEAD', '/items/fixed', found('headFixed')],
    // 405 lists what matches this path, plus HEAD when GET does and OPTIONS.
    ['DELETE', '/items/1', { status: 405, allow: ['GET', 'HEAD', 'OPTIONS', 'PUT'] }],
    ['DELETE', '/items/special', { status: 405, allow: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'] }],
    ['GET', '/items', { status: 405, allow: ['LIST', 'OPTIONS'] }],
    ['HEAD', '/items', { status: 405, allow: ['LIST', 'OPTIONS'] }],
    ['get', '/items/1', { status: 405, allow: ['GET', 'HEAD', 'OPTIONS', 'PUT'] }],
    // OPTIONS without an OPTIONS route: the caller answers with Allow.
    ['OPTIONS', '/items/1', { options: ['GET', 'HEAD', 'OPTIONS', 'PUT'] }],
    ['OPTIONS', '/items', { options: ['LIST', 'OPTIONS'] }],
    ['OPTIONS', '/nowhere', NOT_FOUND],
    ['DELETE', '/nowhere', NOT_FOUND],
    ['HEAD', '/nowhere', NOT_FOUND],
  ])('%s %s', (method, target, expected) => {
    expect(outcomeOf(router.match(method, target))).toEqual(expected);
  });

  it('lets an OPTIONS route answer OPTIONS (P23), and only for the paths it matches', () => {
    const withOptions = routerOf([...rules, ['optionsSpecial', 'OPTIONS', '/items/special']]);
    expect(outcomeOf(withOptions.match('OPTIONS', '/items/special'))).toEqual(found('optionsSpecial'));
    expect(outcomeOf(withOptions.match('OPTIONS', '/items/1'))).toEqual({ options: ['GET', 'HEAD', 'OPTIONS', 'PUT'] });
    expect(outcomeOf(withOptions.match('DELETE', '/items/special'))).toEqual({
      status: 405,
      allow: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'],
    });
  });

  it('counts its routes', () => {
    expect(router.size).toBe(rules.length);
    expect(routerOf([]).size).toBe(0);
    expect(outcomeOf(routerOf([]).match('GET', '/'))).toEqual(NOT_FOUND);
  });
});

describe('buildRouter refuses', () => {
  function problemsOf(rules: Rule[]): string[] {
    try {
      routerOf(rules);
    } catch (error) {
      expect(error).toBeInstanceOf(RouterBuildError);
      return (error as RouterBuildError).problems;
    }
    throw new Error('the routes were accepted');
  }

  it.each<[string, Rule[], string[]]>([
    // vectors.json T10.
    [
      'the same method and template twice',
      [
        ['R1', 'GET', '/a/b'],
        ['R2', 'GET', '/a/b'],
      ],
      ['R2: GET /a/b duplicates R1'],
    ],
    [
      'templates that differ only in variable names',
      [
        ['R1', 'GET', '/v1/{a}'],
        ['R2', 'GET', '/v1/{b}'],
      ],
      ['R2: GET /v1/{b} duplicates R1 (GET /v1/{a})'],
    ],
    [
      'templates that differ only in where variables start',
      [
        ['R1', 'GET', '/{name=shelves/*}'],
        ['R2', 'GET', '/shelves/{id}'],
      ],
      ['R2: GET /shelves/{id} duplicates R1 (GET /{name=shelves/*})'],
    ],
    [
      'duplicate verb routes',
      [
        ['R1', 'POST', '/v1/{name=**}:cancel'],
        ['R2', 'POST', '/v1/**:cancel'],
      ],
      ['R2: POST /v1/**:cancel duplicates R1 (POST /v1/{name=**}:cancel)'],
    ],
    [
      'every duplicate, and every invalid method',
      [
        ['R1', 'GET', '/a'],
        ['R2', 'GET', '/a'],
        ['R3', 'GET', '/a'],
        ['R4', 'GE T', '/b'],
        ['R5', '', '/c'],
        ['R6', 'PUT', '/x/*'],
        ['R7', 'PUT', '/x/{y}'],
      ],
      [
        'R4: invalid HTTP method "GE T"',
        'R5: invalid HTTP method ""',
        'R2: GET /a duplicates R1',
        'R3: GET /a duplicates R1',
        'R7: PUT /x/{y} duplicates R6 (PUT /x/*)',
      ],
    ],
  ])('%s', (_, rules, problems) => {
    expect(problemsOf(rules)).toEqual(problems);
  });

  it('puts every problem in the message', () => {
    expect(() => routerOf([['R1', 'GET', '/a'], ['R2', 'GET', '/a']])).toThrow('invalid routes:\n  R2: GET /a duplicates R1');
  });

  it('labels unlabelled entries by position', () => {
    const entry = { method: 'GET', template: parsePathTemplate('/a'), value: 1 };
    expect(() => buildRouter([entry, entry])).toThrow('routes[1]: GET /a duplicates routes[0]');
  });

  it.each<[string, Rule[]]>([
    ['the same template for different methods', [['R1', 'GET', '/a/{x}'], ['R2', 'POST', '/a/{x}']]],
    ['different verbs', [['R1', 'POST', '/a/{x}:start'], ['R2', 'POST', '/a/{x}:stop']]],
    ['a verb and no verb', [['R1', 'POST', '/a/{x}:start'], ['R2', 'POST', '/a/{x}']]],
    ['* beside **', [['R1', 'GET', '/a/*'], ['R2', 'GET', '/a/**']]],
    ['literal beside *', [['R1', 'GET', '/a/b'], ['R2', 'GET', '/a/{x}']]],
  ])('nothing when routes differ: %s', (_, rules) => {
    expect(routerOf(rules).size).toBe(2);
  });
});

describe("a fixed tail after '**' (allowInnerDoubleWildcard)", () => {
  function tailRouter(rules: Rule[], options: RouteOptions = {}): Router<string> {
    return buildRouter(
      rules.map(([id, method, template]) => ({
        method,
        template: parsePathTemplate(template, { allowInnerDoubleWildcard: true }),
        value: id,
        label: id,
        ...options,
      })),
    );
  }

  // A registry-like API whose names may hold raw '/' where some clients do not encode them.
  const registry: Rule[] = [
    ['listFolders', 'GET', '/folders'],
    ['listVersions', 'GET', '/folders/{folder=**}/versions'],
    ['getVersion', 'GET', '/folders/{folder}/versions/{version}'],
    ['getVersionSchema', 'GET', '/folders/{folder}/versions/{version}/schema'],
    ['register', 'POST', '/folders/{folder}/versions'],
    ['lookup', 'POST', '/folders/{folder}'],
    ['checkVersion', 'POST', '/checks/folders/{folder=**}/versions/{version}'],
    ['checkAll', 'POST', '/checks/folders/{folder=**}/versions'],
  ];

  it.each<[string, string, Outcome]>([
    ['GET', '/folders/a/versions', found('listVersions', { folder: 'a' })],
    ['GET', '/folders/a/b/versions', found('listVersions', { folder: 'a/b' })],
    ['GET', '/folders/a/b/c/versions', found('listVersions', { folder: 'a/b/c' })],
    // '**' takes zero segments too, as at the end of a template.
    ['GET', '/folders/versions', found('listVersions', { folder: '' })],
    // A single-segment route is more specific at the folder's position than '**'.
    ['GET', '/folders/a/versions/versions', found('getVersion', { folder: 'a', version: 'versions' })],
    ['GET', '/folders/a/versions/1', found('getVersion', { folder: 'a', version: '1' })],
    ['GET', '/folders/a/versions/1/schema', found('getVersionSchema', { folder: 'a', version: '1' })],
    ['GET', '/folders/a/b/versions/1', NOT_FOUND],
    ['GET', '/folders/a/b/versionsx', NOT_FOUND],
    ['GET', '/folders/a//versions', NOT_FOUND],
    ['POST', '/folders/a/versions', found('register', { folder: 'a' })],
    ['POST', '/checks/folders/a/versions/latest', found('checkVersion', { folder: 'a', version: 'latest' })],
    ['POST', '/checks/folders/a/b/versions/1', found('checkVersion', { folder: 'a/b', version: '1' })],
    ['POST', '/checks/folders/a/b/versions', found('checkAll', { folder: 'a/b' })],
    // Both match: the longer tail is more specific.
    ['POST', '/checks/folders/versions/versions', found('checkVersion', { folder: '', version: 'versions' })],
    ['GET', '/checks/folders/a/b/versions', { status: 405, allow: ['OPTIONS', 'POST'] }],
    ['DELETE', '/folders/a/b/versions', { status: 405, allow: ['GET', 'HEAD', 'OPTIONS'] }],
  ])('%s %s', (method, target, expected) => {
    for (const ordered of [registry, [...registry].reverse()]) {
      expect(outcomeOf(tailRouter(ordered).match(method, target))).toEqual(expected);
    }
  });

  it('decodes the multi-segment variable per the unescape mode', () => {
    const all = tailRouter(registry, { unescape: 'ALL_CHARACTERS' });
    expect(outcomeOf(all.match('GET', '/folders/a%2Fb/c%20d/versions'))).toEqual(found('listVersions', { folder: 'a/b/c d' }));
    const reserved = tailRouter(registry);
    expect(outcomeOf(reserved.match('GET', '/folders/a%2Fb/versions'))).toEqual(found('listVersions', { folder: 'a%2Fb' }));
    // A tail variable is a single segment: fully decoded.
    expect(outcomeOf(reserved.match('POST', '/checks/folders/a/versions/x%2Fy'))).toEqual(
      found('checkVersion', { folder: 'a', version: 'x/y' }),
    );
  });

  it('binds variables around, inside and after the **, with a verb and a trailing slash', () => {
    const router = tailRouter(
      [
        ['R1', 'GET', '/v1/{prefix}/{path=files/**/raw}/{name}:download'],
        ['R2', 'GET', '/v2/**/{last}'],
      ],
      { ignoreTrailingSlash: true },
    );
    expect(outcomeOf(router.match('GET', '/v1/p/files/a/b/raw/n:download'))).toEqual(
      found('R1', { prefix: 'p', path: 'files/a/b/raw', name: 'n' }),
    );
    expect(outcomeOf(router.match('GET', '/v1/p/files/raw/n:download'))).toEqual(found('R1', { prefix: 'p', path: 'files/raw', name: 'n' }));
    expect(outcomeOf(router.match('GET', '/v1/p/files/raw/n'))).toEqual(NOT_FOUND);
    expect(outcomeOf(router.match('GET', '/v2/x/y/z/'))).toEqual(found('R2', { last: 'z' }));
    expect(outcomeOf(router.match('GET', '/v2/z'))).toEqual(found('R2', { last: 'z' }));
    expect(outcomeOf(router.match('GET', '/v2'))).toEqual(NOT_FOUND);
  });

  it('orders tails of one length from the end, literal before *', () => {
    const rules: Rule[] = [
      ['anyLast', 'GET', '/a/{x=**}/b/{y}'],
      ['literalLast', 'GET', '/a/{x=**}/{y}/c'],
      ['noTail', 'GET', '/a/{x=**}'],
    ];
    for (const ordered of permutations(rules)) {
      const router = tailRouter(ordered);
      expect(outcomeOf(router.match('GET', '/a/p/b/c'))).toEqual(found('literalLast', { x: 'p', y: 'b' }));
      expect(outcomeOf(router.match('GET', '/a/p/b/d'))).toEqual(found('anyLast', { x: 'p', y: 'd' }));
      expect(outcomeOf(router.match('GET', '/a/p/q'))).toEqual(found('noTail', { x: 'p/q' }));
    }
  });

  it('refuses two routes with the same shape, tails included', () => {
    expect(() =>
      tailRouter([
        ['R1', 'GET', '/a/{x=**}/b'],
        ['R2', 'GET', '/a/{y=**}/b'],
      ]),
    ).toThrow(RouterBuildError);
    expect(() =>
      tailRouter([
        ['R1', 'GET', '/a/{x=**}/b'],
        ['R2', 'GET', '/a/{y=**}/c'],
      ]),
    ).not.toThrow();
  });
});
