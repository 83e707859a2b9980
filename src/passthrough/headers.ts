// Header blocks the passthrough forwards or writes itself. Forwarded blocks keep every field as
// received (repeated names, order, -bin values still base64) so that metadata reaches the other side
// exactly as its sender wrote it; only fields bound to one HTTP/2 connection are dropped.
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

// Connection-specific fields may not be passed on (RFC 9113 §8.2.2); `host` would contradict the
// :authority of the next hop, which names the pattern.
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);

const GRPC_CONTENT_TYPE = 'application/grpc';
// Printable ASCII other than '%' travels as is in grpc-message; everything else is percent-encoded.
const NEEDS_NO_ENCODING = /^[\x20-\x24\x26-\x7e]*$/;

/** Why a request is not one the gRPC protocol allows (answered with HTTP 415), or undefined. */
export function notGrpcReason(headers: IncomingHttpHeaders): string | undefined {
  const method = headers[':method'];
  if (method !== 'POST') return `method ${method} is not allowed: gRPC requests are POST`;
  const contentType = headers['content-type'];
  if (contentType === undefined || !isGrpcContentType(contentType)) {
    return `content-type ${JSON.stringify(contentType ?? '')} is not application/grpc`;
  }
  return undefined;
}

function isGrpcContentType(contentType: string): boolean {
  return contentType === GRPC_CONTENT_TYPE || contentType.startsWith(`${GRPC_CONTENT_TYPE}+`) || contentType.startsWith(`${GRPC_CONTENT_TYPE};`);
}

/** The header block sent to the pattern: the client's fields as received, on the same path. */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, rawHeaders: readonly string[]): OutgoingHttpHeaders {
  const forwarded = forwardedFields(rawHeaders, undefined);
  forwarded[':method'] = 'POST';
  forwarded[':path'] = headers[':path'];
  // Fields the client marked never-indexed (authorization, cookies) stay out of HPACK tables on this hop too.
  (forwarded as Record<symbol, unknown>)[http2.sensitiveHeaders] = (headers as Record<symbol, unknown>)[http2.sensitiveHeaders];
  return forwarded;
}

/** The pattern's response header block as sent to the client, :status included. */
export function downstreamResponseHeaders(rawHeaders: readonly string[]): OutgoingHttpHeaders {
  return forwardedFields(rawHeaders, ':status');
}

/** The pattern's trailer block as sent to the client. */
export function downstreamTrailers(rawHeaders: readonly string[]): OutgoingHttpHeaders {
  return forwardedFields(rawHeaders, undefined);
}

/** Copies a raw [name, value, name, value, …] list; a repeated name becomes an array so each field is sent again. */
function forwardedFields(rawHeaders: readonly string[], keptPseudoHeader: string | undefined): OutgoingHttpHeaders {
  const fields: OutgoingHttpHeaders = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.startsWith(':') ? name !== keptPseudoHeader : NOT_FORWARDED.has(name)) continue;
    const value = rawHeaders[i + 1];
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[name] = [String(existing), value];
  }
  return fields;
}

/** A status as trailer fields. */
export function statusTrailers(code: number, message: string): OutgoingHttpHeaders {
  return { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
}

/** A Trailers-Only reply: the whole response is one header block carrying the status. */
export function trailersOnlyReply(code: number, message: string): OutgoingHttpHeaders {
  return { ':status': 200, 'content-type': GRPC_CONTENT_TYPE, ...statusTrailers(code, message) };
}

/** Percent-encodes a status message as UTF-8, as the gRPC HTTP/2 protocol asks of grpc-message. */
export function encodeGrpcMessage(message: string): string {
  if (NEEDS_NO_ENCODING.test(message)) return message;
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    const printable = byte >= 0x20 && byte <= 0x7e && byte !== 0x25;
    encoded += printable ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
