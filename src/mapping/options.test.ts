import { describe, expect, it } from 'vitest';
import type { MappingOptions } from '../frontend/model.js';
import { isDefaultJsonMediaType } from './media-type.js';
import { DEFAULT_MAX_BODY_BYTES, resolveOptions, type ResolvedOptions } from './options.js';

const DEFAULTS: ResolvedOptions = {
  unescape: 'ALL_CHARACTERS_EXCEPT_RESERVED',
  matchUnregisteredCustomVerb: false,
  ignoreTrailingSlash: false,
  splitRepeatedOnComma: false,
  caseInsensitiveEnums: false,
  queryPlusAsSpace: true,
  strictQuery: false,
  ignoredQueryParameters: new Set<string>(),
  strictBody: false,
  rejectBindingBodyCollisions: false,
  patchInfersFieldMask: undefined,
  emitDefaults: false,
  autoQueryParams: true,
  maxBodyBytes: 4 * 1024 * 1024,
  jsonContentTypes: [],
  isJsonMediaType: isDefaultJsonMediaType,
  lenientBooleans: false,
  allowInnerDoubleWildcard: false,
};

describe('resolveOptions', () => {
  it('fills every documented default', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(4194304);
    expect(resolveOptions()).toEqual(DEFAULTS);
    expect(resolveOptions(undefined, {})).toEqual(DEFAULTS);
  });

  it.each<[string, MappingOptions, Partial<ResolvedOptions>]>([
    ['unescape', { unescape: 'ALL_CHARACTERS' }, { unescape: 'ALL_CHARACTERS' }],
    ['unescape UNSPECIFIED means the default', { unescape: 'UNESCAPE_MODE_UNSPECIFIED' }, {}],
    ['match_unregistered_custom_verb', { match_unregistered_custom_verb: true }, { matchUnregisteredCustomVerb: true }],
    ['ignore_trailing_slash', { ignore_trailing_slash: true }, { ignoreTrailingSlash: true }],
    ['split_repeated_on_comma', { split_repeated_on_comma: true }, { splitRepeatedOnComma: true }],
    ['case_insensitive_enums', { case_insensitive_enums: true }, { caseInsensitiveEnums: true }],
    ['query_plus_as_space false', { query_plus_as_space: false }, { queryPlusAsSpace: false }],
    ['strict_query', { strict_query: true }, { strictQuery: true }],
    ['ignored_query_parameters', { ignored_query_parameters: ['utm', 'fbclid'] }, { ignoredQueryParameters: new Set(['utm', 'fbclid']) }],
    ['strict_body', { strict_body: true }, { strictBody: true }],
    ['reject_binding_body_collisions', { reject_binding_body_collisions: true }, { rejectBindingBodyCollisions: true }],
    ['patch_infers_field_mask', { patch_infers_field_mask: 'update_mask' }, { patchInfersFieldMask: 'update_mask' }],
    ['patch_infers_field_mask empty means none', { patch_infers_field_mask: '' }, {}],
    ['emit_defaults', { emit_defaults: true }, { emitDefaults: true }],
    ['auto_query_params false', { auto_query_params: false }, { autoQueryParams: false }],
    ['max_body_bytes', { max_body_bytes: 1024 }, { maxBodyBytes: 1024 }],
    ['max_body_bytes 0 means the default', { max_body_bytes: 0 }, {}],
    ['json_content_types empty means the defaults', { json_content_types: [] }, {}],
    ['lenient_booleans', { lenient_booleans: true }, { lenientBooleans: true }],
    ['allow_inner_double_wildcard', { allow_inner_double_wildcard: true }, { allowInnerDoubleWildcard: true }],
  ])('%s', (_name, options, changed) => {
    expect(resolveOptions(options)).toEqual({ ...DEFAULTS, ...changed });
  });

  it('a later layer overrides one switch at a time', () => {
    const frontend: MappingOptions = { strict_query: true, strict_body: true, unescape: 'ALL_CHARACTERS', max_body_bytes: 10 };
    const route: MappingOptions = { strict_query: false, unescape: 'UNESCAPE_MODE_UNSPECIFIED' };
    expect(resolveOptions(frontend, route)).toEqual({
      ...DEFAULTS,
      strictQuery: false,
      strictBody: true,
      unescape: 'ALL_CHARACTERS',
      maxBodyBytes: 10,
    });
  });

  it('an explicit false in a later layer beats a true in an earlier one', () => {
    expect(resolveOptions({ emit_defaults: true, auto_query_params: true }, { emit_defaults: false, auto_query_params: false })).toMatchObject({
      emitDefaults: false,
      autoQueryParams: false,
    });
  });

  it('a null switch (absent in the admin message) does not override', () => {
    const route = { strict_query: null } as unknown as MappingOptions;
    expect(resolveOptions({ strict_query: true }, route).strictQuery).toBe(true);
  });

  it('ignored query parameters add up over the layers', () => {
    expect(resolveOptions({ ignored_query_parameters: ['a'] }, undefined, { ignored_query_parameters: ['b', 'a'] }).ignoredQueryParameters).toEqual(
      new Set(['a', 'b']),
    );
  });

  it('three layers: the last one that sets a switch wins', () => {
    expect(resolveOptions({ split_repeated_on_comma: true }, { split_repeated_on_comma: false }, {}).splitRepeatedOnComma).toBe(false);
    expect(resolveOptions({ patch_infers_field_mask: 'a' }, {}, { patch_infers_field_mask: 'b' }).patchInfersFieldMask).toBe('b');
  });

  it('json_content_types: a later non-empty list replaces an earlier one', () => {
    const resolved = resolveOptions({ json_content_types: ['application/json', 'application/octet-stream'] }, { json_content_types: ['text/json'] });
    expect(resolved.jsonContentTypes).toEqual(['text/json']);
    expect(resolved.isJsonMediaType('text/json')).toBe(true);
    expect(resolved.isJsonMediaType('application/json')).toBe(false);
    const kept = resolveOptions({ json_content_types: ['application/octet-stream', 'application/*+json'] }, { json_content_types: [] });
    expect(kept.isJsonMediaType('application/octet-stream')).toBe(true);
    expect(kept.isJsonMediaType('application/vnd.x+json')).toBe(true);
    expect(kept.isJsonMediaType('application/json')).toBe(false);
  });

  it('json_content_types: an entry that is not a media type is refused', () => {
    expect(() => resolveOptions({ json_content_types: ['json'] })).toThrow("json_content_types: 'json' is not a media type");
  });
});
