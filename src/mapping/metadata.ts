// HTTP headers <-> gRPC metadata. Requests forward an allow-list, never
// hop-by-hop headers; responses return metadata under grpc-metadata-* (and
// trailers under grpc-trailer-*), plus the frontend's own allow-list as is.
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderForwarding } from '../frontend/model.js';
import type { Metadata } from '../grpc/channel.js';

export const NAMESPACE_METADATA = 'prism-namespace';
const METADATA_PREFIX = 'grpc-metadata-';

/** Headers a proxy must never forward (RFC 9110 §7.6.1) or that gRPC owns. */
const NEVER_FORWARDED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'host', 'content-length', 'content-type', 'grpc-timeout', 'expect',
]);

/** Standard request headers passed on with a grpcgateway- prefix, as grpc-gateway does. */
const PREFIXED = new Set(['accept', 'accept-charset', 'accept-encoding', 'accept-language', 'authorization', 'user-agent', 'from', 'referer', 'cookie', 'origin']);
const PREFIX = 'grpcgateway-';
const ALWAYS = new Set(['authorization', 'traceparent', 'tracestate']);

/** Visible ASCII, spaces and tabs: what an HTTP/1.1 header value may carry unencoded. */
export function isHeaderSafe(value: string): boolean {
  return value !== '' && /^[\t\x20-\x7e]*$/.test(value);
}

export type RequestMetadataBuilder = (
  headers: IncomingHttpHeaders,
  clientIp: string | undefined,
  namespace: string,
) => Metadata;

function matcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')).map((p) => p.toLowerCase()));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1).toLowerCase());
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

function push(md: Metadata, name: string, value: string | string[] | undefined): void {
  if (value === undefined) return;
  if (Array.isArray(value)) for (const v of value) md.push([name, name.endsWith('-bin') ? Buffer.from(v, 'base64') : v]);
  else md.push([name, name.endsWith('-bin') ? Buffer.from(value, 'base64') : value]);
}

export function compileRequestMetadata(forwarding: HeaderForwarding | undefined): RequestMetadataBuilder {
  const allowed = matcher(forwarding?.request ?? []);
  return (headers, clientIp, namespace) => {
    const md: Metadata = [[NAMESPACE_METADATA, namespace]];
    for (const name of Object.keys(headers)) {
      if (NEVER_FORWARDED.has(name) || name === NAMESPACE_METADATA) continue;
      const value = headers[name];
      if (name.startsWith(METADATA_PREFIX)) {
        const key = name.slice(METADATA_PREFIX.length);
        // The prefix must not smuggle in what is never forwarded, the namespace, or gRPC's own headers.
        if (!NEVER_FORWARDED.has(key) && key !== NAMESPACE_METADATA && !key.startsWith('grpc-') && key !== '') push(md, key, value);
      }
      else if (ALWAYS.has(name) || allowed(name)) push(md, name, value);
      if (PREFIXED.has(name)) push(md, PREFIX + name, value);
    }
    const host = headers.host;
    if (host) md.push(['x-forwarded-host', host]);
    const forwardedFor = headers['x-forwarded-for'];
    if (clientIp) md.push(['x-forwarded-for', forwardedFor ? `${forwardedFor}, ${clientIp}` : clientIp]);
    return md;
  };
}

export interface ResponseHeaderMapper {
  headers(md: Metadata, out: Record<string, string | string[]>): void;
  trailers(md: Metadata, out: Record<string, string>): void;
}

function text(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('base64');
}

export function compileResponseMetadata(forwarding: HeaderForwarding | undefined): ResponseHeaderMapper {
  const asIs = matcher(forwarding?.response ?? []);
  return {
    headers(md, out) {
      for (const [name, value] of md) {
        const key = asIs(name) ? name : METADATA_PREFIX + name;
        const prev = out[key];
        out[key] = prev === undefined ? text(value) : [...(Array.isArray(prev) ? prev : [prev]), text(value)];
      }
    },
    trailers(md, out) {
      for (const [name, value] of md) out['grpc-trailer-' + name] = text(value);
    },
  };
}
