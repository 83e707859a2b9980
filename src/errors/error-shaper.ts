// Renders every error reply — the proxy's own and the patterns' — through one
// envelope: google.rpc.Status JSON by default, or a frontend's template
// ({"error_code": "${error_info.metadata.error_code|int ?? http_status}"}).
// Templates are compiled when the frontend loads; rendering only looks up
// values in the error's context.
import type protobuf from 'protobufjs';
import type { ErrorMapping, JsonTemplate } from '../frontend/model.js';
import { codeFromName, codeName } from '../grpc/codes.js';
import { GrpcCallError } from '../grpc/channel.js';
import { messageToJson } from '../mapping/proto-json.js';
import { isHeaderSafe } from '../mapping/metadata.js';
import type { Negotiator } from '../mapping/content-negotiation.js';
import { ProxyError, httpStatusForCode, proxyErrors, type StatusDetail } from './catalogue.js';

export interface ShapedError {
  status: number;
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

/** `accept` is the request's Accept header, used when the frontend negotiates media types (RestConfig.produces). */
export type ErrorShaper = (error: ProxyError, accept?: string) => ShapedError;

export interface ErrorShaperContext {
  /** The frontend's response media types: error bodies take the negotiated one unless the mapping sets content_type. */
  negotiator?: Negotiator;
}

/** What a template can refer to. */
interface ErrorContext {
  /** The catalogue id: route_not_found, bad_parameter, ...; "backend" for a pattern's status. */
  error_id: string;
  code: number;
  code_name: string;
  message: string;
  http_status: number;
  details: StatusDetail[];
  error_info: Record<string, unknown>;
  detail: Record<string, StatusDetail>;
}

type Expr = (ctx: ErrorContext) => unknown;

export class TemplateSyntaxError extends Error {}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

function lookup(ctx: ErrorContext, path: string): unknown {
  let value: unknown = ctx;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function applyFilter(value: unknown, filter: string): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  switch (filter) {
    case 'int': {
      const text = String(value).trim();
      const n = typeof value === 'number' ? value : text === '' ? NaN : Number(text);
      return Number.isInteger(n) ? n : undefined;
    }
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      throw new TemplateSyntaxError(`unknown filter '${filter}'`);
  }
}

/** `a.b|int ?? c ?? 'literal'`: the first alternative that has a value. */
export function compileExpression(source: string): Expr {
  const alternatives = source.split('??').map((alt) => {
    const text = alt.trim();
    if (/^'.*'$/.test(text)) {
      const literal = text.slice(1, -1);
      return () => literal;
    }
    if (/^-?\d+$/.test(text)) {
      const n = Number(text);
      return () => n;
    }
    const [path, ...filters] = text.split('|').map((s) => s.trim());
    if (!/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(path)) throw new TemplateSyntaxError(`invalid placeholder '${text}'`);
    filters.forEach((f) => applyFilter('0', f)); // unknown filters fail at load, not per request
    return (ctx: ErrorContext) => filters.reduce<unknown>((v, f) => applyFilter(v, f), lookup(ctx, path));
  });
  return (ctx) => {
    for (const alt of alternatives) {
      const v = alt(ctx);
      if (v !== undefined && v !== null && v !== '') return v;
    }
    return undefined;
  };
}

type Renderer = (ctx: ErrorContext) => unknown;

/** A JSON template: whole-string placeholders keep their type, others interpolate. */
export function compileTemplate(template: JsonTemplate): Renderer {
  if (typeof template === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(template);
    if (whole) {
      const expr = compileExpression(whole[1]);
      return (ctx) => expr(ctx) ?? null;
    }
    if (!template.includes('${')) return () => template;
    const parts: Array<string | Expr> = [];
    let last = 0;
    for (const m of template.matchAll(PLACEHOLDER)) {
      parts.push(template.slice(last, m.index), compileExpression(m[1]));
      last = m.index! + m[0].length;
    }
    parts.push(template.slice(last));
    if (parts.some((p) => typeof p === 'string' && p.includes('${'))) {
      throw new TemplateSyntaxError(`unterminated placeholder in '${template}'`);
    }
    return (ctx) =>
      parts
        .map((p) => {
          if (typeof p === 'string') return p;
          const v = p(ctx);
          return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
        })
        .join('');
  }
  if (Array.isArray(template)) {
    const items = template.map(compileTemplate);
    return (ctx) => items.map((r) => r(ctx));
  }
  if (template !== null && typeof template === 'object') {
    const entries = Object.entries(template).map(([k, v]) => [k, compileTemplate(v)] as const);
    return (ctx) => Object.fromEntries(entries.map(([k, r]) => [k, r(ctx)]));
  }
  return () => template;
}

function contextOf(error: ProxyError, status: number): ErrorContext {
  const detail: Record<string, StatusDetail> = {};
  for (const d of error.details) {
    const url = String(d['@type'] ?? '');
    const short = url.slice(url.lastIndexOf('.') + 1);
    detail[short] ??= d;
  }
  return {
    error_id: error.id,
    code: error.code,
    code_name: codeName(error.code) ?? 'UNKNOWN',
    message: error.message,
    http_status: status,
    details: error.details,
    error_info: (detail.ErrorInfo as Record<string, unknown>) ?? {},
    detail,
  };
}

function statusBody(error: ProxyError): string {
  return JSON.stringify({ code: error.code, message: error.message, details: error.details });
}

/**
 * The error shaper of a route: the route's mapping, else the frontend's
 * default, else the google.rpc.Status JSON.
 */
export function compileErrorShaper(mapping: ErrorMapping | undefined, ctx: ErrorShaperContext = {}): ErrorShaper {
  const overrides = new Map<number, number>();
  for (const [name, status] of Object.entries(mapping?.status ?? {})) {
    const code = codeFromName(name);
    if (code === undefined) throw new TemplateSyntaxError(`status: unknown gRPC code name '${name}'`);
    if (!isHttpStatus(status)) throw new TemplateSyntaxError(`status.${name}: ${status} is not an HTTP status`);
    overrides.set(code, status);
  }
  const byErrorId = new Map<string, number>();
  for (const [id, status] of Object.entries(mapping?.status_by_error_id ?? {})) {
    if (!/^[a-z][a-z0-9_]*$/.test(id)) throw new TemplateSyntaxError(`status_by_error_id: '${id}' is not an error id like route_not_found`);
    if (!isHttpStatus(status)) throw new TemplateSyntaxError(`status_by_error_id.${id}: ${status} is not an HTTP status`);
    byErrorId.set(id, status);
  }
  const render = mapping?.body !== undefined && mapping.body !== null ? compileTemplate(mapping.body) : undefined;
  const statusFrom = mapping?.status_from ? compileExpression(mapping.status_from.replace(/^\$\{(.*)\}$/, '$1')) : undefined;
  const fixedContentType = mapping?.content_type || (ctx.negotiator ? undefined : 'application/json');
  const negotiator = ctx.negotiator;

  return (error, accept) => {
    // A status chosen for this very error (405, 415, a status rule) wins over the overrides and the table.
    let status = byErrorId.get(error.id) ?? error.chosenStatus ?? overrides.get(error.code) ?? httpStatusForCode(error.code);
    const headers = { ...error.headers };
    if (statusFrom) {
      const s = Number(statusFrom(contextOf(error, status)));
      if (Number.isInteger(s) && s >= 100 && s <= 599) status = s;
    }
    const body = render ? JSON.stringify(render(contextOf(error, status))) : statusBody(error);
    // Nothing acceptable (the 406 itself, an unrouted request): the frontend's preferred type.
    const contentType = fixedContentType ?? negotiator!.negotiate(accept) ?? negotiator!.fallback;
    return { status, headers, contentType, body };
  };
}

function isHttpStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 100 && status <= 599;
}

const DETAILS_TYPE = 'google.rpc.Status';

/** Status details from grpc-status-details-bin, in proto3 JSON form. */
export function decodeStatusDetails(root: protobuf.Root, detailsBin: Buffer | undefined): StatusDetail[] {
  if (!detailsBin || detailsBin.length === 0) return [];
  try {
    const type = root.lookupType(DETAILS_TYPE);
    const status = messageToJson(type, type.decode(detailsBin)) as { details?: StatusDetail[] };
    return status.details ?? [];
  } catch {
    return [];
  }
}

/** A failed gRPC call as the proxy reports it. */
export function errorFromCall(err: GrpcCallError, namespace: string, root: protobuf.Root, timeoutMs: number): ProxyError {
  switch (err.origin) {
    case 'unavailable':
      return proxyErrors.patternUnavailable(namespace, err.details);
    case 'deadline':
      return proxyErrors.deadlineExceeded(timeoutMs);
    case 'protocol':
      return new ProxyError('backend_protocol', err.code, err.details, 502);
    case 'cancelled':
      return proxyErrors.clientClosed();
    default: {
      const headers: Record<string, string> = {};
      // The challenge comes from the pattern's status message; only a valid header value is passed on.
      if (err.code === 16 && isHeaderSafe(err.details)) headers['www-authenticate'] = err.details;
      return new ProxyError('backend', err.code, err.details, undefined, decodeStatusDetails(root, err.detailsBin), headers);
    }
  }
}
