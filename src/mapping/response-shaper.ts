// Turns a decoded gRPC response into the HTTP reply a route's
// ResponseMapping describes: status (fixed or chosen by a field's value),
// the body (whole message, one field, or a raw string/bytes field), renamed
// and omitted keys, and headers taken from fields.
import type protobuf from 'protobufjs';
import { ProxyError } from '../errors/catalogue.js';
import type { ResponseMapping, StatusRule } from '../frontend/model.js';
import { codeFromName } from '../grpc/codes.js';
import { resolveFieldPath, valueAt, type FieldStep } from './field-path.js';
import type { Negotiator } from './content-negotiation.js';
import { isHeaderSafe } from './metadata.js';
import { fieldValueToJson, jsonName, messageToJson, type JsonWriteOptions } from './proto-json.js';

export interface ShapedResponse {
  status: number;
  headers: Record<string, string>;
  contentType: string;
  body: string | Buffer;
}

/** `accept` is the request's Accept header, used when the frontend negotiates media types (RestConfig.produces). */
export type ResponseShaper = (decoded: Record<string, unknown>, accept?: string) => ShapedResponse | ProxyError;

export interface ResponseShaperSpec {
  responseType: protobuf.Type;
  mapping?: ResponseMapping;
  /** HttpRule response_body; same meaning as mapping.body_field. */
  responseBody?: string;
  emitDefaults: boolean;
  /** The frontend's response media types; used unless the mapping sets content_type. */
  negotiator?: Negotiator;
}

export const JSON_CONTENT_TYPE = 'application/json';
const HTTP_BODY = 'google.api.HttpBody';

interface CompiledRule {
  steps: FieldStep[];
  equals: string;
  status?: number;
  errorCode?: number;
  errorMessage: string;
}

// Defaults included: a rule may compare a field with its default ("false", "0").
const TEXT_OPTIONS: JsonWriteOptions = { emitDefaults: true };

/** A field's value as text: strings as they are, everything else as JSON. */
export function fieldText(field: protobuf.Field, value: unknown): string {
  const json = fieldValueToJson(field, value, TEXT_OPTIONS);
  if (json === undefined || json === null) return '';
  return typeof json === 'string' ? json : JSON.stringify(json);
}

function compileRule(type: protobuf.Type, rule: StatusRule): CompiledRule {
  const errorCode = rule.error_code ? codeFromName(rule.error_code) : undefined;
  if (rule.error_code && errorCode === undefined) throw new Error(`unknown gRPC code name '${rule.error_code}'`);
  return {
    steps: resolveFieldPath(type, rule.field ?? ''),
    equals: rule.equals ?? '',
    status: rule.status || undefined,
    errorCode,
    errorMessage: rule.error_message ?? '',
  };
}

/** JSON keys along a proto field path, as the body writes them. */
function jsonKeys(steps: readonly FieldStep[], useProtoNames: boolean): string[] {
  return steps.map((s) => (useProtoNames ? s.field.name : jsonName(s.field)));
}

type KeyEdit = { keys: string[]; rename?: string };

function applyKeyEdits(body: unknown, edits: readonly KeyEdit[]): void {
  for (const { keys, rename } of edits) {
    let obj = body as Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length - 1 && obj; i++) {
      const next = obj[keys[i]];
      obj = next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : undefined;
    }
    const last = keys[keys.length - 1];
    if (!obj || !(last in obj)) continue;
    if (rename !== undefined) obj[rename] = obj[last];
    delete obj[last];
  }
}

export function compileResponseShaper(spec: ResponseShaperSpec): ResponseShaper {
  const { responseType, mapping = {} } = spec;
  const writeOptions: JsonWriteOptions = {
    emitDefaults: mapping.emit_defaults ?? spec.emitDefaults,
    useProtoNames: mapping.use_proto_names ?? false,
  };
  const rules = (mapping.status_rules ?? []).map((r) => compileRule(responseType, r));
  const okStatus = mapping.status || 200;
  const headerFields = Object.entries(mapping.headers ?? {}).map(([header, path]) => ({
    header: header.toLowerCase(),
    steps: resolveFieldPath(responseType, path),
  }));

  const bodyFieldPath = mapping.body_field || spec.responseBody || '';
  const bodySteps = bodyFieldPath ? resolveFieldPath(responseType, bodyFieldPath) : undefined;
  const bodyField = bodySteps?.[bodySteps.length - 1].field;
  const rawSteps = mapping.raw_field ? resolveFieldPath(responseType, mapping.raw_field) : undefined;
  const isHttpBody = !rawSteps && !bodySteps && responseType.fullName === `.${HTTP_BODY}`;
  if (rawSteps) {
    const f = rawSteps[rawSteps.length - 1].field;
    if ((f.type !== 'bytes' && f.type !== 'string') || f.repeated || f.map) {
      throw new Error(`raw_field '${mapping.raw_field}' must be a singular string or bytes field`);
    }
  }

  // Edits are relative to what the body holds: the body field's message, or the response.
  const editBase = bodySteps ? bodySteps[bodySteps.length - 1].messageType : responseType;
  const edits: KeyEdit[] = [];
  if (editBase) {
    for (const path of mapping.omit ?? []) edits.push({ keys: jsonKeys(resolveFieldPath(editBase, path), !!writeOptions.useProtoNames) });
    for (const [path, to] of Object.entries(mapping.rename ?? {})) {
      edits.push({ keys: jsonKeys(resolveFieldPath(editBase, path), !!writeOptions.useProtoNames), rename: to });
    }
  } else if ((mapping.omit?.length ?? 0) > 0 || Object.keys(mapping.rename ?? {}).length > 0) {
    throw new Error(`omit/rename need a message body, but body_field '${bodyFieldPath}' is not a message`);
  }
  const negotiator = mapping.content_type ? undefined : spec.negotiator;
  const fixedContentType = mapping.content_type || (rawSteps ? 'application/octet-stream' : JSON_CONTENT_TYPE);

  return (decoded, accept) => {
    const contentType = negotiator ? (negotiator.negotiate(accept) ?? negotiator.fallback) : fixedContentType;
    let status = okStatus;
    for (const rule of rules) {
      const field = rule.steps[rule.steps.length - 1].field;
      if (fieldText(field, valueAt(decoded, rule.steps)) !== rule.equals) continue;
      if (rule.errorCode !== undefined) {
        return new ProxyError('status_rule', rule.errorCode, rule.errorMessage || `${field.name} is ${rule.equals}`, rule.status);
      }
      status = rule.status ?? status;
      break;
    }
    const headers: Record<string, string> = {};
    for (const h of headerFields) {
      const value = valueAt(decoded, h.steps);
      if (value === undefined) continue;
      // A value HTTP/1.1 cannot carry (line breaks, non-ASCII) is left out rather than failing the reply.
      const text = fieldText(h.steps[h.steps.length - 1].field, value);
      if (isHeaderSafe(text)) headers[h.header] = text;
    }
    if (isHttpBody) {
      // An unset bytes field decodes to protobufjs' shared empty default (not a Uint8Array).
      const data = decoded.data instanceof Uint8Array ? decoded.data : undefined;
      return {
        status,
        headers,
        contentType: (decoded.content_type as string) || 'application/octet-stream',
        body: data ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.alloc(0),
      };
    }
    if (rawSteps) {
      const value = valueAt(decoded, rawSteps);
      const body = typeof value === 'string' ? value : value instanceof Uint8Array ? Buffer.from(value) : '';
      return { status, headers, contentType, body };
    }
    let json: unknown;
    if (bodySteps) {
      json = fieldValueToJson(bodyField!, valueAt(decoded, bodySteps), writeOptions);
      if (json === undefined) json = bodyField!.repeated ? [] : bodyField!.map ? {} : null;
    } else {
      json = messageToJson(responseType, decoded, writeOptions);
    }
    if (edits.length > 0) applyKeyEdits(json, edits);
    return { status, headers, contentType, body: JSON.stringify(json) };
  };
}
