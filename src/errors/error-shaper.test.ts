import { describe, expect, it } from 'vitest';
import type { ErrorMapping, JsonTemplate } from '../frontend/model.js';
import { GrpcCallError } from '../grpc/channel.js';
import { GrpcCode } from '../grpc/codes.js';
import { shippedRoot } from '../protos/root.js';
import { ProxyError, proxyErrors, type StatusDetail } from './catalogue.js';
import { compileErrorShaper, decodeStatusDetails, errorFromCall, TemplateSyntaxError } from './error-shaper.js';
import { compileNegotiator } from '../mapping/content-negotiation.js';

const root = shippedRoot();
const StatusType = root.lookupType('google.rpc.Status');
const ErrorInfoType = root.lookupType('google.rpc.ErrorInfo');
const ResourceInfoType = root.lookupType('google.rpc.ResourceInfo');

const ERROR_INFO_URL = 'type.googleapis.com/google.rpc.ErrorInfo';
const UNKNOWN_URL = 'type.googleapis.com/acme.v1.SecretDetail';

function errorInfo(metadata: Record<string, string>, reason = 'KEY_LOCKED', domain = 'kv.prism'): StatusDetail {
  return { '@type': ERROR_INFO_URL, reason, domain, metadata };
}

/** A backend error carrying an ErrorInfo detail. */
function backendError(code: number, message: string, details: StatusDetail[] = []): ProxyError {
  return new ProxyError('backend', code, message, undefined, details);
}

function shape(mapping: ErrorMapping | undefined, error: ProxyError) {
  const shaped = compileErrorShaper(mapping)(error);
  return { ...shaped, json: JSON.parse(shaped.body) as unknown };
}

function render(body: JsonTemplate, error: ProxyError): unknown {
  return shape({ body }, error).json;
}

/** grpc-status-details-bin as a backend sends it. */
function encodedStatus(code: number, message: string, details: Array<{ type_url: string; value: Uint8Array }>): Buffer {
  const bytes = StatusType.encode(StatusType.fromObject({ code, message, details })).finish();
  return Buffer.from(bytes);
}

function encodedErrorInfo(reason: string, domain: string, metadata: Record<string, string>): Uint8Array {
  return ErrorInfoType.encode(ErrorInfoType.fromObject({ reason, domain, metadata })).finish();
}

describe('compileErrorShaper without a mapping: google.rpc.Status JSON', () => {
  it('renders code, message and details with the table status', () => {
    const err = proxyErrors.badParameter('shelf', 'shelf must be an int64');
    const out = shape(undefined, err);
    expect(out.status).toBe(400);
    expect(out.contentType).toBe('application/json');
    expect(out.headers).toEqual({});
    expect(out.json).toEqual({
      code: 3,
      message: 'shelf must be an int64',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field: 'shelf', description: 'shelf must be an int64' }],
        },
      ],
    });
  });

  it.each([
    ['NOT_FOUND', GrpcCode.NOT_FOUND, 404],
    ['PERMISSION_DENIED', GrpcCode.PERMISSION_DENIED, 403],
    ['UNAVAILABLE', GrpcCode.UNAVAILABLE, 503],
    ['FAILED_PRECONDITION', GrpcCode.FAILED_PRECONDITION, 400],
  ])('a backend %s (code %i) answers %i with an empty details list', (_name, code, status) => {
    const out = shape(undefined, backendError(code, 'from the pattern'));
    expect(out.status).toBe(status);
    expect(out.json).toEqual({ code, message: 'from the pattern', details: [] });
  });

  it('copies the error headers (405 carries allow)', () => {
    const out = shape(undefined, proxyErrors.methodNotAllowed('PUT', '/x', ['GET', 'HEAD']));
    expect(out.status).toBe(405);
    expect(out.headers).toEqual({ allow: 'GET, HEAD' });
  });

  it('does not let the reply headers alias the error headers', () => {
    const err = proxyErrors.methodNotAllowed('PUT', '/x', ['GET']);
    const out = compileErrorShaper(undefined)(err);
    out.headers['x-extra'] = '1';
    expect(err.headers).toEqual({ allow: 'GET' });
  });
});

describe('ErrorMapping.status overrides', () => {
  it('replaces the table status of the named codes only', () => {
    const mapping: ErrorMapping = { status: { NOT_FOUND: 410, FAILED_PRECONDITION: 412 } };
    expect(shape(mapping, backendError(GrpcCode.NOT_FOUND, 'x')).status).toBe(410);
    expect(shape(mapping, backendError(GrpcCode.FAILED_PRECONDITION, 'x')).status).toBe(412);
    expect(shape(mapping, backendError(GrpcCode.ALREADY_EXISTS, 'x')).status).toBe(409);
  });

  it.each<[string, ProxyError, ErrorMapping['status'], number]>([
    ['405 method not allowed', proxyErrors.methodNotAllowed('PUT', '/x', ['GET']), { UNIMPLEMENTED: 400 }, 405],
    ['415 unsupported media type', proxyErrors.unsupportedMediaType('text/plain', 'application/json'), { INVALID_ARGUMENT: 422 }, 415],
    ['413 body too large', proxyErrors.bodyTooLarge(10), { RESOURCE_EXHAUSTED: 503 }, 413],
    ['502 backend protocol', proxyErrors.backendProtocol('not gRPC'), { UNKNOWN: 500 }, 502],
    ['502 bad response', proxyErrors.badResponse('cannot render'), { INTERNAL: 503 }, 502],
  ])('keeps a status the error chose itself: %s', (_name, err, status, expected) => {
    const out = shape({ status }, err);
    expect(out.status).toBe(expected);
    expect((out.json as { code: number }).code).toBe(err.code);
  });
});

describe('JSON templates', () => {
  const notFound = backendError(GrpcCode.NOT_FOUND, 'key "a" not found', [
    errorInfo({ error_code: '4041', http_status: '410', blank: '   ', word: 'abc', decimal: '1.5', padded: ' 7 ' }),
    {
      '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
      resourceType: 'key',
      resourceName: 'a',
    },
    errorInfo({ error_code: 'second' }, 'SECOND'),
  ]);

  it.each<[string, JsonTemplate, unknown]>([
    ['code keeps its number type', '${code}', 5],
    ['code_name', '${code_name}', 'NOT_FOUND'],
    ['message', '${message}', 'key "a" not found'],
    ['http_status is the final status', '${http_status}', 404],
    ['details is the rendered array', '${details}', notFound.details],
    ['error_info.reason comes from the first ErrorInfo', '${error_info.reason}', 'KEY_LOCKED'],
    ['error_info.domain', '${error_info.domain}', 'kv.prism'],
    ['error_info.metadata.X stays a string', '${error_info.metadata.error_code}', '4041'],
    ['|int converts metadata text', '${error_info.metadata.error_code|int}', 4041],
    ['|int trims spaces', '${error_info.metadata.padded|int}', 7],
    ['|int of a word has no value', '${error_info.metadata.word|int}', null],
    ['|int of a decimal has no value', '${error_info.metadata.decimal|int}', null],
    ['|string of a number', '${code|string}', '5'],
    ['|string of an object is its JSON', '${error_info.metadata|string}', JSON.stringify(notFound.details[0].metadata)],
    ['a missing value is null', '${error_info.metadata.nope}', null],
    ['a path through a scalar is null', '${message.length}', null],
    ['detail.TypeName.field', '${detail.ResourceInfo.resourceName}', 'a'],
    ['detail.TypeName is the whole first detail', '${detail.ErrorInfo.reason}', 'KEY_LOCKED'],
    ['?? falls back to the next path', '${error_info.metadata.nope ?? error_info.reason}', 'KEY_LOCKED'],
    ['?? after a failing |int', '${error_info.metadata.word|int ?? http_status}', 404],
    ['?? with a quoted literal', "${error_info.metadata.nope ?? 'fallback text'}", 'fallback text'],
    ['?? with a number literal', '${error_info.metadata.nope ?? 42}', 42],
    ['?? with a negative number literal', '${error_info.metadata.nope ?? -1}', -1],
    ['?? chain of three', "${a.b ?? error_info.metadata.nope|int ?? 'last'}", 'last'],
    ['the first alternative wins when it has a value', "${code ?? 'unused'}", 5],
  ])('%s', (_name, template, expected) => {
    expect(render({ v: template }, notFound)).toEqual({ v: expected });
  });

  it.each<[string, string, string]>([
    ['interpolates text', 'E${code}: ${message}', 'E5: key "a" not found'],
    ['a missing value interpolates as empty text', '[${error_info.metadata.nope}]', '[]'],
    ['objects interpolate as JSON', 'meta=${error_info.metadata}', `meta=${JSON.stringify(notFound.details[0].metadata)}`],
    ['filters work inside text', 'n=${error_info.metadata.error_code|int}', 'n=4041'],
    ['fallbacks work inside text', "reason=${error_info.metadata.nope ?? 'none'}", 'reason=none'],
    ['text without placeholders is kept', 'plain text', 'plain text'],
    ['adjacent placeholders', '${code}${code_name}', '5NOT_FOUND'],
  ])('%s', (_name, template, expected) => {
    expect(render({ v: template }, notFound)).toEqual({ v: expected });
  });

  it('renders nested objects and arrays and keeps non-string template values', () => {
    const body: JsonTemplate = {
      error: { code: '${code}', status: '${code_name}', tags: ['${error_info.reason}', 'fixed', 3] },
      ok: false,
      n: 1.5,
      nothing: null,
    };
    expect(render(body, notFound)).toEqual({
      error: { code: 5, status: 'NOT_FOUND', tags: ['KEY_LOCKED', 'fixed', 3] },
      ok: false,
      n: 1.5,
      nothing: null,
    });
  });

  it('renders a body that is a bare placeholder', () => {
    expect(render('${message}', notFound)).toBe('key "a" not found');
  });

  it('renders the documented example: error_code from ErrorInfo else the HTTP status', () => {
    const body: JsonTemplate = { error_code: '${error_info.metadata.error_code|int ?? http_status}', message: '${message}' };
    expect(render(body, notFound)).toEqual({ error_code: 4041, message: 'key "a" not found' });
    expect(render(body, proxyErrors.missingParameter('seconds'))).toEqual({
      error_code: 400,
      message: 'required parameter "seconds" is missing',
    });
  });

  it('error_info is empty when there is no ErrorInfo detail', () => {
    expect(render({ r: '${error_info.reason}', d: '${detail.ErrorInfo}' }, backendError(5, 'x'))).toEqual({ r: null, d: null });
  });

  it('|int of blank text has no value (falls back)', () => {
    expect(render({ v: '${error_info.metadata.blank|int ?? http_status}' }, notFound)).toEqual({ v: 404 });
  });

  it('uses the mapping content_type', () => {
    const out = shape({ body: { m: '${message}' }, content_type: 'application/problem+json' }, notFound);
    expect(out.contentType).toBe('application/problem+json');
  });

  it('keeps the error headers with a template', () => {
    const out = shape({ body: { m: '${message}' } }, proxyErrors.methodNotAllowed('PUT', '/x', ['GET']));
    expect(out.headers).toEqual({ allow: 'GET' });
  });
});

describe('status_from', () => {
  const withStatus = (value: string) => backendError(GrpcCode.NOT_FOUND, 'x', [errorInfo({ http_status: value })]);

  it.each([
    ['error_info.metadata.http_status|int', '418', 418],
    ['${error_info.metadata.http_status|int}', '418', 418],
    ['error_info.metadata.http_status|int', '99', 404],
    ['error_info.metadata.http_status|int', '600', 404],
    ['error_info.metadata.http_status|int', 'teapot', 404],
    ['error_info.metadata.nope|int ?? 451', '418', 451],
  ])('%s with %s -> %i', (statusFrom, value, expected) => {
    expect(shape({ status_from: statusFrom }, withStatus(value)).status).toBe(expected);
  });

  it('falls back to the status overrides', () => {
    expect(shape({ status_from: 'error_info.metadata.nope|int', status: { NOT_FOUND: 410 } }, withStatus('x')).status).toBe(410);
  });

  it('the body sees the status chosen by status_from', () => {
    const out = shape({ status_from: 'error_info.metadata.http_status|int', body: { s: '${http_status}' } }, withStatus('418'));
    expect(out.status).toBe(418);
    expect(out.json).toEqual({ s: 418 });
  });
});

describe('invalid mappings are refused at compile time', () => {
  it.each<[string, ErrorMapping]>([
    ['an unknown filter', { body: { v: '${code|upper}' } }],
    ['an unknown filter after a valid one', { body: { v: '${code|int|nope}' } }],
    ['an unknown filter in interpolated text', { body: { v: 'x ${code|nope}' } }],
    ['an unknown filter in a fallback', { body: { v: '${code ?? message|nope}' } }],
    ['an empty placeholder', { body: { v: '${}' } }],
    ['a placeholder that is not a path', { body: { v: '${code name}' } }],
    ['a path with an empty step', { body: { v: '${error_info..reason}' } }],
    ['a path starting with a digit', { body: { v: 'x${1abc}' } }],
    ['an empty fallback', { body: { v: '${code ?? }' } }],
    ['a bad placeholder deep in an array', { body: { list: [{ v: ['${!}'] }] } }],
    ['a bad status_from', { status_from: 'error_info.metadata.x|float' }],
    ['an unknown gRPC code name', { status: { NOT_A_CODE: 400 } }],
    ['a lower-case gRPC code name', { status: { not_found: 404 } }],
    ['a status below 100', { status: { NOT_FOUND: 99 } }],
    ['a status above 599', { status: { NOT_FOUND: 600 } }],
    ['a fractional status', { status: { NOT_FOUND: 404.5 } }],
  ])('%s', (_name, mapping) => {
    expect(() => compileErrorShaper(mapping)).toThrow(TemplateSyntaxError);
  });

  it('names the offending code name', () => {
    expect(() => compileErrorShaper({ status: { NOPE: 400 } })).toThrow(/NOPE/);
  });

  it('refuses a placeholder that is never closed', () => {
    expect(() => compileErrorShaper({ body: { v: 'oops ${message' } })).toThrow(TemplateSyntaxError);
  });
});

describe('decodeStatusDetails', () => {
  it('decodes ErrorInfo and keeps an unknown Any type as base64', () => {
    const secret = Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63, 0xff]);
    const bin = encodedStatus(5, 'not found', [
      { type_url: ERROR_INFO_URL, value: encodedErrorInfo('KEY_LOCKED', 'kv.prism', { error_code: '4041' }) },
      { type_url: UNKNOWN_URL, value: secret },
      {
        type_url: 'type.googleapis.com/google.rpc.ResourceInfo',
        value: ResourceInfoType.encode(ResourceInfoType.fromObject({ resource_type: 'key', resource_name: 'a' })).finish(),
      },
    ]);
    expect(decodeStatusDetails(root, bin)).toEqual([
      { '@type': ERROR_INFO_URL, reason: 'KEY_LOCKED', domain: 'kv.prism', metadata: { error_code: '4041' } },
      { '@type': UNKNOWN_URL, value: secret.toString('base64') },
      { '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resourceType: 'key', resourceName: 'a' },
    ]);
  });

  it.each<[string, Buffer | undefined]>([
    ['no trailer', undefined],
    ['an empty trailer', Buffer.alloc(0)],
    ['a Status without details', encodedStatus(5, 'x', [])],
    ['bytes that are not a Status', Buffer.from([0xff, 0xff, 0xff, 0xff])],
  ])('%s gives no details', (_name, bin) => {
    expect(decodeStatusDetails(root, bin)).toEqual([]);
  });
});

describe('errorFromCall', () => {
  const call = (code: number, details: string, origin: GrpcCallError['origin'], detailsBin?: Buffer) =>
    new GrpcCallError(code, details, [], [], origin, detailsBin);

  it('unavailable -> 503 pattern_unavailable naming the namespace', () => {
    const err = errorFromCall(call(GrpcCode.UNAVAILABLE, 'connect ECONNREFUSED', 'unavailable'), 'team-a', root, 1000);
    expect(err.id).toBe('pattern_unavailable');
    expect(err.code).toBe(GrpcCode.UNAVAILABLE);
    expect(err.httpStatus).toBe(503);
    expect(err.message).toContain('"team-a"');
    expect(err.message).toContain('connect ECONNREFUSED');
  });

  it('deadline -> 504 with the route timeout', () => {
    const err = errorFromCall(call(GrpcCode.DEADLINE_EXCEEDED, 'local deadline', 'deadline'), 'ns', root, 2500);
    expect(err.id).toBe('deadline_exceeded');
    expect(err.code).toBe(GrpcCode.DEADLINE_EXCEEDED);
    expect(err.httpStatus).toBe(504);
    expect(err.message).toBe('deadline of 2500 ms exceeded');
  });

  it.each([GrpcCode.UNKNOWN, GrpcCode.INTERNAL, GrpcCode.UNAVAILABLE, GrpcCode.RESOURCE_EXHAUSTED])(
    'protocol -> 502 keeping code %i',
    (code) => {
      const err = errorFromCall(call(code, 'backend replied with HTTP status 503', 'protocol'), 'ns', root, 1000);
      expect(err.id).toBe('backend_protocol');
      expect(err.code).toBe(code);
      expect(err.httpStatus).toBe(502);
      expect(err.message).toBe('backend replied with HTTP status 503');
    },
  );

  it('a protocol error keeps 502 through a mapping that overrides its code', () => {
    const err = errorFromCall(call(GrpcCode.UNAVAILABLE, 'not gRPC', 'protocol'), 'ns', root, 1000);
    expect(compileErrorShaper({ status: { UNAVAILABLE: 503 } })(err).status).toBe(502);
  });

  it('cancelled -> 499 client_closed', () => {
    const err = errorFromCall(call(GrpcCode.CANCELLED, 'cancelled', 'cancelled'), 'ns', root, 1000);
    expect(err.id).toBe('client_closed');
    expect(err.code).toBe(GrpcCode.CANCELLED);
    expect(err.httpStatus).toBe(499);
  });

  it.each([
    [GrpcCode.CANCELLED, 499],
    [GrpcCode.INVALID_ARGUMENT, 400],
    [GrpcCode.NOT_FOUND, 404],
    [GrpcCode.ALREADY_EXISTS, 409],
    [GrpcCode.PERMISSION_DENIED, 403],
    [GrpcCode.RESOURCE_EXHAUSTED, 429],
    [GrpcCode.FAILED_PRECONDITION, 400],
    [GrpcCode.UNIMPLEMENTED, 501],
    [GrpcCode.UNAVAILABLE, 503],
    [GrpcCode.DATA_LOSS, 500],
    [GrpcCode.UNAUTHENTICATED, 401],
    [99, 500],
  ])('backend code %i -> %i', (code, status) => {
    const err = errorFromCall(call(code, 'from the pattern', 'backend'), 'ns', root, 1000);
    expect(err.id).toBe('backend');
    expect(err.code).toBe(code);
    expect(err.httpStatus).toBe(status);
    expect(err.message).toBe('from the pattern');
  });

  it('backend UNAUTHENTICATED carries WWW-Authenticate from the message', () => {
    const err = errorFromCall(call(GrpcCode.UNAUTHENTICATED, 'Bearer realm="prism"', 'backend'), 'ns', root, 1000);
    expect(err.headers).toEqual({ 'www-authenticate': 'Bearer realm="prism"' });
    expect(compileErrorShaper(undefined)(err).headers).toEqual({ 'www-authenticate': 'Bearer realm="prism"' });
  });

  it.each([
    ['a line break', 'Bearer\r\nSet-Cookie: x=1'],
    ['non-ASCII text', 'Bearer realm="café"'],
  ])('no WWW-Authenticate from a message with %s', (_name, message) => {
    const err = errorFromCall(call(GrpcCode.UNAUTHENTICATED, message, 'backend'), 'ns', root, 1000);
    expect(err.headers).toEqual({});
    expect(err.httpStatus).toBe(401);
    expect(err.message).toBe(message);
  });

  it('no WWW-Authenticate without a message, nor for other codes', () => {
    expect(errorFromCall(call(GrpcCode.UNAUTHENTICATED, '', 'backend'), 'ns', root, 1000).headers).toEqual({});
    expect(errorFromCall(call(GrpcCode.PERMISSION_DENIED, 'Bearer', 'backend'), 'ns', root, 1000).headers).toEqual({});
  });

  it('decodes the status details of a backend error and templates can use them', () => {
    const bin = encodedStatus(GrpcCode.NOT_FOUND, 'missing', [
      { type_url: ERROR_INFO_URL, value: encodedErrorInfo('NO_KEY', 'kv', { error_code: '7' }) },
    ]);
    const err = errorFromCall(call(GrpcCode.NOT_FOUND, 'missing', 'backend', bin), 'ns', root, 1000);
    expect(err.details).toEqual([{ '@type': ERROR_INFO_URL, reason: 'NO_KEY', domain: 'kv', metadata: { error_code: '7' } }]);
    const out = shape(
      { body: { error_code: '${error_info.metadata.error_code|int ?? http_status}', reason: '${error_info.reason}' } },
      err,
    );
    expect(out.status).toBe(404);
    expect(out.json).toEqual({ error_code: 7, reason: 'NO_KEY' });
  });

  it('the default body of a backend error lists its decoded details', () => {
    const bin = encodedStatus(GrpcCode.ABORTED, 'retry', [{ type_url: UNKNOWN_URL, value: Buffer.from('hi') }]);
    const err = errorFromCall(call(GrpcCode.ABORTED, 'retry', 'backend', bin), 'ns', root, 1000);
    const out = shape(undefined, err);
    expect(out.status).toBe(409);
    expect(out.json).toEqual({ code: 10, message: 'retry', details: [{ '@type': UNKNOWN_URL, value: Buffer.from('hi').toString('base64') }] });
  });
});

describe('status_by_error_id', () => {
  const mapping: ErrorMapping = {
    status: { INVALID_ARGUMENT: 418 },
    status_by_error_id: { missing_body: 422, bad_parameter: 404, method_not_allowed: 409 },
    body: { error_code: '${error_info.metadata.error_code|int ?? http_status}', id: '${error_id}' },
  };

  it('maps a proxy error id over the code overrides and the table', () => {
    const out = shape(mapping, proxyErrors.missingBody());
    expect(out.status).toBe(422);
    expect(out.json).toEqual({ error_code: 422, id: 'missing_body' });
    expect(shape(mapping, proxyErrors.badParameter('id', 'not an int')).status).toBe(404);
  });

  it("wins over the error's own status and keeps its headers", () => {
    const out = shape(mapping, proxyErrors.methodNotAllowed('PUT', '/x', ['GET']));
    expect(out.status).toBe(409);
    expect(out.headers).toEqual({ allow: 'GET' });
  });

  it('leaves other errors to the usual rules', () => {
    expect(shape(mapping, proxyErrors.badJson('x')).status).toBe(418);
    expect(shape(mapping, proxyErrors.routeNotFound('GET', '/x')).json).toEqual({ error_code: 404, id: 'route_not_found' });
  });

  it('status_from still wins', () => {
    const info = errorInfo({ http_status: '409' });
    const err = new ProxyError('bad_parameter', 3, 'x', undefined, [info]);
    expect(shape({ ...mapping, status_from: 'error_info.metadata.http_status|int' }, err).status).toBe(409);
  });

  it.each<[Record<string, number>, string]>([
    [{ 'Not-An-Id': 404 }, "'Not-An-Id' is not an error id"],
    [{ missing_body: 700 }, 'status_by_error_id.missing_body: 700 is not an HTTP status'],
  ])('refuses %j', (byId, message) => {
    expect(() => compileErrorShaper({ status_by_error_id: byId })).toThrow(message);
  });

  it('a pattern error has the id "backend"', () => {
    expect(render({ id: '${error_id}' }, backendError(5, 'gone'))).toEqual({ id: 'backend' });
  });
});

describe('negotiated content type (RestConfig.produces)', () => {
  const negotiator = compileNegotiator([
    { content_type: 'application/vnd.example.v1+json' },
    { content_type: 'application/json', quality: 0.5 },
  ]);

  it('answers with the type the Accept header prefers', () => {
    const shaper = compileErrorShaper({ body: { m: '${message}' } }, { negotiator });
    const err = proxyErrors.routeNotFound('GET', '/x');
    expect(shaper(err).contentType).toBe('application/vnd.example.v1+json');
    expect(shaper(err, '*/*').contentType).toBe('application/vnd.example.v1+json');
    expect(shaper(err, 'application/json').contentType).toBe('application/json');
  });

  it('falls back to the preferred type when nothing is acceptable (the 406 itself)', () => {
    const shaper = compileErrorShaper(undefined, { negotiator });
    const out = shaper(proxyErrors.notAcceptable('text/html', ['application/vnd.example.v1+json']), 'text/html');
    expect(out.status).toBe(406);
    expect(out.contentType).toBe('application/vnd.example.v1+json');
  });

  it("an explicit content_type is kept", () => {
    const shaper = compileErrorShaper({ content_type: 'application/problem+json' }, { negotiator });
    expect(shaper(proxyErrors.badJson('x'), 'application/json').contentType).toBe('application/problem+json');
  });

  it('without a negotiator the Accept header is ignored', () => {
    expect(compileErrorShaper(undefined)(proxyErrors.badJson('x'), 'text/html').contentType).toBe('application/json');
  });
});
