// Helpers for the registry's tests: a generic gRPC client for the
// RegistryInterface and the ErrorInfo of a failed call.
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { shippedRoot } from '../../src/protos/root.js';
import { REGISTRY_SERVICE } from './server.js';
import { DETAILS_KEY, ERROR_INFO_TYPE_URL } from './status.js';

type UnaryCallback = (err: grpc.ServiceError | null, response?: PlainMessage) => void;
type UnaryMethod = (request: PlainMessage, callback: UnaryCallback) => grpc.ClientUnaryCall;

export type RegistryCall = (method: string, request?: PlainMessage) => Promise<PlainMessage>;

export interface RegistryClient {
  call: RegistryCall;
  close(): void;
}

export function registryClient(address: string): RegistryClient {
  const Client = grpc.makeGenericClientConstructor(
    serviceDefinition(shippedRoot().lookupService(REGISTRY_SERVICE)),
    REGISTRY_SERVICE,
  );
  const client = new Client(address, grpc.credentials.createInsecure());
  const call: RegistryCall = (method, request = {}) => {
    const unary = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
    if (!unary) throw new Error(`no method ${method}`);
    return new Promise((resolve, reject) => {
      unary.call(client, request, (err, response) => (err ? reject(err) : resolve(response!)));
    });
  };
  return { call, close: () => client.close() };
}

export interface DecodedError {
  code: grpc.status;
  message: string;
  /** The google.rpc.Status in the trailer: its code and message. */
  detailsCode: number;
  detailsMessage: string;
  reason: string;
  domain: string;
  errorCode: string;
  httpStatus: string;
}

/** The status and ErrorInfo of a failed call; throws when the call did not fail. */
export async function failureOf(pending: Promise<unknown>): Promise<DecodedError> {
  const error = await pending.then(
    () => {
      throw new Error('the call succeeded');
    },
    (err: unknown) => err as grpc.ServiceError,
  );
  return { code: error.code, message: error.details, ...decodeStatusDetails(error.metadata) };
}

/** The google.rpc.Status and its ErrorInfo from `grpc-status-details-bin`. */
export function decodeStatusDetails(metadata: grpc.Metadata | undefined) {
  const bytes = metadata?.get(DETAILS_KEY)[0];
  if (!(bytes instanceof Buffer)) throw new Error(`no ${DETAILS_KEY} in the trailers`);
  const root = shippedRoot();
  const statusType = root.lookupType('google.rpc.Status');
  const errorInfoType = root.lookupType('google.rpc.ErrorInfo');
  const decoded = statusType.toObject(statusType.decode(bytes), { defaults: true }) as {
    code: number;
    message: string;
    details: { type_url: string; value: Uint8Array }[];
  };
  const detail = decoded.details.find((any) => any.type_url === ERROR_INFO_TYPE_URL);
  if (!detail) throw new Error('no ErrorInfo detail');
  const info = errorInfoType.toObject(errorInfoType.decode(detail.value)) as {
    reason: string;
    domain: string;
    metadata: Record<string, string>;
  };
  return {
    detailsCode: decoded.code,
    detailsMessage: decoded.message,
    reason: info.reason,
    domain: info.domain,
    errorCode: info.metadata.error_code ?? '',
    httpStatus: info.metadata.http_status ?? '',
  };
}
