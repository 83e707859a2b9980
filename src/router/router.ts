// Routes HTTP requests to HttpRule-style path templates.
//
// find-my-way only narrows the search: each distinct leading run of literal segments ("dispatch
// prefix") is registered with it as "/prefix" and "/prefix/*", and what it finds is a bucket of
// candidate routes. The HttpRule semantics find-my-way lacks (multi-segment variables, '**' matching
// zero segments, verbs after the last segment, '%2F' never splitting, specificity independent of
// declaration order) are applied by walking the raw request path over those candidates. A template
// may also have a fixed-length tail after its '**' (path-template.ts, allowInnerDoubleWildcard): the
// tail is matched against the request's last segments, and '**' takes what lies between.

import FindMyWay from 'find-my-way';
import type { PathTemplate } from './path-template.js';
import { decodeAll, decodeMultiSegment, findPercentEncodingProblem } from './percent-encoding.js';

export type UnescapeMode = 'ALL_CHARACTERS_EXCEPT_RESERVED' | 'ALL_CHARACTERS_EXCEPT_SLASH' | 'ALL_CHARACTERS';

export interface RouteEntry<T> {
  /** GET PUT POST DELETE PATCH HEAD OPTIONS or any custom token; compared case-sensitively. */
  method: string;
  template: PathTemplate;
  /** Opaque payload returned on match. */
  value: T;
  /** Decoding of multi-segment variables; default ALL_CHARACTERS_EXCEPT_RESERVED. */
  unescape?: UnescapeMode;
  ignoreTrailingSlash?: boolean;
  matchUnregisteredCustomVerb?: boolean;
  /** Names the entry in error messages, e.g. "rest.routes[3]". */
  label?: string;
}

export class RouterBuildError extends Error {
  override readonly name = 'RouterBuildError';

  constructor(readonly problems: string[]) {
    super(`invalid routes:\n  ${problems.join('\n  ')}`);
  }
}

export type RouteMatch<T> =
  | { kind: 'found'; value: T; bindings: Array<[fieldPath: string, value: string]>; viaGet?: boolean }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'options'; allow: string[] }
  | { kind: 'not-found' }
  | { kind: 'bad-path'; message: string };

export interface Router<T> {
  match(method: string, rawPath: string): RouteMatch<T>;
  readonly size: number;
}

export function buildRouter<T>(entries: RouteEntry<T>[]): Router<T> {
  const routes = entries.map((entry, index) => compileRoute(entry, entry.label ?? `routes[${index}]`));
  const problems = [...routes.flatMap(describeInvalidMethod), ...findDuplicates(routes)];
  if (problems.length > 0) throw new RouterBuildError(problems);
  return new HttpRuleRouter(routes);
}

interface CompiledVariable {
  fieldPath: string;
  /**
   * Where the variable starts and ends in the request: a segment index from the start when
   * `firstFromEnd`/`lastFromEnd` is false, else a count back from the end of the request's
   * segments (1 = the last one), for a bound at or after a '**'.
   */
  first: number;
  firstFromEnd: boolean;
  last: number;
  lastFromEnd: boolean;
  /** Covers more than one template segment (or '**'): decoded per the unescape mode, not fully. */
  multiSegment: boolean;
}

interface CompiledRoute<T> {
  method: string;
  value: T;
  label: string;
  source: string;
  /** Per template segment before any '**': the literal text, or undefined for '*'. */
  fixedSegments: Array<string | undefined>;
  /** The template has a '**' (at the end, or followed by `tailSegments`). */
  endsWithRest: boolean;
  /** Per template segment after the '**': the literal text, or undefined for '*'. Usually empty. */
  tailSegments: Array<string | undefined>;
  /** ":verb", or "" for a route without a verb. */
  verbSuffix: string;
  ignoreTrailingSlash: boolean;
  /** matchUnregisteredCustomVerb on a verb-less route: a last segment holding ':' is a verb it lacks. */
  rejectsColonInLastSegment: boolean;
  unescape: UnescapeMode;
  variables: CompiledVariable[];
  /** The template with variable names erased: two routes of one method with the same shape match the same paths. */
  shape: string;
  dispatchPrefix: string[];
}

function compileRoute<T>(entry: RouteEntry<T>, label: string): CompiledRoute<T> {
  const { template } = entry;
  const restIndex = template.segments.findIndex((segment) => segment.kind === 'rest');
  const fixed = restIndex === -1 ? template.segments : template.segments.slice(0, restIndex);
  const tail = restIndex === -1 ? [] : template.segments.slice(restIndex + 1);
  const literalOrAny = (segment: PathTemplate['segments'][number]) => (segment.kind === 'literal' ? segment.value : undefined);
  const total = template.segments.length;
  return {
    method: entry.method,
    value: entry.value,
    label,
    source: template.source,
    fixedSegments: fixed.map(literalOrAny),
    endsWithRest: restIndex !== -1,
    tailSegments: tail.map(literalOrAny),
    verbSuffix: template.verb === undefined ? '' : `:${template.verb}`,
    ignoreTrailingSlash: entry.ignoreTrailingSlash ?? false,
    rejectsColonInLastSegment: template.verb === undefined && (entry.matchUnregisteredCustomVerb ?? false),
    unescape: entry.unescape ?? 'ALL_CHARACTERS_EXCEPT_RESERVED',
    variables: template.variables.map((variable) => {
      const holdsRest = restIndex !== -1 && variable.first <= restIndex && restIndex <= variable.last;
      // Template segment t after the '**' is request segment count - (total - t); the '**' itself
      // starts where its prefix ends and ends just before the tail (count - (total - restIndex)).
      const firstFromEnd = restIndex !== -1 && variable.first > restIndex;
      const lastFromEnd = restIndex !== -1 && variable.last >= restIndex;
      return {
        fieldPath: variable.fieldPath,
        first: firstFromEnd ? total - variable.first : variable.first,
        firstFromEnd,
        last: lastFromEnd ? total - variable.last : variable.last,
        lastFromEnd,
        multiSegment: holdsRest || variable.last > variable.first,
      };
    }),
    shape: shapeOf(template),
    dispatchPrefix: dispatchPrefixOf(template),
  };
}

function shapeOf(template: PathTemplate): string {
  const segments = template.segments.map((s) => (s.kind === 'literal' ? s.value : s.kind === 'any' ? '*' : '**'));
  return `/${segments.join('/')}${template.verb === undefined ? '' : `:${template.verb}`}`;
}

/** The leading literal segments: every request this route matches starts with them. */
function dispatchPrefixOf(template: PathTemplate): string[] {
  const literals: string[] = [];
  for (const segment of template.segments) {
    if (segment.kind !== 'literal') break;
    literals.push(segment.value);
  }
  // A request for a verb route carries ":verb" in its last segment, which therefore never equals
  // the template's last literal as a whole.
  if (template.verb !== undefined && literals.length === template.segments.length) literals.pop();
  return literals;
}

// RFC 9110 §5.6.2 token.
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function describeInvalidMethod(route: CompiledRoute<unknown>): string[] {
  return METHOD_TOKEN.test(route.method) ? [] : [`${route.label}: invalid HTTP method ${JSON.stringify(route.method)}`];
}

/** Each route whose method and shape an earlier route already has, named against that first one. */
function findDuplicates(routes: CompiledRoute<unknown>[]): string[] {
  const firstByKey = new Map<string, CompiledRoute<unknown>>();
  const problems: string[] = [];
  for (const route of routes) {
    const key = `${route.method} ${route.shape}`;
    const first = firstByKey.get(key);
    if (first === undefined) {
      firstByKey.set(key, route);
      continue;
    }
    const firstSource = first.source === route.source ? '' : ` (${first.method} ${first.source})`;
    problems.push(`${route.label}: ${route.method} ${route.source} duplicates ${first.label}${firstSource}`);
  }
  return problems;
}

// Precedence, never declaration order: a route with a verb beats one without (P09: "/{name=**}:verb"
// wins "/person/jason:verb" over "/person/{name}"); then segment by segment a literal beats '*', which
// beats '**', and the end of a template beats a '**' that would match nothing. Two different shapes
// always compare unequal, or can never match the same path (different literals or verbs).
function compareSpecificity(a: CompiledRoute<unknown>, b: CompiledRoute<unknown>): number {
  if ((a.verbSuffix === '') !== (b.verbSuffix === '')) return a.verbSuffix === '' ? 1 : -1;
  const positions = Math.max(a.fixedSegments.length, b.fixedSegments.length) + 1;
  for (let i = 0; i < positions; i++) {
    const byRank = positionRank(a, i) - positionRank(b, i);
    if (byRank !== 0) return byRank;
    const byLiteral = compareText(a.fixedSegments[i] ?? '', b.fixedSegments[i] ?? '');
    if (byLiteral !== 0) return byLiteral;
  }
  // Same prefix and both with a '**' there: the longer tail is more specific; tails of one length
  // compare from the end (they are aligned with the request's last segments), literal before '*'.
  const byTailLength = b.tailSegments.length - a.tailSegments.length;
  if (byTailLength !== 0) return byTailLength;
  for (let i = a.tailSegments.length - 1; i >= 0; i--) {
    const x = a.tailSegments[i];
    const y = b.tailSegments[i];
    if ((x === undefined) !== (y === undefined)) return x === undefined ? 1 : -1;
    const byLiteral = compareText(x ?? '', y ?? '');
    if (byLiteral !== 0) return byLiteral;
  }
  return compareText(a.verbSuffix, b.verbSuffix);
}

const RANK_END = 0;
const RANK_LITERAL = 1;
const RANK_ANY = 2;
const RANK_REST = 3;

function positionRank(route: CompiledRoute<unknown>, index: number): number {
  if (index < route.fixedSegments.length) return route.fixedSegments[index] === undefined ? RANK_ANY : RANK_LITERAL;
  return index === route.fixedSegments.length && route.endsWithRest ? RANK_REST : RANK_END;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The candidates find-my-way hands over for one dispatch prefix. */
interface Bucket<T> {
  /** Per method, most specific first. */
  routesByMethod: Map<string, CompiledRoute<T>[]>;
  methods: string[];
}

function makeBucket<T>(routes: CompiledRoute<T>[]): Bucket<T> {
  const routesByMethod = new Map<string, CompiledRoute<T>[]>();
  for (const route of routes) {
    const sameMethod = routesByMethod.get(route.method);
    if (sameMethod === undefined) routesByMethod.set(route.method, [route]);
    else sameMethod.push(route);
  }
  for (const candidates of routesByMethod.values()) candidates.sort(compareSpecificity);
  return { routesByMethod, methods: [...routesByMethod.keys()].sort() };
}

function isPrefixOf(prefix: string[], of: string[]): boolean {
  return prefix.length <= of.length && prefix.every((literal, i) => literal === of[i]);
}

// find-my-way keeps one tree per HTTP method and knows a fixed list of method names; all buckets
// live in the GET tree because methods are told apart by the buckets, which also need every
// method's routes for a path to answer 405 and OPTIONS.
const DISPATCH_METHOD = 'GET';
const NO_QUERY = {};

/**
 * find-my-way percent-decodes the path before comparing it (leaving reserved escapes such as %2F,
 * so segments stay where they are) and stops at '?' or '#'. Neither hides a route that matches the
 * raw path: that route's dispatch prefix is plain text (see the literal characters in
 * path-template.ts), the same raw and decoded and free of '?' and '#', so find-my-way matches it too
 * and returns its bucket or a deeper one, which includes it. find-my-way's own syntax (':' params,
 * '*' wildcards) applies only to registered paths, and the only wildcard registered is our own.
 */
function buildDispatcher<T>(routes: CompiledRoute<T>[]): FindMyWay.Instance<FindMyWay.HTTPVersion.V1> {
  const dispatcher = FindMyWay({
    caseSensitive: true,
    ignoreTrailingSlash: false,
    ignoreDuplicateSlashes: false,
    querystringParser: () => NO_QUERY,
  });
  const prefixes = new Map<string, string[]>([['', []]]);
  for (const route of routes) prefixes.set(route.dispatchPrefix.join('/'), route.dispatchPrefix);
  const unused = () => undefined;
  for (const prefix of prefixes.values()) {
    // find-my-way returns only the deepest prefix the path starts with, while the route that
    // matches may have a shorter one ("/v1/{id}/x" for "/v1/shelves/x" next to "/v1/shelves/{id}"),
    // so each bucket also holds the routes of every shorter prefix.
    const bucket = makeBucket(routes.filter((route) => isPrefixOf(route.dispatchPrefix, prefix)));
    const path = `/${prefix.join('/')}`;
    dispatcher.on(DISPATCH_METHOD, path, unused, bucket);
    dispatcher.on(DISPATCH_METHOD, prefix.length === 0 ? '/*' : `${path}/*`, unused, bucket);
  }
  // Generated matching code: a quarter faster here than the tree walk, and small, as there is one
  // pair of find-my-way routes per distinct prefix rather than per route.
  return dispatcher.compile();
}

const SLASH = 0x2f;

/**
 * The request path cut into segments by offset, reused across match() calls so that matching
 * allocates nothing; match() runs to completion synchronously, so one instance per router is safe.
 */
class RequestPath {
  raw = '';
  hasEscapes = false;
  private segmentCount = 0;
  /** Offsets of the '/' before each segment, then raw.length: segment i is raw[slashes[i] + 1, slashes[i + 1]). */
  private slashes = new Int32Array(32);
  /** The request as the route last passed to fitRoute() sees it: segments and end of the last one. */
  private viewCount = 0;
  private viewEnd = 0;

  load(raw: string, hasEscapes: boolean): void {
    this.raw = raw;
    this.hasEscapes = hasEscapes;
    let count = 0;
    // "/" has no segment; every other path has one after each '/'.
    for (let slash = raw.length === 1 ? -1 : 0; slash !== -1; slash = raw.indexOf('/', slash + 1)) {
      this.setSlash(count++, slash);
    }
    this.setSlash(count, raw.length);
    this.segmentCount = count;
  }

  private setSlash(index: number, offset: number): void {
    if (index >= this.slashes.length) {
      const grown = new Int32Array(this.slashes.length * 2);
      grown.set(this.slashes);
      this.slashes = grown;
    }
    this.slashes[index] = offset;
  }

  /**
   * Sets the view for `route`: drops a trailing empty segment if the route ignores trailing
   * slashes, and strips the route's verb from the last segment. False when the verb rules alone
   * exclude the route.
   */
  fitRoute(route: CompiledRoute<unknown>): boolean {
    let count = this.segmentCount;
    let end = this.raw.length;
    if (route.ignoreTrailingSlash && count > 0 && this.slashes[count - 1]! + 1 === end) {
      count--;
      end = this.slashes[count]!;
    }
    if (route.verbSuffix !== '') {
      const verbStart = end - route.verbSuffix.length;
      // The verb must leave a non-empty segment before it.
      if (count === 0 || verbStart <= this.slashes[count - 1]! + 1) return false;
      if (!this.raw.startsWith(route.verbSuffix, verbStart)) return false;
      end = verbStart;
    } else if (route.rejectsColonInLastSegment && count > 0) {
      const colon = this.raw.indexOf(':', this.slashes[count - 1]! + 1);
      if (colon !== -1 && colon < end) return false;
    }
    this.viewCount = count;
    this.viewEnd = end;
    return true;
  }

  /** Segments in the current view. */
  get count(): number {
    return this.viewCount;
  }

  start(index: number): number {
    return this.slashes[index]! + 1;
  }

  end(index: number): number {
    return index === this.viewCount - 1 ? this.viewEnd : this.slashes[index + 1]!;
  }
}

function matchesRoute(route: CompiledRoute<unknown>, path: RequestPath): boolean {
  if (!path.fitRoute(route)) return false;
  const fixed = route.fixedSegments;
  const tail = route.tailSegments;
  const count = path.count;
  if (route.endsWithRest ? count < fixed.length + tail.length : count !== fixed.length) return false;
  // Request segments from tailStart on are matched by the tail (none when there is no tail).
  const tailStart = count - tail.length;
  for (let i = 0; i < count; i++) {
    const start = path.start(i);
    const end = path.end(i);
    // Empty segments ("//", a trailing '/') match nothing, not even '*' or '**'.
    if (start === end) return false;
    const literal = i < tailStart ? fixed[i] : tail[i - tailStart];
    // Literals compare with the raw text: like grpc-gateway and Envoy, "v%31" is not "v1".
    if (literal !== undefined && (end - start !== literal.length || !path.raw.startsWith(literal, start))) return false;
  }
  return true;
}

/** The most specific of `candidates` (sorted by compareSpecificity) that matches. */
function firstMatching<T>(candidates: CompiledRoute<T>[] | undefined, path: RequestPath): CompiledRoute<T> | undefined {
  if (candidates === undefined) return undefined;
  for (let i = 0; i < candidates.length; i++) {
    if (matchesRoute(candidates[i]!, path)) return candidates[i];
  }
  return undefined;
}

/** Bindings of the route whose view `path` holds (the route matchesRoute last accepted). */
function bindVariables(route: CompiledRoute<unknown>, path: RequestPath): Array<[string, string]> {
  return route.variables.map((variable) => [variable.fieldPath, variableValue(route, variable, path)]);
}

function variableValue(route: CompiledRoute<unknown>, variable: CompiledVariable, path: RequestPath): string {
  const first = variable.firstFromEnd ? path.count - variable.first : variable.first;
  const last = variable.lastFromEnd ? path.count - variable.last : variable.last;
  // A lone '**' that matched no segment.
  if (last < first) return '';
  const text = path.raw.slice(path.start(first), path.end(last));
  if (!path.hasEscapes) return text;
  return variable.multiSegment ? decodeMultiSegment(text, route.unescape) : decodeAll(text);
}

class HttpRuleRouter<T> implements Router<T> {
  readonly size: number;
  private readonly dispatcher: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
  // Searched when find-my-way finds nothing, which only a path it cannot decode but we accept
  // would cause (none known); answering from every route is slow but never wrong.
  private readonly everyRoute: Bucket<T>;
  private readonly path = new RequestPath();

  constructor(routes: CompiledRoute<T>[]) {
    this.size = routes.length;
    this.dispatcher = buildDispatcher(routes);
    this.everyRoute = makeBucket(routes);
  }

  match(method: string, rawPath: string): RouteMatch<T> {
    if (rawPath.charCodeAt(0) !== SLASH) {
      return { kind: 'bad-path', message: `path ${JSON.stringify(rawPath)} does not start with '/'` };
    }
    const hasEscapes = rawPath.includes('%');
    const encodingProblem = hasEscapes ? findPercentEncodingProblem(rawPath) : undefined;
    if (encodingProblem !== undefined) return { kind: 'bad-path', message: encodingProblem };

    const path = this.path;
    path.load(rawPath, hasEscapes);
    const bucket: Bucket<T> = this.dispatcher.find(DISPATCH_METHOD, rawPath)?.store ?? this.everyRoute;

    const route = firstMatching(bucket.routesByMethod.get(method), path);
    if (route !== undefined) return { kind: 'found', value: route.value, bindings: bindVariables(route, path) };
    if (method === 'HEAD') {
      const getRoute = firstMatching(bucket.routesByMethod.get('GET'), path);
      if (getRoute !== undefined) {
        return { kind: 'found', value: getRoute.value, bindings: bindVariables(getRoute, path), viaGet: true };
      }
    }
    const allow = allowedMethods(bucket, path);
    if (allow.length === 0) return { kind: 'not-found' };
    return method === 'OPTIONS' ? { kind: 'options', allow } : { kind: 'method-not-allowed', allow };
  }
}

/** Sorted methods the path answers to, with HEAD when GET does and OPTIONS; empty when no route matches. */
function allowedMethods<T>(bucket: Bucket<T>, path: RequestPath): string[] {
  const allow = bucket.methods.filter((method) => firstMatching(bucket.routesByMethod.get(method), path) !== undefined);
  if (allow.length === 0) return allow;
  if (allow.includes('GET') && !allow.includes('HEAD')) allow.push('HEAD');
  if (!allow.includes('OPTIONS')) allow.push('OPTIONS');
  return allow.sort();
}
