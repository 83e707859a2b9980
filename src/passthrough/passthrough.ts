// The default gRPC interface: a cleartext HTTP/2 (h2c) listener that takes any gRPC call and
// forwards it byte for byte to the pattern of the namespace named by the `prism-namespace`
// metadata. Per call the proxy only reads the header block; messages are never decoded, so every
// method of every pattern works without its protos, in all four call kinds.
import http2 from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { GrpcCode } from '../grpc/codes.js';
import { parseGrpcTimeout } from '../grpc/timeout.js';
import { ForwardedCall } from './forwarded-call.js';
import { notGrpcReason, trailersOnlyReply, upstreamRequestHeaders } from './headers.js';
import { UpstreamPool } from './upstream-pool.js';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from './windows.js';

/** Where a namespace's calls go; looked up once per call, so a configuration swap applies between calls. */
export type NamespaceRoute =
  | { kind: 'endpoint'; endpoint: string /* host:port */ }
  | { kind: 'disabled' }
  | { kind: 'unknown' }
  /** Known but not servable now (no configuration yet, no endpoint): UNAVAILABLE, which clients may retry. */
  | { kind: 'unavailable'; reason: string };

export interface PassthroughOptions {
  listen: { host: string; port: number };
  resolve(namespace: string): NamespaceRoute;
  logger: Logger;
  /** How long close() lets calls in flight finish before cutting their connections. Default 5000. */
  shutdownGraceMs?: number;
  /** How long a connection to a pattern may take to complete the HTTP/2 handshake. Default 1000. */
  connectTimeoutMs?: number;
}

export interface GrpcPassthrough {
  /** The bound address (the real port when 0 was asked for). */
  address: { host: string; port: number };
  /** Stops accepting calls, lets those in flight finish (within shutdownGraceMs), then closes the pattern sessions. */
  close(): Promise<void>;
}

const NAMESPACE_METADATA_KEY = 'prism-namespace';

const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
const UNSUPPORTED_MEDIA_TYPE = 415;

const SERVER_OPTIONS: http2.ServerOptions = { settings: { initialWindowSize: STREAM_WINDOW_BYTES } };

export async function startGrpcPassthrough(options: PassthroughOptions): Promise<GrpcPassthrough> {
  const pool = new UpstreamPool(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const server = http2.createServer(SERVER_OPTIONS);
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
  });
  server.on('sessionError', (error) => options.logger.debug({ err: error.message }, 'gRPC client connection error'));
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void =>
    admit(stream, headers, rawHeaders, options, pool);
  // @types/node leaves out the raw header list Node passes as the last argument.
  server.on('stream', onStream as (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void);

  const address = await listen(server, options.listen);
  return {
    address,
    close: () => closeGracefully(server, sessions, pool, options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS),
  };
}

/** Answers a call the passthrough cannot forward, or starts forwarding it. */
function admit(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[], options: PassthroughOptions, pool: UpstreamPool): void {
  // A stream error (the client reset it with an error code) is already its end; only 'close' matters.
  stream.on('error', (error) => options.logger.debug({ err: error.message }, 'gRPC client stream error'));
  const notGrpc = notGrpcReason(headers);
  if (notGrpc !== undefined) {
    // The gRPC protocol's answer to a request that is not gRPC at all.
    stream.respond({ ':status': UNSUPPORTED_MEDIA_TYPE, 'content-type': 'text/plain; charset=utf-8' });
    stream.end(`${notGrpc}\n`);
    stream.resume();
    return;
  }
  const namespace = headers[NAMESPACE_METADATA_KEY];
  if (typeof namespace !== 'string' || namespace === '') {
    reply(stream, GrpcCode.INVALID_ARGUMENT, `missing ${NAMESPACE_METADATA_KEY} metadata`);
    return;
  }
  let timeoutMs: number | undefined;
  try {
    timeoutMs = timeoutOf(headers);
  } catch (error) {
    // The deadline could be neither enforced here nor passed on faithfully.
    reply(stream, GrpcCode.INVALID_ARGUMENT, (error as Error).message);
    return;
  }
  const route = resolveSafely(options, namespace);
  switch (route.kind) {
    case 'unknown':
      reply(stream, GrpcCode.NOT_FOUND, `namespace '${namespace}' not found`);
      return;
    case 'disabled':
      // What a client calling a service this server does not offer sees: the interface is not there for this namespace.
      reply(stream, GrpcCode.UNIMPLEMENTED, `the default gRPC interface is disabled for namespace '${namespace}'`);
      return;
    case 'unavailable':
      reply(stream, GrpcCode.UNAVAILABLE, `namespace '${namespace}' is unavailable: ${route.reason}`);
      return;
    case 'endpoint': {
      const call = new ForwardedCall(stream, { namespace, endpoint: route.endpoint, timeoutMs, logger: options.logger });
      call.forward(pool.session(route.endpoint), upstreamRequestHeaders(headers, rawHeaders));
    }
  }
}

function timeoutOf(headers: IncomingHttpHeaders): number | undefined {
  const header = headers['grpc-timeout'];
  return typeof header === 'string' ? parseGrpcTimeout(header) : undefined;
}

/** The caller's lookup is outside this module: a throw there must fail one call, not the process. */
function resolveSafely(options: PassthroughOptions, namespace: string): NamespaceRoute {
  try {
    return options.resolve(namespace);
  } catch (error) {
    options.logger.error({ namespace, err: (error as Error).message }, 'namespace lookup failed');
    return { kind: 'unavailable', reason: 'namespace lookup failed' };
  }
}

/** A status of the passthrough's own, as a Trailers-Only reply. */
function reply(stream: ServerHttp2Stream, code: number, message: string): void {
  stream.respond(trailersOnlyReply(code, message), { endStream: true });
  // The client may still be sending; its unread DATA would hold the connection's flow-control window.
  stream.resume();
}

function listen(server: http2.Http2Server, address: { host: string; port: number }): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve({ host: address.host, port: (server.address() as AddressInfo).port });
    });
  });
}

async function closeGracefully(server: http2.Http2Server, sessions: Set<ServerHttp2Session>, pool: UpstreamPool, graceMs: number): Promise<void> {
  const closed = new Promise((resolve) => server.close(resolve));
  // GOAWAY: clients open no new calls here; the session closes once its calls have ended.
  for (const session of sessions) session.close();
  const cutOff = setTimeout(() => {
    for (const session of sessions) session.destroy();
  }, graceMs);
  await closed;
  clearTimeout(cutOff);
  // Calls cut off above cancelled their pattern streams, so the pattern sessions close at once.
  await pool.close();
}
