// The one catalogue of errors the proxy raises itself, each with its gRPC
// code and HTTP status, and the gRPC code -> HTTP status table
// (google/rpc/code.proto's "HTTP Mapping", as grpc-gateway and Envoy use it).
// Every error reply, whether raised here or returned by a pattern, is
// rendered from a ProxyError by the error shaper.

/** HTTP status per gRPC code (index = code). */
const HTTP_STATUS_BY_CODE: readonly number[] = [
  200, // OK
  499, // CANCELLED (client closed request)
  500, // UNKNOWN
  400, // INVALID_ARGUMENT
  504, // DEADLINE_EXCEEDED
  404, // NOT_FOUND
  409, // ALREADY_EXISTS
  403, // PERMISSION_DENIED
  429, // RESOURCE_EXHAUSTED
  400, // FAILED_PRECONDITION (deliberately not 412)
  409, // ABORTED
  400, // OUT_OF_RANGE
  501, // UNIMPLEMENTED
  500, // INTERNAL
  503, // UNAVAILABLE
  500, // DATA_LOSS
  401, // UNAUTHENTICATED
];

export function httpStatusForCode(code: number): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}

/** A detail in proto3 JSON form: {"@type": "type.googleapis.com/...", ...}. */
export type StatusDetail = Record<string, unknown>;

export class ProxyError extends Error {
  constructor(
    /** Catalogue id, e.g. "bad_parameter"; "backend" for a pattern's status. */
    readonly id: string,
    /** gRPC code carried in the error body. */
    readonly code: number,
    message: string,
    /**
     * An HTTP status chosen for this very error (405, 413, 415, 502, a status
     * rule's status); it wins over the table and a frontend's overrides.
     */
    readonly chosenStatus?: number,
    readonly details: StatusDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ProxyError';
  }

  /** The HTTP status before any frontend override. */
  get httpStatus(): number {
    return this.chosenStatus ?? httpStatusForCode(this.code);
  }
}

const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';

function fieldViolation(field: string, description: string): StatusDetail {
  return { '@type': BAD_REQUEST, fieldViolations: [{ field, description }] };
}

/** The proxy's own errors. Ids are stable: dashboards and tests key on them. */
export const proxyErrors = {
  routeNotFound: (method: string, path: string) =>
    new ProxyError('route_not_found', 5, `no route for ${method} ${path}`),
  methodNotAllowed: (method: string, path: string, allow: string[]) =>
    new ProxyError('method_not_allowed', 12, `method ${method} is not allowed for ${path}; allowed: ${allow.join(', ')}`, 405, [], {
      allow: allow.join(', '),
    }),
  badPath: (message: string) => new ProxyError('bad_path', 3, message),
  badParameter: (parameter: string, message: string) =>
    new ProxyError('bad_parameter', 3, message, undefined, [fieldViolation(parameter, message)]),
  unknownParameter: (parameter: string, reason: string) =>
    new ProxyError('unknown_parameter', 3, `query parameter "${parameter}" ${reason}`, undefined, [fieldViolation(parameter, reason)]),
  missingParameter: (parameter: string) =>
    new ProxyError('missing_parameter', 3, `required parameter "${parameter}" is missing`, undefined, [
      fieldViolation(parameter, 'required'),
    ]),
  badJson: (message: string) => new ProxyError('bad_json', 3, `invalid JSON body: ${message}`),
  badBody: (field: string, message: string) => new ProxyError('bad_body', 3, message, undefined, [fieldViolation(field, message)]),
  unexpectedBody: () => new ProxyError('unexpected_body', 3, 'this route takes no request body'),
  missingBody: () =>
    new ProxyError('missing_body', 3, 'this route needs a request body', undefined, [fieldViolation('body', 'required')]),
  unsupportedMediaType: (contentType: string, accepted: string) =>
    new ProxyError('unsupported_media_type', 3, `unsupported Content-Type "${contentType}"; send ${accepted}`, 415),
  notAcceptable: (accept: string, available: readonly string[]) =>
    new ProxyError('not_acceptable', 3, `cannot answer with any media type of Accept "${accept}"; available: ${available.join(', ')}`, 406),
  bodyTooLarge: (limit: number) =>
    new ProxyError('body_too_large', 8, `request body exceeds ${limit} bytes`, 413),
  badTimeout: (message: string) => new ProxyError('bad_timeout', 3, message),
  patternUnavailable: (namespace: string, message: string) =>
    new ProxyError('pattern_unavailable', 14, `pattern of namespace "${namespace}" is unavailable: ${message}`),
  deadlineExceeded: (ms: number) =>
    new ProxyError('deadline_exceeded', 4, `deadline of ${Math.round(ms)} ms exceeded`),
  backendProtocol: (message: string) => new ProxyError('backend_protocol', 2, message, 502),
  badResponse: (message: string) => new ProxyError('bad_response', 13, message, 502),
  clientClosed: () => new ProxyError('client_closed', 1, 'client closed the request'),
  notReady: () => new ProxyError('not_ready', 14, 'configuration not loaded yet'),
  internal: (message: string) => new ProxyError('internal', 13, message),
};
