/** gRPC status codes (https://github.com/grpc/grpc/blob/master/doc/statuscodes.md). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcCodeName = keyof typeof GrpcCode;

// Indexed by code value; the codes are dense 0..16.
const NAMES_BY_CODE = Object.keys(GrpcCode) as GrpcCodeName[];

/** The canonical name of a status code, or undefined for codes outside the standard set. */
export function codeName(code: number): GrpcCodeName | undefined {
  return NAMES_BY_CODE[code];
}

/** The code of a canonical (upper-case) status name, or undefined when the name is not one. */
export function codeFromName(name: string): number | undefined {
  return Object.hasOwn(GrpcCode, name) ? GrpcCode[name as GrpcCodeName] : undefined;
}
