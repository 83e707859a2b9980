import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { percentDecode } from '../grpc/status.js';
import { downstreamResponseHeaders, encodeGrpcMessage, notGrpcReason, upstreamRequestHeaders } from './headers.js';

describe('forwarded header blocks', () => {
  const raw = [
    ':method', 'POST', ':scheme', 'http', ':authority', 'proxy:8980', ':path', '/pkg.Svc/Call',
    'content-type', 'application/grpc', 'te', 'trailers', 'grpc-timeout', '5S',
    'x-in', 'a', 'connection', 'keep-alive', 'x-in', 'b', 'x-in-bin', 'AAEC', 'host', 'proxy',
  ];

  it('keeps every request field but the connection-specific ones, repeats as arrays, on the same path', () => {
    const headers = { ':method': 'POST', ':path': '/pkg.Svc/Call', [http2.sensitiveHeaders]: ['authorization'] };
    const forwarded = upstreamRequestHeaders(headers, raw);
    expect(forwarded).toEqual({
      ':method': 'POST',
      ':path': '/pkg.Svc/Call',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '5S',
      'x-in': ['a', 'b'],
      'x-in-bin': 'AAEC',
      [http2.sensitiveHeaders]: ['authorization'],
    });
  });

  it('keeps :status in a response block', () => {
    expect(downstreamResponseHeaders([':status', '200', 'content-type', 'application/grpc', 'x-h', '1'])).toEqual({
      ':status': '200',
      'content-type': 'application/grpc',
      'x-h': '1',
    });
  });
});

describe('notGrpcReason', () => {
  it.each(['application/grpc', 'application/grpc+proto', 'application/grpc;charset=utf-8'])('accepts POST with %s', (contentType) => {
    expect(notGrpcReason({ ':method': 'POST', 'content-type': contentType })).toBeUndefined();
  });

  it.each([
    [{ ':method': 'GET', 'content-type': 'application/grpc' }, /method GET/],
    [{ ':method': 'POST', 'content-type': 'application/grpc-web' }, /application\/grpc-web/],
    [{ ':method': 'POST' }, /content-type ""/],
  ])('refuses %o', (headers, reason) => {
    expect(notGrpcReason(headers)).toMatch(reason);
  });
});

describe('encodeGrpcMessage', () => {
  it('leaves printable ASCII as is', () => {
    expect(encodeGrpcMessage("namespace 'x' not found")).toBe("namespace 'x' not found");
  });

  it('percent-encodes %, controls and non-ASCII as UTF-8, and decodes back', () => {
    const message = 'précondition: 100% failed\t✓';
    const encoded = encodeGrpcMessage(message);
    expect(encoded).toBe('pr%C3%A9condition: 100%25 failed%09%E2%9C%93');
    expect(percentDecode(encoded)).toBe(message);
  });
});
