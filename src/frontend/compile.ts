// Compiles a REST Frontend into routes ready to serve: every template parsed,
// every field path resolved against the protobuf descriptors, every mapper
// prepared. Problems are collected, each with the path of the definition
// element it concerns, so a bad definition is refused whole with all of them.
import { METHODS } from 'node:http';
import type protobuf from 'protobufjs';
import type { ErrorMapping, Frontend, HttpRule, ParamMapping, RouteMapping } from './model.js';
import { buildRoot } from '../protos/root.js';
import { parsePathTemplate, joinBasePath, type PathTemplate } from '../router/path-template.js';
import { resolveOptions, type ResolvedOptions } from '../mapping/options.js';
import { resolveFieldPath, messageTypeOf } from '../mapping/field-path.js';
import {
  compileRequestBinder,
  compileStreamRequestBinder,
  type HttpRequestParts,
  type RequestBinder,
  type StreamRequestBinder,
} from '../mapping/request-binder.js';
import { compileResponseShaper, type ResponseShaper } from '../mapping/response-shaper.js';
import { compileErrorShaper, type ErrorShaper } from '../errors/error-shaper.js';
import {
  compileRequestMetadata,
  compileResponseMetadata,
  type RequestMetadataBuilder,
  type ResponseHeaderMapper,
} from '../mapping/metadata.js';
import { fieldValueFromText } from '../mapping/text-value.js';
import { compileNegotiator, type Negotiator } from '../mapping/content-negotiation.js';
import { proxyErrors } from '../errors/catalogue.js';

export type CallKind = 'unary' | 'server-stream' | 'client-stream' | 'bidi-stream';

export interface CompiledRoute {
  /** Where the route was defined, for logs and metrics: "keyvalue-rest rest.routes[1]". */
  label: string;
  /** The route's path in its frontend definition: "rest.routes[1]". */
  definitionPath: string;
  frontend: string;
  operationId: string;
  method: string;
  template: PathTemplate;
  options: ResolvedOptions;
  grpcPath: string;
  callKind: CallKind;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
  bind: RequestBinder;
  bindStream?: StreamRequestBinder;
  shape: ResponseShaper;
  shapeError: ErrorShaper;
  timeoutMs: number;
  maxTimeoutMs: number;
  requestMetadata: RequestMetadataBuilder;
  responseMetadata: ResponseHeaderMapper;
  root: protobuf.Root;
}

export interface CompiledFrontend {
  name: string;
  routes: CompiledRoute[];
  /** Error shaper for requests that match no route of this frontend. */
  shapeError: ErrorShaper;
  root: protobuf.Root;
}

export class FrontendCompileError extends Error {
  constructor(readonly frontend: string, readonly problems: string[]) {
    super(`frontend '${frontend}' is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'FrontendCompileError';
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_TIMEOUT_MS = 600_000;
const HTTP_RULE_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
// Node's HTTP parser answers 400 to any other method before a route could see it.
const RECEIVABLE_METHODS = new Set(METHODS);

function unreceivable(method: string): string {
  return `'${method}' is not an HTTP method the proxy can receive (one of ${METHODS.join(', ')})`;
}

/** google.protobuf.Duration JSON text ("1.5s") in milliseconds. */
export function durationMs(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text.trim());
  if (!m) throw new Error(`'${text}' is not a duration like "1.5s"`);
  const ms = (Number(m[2]) * 1000 + Number((m[3] ?? '').padEnd(9, '0')) / 1e6) * (m[1] ? -1 : 1);
  if (ms <= 0) throw new Error(`'${text}' must be positive`);
  return ms;
}

/** One HTTP binding of a route: a RouteMapping or one of an HttpRule's bindings. */
interface Binding {
  path: string;
  method: string;
  template: string;
  body: string;
  responseBody: string;
}

function bindingsOfRule(rule: HttpRule, path: string, problems: string[], nested = false): Binding[] {
  const set = HTTP_RULE_METHODS.filter((m) => rule[m]);
  const patterns = set.length + (rule.custom ? 1 : 0);
  const out: Binding[] = [];
  if (patterns !== 1) {
    problems.push(`${path}: an HttpRule needs exactly one of get, put, post, delete, patch or custom (found ${patterns})`);
  } else {
    const method = set.length ? set[0].toUpperCase() : (rule.custom?.kind ?? '').toUpperCase();
    const template = set.length ? rule[set[0]]! : (rule.custom?.path ?? '');
    if (!method) problems.push(`${path}.custom.kind: required`);
    else if (!RECEIVABLE_METHODS.has(method)) problems.push(`${path}.custom.kind: ${unreceivable(method)}`);
    out.push({ path, method, template, body: rule.body ?? '', responseBody: rule.response_body ?? '' });
  }
  // A .proto annotation with a single additional_bindings block parses as an object, not a list.
  const extras = rule.additional_bindings === undefined ? [] : ([] as HttpRule[]).concat(rule.additional_bindings);
  extras.forEach((extra, i) => {
    const p = `${path}.additional_bindings[${i}]`;
    if (nested || (extra.additional_bindings?.length ?? 0) > 0) {
      problems.push(`${p}.additional_bindings: additional bindings cannot be nested`);
      return;
    }
    out.push(...bindingsOfRule(extra, p, problems, true));
  });
  return out;
}

function bindingsOfRoute(route: RouteMapping, path: string, problems: string[]): Binding[] {
  if (route.http_rule) {
    if (route.method || route.path_template) {
      problems.push(`${path}: give either http_rule or method + path_template, not both`);
    }
    return bindingsOfRule(route.http_rule, `${path}.http_rule`, problems);
  }
  if (!route.method) problems.push(`${path}.method: required`);
  else if (!RECEIVABLE_METHODS.has(route.method.toUpperCase())) problems.push(`${path}.method: ${unreceivable(route.method)}`);
  if (!route.path_template) problems.push(`${path}.path_template: required`);
  if (!route.method || !route.path_template) return [];
  return [
    {
      path,
      method: route.method.toUpperCase(),
      template: route.path_template,
      body: route.body?.field ?? '',
      responseBody: route.response?.body_field ?? '',
    },
  ];
}

/** Routes declared by google.api.http annotations of a service. */
function annotatedRoutes(root: protobuf.Root, serviceName: string): RouteMapping[] {
  const service = root.lookupService(serviceName);
  const routes: RouteMapping[] = [];
  for (const method of service.methodsArray) {
    const option = (method.parsedOptions ?? []).find((o: Record<string, unknown>) => '(google.api.http)' in o);
    if (!option) continue;
    routes.push({
      operation_id: method.name,
      grpc: { service: serviceName, method: method.name },
      http_rule: option['(google.api.http)'] as HttpRule,
    });
  }
  return routes;
}

function callKindOf(method: protobuf.Method): CallKind {
  if (method.requestStream && method.responseStream) return 'bidi-stream';
  if (method.requestStream) return 'client-stream';
  if (method.responseStream) return 'server-stream';
  return 'unary';
}

function isScalarOrWellKnown(field: protobuf.Field): boolean {
  const t = messageTypeOf(field);
  return !t || t.fullName.startsWith('.google.protobuf.');
}

/** Checks a parameter's source against its target field's type. */
function checkParam(type: protobuf.Type, p: ParamMapping, path: string, variables: Set<string>, problems: string[]): void {
  if (!p.source || p.source === 'SOURCE_UNSPECIFIED') problems.push(`${path}.source: required (PATH, QUERY, HEADER, BODY or CONSTANT)`);
  if (!p.name && p.source !== 'CONSTANT') problems.push(`${path}.name: required`);
  const target = p.field || p.name || '';
  let field: protobuf.Field;
  try {
    const steps = resolveFieldPath(type, target);
    field = steps[steps.length - 1].field;
  } catch (err) {
    problems.push(`${path}.field: ${(err as Error).message}`);
    return;
  }
  if (p.source === 'PATH' && !variables.has(p.name ?? '')) {
    problems.push(`${path}.name: the path template has no variable '{${p.name}}'`);
  }
  const singularOnly = p.source === 'PATH' || p.source === 'HEADER' || p.source === 'CONSTANT';
  if (field.map || (field.repeated && singularOnly) || (p.source !== 'BODY' && !isScalarOrWellKnown(field))) {
    const kind = field.map ? 'a map' : field.repeated ? 'a repeated' : 'a message';
    problems.push(`${path}.field: '${target}' is ${kind} field and cannot take a ${p.source} parameter`);
    return;
  }
  const constant = p.source === 'CONSTANT' ? (p.default ?? '') : p.default;
  if (constant !== undefined && p.source !== 'BODY') {
    try {
      fieldValueFromText(field, constant, {}, p.name ?? target);
    } catch (err) {
      problems.push(`${path}.default: ${(err as Error).message}`);
    }
  }
}

/** Checks a path variable's target field: a singular scalar (or well-known type). */
function checkPathVariable(type: protobuf.Type, fieldPath: string, path: string, problems: string[]): void {
  try {
    const steps = resolveFieldPath(type, fieldPath);
    const field = steps[steps.length - 1].field;
    if (field.map || field.repeated || !isScalarOrWellKnown(field)) {
      const kind = field.map ? 'a map' : field.repeated ? 'a repeated' : 'a message';
      problems.push(`${path}: path variable '{${fieldPath}}' binds ${kind} field`);
    }
  } catch (err) {
    problems.push(`${path}: path variable '{${fieldPath}}': ${(err as Error).message}`);
  }
}

function tryCompile<T>(path: string, problems: string[], build: () => T): T | undefined {
  try {
    return build();
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
    return undefined;
  }
}

/** With a negotiator, a request that accepts none of the frontend's media types is a 406 before the pattern is called. */
function refuseUnacceptable<B extends RequestBinder | StreamRequestBinder>(bind: B, negotiator: Negotiator | undefined): B {
  if (!negotiator) return bind;
  const available = negotiator.offers.map((o) => o.contentType);
  return ((parts: HttpRequestParts) => {
    const accept = parts.headers.accept;
    if (negotiator.negotiate(accept) === undefined) throw proxyErrors.notAcceptable(accept ?? '', available);
    return bind(parts);
  }) as B;
}

export interface CompileContext {
  /** Overrides the frontend's base_path (a namespace binding's base path). */
  basePath?: string;
  /** Reuse a Root already built for this frontend revision. */
  root?: protobuf.Root;
}

/** Compiles a REST frontend; throws FrontendCompileError listing every problem. */
export function compileFrontend(frontend: Frontend, ctx: CompileContext = {}): CompiledFrontend {
  const problems: string[] = [];
  const rest = frontend.rest;
  if (!rest) throw new FrontendCompileError(frontend.name, ['rest: required (only REST frontends are served so far)']);

  let root: protobuf.Root;
  try {
    root = ctx.root ?? buildRoot(rest.protos ?? []);
  } catch (err) {
    throw new FrontendCompileError(frontend.name, [`rest.protos: ${(err as Error).message}`]);
  }

  const basePath = ctx.basePath ?? rest.base_path ?? '';
  const frontendOptions = rest.options;
  const frontendOptionsOk = tryCompile('rest.options', problems, () => resolveOptions(frontendOptions)) !== undefined;
  // RestConfig.produces: the media types replies are negotiated over (none: no negotiation).
  let negotiator: Negotiator | undefined;
  try {
    negotiator = rest.produces?.length ? compileNegotiator(rest.produces) : undefined;
  } catch (err) {
    problems.push(`rest.${(err as Error).message}`);
  }
  const errorContext = { negotiator };
  const defaultErrors = tryCompile('rest.default_error_mapping', problems, () => compileErrorShaper(rest.default_error_mapping, errorContext));
  const defaultMs = rest.default_timeout ? tryCompile('rest.default_timeout', problems, () => durationMs(rest.default_timeout!)) : DEFAULT_TIMEOUT_MS;
  const maxMs = rest.max_timeout ? tryCompile('rest.max_timeout', problems, () => durationMs(rest.max_timeout!)) : DEFAULT_MAX_TIMEOUT_MS;
  const timeouts = defaultMs !== undefined && maxMs !== undefined ? { defaultMs, maxMs } : undefined;
  const basePathOk = tryCompile(ctx.basePath !== undefined ? 'base_path' : 'rest.base_path', problems, () => joinBasePath(basePath, '/'));
  const requestMetadata = compileRequestMetadata(rest.headers);
  const responseMetadata = compileResponseMetadata(rest.headers);

  const declared: Array<[RouteMapping, string]> = (rest.routes ?? []).map((r, i) => [r, `rest.routes[${i}]`]);
  (rest.annotated_services ?? []).forEach((name, i) => {
    const routes = tryCompile(`rest.annotated_services[${i}]`, problems, () => annotatedRoutes(root, name));
    if (routes?.length === 0) problems.push(`rest.annotated_services[${i}]: service '${name}' has no google.api.http annotations`);
    routes?.forEach((r) => declared.push([r, `rest.annotated_services[${i}] ${r.grpc?.method}`]));
  });
  if (declared.length === 0) problems.push('rest.routes: a REST frontend needs at least one route');

  const routes: CompiledRoute[] = [];
  for (const [route, path] of declared) {
    const serviceName = route.grpc?.service || rest.default_service || '';
    const methodName = route.grpc?.method ?? '';
    let method: protobuf.Method | undefined;
    if (!serviceName) problems.push(`${path}.grpc.service: required (or set rest.default_service)`);
    else if (!methodName) problems.push(`${path}.grpc.method: required`);
    else {
      try {
        const service = root.lookupService(serviceName);
        method = service.methods[methodName];
        if (!method) problems.push(`${path}.grpc.method: no method '${methodName}' in service ${serviceName}`);
      } catch {
        problems.push(`${path}.grpc.service: no service '${serviceName}' in the loaded protos`);
      }
    }
    const routeOptions = frontendOptionsOk ? tryCompile(`${path}.options`, problems, () => resolveOptions(frontendOptions, route.options)) : undefined;
    if (!routeOptions) continue;
    const errorMapping: ErrorMapping | undefined = route.error_mapping;
    const shapeError = errorMapping
      ? tryCompile(`${path}.error_mapping`, problems, () => compileErrorShaper(errorMapping, errorContext))
      : defaultErrors;
    const timeoutMs = route.timeout ? tryCompile(`${path}.timeout`, problems, () => durationMs(route.timeout!)) : timeouts?.defaultMs;

    for (const binding of basePathOk === undefined ? [] : bindingsOfRoute(route, path, problems)) {
      const checkedBefore = problems.length;
      const templateOptions = { allowInnerDoubleWildcard: routeOptions.allowInnerDoubleWildcard };
      const template = tryCompile(`${binding.path}`, problems, () =>
        parsePathTemplate(joinBasePath(basePath, binding.template), templateOptions),
      );
      if (!template || !method) continue;
      method.resolve();
      const requestType = method.resolvedRequestType!;
      const responseType = method.resolvedResponseType!;
      const variables = new Set(template.variables.map((v) => v.fieldPath));
      const explicitPath = new Map((route.params ?? []).filter((p) => p.source === 'PATH').map((p) => [p.name, p.field || p.name]));
      for (const v of template.variables) {
        checkPathVariable(requestType, explicitPath.get(v.fieldPath) ?? v.fieldPath, `${binding.path}`, problems);
      }
      (route.params ?? []).forEach((p, i) => checkParam(requestType, p, `${path}.params[${i}]`, variables, problems));
      if (binding.body && binding.body !== '*') {
        tryCompile(`${binding.path}.body`, problems, () => resolveFieldPath(requestType, binding.body));
      }
      // Mappers are compiled only for a route whose parts all checked out, so each problem is reported once.
      if (problems.length > checkedBefore) continue;
      const before = problems.length;
      const callKind = callKindOf(method);
      if (callKind === 'bidi-stream') problems.push(`${path}.grpc.method: bidirectional streaming cannot be served over REST`);
      const binderSpec = {
        requestType,
        pathVariables: template.variables.map((v) => ({ variable: v.fieldPath })),
        bodyField: binding.body,
        rawBodyField: route.body?.raw_field || undefined,
        rawContentTypes: route.body?.raw_content_types,
        bodyRequired: route.body?.required ?? false,
        params: route.params ?? [],
        options: routeOptions,
      };
      // Streams keep their own framing negotiation (NDJSON, SSE, a JSON array); an explicit content_type opts out.
      const routeNegotiator = callKind !== 'server-stream' && !route.response?.content_type ? negotiator : undefined;
      const bind = tryCompile(`${binding.path}`, problems, () => refuseUnacceptable(compileRequestBinder(binderSpec), routeNegotiator));
      const bindStream =
        callKind === 'client-stream'
          ? tryCompile(`${binding.path}`, problems, () => refuseUnacceptable(compileStreamRequestBinder(binderSpec), routeNegotiator))
          : undefined;
      const responsePath = route.http_rule && binding.responseBody ? `${binding.path}.response_body` : `${path}.response`;
      const shape = tryCompile(responsePath, problems, () =>
        compileResponseShaper({
          responseType,
          mapping: route.response,
          responseBody: binding.responseBody,
          emitDefaults: routeOptions.emitDefaults,
          negotiator: routeNegotiator,
        }),
      );
      if (problems.length > before || !bind || !shape || !shapeError || !timeouts || timeoutMs === undefined) continue;
      routes.push({
        label: `${frontend.name} ${binding.path}`,
        definitionPath: binding.path,
        frontend: frontend.name,
        operationId: route.operation_id || methodName,
        method: binding.method,
        template,
        options: routeOptions,
        grpcPath: `/${serviceName}/${methodName}`,
        callKind,
        requestType,
        responseType,
        bind,
        bindStream,
        shape,
        shapeError,
        timeoutMs,
        maxTimeoutMs: timeouts.maxMs,
        requestMetadata,
        responseMetadata,
        root,
      });
    }
  }
  if (problems.length > 0 || !defaultErrors) throw new FrontendCompileError(frontend.name, problems);
  return { name: frontend.name, routes, shapeError: defaultErrors, root };
}
