import { describe, expect, it } from 'vitest';
import { MetadataError, metadataFromHeaders, metadataHeaderField, type Metadata } from './metadata.js';
import { percentDecode } from './status.js';

/** The fields as a header object, repeated names as lists. */
function headersFor(metadata: Metadata): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [givenName, givenValue] of metadata) {
    const [name, value] = metadataHeaderField(givenName, givenValue);
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return headers;
}

describe('metadataHeaderField', () => {
  it('lower-cases names, repeats values and base64-encodes -bin values without padding', () => {
    expect(
      headersFor([
        ['X-Tenant', 'acme'],
        ['x-tag', 'a'],
        ['x-tag', 'b'],
        ['x-tag', 'c'],
        ['x-id-bin', Buffer.from([0xff])],
        ['x-given-bin', 'AAE='],
      ]),
    ).toEqual({ 'x-tenant': 'acme', 'x-tag': ['a', 'b', 'c'], 'x-id-bin': '/w', 'x-given-bin': 'AAE' });
  });

  it.each<[string, Metadata]>([
    ['a pseudo-header', [[':path', '/x']]],
    ['a grpc- name', [['grpc-timeout', '1S']]],
    ['content-type', [['content-type', 'text/plain']]],
    ['te', [['te', 'gzip']]],
    ['a connection header', [['connection', 'close']]],
    ['a name with a space', [['x y', 'v']]],
    ['a non-ASCII value', [['x-name', 'café']]],
    ['a control character', [['x-name', 'a\nb']]],
    ['bytes on a text name', [['x-name', Buffer.from('v')]]],
    ['a -bin string that is not base64', [['x-name-bin', 'not base64!']]],
  ])('refuses %s', (_, metadata) => {
    expect(() => headersFor(metadata)).toThrow(MetadataError);
  });
});

describe('metadataFromHeaders', () => {
  it('keeps user metadata, drops transport and gRPC headers, decodes -bin values (padded or not, comma-joined)', () => {
    expect(
      metadataFromHeaders({
        ':status': '200',
        'content-type': 'application/grpc',
        date: 'today',
        'grpc-status': '0',
        'grpc-message': '',
        'grpc-status-details-bin': 'AA',
        'grpc-encoding': 'identity',
        'x-user': 'u1',
        'x-joined': 'a, b',
        'x-one-bin': 'AAE=',
        'x-two-bin': 'AAE, /w',
        'set-cookie': ['c1', 'c2'],
      }),
    ).toEqual([
      ['x-user', 'u1'],
      ['x-joined', 'a, b'],
      ['x-one-bin', Buffer.from([0, 1])],
      ['x-two-bin', Buffer.from([0, 1])],
      ['x-two-bin', Buffer.from([0xff])],
      ['set-cookie', 'c1'],
      ['set-cookie', 'c2'],
    ]);
  });
});

describe('percentDecode', () => {
  it.each([
    ['plain text', 'plain text'],
    ['100%25', '100%'],
    ['caf%C3%A9', 'café'],
    ['%E6%97%A5%E6%9C%AC', '日本'],
    ['bad %zz and %4', 'bad %zz and %4'],
    ['%', '%'],
    // Raw UTF-8 bytes, as Node hands them over (one latin1 character per byte).
    [Buffer.from('café', 'utf8').toString('latin1'), 'café'],
  ])('%j decodes to %j', (encoded, decoded) => {
    expect(percentDecode(encoded)).toBe(decoded);
  });
});
