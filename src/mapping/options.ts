// Mapping switches with their defaults filled in; a route's own options
// override its frontend's one switch at a time.
import type { MappingOptions, UnescapeMode } from '../frontend/model.js';
import { compileMediaTypeMatcher, isDefaultJsonMediaType, isValidMediaTypePattern, type MediaTypeMatcher } from './media-type.js';

export interface ResolvedOptions {
  unescape: Exclude<UnescapeMode, 'UNESCAPE_MODE_UNSPECIFIED'>;
  matchUnregisteredCustomVerb: boolean;
  ignoreTrailingSlash: boolean;
  splitRepeatedOnComma: boolean;
  caseInsensitiveEnums: boolean;
  queryPlusAsSpace: boolean;
  strictQuery: boolean;
  ignoredQueryParameters: ReadonlySet<string>;
  strictBody: boolean;
  rejectBindingBodyCollisions: boolean;
  patchInfersFieldMask: string | undefined;
  emitDefaults: boolean;
  autoQueryParams: boolean;
  maxBodyBytes: number;
  /** json_content_types as given (empty: the defaults). */
  jsonContentTypes: readonly string[];
  /** Whether a bare request media type is parsed as JSON. */
  isJsonMediaType: MediaTypeMatcher;
  lenientBooleans: boolean;
  allowInnerDoubleWildcard: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export function resolveOptions(...layers: Array<MappingOptions | undefined>): ResolvedOptions {
  const pick = <K extends keyof MappingOptions>(key: K): MappingOptions[K] | undefined => {
    let value: MappingOptions[K] | undefined;
    for (const layer of layers) {
      const v = layer?.[key];
      if (v !== undefined && v !== null && !(key === 'unescape' && v === 'UNESCAPE_MODE_UNSPECIFIED')) value = v;
    }
    return value;
  };
  const ignored = layers.flatMap((l) => l?.ignored_query_parameters ?? []);
  // A layer's non-empty list replaces the one before (unlike ignored_query_parameters, which add up).
  let jsonContentTypes: readonly string[] = [];
  for (const layer of layers) if (layer?.json_content_types?.length) jsonContentTypes = layer.json_content_types;
  for (const pattern of jsonContentTypes) {
    if (!isValidMediaTypePattern(pattern)) throw new Error(`json_content_types: '${pattern}' is not a media type like application/json`);
  }
  return {
    unescape: (pick('unescape') as ResolvedOptions['unescape'] | undefined) ?? 'ALL_CHARACTERS_EXCEPT_RESERVED',
    matchUnregisteredCustomVerb: pick('match_unregistered_custom_verb') ?? false,
    ignoreTrailingSlash: pick('ignore_trailing_slash') ?? false,
    splitRepeatedOnComma: pick('split_repeated_on_comma') ?? false,
    caseInsensitiveEnums: pick('case_insensitive_enums') ?? false,
    queryPlusAsSpace: pick('query_plus_as_space') ?? true,
    strictQuery: pick('strict_query') ?? false,
    ignoredQueryParameters: new Set(ignored),
    strictBody: pick('strict_body') ?? false,
    rejectBindingBodyCollisions: pick('reject_binding_body_collisions') ?? false,
    patchInfersFieldMask: pick('patch_infers_field_mask') || undefined,
    emitDefaults: pick('emit_defaults') ?? false,
    autoQueryParams: pick('auto_query_params') ?? true,
    maxBodyBytes: pick('max_body_bytes') || DEFAULT_MAX_BODY_BYTES,
    jsonContentTypes,
    isJsonMediaType: jsonContentTypes.length > 0 ? compileMediaTypeMatcher(jsonContentTypes) : isDefaultJsonMediaType,
    lenientBooleans: pick('lenient_booleans') ?? false,
    allowInnerDoubleWildcard: pick('allow_inner_double_wildcard') ?? false,
  };
}
