import { describe, expect, it } from 'vitest';
import { GrpcCode } from '../grpc/codes.js';
import { ProxyError, httpStatusForCode, proxyErrors } from './catalogue.js';

const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';

describe('httpStatusForCode', () => {
  // google/rpc/code.proto "HTTP Mapping", FAILED_PRECONDITION deliberately 400.
  it.each([
    ['OK', GrpcCode.OK, 200],
    ['CANCELLED', GrpcCode.CANCELLED, 499],
    ['UNKNOWN', GrpcCode.UNKNOWN, 500],
    ['INVALID_ARGUMENT', GrpcCode.INVALID_ARGUMENT, 400],
    ['DEADLINE_EXCEEDED', GrpcCode.DEADLINE_EXCEEDED, 504],
    ['NOT_FOUND', GrpcCode.NOT_FOUND, 404],
    ['ALREADY_EXISTS', GrpcCode.ALREADY_EXISTS, 409],
    ['PERMISSION_DENIED', GrpcCode.PERMISSION_DENIED, 403],
    ['RESOURCE_EXHAUSTED', GrpcCode.RESOURCE_EXHAUSTED, 429],
    ['FAILED_PRECONDITION', GrpcCode.FAILED_PRECONDITION, 400],
    ['ABORTED', GrpcCode.ABORTED, 409],
    ['OUT_OF_RANGE', GrpcCode.OUT_OF_RANGE, 400],
    ['UNIMPLEMENTED', GrpcCode.UNIMPLEMENTED, 501],
    ['INTERNAL', GrpcCode.INTERNAL, 500],
    ['UNAVAILABLE', GrpcCode.UNAVAILABLE, 503],
    ['DATA_LOSS', GrpcCode.DATA_LOSS, 500],
    ['UNAUTHENTICATED', GrpcCode.UNAUTHENTICATED, 401],
  ])('%s (%i) -> %i', (_name, code, status) => {
    expect(httpStatusForCode(code)).toBe(status);
  });

  it.each([17, 42, -1, 1.5, Number.NaN])('an unknown code %s -> 500', (code) => {
    expect(httpStatusForCode(code)).toBe(500);
  });
});

describe('ProxyError', () => {
  it('defaults its HTTP status to the table status of its code, with no details or headers', () => {
    const err = new ProxyError('x', GrpcCode.ALREADY_EXISTS, 'exists');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ProxyError');
    expect(err.message).toBe('exists');
    expect(err.httpStatus).toBe(409);
    expect(err.details).toEqual([]);
    expect(err.headers).toEqual({});
  });

  it('keeps an explicit HTTP status, details and headers', () => {
    const detail = { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'R' };
    const err = new ProxyError('x', GrpcCode.NOT_FOUND, 'gone', 410, [detail], { 'retry-after': '1' });
    expect(err.httpStatus).toBe(410);
    expect(err.details).toEqual([detail]);
    expect(err.headers).toEqual({ 'retry-after': '1' });
  });
});

describe('proxyErrors', () => {
  interface Expected {
    id: string;
    code: number;
    status: number;
    message: string | RegExp;
    details?: unknown[];
    headers?: Record<string, string>;
  }

  it.each<[string, () => ProxyError, Expected]>([
    [
      'routeNotFound',
      () => proxyErrors.routeNotFound('GET', '/nowhere'),
      { id: 'route_not_found', code: 5, status: 404, message: 'no route for GET /nowhere' },
    ],
    [
      'methodNotAllowed',
      () => proxyErrors.methodNotAllowed('DELETE', '/kv/a', ['GET', 'PUT']),
      {
        id: 'method_not_allowed',
        code: 12,
        status: 405,
        message: 'method DELETE is not allowed for /kv/a; allowed: GET, PUT',
        headers: { allow: 'GET, PUT' },
      },
    ],
    ['badPath', () => proxyErrors.badPath('bad escape'), { id: 'bad_path', code: 3, status: 400, message: 'bad escape' }],
    [
      'badParameter',
      () => proxyErrors.badParameter('shelf', 'not an int'),
      {
        id: 'bad_parameter',
        code: 3,
        status: 400,
        message: 'not an int',
        details: [{ '@type': BAD_REQUEST, fieldViolations: [{ field: 'shelf', description: 'not an int' }] }],
      },
    ],
    [
      'unknownParameter',
      () => proxyErrors.unknownParameter('zzz', 'names no field'),
      {
        id: 'unknown_parameter',
        code: 3,
        status: 400,
        message: 'query parameter "zzz" names no field',
        details: [{ '@type': BAD_REQUEST, fieldViolations: [{ field: 'zzz', description: 'names no field' }] }],
      },
    ],
    [
      'missingParameter',
      () => proxyErrors.missingParameter('seconds'),
      {
        id: 'missing_parameter',
        code: 3,
        status: 400,
        message: 'required parameter "seconds" is missing',
        details: [{ '@type': BAD_REQUEST, fieldViolations: [{ field: 'seconds', description: 'required' }] }],
      },
    ],
    [
      'badJson',
      () => proxyErrors.badJson('unexpected end'),
      { id: 'bad_json', code: 3, status: 400, message: 'invalid JSON body: unexpected end' },
    ],
    [
      'badBody',
      () => proxyErrors.badBody('book.id', 'not a number'),
      {
        id: 'bad_body',
        code: 3,
        status: 400,
        message: 'not a number',
        details: [{ '@type': BAD_REQUEST, fieldViolations: [{ field: 'book.id', description: 'not a number' }] }],
      },
    ],
    [
      'unexpectedBody',
      () => proxyErrors.unexpectedBody(),
      { id: 'unexpected_body', code: 3, status: 400, message: 'this route takes no request body' },
    ],
    [
      'unsupportedMediaType',
      () => proxyErrors.unsupportedMediaType('text/plain', 'application/json'),
      {
        id: 'unsupported_media_type',
        code: 3,
        status: 415,
        message: 'unsupported Content-Type "text/plain"; send application/json',
      },
    ],
    [
      'missingBody',
      () => proxyErrors.missingBody(),
      {
        id: 'missing_body',
        code: 3,
        status: 400,
        message: 'this route needs a request body',
        details: [{ '@type': BAD_REQUEST, fieldViolations: [{ field: 'body', description: 'required' }] }],
      },
    ],
    [
      'notAcceptable',
      () => proxyErrors.notAcceptable('text/html', ['application/json', 'text/plain']),
      {
        id: 'not_acceptable',
        code: 3,
        status: 406,
        message: 'cannot answer with any media type of Accept "text/html"; available: application/json, text/plain',
      },
    ],
    [
      'bodyTooLarge',
      () => proxyErrors.bodyTooLarge(1024),
      { id: 'body_too_large', code: 8, status: 413, message: 'request body exceeds 1024 bytes' },
    ],
    ['badTimeout', () => proxyErrors.badTimeout('bad grpc-timeout'), { id: 'bad_timeout', code: 3, status: 400, message: 'bad grpc-timeout' }],
    [
      'patternUnavailable',
      () => proxyErrors.patternUnavailable('default', 'connection refused'),
      {
        id: 'pattern_unavailable',
        code: 14,
        status: 503,
        message: 'pattern of namespace "default" is unavailable: connection refused',
      },
    ],
    [
      'deadlineExceeded',
      () => proxyErrors.deadlineExceeded(1499.6),
      { id: 'deadline_exceeded', code: 4, status: 504, message: 'deadline of 1500 ms exceeded' },
    ],
    [
      'backendProtocol',
      () => proxyErrors.backendProtocol('not gRPC'),
      { id: 'backend_protocol', code: 2, status: 502, message: 'not gRPC' },
    ],
    [
      'badResponse',
      () => proxyErrors.badResponse('cannot render'),
      { id: 'bad_response', code: 13, status: 502, message: 'cannot render' },
    ],
    [
      'clientClosed',
      () => proxyErrors.clientClosed(),
      { id: 'client_closed', code: 1, status: 499, message: 'client closed the request' },
    ],
    ['notReady', () => proxyErrors.notReady(), { id: 'not_ready', code: 14, status: 503, message: 'configuration not loaded yet' }],
    ['internal', () => proxyErrors.internal('boom'), { id: 'internal', code: 13, status: 500, message: 'boom' }],
  ])('%s', (_name, make, want) => {
    const err = make();
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.id).toBe(want.id);
    expect(err.code).toBe(want.code);
    expect(err.httpStatus).toBe(want.status);
    if (typeof want.message === 'string') expect(err.message).toBe(want.message);
    else expect(err.message).toMatch(want.message);
    expect(err.details).toEqual(want.details ?? []);
    expect(err.headers).toEqual(want.headers ?? {});
  });

  it('methodNotAllowed lists a single allowed method without a separator', () => {
    const err = proxyErrors.methodNotAllowed('POST', '/a', ['GET']);
    expect(err.headers).toEqual({ allow: 'GET' });
  });

  it('gives independent objects for every call (details are not shared)', () => {
    const a = proxyErrors.badParameter('a', 'x');
    const b = proxyErrors.badParameter('a', 'x');
    expect(a.details).not.toBe(b.details);
    expect(a).not.toBe(b);
  });
});
