import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { errorStatus } from './status.js';
import { StorageError } from './storage/storage.js';
import { decodeStatusDetails } from './testing.js';

describe('errorStatus', () => {
  it.each([
    [
      'a registry error',
      new RegistryError(40401, "Subject 'x' not found."),
      GrpcStatus.NOT_FOUND,
      '40401',
      '404',
      'SUBJECT_NOT_FOUND',
    ],
    [
      'an incompatibility',
      new RegistryError(409, 'incompatible'),
      GrpcStatus.FAILED_PRECONDITION,
      '409',
      '409',
      'INCOMPATIBLE_SCHEMA',
    ],
    [
      'a transient storage failure',
      new StorageError('connection refused', true),
      GrpcStatus.UNAVAILABLE,
      '50001',
      '500',
      'STORE_ERROR',
    ],
    ['a broken store', new StorageError('disk I/O error', false), GrpcStatus.INTERNAL, '50001', '500', 'STORE_ERROR'],
    ['a bug', new TypeError('x is undefined'), GrpcStatus.INTERNAL, '500', '500', 'INTERNAL'],
  ])('carries %s as code, message and ErrorInfo', (_, err, code, errorCode, httpStatus, reason) => {
    const status = errorStatus(err);
    expect(status.code).toBe(code);
    expect(status.details).toContain(err.message);
    expect(decodeStatusDetails(status.metadata as Metadata)).toEqual({
      detailsCode: code,
      detailsMessage: status.details,
      reason,
      domain: 'registry.prism',
      errorCode,
      httpStatus,
    });
  });
});
