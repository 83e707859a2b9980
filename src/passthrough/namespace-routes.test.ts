import { describe, expect, it } from 'vitest';
import { namespaceRoutes } from './namespace-routes.js';

describe('namespaceRoutes', () => {
  const resolve = namespaceRoutes([
    { name: 'kv', pattern: { endpoints: ['127.0.0.1:50051', '127.0.0.1:50052'] } },
    { name: 'closed', pattern: { endpoints: ['127.0.0.1:50051'] }, grpc_disabled: true },
    { name: 'empty', pattern: { endpoints: [] } },
  ]);

  it('routes a namespace to the first endpoint of its pattern', () => {
    expect(resolve('kv')).toEqual({ kind: 'endpoint', endpoint: '127.0.0.1:50051' });
  });

  it('reports a namespace that switched the default gRPC interface off', () => {
    expect(resolve('closed')).toEqual({ kind: 'disabled' });
  });

  it('reports a namespace without an endpoint as unavailable, and an absent one as unknown', () => {
    expect(resolve('empty')).toEqual({ kind: 'unavailable', reason: 'its pattern has no endpoint' });
    expect(resolve('other')).toEqual({ kind: 'unknown' });
  });
});
