// The registry's errors: each carries the Confluent error code a frontend
// renders as `error_code`, the HTTP status it stands for, and the gRPC status
// the pattern answers with. server.ts turns them into a google.rpc.Status with
// an ErrorInfo detail.
import { status as GrpcStatus } from '@grpc/grpc-js';

export const ERROR_DOMAIN = 'registry.prism';

interface ErrorKind {
  grpc: GrpcStatus;
  reason: string;
}

/** Every error code the registry answers with, keyed by Confluent's code. */
export const ERROR_KINDS = {
  40401: { grpc: GrpcStatus.NOT_FOUND, reason: 'SUBJECT_NOT_FOUND' },
  40402: { grpc: GrpcStatus.NOT_FOUND, reason: 'VERSION_NOT_FOUND' },
  40403: { grpc: GrpcStatus.NOT_FOUND, reason: 'SCHEMA_NOT_FOUND' },
  40404: { grpc: GrpcStatus.NOT_FOUND, reason: 'SUBJECT_SOFT_DELETED' },
  40405: { grpc: GrpcStatus.NOT_FOUND, reason: 'SUBJECT_NOT_SOFT_DELETED' },
  40406: { grpc: GrpcStatus.NOT_FOUND, reason: 'VERSION_SOFT_DELETED' },
  40407: { grpc: GrpcStatus.NOT_FOUND, reason: 'VERSION_NOT_SOFT_DELETED' },
  40408: { grpc: GrpcStatus.NOT_FOUND, reason: 'SUBJECT_COMPATIBILITY_NOT_CONFIGURED' },
  40409: { grpc: GrpcStatus.NOT_FOUND, reason: 'SUBJECT_MODE_NOT_CONFIGURED' },
  409: { grpc: GrpcStatus.FAILED_PRECONDITION, reason: 'INCOMPATIBLE_SCHEMA' },
  42201: { grpc: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_SCHEMA' },
  42202: { grpc: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_VERSION' },
  42203: { grpc: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_COMPATIBILITY_LEVEL' },
  42204: { grpc: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_MODE' },
  42205: { grpc: GrpcStatus.PERMISSION_DENIED, reason: 'OPERATION_NOT_PERMITTED' },
  42206: { grpc: GrpcStatus.FAILED_PRECONDITION, reason: 'REFERENCE_EXISTS' },
  42207: { grpc: GrpcStatus.INVALID_ARGUMENT, reason: 'ID_CONFLICT' },
  42208: { grpc: GrpcStatus.INVALID_ARGUMENT, reason: 'INVALID_SUBJECT' },
  50001: { grpc: GrpcStatus.INTERNAL, reason: 'STORE_ERROR' },
  500: { grpc: GrpcStatus.INTERNAL, reason: 'INTERNAL' },
} as const satisfies Record<number, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_KINDS;

export class RegistryError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** The HTTP status the code stands for: its first three digits. */
  get httpStatus(): number {
    return Number(String(this.code).slice(0, 3));
  }
}

// Messages follow Confluent's wording, so operators recognize them.

export const subjectNotFound = (subject: string) => new RegistryError(40401, `Subject '${subject}' not found.`);

export const versionNotFound = (version: number | string) => new RegistryError(40402, `Version ${version} not found.`);

export const schemaIdNotFound = (id: number) => new RegistryError(40403, `Schema ${id} not found`);

export const schemaNotInSubject = (subject: string) =>
  new RegistryError(40403, `Schema not found under subject '${subject}'.`);

export const subjectSoftDeleted = (subject: string) =>
  new RegistryError(40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently.`);

export const subjectNotSoftDeleted = (subject: string) =>
  new RegistryError(40405, `Subject '${subject}' was not deleted first before being permanently deleted.`);

export const versionSoftDeleted = (subject: string, version: number) =>
  new RegistryError(
    40406,
    `Version ${version} of subject '${subject}' was soft deleted. Set permanent=true to delete permanently.`,
  );

export const versionNotSoftDeleted = (subject: string, version: number) =>
  new RegistryError(
    40407,
    `Version ${version} of subject '${subject}' was not deleted first before being permanently deleted.`,
  );

export const noSubjectCompatibility = (subject: string) =>
  new RegistryError(40408, `Subject '${subject}' does not have subject-level compatibility configured.`);

export const noSubjectMode = (subject: string) =>
  new RegistryError(40409, `Subject '${subject}' does not have subject-level mode configured.`);

export const incompatibleSchema = (subject: string, messages: readonly string[]) =>
  new RegistryError(
    409,
    `Schema being registered is incompatible with an earlier schema for subject '${subject}', ` +
      `details: ${messages.join('; ')}`,
  );

export const invalidSchema = (detail: string) => new RegistryError(42201, `Invalid schema: ${detail}`);

export const invalidVersion = (version: string) =>
  new RegistryError(
    42202,
    `The specified version '${version}' is not a valid version id. ` +
      'Allowed values are between [1, 2^31-1] and the string "latest".',
  );

export const invalidCompatibilityLevel = (level: string) =>
  new RegistryError(
    42203,
    `Invalid compatibility level '${level}'. Valid values are none, backward, forward, full, ` +
      'backward_transitive, forward_transitive, and full_transitive.',
  );

export const invalidMode = (mode: string) =>
  new RegistryError(42204, `Invalid mode '${mode}'. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT.`);

export const notPermitted = (message: string) => new RegistryError(42205, message);

export const referenceExists = (subject: string, version: number) =>
  new RegistryError(42206, `One or more references exist to the schema {subject=${subject}, version=${version}}.`);

export const idConflict = (id: number, existing: number) =>
  new RegistryError(42207, `Schema is already registered with id ${existing} instead of the requested id ${id}.`);

export const invalidSubject = (subject: string) =>
  new RegistryError(42208, `Invalid subject '${subject}': control characters and reserved names are not allowed.`);
