// Turns the parts of an HTTP request (path bindings, query, headers, body)
// into the protobuf request of a route. Everything that can be decided from
// the route alone — field lookups, which fields the path and body own, which
// parameters are explicit — is prepared once by compileRequestBinder; the
// returned binder only converts values.
import type protobuf from 'protobufjs';
import type { IncomingHttpHeaders } from 'node:http';
import { proxyErrors, ProxyError } from '../errors/catalogue.js';
import type { ParamMapping } from '../frontend/model.js';
import {
  canonicalPath,
  FieldPathError,
  findField,
  messageTypeOf,
  resolveFieldPath,
  setAt,
  valueAt,
  type FieldStep,
} from './field-path.js';
import { JsonStreamSplitter } from './json-stream-splitter.js';
import { JsonNumber, JsonSyntaxError, parseJsonText, type JsonObject, type JsonValue } from './json-text.js';
import { fieldValueFromJson, MappingError, messageFromJson } from './proto-json.js';
import type { ResolvedOptions } from './options.js';
import { parseQueryString, QueryDecodeError } from './query-string.js';
import { fieldValueFromText, mapKeyFromText } from './text-value.js';

export type Message = Record<string, unknown>;

export interface HttpRequestParts {
  method: string;
  /** [template field path, value] from the router, already decoded. */
  bindings: ReadonlyArray<readonly [string, string]>;
  /** The raw query string without '?'. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
}

export interface PathVariableSpec {
  /** The variable as written in the template ("book.id", "shelf"). */
  variable: string;
  /** The target field path when an explicit PATH parameter renames it. */
  field?: string;
}

export interface RequestBinderSpec {
  requestType: protobuf.Type;
  pathVariables: readonly PathVariableSpec[];
  /** '' no body, '*' the whole message, else a field path. */
  bodyField: string;
  rawBodyField?: string;
  rawContentTypes?: readonly string[];
  /** A request without a body is a missing_body error. */
  bodyRequired?: boolean;
  params: readonly ParamMapping[];
  options: ResolvedOptions;
}

/** A binder for unary / server-streaming calls: one request message. */
export type RequestBinder = (req: HttpRequestParts) => Message;
/**
 * A client-streaming request with its path, query and headers bound, turning the body into
 * messages as it arrives. Errors are ProxyErrors.
 */
export interface StreamBinding {
  /** Takes the next body chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): Message[];
  /** The body ended: returns any message still open; throws when the body was cut short or a required one was empty. */
  end(): Message[];
}
/** A binder for client-streaming calls: the body, read later, is a sequence of messages. */
export type StreamRequestBinder = (req: HttpRequestParts) => StreamBinding;

const HTTP_BODY = 'google.api.HttpBody';

interface BoundField {
  /** Name shown to the client in errors (parameter or field path). */
  param: string;
  steps: FieldStep[];
  path: string;
}

interface ExplicitParam extends BoundField {
  required: boolean;
  default?: string;
}

function typeName(t: protobuf.Type): string {
  return t.fullName.replace(/^\./, '');
}

function isHttpBody(t: protobuf.Type | undefined): boolean {
  return t !== undefined && typeName(t) === HTTP_BODY;
}

function mediaType(headers: IncomingHttpHeaders): string | undefined {
  const ct = headers['content-type'];
  if (!ct) return undefined;
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

/** The JSON media types a route accepts, for a 415's message. */
function jsonTypesText(options: ResolvedOptions): string {
  return options.jsonContentTypes.length > 0 ? options.jsonContentTypes.join(', ') : 'application/json';
}

/** MappingOptions.lenient_booleans: `true` in any letter case is true, any other text false. */
function lenientBool(value: string): string {
  return value.toLowerCase() === 'true' ? 'true' : 'false';
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function asProxyError(err: unknown, param: string): ProxyError {
  if (err instanceof ProxyError) return err;
  if (err instanceof MappingError) return proxyErrors.badParameter(err.field || param, err.message);
  return proxyErrors.badParameter(param, (err as Error).message);
}

/** Converts one text value into a field (a repeated field takes a list). */
function textIntoField(
  field: protobuf.Field,
  param: string,
  values: readonly string[],
  options: ResolvedOptions,
): unknown {
  const textOptions = { caseInsensitiveEnums: options.caseInsensitiveEnums };
  if (options.lenientBooleans && field.type === 'bool' && !field.map) values = values.map(lenientBool);
  try {
    if (field.repeated) {
      if (messageTypeOf(field) && !isWellKnown(messageTypeOf(field)!)) {
        throw proxyErrors.badParameter(param, `"${param}" is a repeated message field and cannot be set from a parameter`);
      }
      const items = options.splitRepeatedOnComma ? values.flatMap((v) => v.split(',')) : values;
      return items.map((v) => fieldValueFromText(field, v, textOptions, param));
    }
    if (values.length > 1) throw proxyErrors.badParameter(param, `"${param}" was given more than once`);
    return fieldValueFromText(field, values[0], textOptions, param);
  } catch (err) {
    throw asProxyError(err, param);
  }
}

function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function isWellKnown(t: protobuf.Type): boolean {
  return typeName(t).startsWith('google.protobuf.');
}

/** Field paths of a JSON body object relative to `type` (for PATCH masks). */
function fieldMaskFromBody(type: protobuf.Type, json: JsonObject, prefix: string, out: string[]): void {
  for (const key of Object.keys(json)) {
    const field = findField(type, key, true);
    if (!field) throw proxyErrors.badBody(prefix + key, `no field "${prefix + key}" in ${typeName(type)}`);
    const path = prefix + field.name;
    const sub = field.repeated || field.map ? undefined : messageTypeOf(field);
    const value = json[key];
    if (sub && !isWellKnown(sub) && isJsonObject(value)) {
      fieldMaskFromBody(sub, value, path + '.', out);
    } else {
      out.push(path);
    }
  }
}

type QueryTarget =
  | { kind: 'field'; steps: FieldStep[]; mapKey?: string }
  /** Names no field: ignored, or refused under strict_query. */
  | { kind: 'unknown'; reason: string }
  /** Names a field that a query parameter cannot set: always refused. */
  | { kind: 'invalid'; reason: string };

/** Query keys resolved to fields, cached per route (bounded). */
class QueryFieldCache {
  private readonly cache = new Map<string, QueryTarget>();
  constructor(private readonly type: protobuf.Type) {}

  resolve(key: string): QueryTarget {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const resolved = this.resolveUncached(key);
    if (this.cache.size < 1024) this.cache.set(key, resolved);
    return resolved;
  }

  private resolveUncached(key: string): QueryTarget {
    const bracket = /^([^[\]]+)\[([^\]]*)\]$/.exec(key);
    const path = bracket ? bracket[1] : key;
    let steps: FieldStep[];
    try {
      steps = resolveFieldPath(this.type, path, true);
    } catch (err) {
      const reason = `does not name a settable field (${(err as Error).message})`;
      return err instanceof FieldPathError && err.kind === 'structure' ? { kind: 'invalid', reason } : { kind: 'unknown', reason };
    }
    const last = steps[steps.length - 1].field;
    if (bracket && !last.map) return { kind: 'invalid', reason: `uses [key] syntax but "${path}" is not a map field` };
    if (!bracket && last.map) return { kind: 'invalid', reason: `names the map field "${path}"; use ${path}[key]=value` };
    return { kind: 'field', steps, mapKey: bracket?.[2] };
  }
}

export function compileRequestBinder(spec: RequestBinderSpec): RequestBinder {
  const { requestType, options } = spec;
  const resolve = (path: string): FieldStep[] => resolveFieldPath(requestType, path);

  const explicitByVariable = new Map(
    spec.params.filter((p) => p.source === 'PATH').map((p) => [p.name ?? '', p.field ?? p.name ?? '']),
  );
  const pathFields = new Map<string, BoundField>();
  for (const v of spec.pathVariables) {
    const target = v.field ?? explicitByVariable.get(v.variable) ?? v.variable;
    const steps = resolve(target);
    pathFields.set(v.variable, { param: v.variable, steps, path: canonicalPath(steps) });
  }

  const explicit = (source: string): ExplicitParam[] =>
    spec.params
      .filter((p) => p.source === source)
      .map((p) => {
        const steps = resolve(p.field ?? p.name ?? '');
        return {
          param: p.name ?? p.field ?? '',
          steps,
          path: canonicalPath(steps),
          required: p.required ?? false,
          default: p.default ?? undefined,
        };
      });
  const queryParams = explicit('QUERY');
  const queryParamByName = new Map(queryParams.map((p) => [p.param, p]));
  const headerParams = explicit('HEADER').map((p) => ({ ...p, header: p.param.toLowerCase() }));
  const constantParams = explicit('CONSTANT');
  const bodyParams = explicit('BODY');

  const bodySteps = spec.bodyField && spec.bodyField !== '*' ? resolve(spec.bodyField) : undefined;
  const bodyPath = bodySteps ? canonicalPath(bodySteps) : spec.bodyField;
  const bodyTargetType = bodySteps ? bodySteps[bodySteps.length - 1].messageType : requestType;
  // An HttpBody target takes the body raw, whatever its content type.
  const bodyIsHttpBody = spec.bodyField !== '' && isHttpBody(bodyTargetType);
  const rawSteps = spec.rawBodyField ? resolve(spec.rawBodyField) : undefined;
  const rawField = rawSteps?.[rawSteps.length - 1];
  const rawIntoHttpBody = rawField !== undefined && isHttpBody(rawField.messageType);
  if (rawField && !rawIntoHttpBody && (rawField.field.type !== 'bytes' || rawField.field.repeated || rawField.field.map)) {
    throw new Error(`raw_field '${spec.rawBodyField}' must be a bytes or google.api.HttpBody field`);
  }
  const rawContentTypes = new Set(
    (spec.rawContentTypes?.length ? spec.rawContentTypes : ['application/octet-stream']).map((t) => t.toLowerCase()),
  );

  const pathOwned = new Set([...pathFields.values()].map((f) => f.path));
  const queryCache = new QueryFieldCache(requestType);
  const readOptions = { ignoreUnknownFields: !options.strictBody, caseInsensitiveEnums: options.caseInsensitiveEnums };
  const maskSteps = options.patchInfersFieldMask ? resolve(options.patchInfersFieldMask) : undefined;
  const checkOneofs = hasOneofs(requestType);

  /** Why a query key cannot be bound, or undefined when it can. */
  const queryExclusion = (path: string): string | undefined => {
    if (spec.bodyField === '*') return 'cannot be used: the whole request comes from the body';
    if (pathOwned.has(path)) return 'is already bound by the path';
    if (bodyPath && bodyPath !== '*' && (path === bodyPath || path.startsWith(bodyPath + '.'))) {
      return 'is inside the request body';
    }
    return undefined;
  };

  /** BODY parameters: a key (dotted for nested objects) of the JSON body into a field. */
  const bindBodyParams = (json: JsonValue, message: Message): void => {
    for (const p of bodyParams) {
      let value: JsonValue | undefined = json;
      for (const key of p.param.split('.')) value = isJsonObject(value) ? value[key] : undefined;
      if (value === undefined || value === null) continue;
      setAt(message, p.steps, fieldValueFromJson(p.steps[p.steps.length - 1].field, value, readOptions, p.param));
    }
  };

  const readBody = (req: HttpRequestParts, message: Message): JsonValue | undefined => {
    const body = req.body;
    if (!body || body.length === 0) {
      if (spec.bodyRequired) throw proxyErrors.missingBody();
      return undefined;
    }
    const mt = mediaType(req.headers);
    if (rawSteps && mt !== undefined && rawContentTypes.has(mt)) {
      const contentType = headerValue(req.headers, 'content-type') ?? '';
      setAt(message, rawSteps, rawIntoHttpBody ? { content_type: contentType, data: body } : body);
      return undefined;
    }
    if (spec.bodyField === '' && bodyParams.length === 0) {
      if (options.strictBody) throw proxyErrors.unexpectedBody();
      return undefined;
    }
    if (bodyIsHttpBody) {
      const httpBody = { content_type: headerValue(req.headers, 'content-type') ?? '', data: body };
      if (bodySteps) setAt(message, bodySteps, httpBody);
      else Object.assign(message, httpBody);
      return undefined;
    }
    if (mt !== undefined && !options.isJsonMediaType(mt)) {
      const accepted = rawSteps ? `${jsonTypesText(options)} or ${[...rawContentTypes].join(', ')}` : jsonTypesText(options);
      throw proxyErrors.unsupportedMediaType(mt, accepted);
    }
    let json: JsonValue;
    try {
      json = parseJsonText(body);
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw proxyErrors.badJson(err.message);
      throw err;
    }
    try {
      if (spec.bodyField === '') {
        bindBodyParams(json, message);
      } else if (bodySteps) {
        const field = bodySteps[bodySteps.length - 1].field;
        const value = fieldValueFromJson(field, json, readOptions, bodyPath);
        if (value !== undefined && value !== null) setAt(message, bodySteps, value);
      } else {
        Object.assign(message, messageFromJson(requestType, json, readOptions));
      }
      if (spec.bodyField !== '') bindBodyParams(json, message);
    } catch (err) {
      if (err instanceof MappingError) throw proxyErrors.badBody(err.field, err.message);
      throw err;
    }
    return json;
  };

  const bindQuery = (req: HttpRequestParts, message: Message, given: Set<string>): void => {
    let pairs: Array<[string, string]>;
    try {
      pairs = parseQueryString(req.rawQuery, options.queryPlusAsSpace);
    } catch (err) {
      if (err instanceof QueryDecodeError) throw proxyErrors.badParameter('query', err.message);
      throw err;
    }
    if (pairs.length === 0) return;
    // Group values per target so repeated keys become one list.
    const grouped = new Map<string, { bound: BoundField; mapKey?: string; values: string[] }>();
    for (const [key, value] of pairs) {
      const named = queryParamByName.get(key);
      if (named) {
        const entry = grouped.get(named.path);
        if (entry && entry.bound.param !== key) {
          throw proxyErrors.badParameter(key, `field "${named.path}" was given as both "${entry.bound.param}" and "${key}"`);
        }
        if (entry) entry.values.push(value);
        else grouped.set(named.path, { bound: named, values: [value] });
        continue;
      }
      if (options.ignoredQueryParameters.has(key)) continue;
      if (!options.autoQueryParams) {
        if (options.strictQuery) throw proxyErrors.unknownParameter(key, 'is not a parameter of this route');
        continue;
      }
      const resolved = queryCache.resolve(key);
      if (resolved.kind === 'invalid') throw proxyErrors.unknownParameter(key, resolved.reason);
      if (resolved.kind === 'unknown') {
        if (options.strictQuery) throw proxyErrors.unknownParameter(key, resolved.reason);
        continue;
      }
      const path = canonicalPath(resolved.steps);
      const excluded = queryExclusion(path);
      if (excluded) {
        if (options.strictQuery) throw proxyErrors.unknownParameter(key, excluded);
        continue;
      }
      const target = resolved.mapKey !== undefined ? `${path}[${resolved.mapKey}]` : path;
      const entry = grouped.get(target);
      if (entry && entry.bound.param !== key) {
        throw proxyErrors.badParameter(key, `field "${path}" was given as both "${entry.bound.param}" and "${key}"`);
      }
      if (entry) entry.values.push(value);
      else grouped.set(target, { bound: { param: key, steps: resolved.steps, path }, mapKey: resolved.mapKey, values: [value] });
    }
    const oneofsSet = new Map<string, string>();
    for (const { bound, mapKey, values } of grouped.values()) {
      const field = bound.steps[bound.steps.length - 1].field;
      if (field.partOf && !field.partOf.name.startsWith('_')) {
        const other = oneofsSet.get(field.partOf.name);
        if (other !== undefined && other !== bound.path) {
          throw proxyErrors.badParameter(bound.param, `"${other}" and "${bound.path}" belong to the same oneof "${field.partOf.name}"`);
        }
        oneofsSet.set(field.partOf.name, bound.path);
      }
      if (mapKey !== undefined) {
        if (values.length > 1) throw proxyErrors.badParameter(bound.param, `map key "${bound.param}" was given more than once`);
        const converted = textIntoField(field, bound.param, values, options);
        let key: string;
        try {
          key = mapKeyFromText(field as unknown as protobuf.MapField, mapKey, bound.param);
        } catch (err) {
          throw asProxyError(err, bound.param);
        }
        const parent = valueAt(message, bound.steps) as Record<string, unknown> | undefined;
        if (parent) parent[key] = converted;
        else setAt(message, bound.steps, { [key]: converted });
      } else {
        setAt(message, bound.steps, textIntoField(field, bound.param, values, options));
      }
      given.add(bound.path);
    }
  };

  return (req: HttpRequestParts): Message => {
    const message: Message = {};
    const json = readBody(req, message);

    for (const [variable, value] of req.bindings) {
      const bound = pathFields.get(variable);
      if (!bound) continue;
      if (options.rejectBindingBodyCollisions && json !== undefined && valueAt(message, bound.steps) !== undefined) {
        throw proxyErrors.badParameter(variable, `field "${bound.path}" is given by both the path and the body`);
      }
      setAt(message, bound.steps, textIntoField(bound.steps[bound.steps.length - 1].field, variable, [value], options));
    }

    const given = new Set<string>();
    bindQuery(req, message, given);

    for (const p of headerParams) {
      const value = headerValue(req.headers, p.header);
      if (value !== undefined) {
        setAt(message, p.steps, textIntoField(p.steps[p.steps.length - 1].field, p.param, [value], options));
        given.add(p.path);
      }
    }
    for (const p of constantParams) {
      setAt(message, p.steps, textIntoField(p.steps[p.steps.length - 1].field, p.param, [p.default ?? ''], options));
    }
    for (const p of [...queryParams, ...headerParams, ...bodyParams]) {
      if (given.has(p.path) || valueAt(message, p.steps) !== undefined) continue;
      if (p.default !== undefined) {
        setAt(message, p.steps, textIntoField(p.steps[p.steps.length - 1].field, p.param, [p.default], options));
      } else if (p.required) {
        throw proxyErrors.missingParameter(p.param);
      }
    }

    const maskGiven = maskSteps && (given.has(canonicalPath(maskSteps)) || valueAt(message, maskSteps) !== undefined);
    if (maskSteps && req.method === 'PATCH' && json !== undefined && !maskGiven) {
      if (isJsonObject(json)) {
        const paths: string[] = [];
        fieldMaskFromBody(bodyTargetType ?? requestType, json, '', paths);
        setAt(message, maskSteps, { paths });
      }
    }
    if (checkOneofs) rejectOneofConflicts(requestType, message, '');
    return message;
  };
}

/** Whether a type (or any message it contains) has a real oneof. */
function hasOneofs(type: protobuf.Type, seen = new Set<protobuf.Type>()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  if (type.oneofsArray.some((o) => !o.name.startsWith('_') && o.fieldsArray.length > 1)) return true;
  return type.fieldsArray.some((f) => {
    const sub = f.map ? undefined : messageTypeOf(f);
    return sub !== undefined && !isWellKnown(sub) && hasOneofs(sub, seen);
  });
}

/** Two members of one oneof set by different sources (path, query, body) are a 400. */
function rejectOneofConflicts(type: protobuf.Type, message: Message, prefix: string): void {
  for (const oneof of type.oneofsArray) {
    if (oneof.name.startsWith('_')) continue;
    const set = oneof.fieldsArray.filter((f) => message[f.name] !== undefined && message[f.name] !== null);
    if (set.length > 1) {
      throw proxyErrors.badParameter(
        prefix + set[1].name,
        `"${prefix}${set[0].name}" and "${prefix}${set[1].name}" belong to the same oneof "${oneof.name}"`,
      );
    }
  }
  for (const field of type.fieldsArray) {
    const sub = field.repeated || field.map ? undefined : messageTypeOf(field);
    const value = message[field.name];
    if (sub && !isWellKnown(sub) && value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      rejectOneofConflicts(sub, value as Message, `${prefix}${field.name}.`);
    }
  }
}

/** `source` over `target`, recursing into nested messages (path and query values win). */
function mergeMessages(target: Message, source: Message): Message {
  const out: Message = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const prev = out[key];
    out[key] = isPlainMessage(prev) && isPlainMessage(value) ? mergeMessages(prev as Message, value as Message) : value;
  }
  return out;
}

function isPlainMessage(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Whether the request's headers announce a body (a Content-Length of 0 does not). */
export function declaresBody(headers: IncomingHttpHeaders): boolean {
  const declared = headers['content-length'];
  return (declared !== undefined && declared !== '0') || headers['transfer-encoding'] !== undefined;
}

/** Runs a step of the JSON splitter, turning its syntax errors into bad_json. */
function split(step: () => Uint8Array[]): Uint8Array[] {
  try {
    return step();
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw proxyErrors.badJson(err.message);
    throw err;
  }
}

/**
 * Client streaming: the body is a JSON array or newline-delimited JSON
 * values, one request message each; path and query bind into every one.
 * Bound before the body is read, so each message can go out as soon as its
 * value is complete. `req.body` is not used: the body arrives through push().
 */
export function compileStreamRequestBinder(spec: RequestBinderSpec): StreamRequestBinder {
  const single = compileRequestBinder({ ...spec, bodyField: '', bodyRequired: false });
  const readOptions = { ignoreUnknownFields: !spec.options.strictBody, caseInsensitiveEnums: spec.options.caseInsensitiveEnums };

  /** One top-level body value (its JSON text) into the `index`-th message, under the path and query values. */
  const messageOf = (text: Uint8Array, index: number, base: Message): Message => {
    let json: JsonValue;
    try {
      json = parseJsonText(text);
    } catch (err) {
      if (err instanceof JsonSyntaxError) throw proxyErrors.badJson(`message ${index}: ${err.message}`);
      throw err;
    }
    try {
      return mergeMessages(messageFromJson(spec.requestType, json, readOptions, `[${index}]`), base);
    } catch (err) {
      if (err instanceof MappingError) throw proxyErrors.badBody(err.field, err.message);
      throw err;
    }
  };

  const requireBody = (present: boolean): void => {
    if (!present && spec.bodyRequired) throw proxyErrors.missingBody();
  };

  return (req) => {
    const base = single({ ...req, body: undefined });
    // Refused before the call opens: a body that is absent or not JSON is known from the headers.
    const hasBody = declaresBody(req.headers);
    requireBody(hasBody);
    const mt = mediaType(req.headers);
    if (hasBody && mt !== undefined && !spec.options.isJsonMediaType(mt) && mt !== 'application/x-ndjson') {
      throw proxyErrors.unsupportedMediaType(mt, `${jsonTypesText(spec.options)} or application/x-ndjson`);
    }
    const splitter = new JsonStreamSplitter(spec.options.maxBodyBytes);
    let count = 0;
    const messagesOf = (values: Uint8Array[]) => values.map((value) => messageOf(value, count++, base));
    return {
      push: (chunk) => messagesOf(split(() => splitter.push(chunk))),
      end: () => {
        const values = split(() => splitter.end());
        // A chunked body can still turn out empty.
        requireBody(splitter.bytes > 0);
        return messagesOf(values);
      },
    };
  };
}
