import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Metadata } from '../grpc/channel.js';
import { compileRequestMetadata, compileResponseMetadata, isHeaderSafe, NAMESPACE_METADATA } from './metadata.js';

function requestMetadata(headers: IncomingHttpHeaders, allow: string[] = [], clientIp?: string, namespace = 'default'): Metadata {
  return compileRequestMetadata(allow.length ? { request: allow } : undefined)(headers, clientIp, namespace);
}

function names(md: Metadata): string[] {
  return md.map(([name]) => name);
}

function valuesOf(md: Metadata, name: string): Array<string | Buffer> {
  return md.filter(([n]) => n === name).map(([, v]) => v);
}

describe('request metadata', () => {
  it('always starts with prism-namespace', () => {
    expect(requestMetadata({}, [], undefined, 'team-a')).toEqual([[NAMESPACE_METADATA, 'team-a']]);
    expect(NAMESPACE_METADATA).toBe('prism-namespace');
  });

  it.each<[string, IncomingHttpHeaders, Array<[string, string]>]>([
    ['authorization, also as grpcgateway-authorization', { authorization: 'Bearer t' }, [['authorization', 'Bearer t'], ['grpcgateway-authorization', 'Bearer t']]],
    ['traceparent', { traceparent: '00-abc-def-01' }, [['traceparent', '00-abc-def-01']]],
    ['tracestate', { tracestate: 'k=v' }, [['tracestate', 'k=v']]],
    ['accept as grpcgateway-accept only', { accept: 'application/json' }, [['grpcgateway-accept', 'application/json']]],
    ['user-agent as grpcgateway-user-agent', { 'user-agent': 'curl/8' }, [['grpcgateway-user-agent', 'curl/8']]],
    ['referer and origin', { referer: 'r', origin: 'o' }, [['grpcgateway-referer', 'r'], ['grpcgateway-origin', 'o']]],
    ['Grpc-Metadata-<name> as <name>', { 'grpc-metadata-tenant': 't1' }, [['tenant', 't1']]],
    ['an unlisted header is not forwarded', { 'x-other': '1' }, []],
    ['x-forwarded-host from Host', { host: 'api.example:8080' }, [['x-forwarded-host', 'api.example:8080']]],
  ])('forwards %s', (_name, headers, expected) => {
    expect(requestMetadata(headers).slice(1)).toEqual(expected);
  });

  it('decodes -bin values from base64 (Grpc-Metadata-*-bin)', () => {
    const md = requestMetadata({ 'grpc-metadata-trace-bin': 'AQID' });
    expect(valuesOf(md, 'trace-bin')).toEqual([Buffer.from([1, 2, 3])]);
  });

  it('decodes -bin values of allow-listed headers', () => {
    const md = requestMetadata({ 'x-sig-bin': 'AP8=' }, ['x-sig-bin']);
    expect(valuesOf(md, 'x-sig-bin')).toEqual([Buffer.from([0, 255])]);
  });

  it('forwards every value of a repeated header', () => {
    const md = requestMetadata({ cookie: ['a=1', 'b=2'] as unknown as string, 'x-tag': ['p', 'q'] as unknown as string }, ['x-tag']);
    expect(valuesOf(md, 'grpcgateway-cookie')).toEqual(['a=1', 'b=2']);
    expect(valuesOf(md, 'x-tag')).toEqual(['p', 'q']);
  });

  it('forwards allow-listed headers: exact names and prefixes, case-insensitive patterns', () => {
    const md = requestMetadata({ 'x-team': 'kv', 'x-acme-a': '1', 'x-acme-b': '2', 'x-upper': 'u', 'x-acmex': 'no', 'x-other': 'no' }, [
      'x-team',
      'x-acme-*',
      'X-Upper',
    ]);
    expect(md.slice(1)).toEqual([
      ['x-team', 'kv'],
      ['x-acme-a', '1'],
      ['x-acme-b', '2'],
      ['x-upper', 'u'],
    ]);
  });

  it('appends the client address to X-Forwarded-For', () => {
    expect(valuesOf(requestMetadata({}, [], '10.0.0.1'), 'x-forwarded-for')).toEqual(['10.0.0.1']);
    expect(valuesOf(requestMetadata({ 'x-forwarded-for': '1.1.1.1' }, [], '10.0.0.1'), 'x-forwarded-for')).toEqual(['1.1.1.1, 10.0.0.1']);
  });

  it.each(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'content-type', 'grpc-timeout', 'expect'])(
    'never forwards %s, even when everything is allow-listed',
    (header) => {
      const md = requestMetadata({ [header]: 'v' }, ['*', header]);
      expect(names(md).filter((n) => n === header)).toEqual([]);
    },
  );

  it('a client cannot set prism-namespace itself', () => {
    const md = requestMetadata({ 'prism-namespace': 'other' }, ['*'], undefined, 'mine');
    expect(valuesOf(md, 'prism-namespace')).toEqual(['mine']);
  });

  it('a client cannot set prism-namespace through Grpc-Metadata-Prism-Namespace', () => {
    const md = requestMetadata({ 'grpc-metadata-prism-namespace': 'other' }, [], undefined, 'mine');
    expect(valuesOf(md, 'prism-namespace')).toEqual(['mine']);
  });

  it.each(['connection', 'te', 'transfer-encoding', 'upgrade'])('never forwards the hop-by-hop %s given as a Grpc-Metadata- header', (header) => {
    const md = requestMetadata({ [`grpc-metadata-${header}`]: 'v' });
    expect(names(md)).not.toContain(header);
  });
});

describe('response metadata', () => {
  const mapper = compileResponseMetadata({ response: ['x-request-id', 'x-rate-*'] });

  it('returns metadata as Grpc-Metadata-<name>, allow-listed names as they are', () => {
    const out: Record<string, string | string[]> = {};
    mapper.headers(
      [
        ['x-request-id', 'r1'],
        ['x-rate-limit', '5'],
        ['custom', 'c'],
      ],
      out,
    );
    expect(out).toEqual({ 'x-request-id': 'r1', 'x-rate-limit': '5', 'grpc-metadata-custom': 'c' });
  });

  it('collects repeated names into a list and writes bytes as base64', () => {
    const out: Record<string, string | string[]> = {};
    mapper.headers(
      [
        ['custom', 'c'],
        ['custom', 'd'],
        ['custom', 'e'],
        ['trace-bin', Buffer.from([1, 2])],
      ],
      out,
    );
    expect(out).toEqual({ 'grpc-metadata-custom': ['c', 'd', 'e'], 'grpc-metadata-trace-bin': 'AQI=' });
  });

  it('without an allow-list every name is prefixed', () => {
    const out: Record<string, string | string[]> = {};
    compileResponseMetadata(undefined).headers([['x-request-id', 'r1']], out);
    expect(out).toEqual({ 'grpc-metadata-x-request-id': 'r1' });
  });

  it('returns trailers as Grpc-Trailer-<name>, whatever the allow-list', () => {
    const out: Record<string, string> = {};
    mapper.trailers(
      [
        ['x-request-id', 'r1'],
        ['t-bin', Buffer.from([255])],
      ],
      out,
    );
    expect(out).toEqual({ 'grpc-trailer-x-request-id': 'r1', 'grpc-trailer-t-bin': '/w==' });
  });
});

describe('isHeaderSafe', () => {
  it.each<[string, boolean]>([
    ['Bearer realm="x"', true],
    ['a\tb c', true],
    ['~!@#$%^&*()', true],
    ['', false],
    ['a\r\nb', false],
    ['a\nb', false],
    ['a\u0000b', false],
    ['caf\u00e9', false],
    ['\u{1F600}', false],
    ['a\u007fb', false],
  ])('%j -> %s', (value, safe) => {
    expect(isHeaderSafe(value)).toBe(safe);
  });
});
