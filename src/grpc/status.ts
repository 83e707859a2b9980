// How a call ended: the status model shared by all call kinds, and the rules that derive it from
// what the backend sent (or failed to send).
import { constants as http2Constants } from 'node:http2';
import { GrpcCode, codeName } from './codes.js';
import type { HeaderObject } from './hpack.js';
import { metadataFromHeaders, type Metadata } from './metadata.js';

export interface CallStatus {
  code: number;
  message: string;
  detailsBin?: Buffer;
  headers: Metadata;
  trailers: Metadata;
}

/**
 * Who decided the outcome: `backend` a real grpc-status from the server; `unavailable` no connection
 * or connection lost before a reply; `deadline` our local deadline fired; `protocol` a reply that is
 * not valid gRPC (or request metadata that cannot be sent); `cancelled` the caller cancelled.
 */
export type CallOrigin = 'backend' | 'unavailable' | 'deadline' | 'protocol' | 'cancelled';

/** A status together with who decided it; what every call ends with. */
export interface CallOutcome extends CallStatus {
  origin: CallOrigin;
}

/** A call that ended with a non-OK status. */
export class GrpcCallError extends Error {
  readonly code: number;
  readonly details: string;
  readonly detailsBin?: Buffer;
  readonly headers: Metadata;
  readonly trailers: Metadata;
  readonly origin: CallOrigin;

  constructor(code: number, details: string, headers: Metadata, trailers: Metadata, origin: CallOrigin, detailsBin?: Buffer) {
    super(`${codeName(code) ?? `code ${code}`}: ${details}`);
    this.name = 'GrpcCallError';
    this.code = code;
    this.details = details;
    this.detailsBin = detailsBin;
    this.headers = headers;
    this.trailers = trailers;
    this.origin = origin;
  }

  static fromOutcome(outcome: CallOutcome): GrpcCallError {
    return new GrpcCallError(outcome.code, outcome.message, outcome.headers, outcome.trailers, outcome.origin, outcome.detailsBin);
  }
}

/** Builds every outcome, so that they all share one object shape. */
export function callOutcome(
  code: number,
  message: string,
  origin: CallOrigin,
  headers: Metadata = [],
  trailers: Metadata = [],
  detailsBin?: Buffer,
): CallOutcome {
  return { code, message, detailsBin, headers, trailers, origin };
}

const STATUS_CODE_SYNTAX = /^\d+$/;

/** The status carried by a trailer block, or by the header block of a Trailers-Only reply. */
export function statusFromTrailers(trailers: HeaderObject, headers: Metadata): CallOutcome {
  const code = trailers['grpc-status'];
  const message = trailers['grpc-message'];
  const details = trailers['grpc-status-details-bin'];
  const trailerMetadata = metadataFromHeaders(trailers);
  if (typeof code !== 'string' || !STATUS_CODE_SYNTAX.test(code)) {
    return callOutcome(GrpcCode.UNKNOWN, `backend sent a malformed grpc-status ${JSON.stringify(code)}`, 'protocol', headers, trailerMetadata);
  }
  return callOutcome(
    Number(code),
    typeof message === 'string' ? percentDecode(message) : '',
    'backend',
    headers,
    trailerMetadata,
    typeof details === 'string' ? Buffer.from(details, 'base64') : undefined,
  );
}

// gRPC's mapping for replies that carry no grpc-status (doc/http-grpc-status-mapping.md).
const CODE_BY_HTTP_STATUS = new Map<number, number>([
  [400, GrpcCode.INTERNAL],
  [401, GrpcCode.UNAUTHENTICATED],
  [403, GrpcCode.PERMISSION_DENIED],
  [404, GrpcCode.UNIMPLEMENTED],
  [429, GrpcCode.UNAVAILABLE],
  [502, GrpcCode.UNAVAILABLE],
  [503, GrpcCode.UNAVAILABLE],
  [504, GrpcCode.UNAVAILABLE],
]);

/** Why a reply's header block (that carries no status) is not the start of a gRPC reply, if it is not. */
export function invalidReplyHeaders(headers: HeaderObject): CallOutcome | undefined {
  const httpStatus = Number(headers[':status'] ?? 0);
  const given = headers['content-type'];
  const contentType = Array.isArray(given) ? given.join(', ') : given;
  if (httpStatus !== 200) {
    const code = CODE_BY_HTTP_STATUS.get(httpStatus) ?? GrpcCode.UNKNOWN;
    const described = contentType === undefined ? '' : ` (${contentType})`;
    return callOutcome(code, `backend replied with HTTP status ${httpStatus}${described} and no grpc-status`, 'protocol');
  }
  if (contentType === undefined || !isGrpcContentType(contentType)) {
    return callOutcome(GrpcCode.UNKNOWN, `backend replied with content-type ${JSON.stringify(contentType)}, not application/grpc`, 'protocol');
  }
  return undefined;
}

function isGrpcContentType(contentType: string): boolean {
  return contentType === 'application/grpc' || contentType.startsWith('application/grpc+') || contentType.startsWith('application/grpc;');
}

/** The status for a stream the backend reset (RST_STREAM) before sending a status, per the spec's error-code mapping. */
export function statusFromStreamReset(errorCode: number, headers: Metadata): CallOutcome {
  const message = `backend reset the stream with HTTP/2 error code ${errorCode}`;
  switch (errorCode) {
    case http2Constants.NGHTTP2_REFUSED_STREAM:
      // The backend did not start processing the call, so it is as safe to retry as a failed connect.
      return callOutcome(GrpcCode.UNAVAILABLE, message, 'unavailable', headers);
    case http2Constants.NGHTTP2_CANCEL:
      return callOutcome(GrpcCode.CANCELLED, message, 'protocol', headers);
    case http2Constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return callOutcome(GrpcCode.RESOURCE_EXHAUSTED, message, 'protocol', headers);
    case http2Constants.NGHTTP2_INADEQUATE_SECURITY:
      return callOutcome(GrpcCode.PERMISSION_DENIED, message, 'protocol', headers);
    default:
      return callOutcome(GrpcCode.INTERNAL, message, 'protocol', headers);
  }
}

const PERCENT = 0x25;
const NEEDS_DECODING = /[%\x80-\xff]/;

/**
 * Decodes a grpc-message value: percent-encoded UTF-8. Lenient as the spec asks: a '%' that does not
 * start a valid escape stays as is, and raw non-ASCII bytes (Node hands header bytes over as
 * latin1 characters) are taken as UTF-8 too.
 */
export function percentDecode(text: string): string {
  if (!NEEDS_DECODING.test(text)) return text;
  const bytes = Buffer.allocUnsafe(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const escaped = text.charCodeAt(i) === PERCENT ? hexByte(text, i + 1) : -1;
    if (escaped >= 0) {
      bytes[length++] = escaped;
      i += 2;
    } else {
      bytes[length++] = text.charCodeAt(i);
    }
  }
  return bytes.toString('utf8', 0, length);
}

/** The byte written as two hex digits at `at`, or -1 when there are not two hex digits there. */
function hexByte(text: string, at: number): number {
  const digits = text.slice(at, at + 2);
  return /^[0-9a-fA-F]{2}$/.test(digits) ? parseInt(digits, 16) : -1;
}
