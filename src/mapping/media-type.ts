// Media types of request bodies: the bare type of a Content-Type header, and
// the set of types a route parses as JSON (MappingOptions.json_content_types).

/** The media type of a Content-Type value without parameters, lower-cased; undefined when absent or blank. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** The default JSON media types: application/json and any application/*+json. */
export const DEFAULT_JSON_CONTENT_TYPES: readonly string[] = ['application/json', 'application/*+json'];

export type MediaTypeMatcher = (mediaType: string) => boolean;

/** A media type pattern (parameters ignored): '*' matches any run of characters other than '/'. */
export function isValidMediaTypePattern(pattern: string): boolean {
  return /^[a-z0-9!#$&^_.+*-]+\/[a-z0-9!#$&^_.+*-]+$/.test(bareMediaType(pattern) ?? '');
}

/**
 * A matcher for bare media types (as bareMediaType gives them) against `patterns`, compared
 * case-insensitively; parameters in a pattern are ignored.
 */
export function compileMediaTypeMatcher(patterns: readonly string[]): MediaTypeMatcher {
  const exact = new Set<string>();
  const wildcards: RegExp[] = [];
  for (const pattern of patterns) {
    const bare = bareMediaType(pattern);
    if (bare === undefined) continue;
    if (!bare.includes('*')) {
      exact.add(bare);
      continue;
    }
    const source = bare
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    wildcards.push(new RegExp(`^${source}$`));
  }
  if (wildcards.length === 0) return (mediaType) => exact.has(mediaType);
  return (mediaType) => exact.has(mediaType) || wildcards.some((re) => re.test(mediaType));
}

/** The JSON media types of the defaults: kept as a ready matcher, as most routes use it. */
export const isDefaultJsonMediaType: MediaTypeMatcher = (mt) =>
  mt === 'application/json' || (mt.startsWith('application/') && mt.endsWith('+json'));
