// Registry errors as gRPC statuses: a google.rpc.Status with one
// google.rpc.ErrorInfo detail in the `grpc-status-details-bin` trailer, whose
// metadata carries the registry API's error code and HTTP status, so a
// frontend's error mapping can render Confluent's error body.
import { Metadata, status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { shippedRoot } from '../../src/protos/root.js';
import { ERROR_DOMAIN, ERROR_KINDS, RegistryError, type ErrorCode } from './errors.js';
import { StorageError } from './storage/storage.js';

export const DETAILS_KEY = 'grpc-status-details-bin';
export const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

interface Classified {
  grpc: GrpcStatus;
  errorCode: ErrorCode;
  httpStatus: number;
  message: string;
}

function classify(err: unknown): Classified {
  if (err instanceof RegistryError) {
    return { grpc: ERROR_KINDS[err.code].grpc, errorCode: err.code, httpStatus: err.httpStatus, message: err.message };
  }
  if (err instanceof StorageError) {
    // Unavailable lets callers retry; a broken store is an internal error.
    const grpc = err.transient ? GrpcStatus.UNAVAILABLE : GrpcStatus.INTERNAL;
    return { grpc, errorCode: 50001, httpStatus: 500, message: `Error in the backend data store: ${err.message}` };
  }
  // Anything else is a bug in the pattern; say so rather than crash the server.
  return { grpc: GrpcStatus.INTERNAL, errorCode: 500, httpStatus: 500, message: `Internal error: ${String(err)}` };
}

/** The status to answer a failed call with. */
export function errorStatus(err: unknown): Partial<StatusObject> {
  const { grpc, errorCode, httpStatus, message } = classify(err);
  const root = shippedRoot();
  const statusType = root.lookupType('google.rpc.Status');
  const errorInfoType = root.lookupType('google.rpc.ErrorInfo');
  const errorInfo = errorInfoType
    .encode(
      errorInfoType.fromObject({
        reason: ERROR_KINDS[errorCode].reason,
        domain: ERROR_DOMAIN,
        metadata: { error_code: String(errorCode), http_status: String(httpStatus) },
      }),
    )
    .finish();
  const encoded = statusType
    .encode(
      statusType.fromObject({ code: grpc, message, details: [{ type_url: ERROR_INFO_TYPE_URL, value: errorInfo }] }),
    )
    .finish();
  const metadata = new Metadata();
  metadata.set(DETAILS_KEY, Buffer.from(encoded));
  return { code: grpc, details: message, metadata };
}
