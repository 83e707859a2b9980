// The request's journey through a listener: route, read the body, bind the
// request message, call the pattern, shape the reply. Works on Node's raw
// request/response so the body is read only after routing (with the route's
// own size limit) and streamed replies can flush per message.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type protobuf from 'protobufjs';
import { ProxyError, proxyErrors } from '../errors/catalogue.js';
import { errorFromCall, type ErrorShaper, type ShapedError } from '../errors/error-shaper.js';
import { GrpcCallError, type ChannelPool, type Metadata, type UnaryReply } from '../grpc/channel.js';
import { parseGrpcTimeout, parseRequestTimeout, TimeoutHeaderError } from '../grpc/timeout.js';
import type { HttpRequestParts, Message } from '../mapping/request-binder.js';
import type { BoundRoute, ListenerTable } from './config.js';
import { declaredOverLimit, readBody } from './body.js';
import { forwardRequestBody } from './client-stream.js';
import { streamServerReply, wantsTrailers } from './server-stream.js';
import type { ProxyMetrics } from './metrics.js';
import type { Logger } from 'pino';

export interface HandlerContext {
  /** The listener's current table; read once per request, so a swap never splits one. */
  table(): ListenerTable | undefined;
  channels: ChannelPool;
  metrics: ProxyMetrics;
  logger: Logger;
}

function splitTarget(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

function writeShapedError(res: ServerResponse, shaped: ShapedError, head: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = shaped.status;
  for (const [k, v] of Object.entries(shaped.headers)) res.setHeader(k, v);
  res.setHeader('content-type', shaped.contentType);
  res.setHeader('content-length', Buffer.byteLength(shaped.body));
  res.end(head ? undefined : shaped.body);
}

/** The deadline budget of a call: the client's header capped by the route, or the route's default. */
function timeoutFor(req: IncomingMessage, route: BoundRoute): number {
  const grpcTimeout = req.headers['grpc-timeout'];
  const requestTimeout = req.headers['request-timeout'];
  try {
    let ms: number | undefined;
    if (typeof grpcTimeout === 'string') ms = parseGrpcTimeout(grpcTimeout);
    else if (typeof requestTimeout === 'string') ms = parseRequestTimeout(requestTimeout);
    return ms === undefined ? route.timeoutMs : Math.min(ms, route.maxTimeoutMs);
  } catch (err) {
    if (err instanceof TimeoutHeaderError) throw proxyErrors.badTimeout(err.message);
    throw err;
  }
}

function encode(type: protobuf.Type, message: Message): Uint8Array {
  try {
    return type.encode(message).finish();
  } catch (err) {
    // A value the binder let through but protobufjs cannot encode is a client error.
    throw proxyErrors.badParameter('body', `request cannot be encoded: ${(err as Error).message}`);
  }
}

export function createProxyHandler(ctx: HandlerContext) {
  const fail = (res: ServerResponse, shapeError: ErrorShaper, err: ProxyError, head: boolean) => {
    writeShapedError(res, shapeError(err, res.req.headers.accept), head);
  };

  return function handle(req: IncomingMessage, res: ServerResponse): void | Promise<void> {
    const started = performance.now();
    const table = ctx.table();
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const [path, rawQuery] = splitTarget(req.url ?? '/');
    if (!table) {
      return fail(res, ctx.metrics.fallbackErrors, proxyErrors.notReady(), head);
    }
    const match = table.router.match(method, path);
    switch (match.kind) {
      case 'not-found':
        ctx.metrics.unrouted(404);
        return fail(res, table.shapeError, proxyErrors.routeNotFound(method, path), head);
      case 'bad-path':
        ctx.metrics.unrouted(400);
        return fail(res, table.shapeError, proxyErrors.badPath(match.message), head);
      case 'method-not-allowed':
        ctx.metrics.unrouted(405);
        return fail(res, table.shapeError, proxyErrors.methodNotAllowed(method, path, match.allow), head);
      case 'options':
        ctx.metrics.unrouted(204);
        res.writeHead(204, { allow: match.allow.join(', ') });
        res.end();
        return;
    }
    return proxyRoute(ctx, req, res, match.value, match.bindings, rawQuery, started);
  };
}

/** What a response's 'close' listener cancels: the call in flight, if any. */
const PENDING_CALL = Symbol('pending call');
/** Marks a response whose client left before its call started. */
const CLIENT_GONE = { cancel(): void {} };
type TrackedResponse = ServerResponse & { [PENDING_CALL]?: { cancel(): void } };

// One listener shared by all responses (`this` is the response), so a request allocates no closure
// for it. 'close' also follows a finished reply; only an unfinished one means the client left.
function cancelWhenClientLeaves(this: TrackedResponse): void {
  if (this.writableFinished) return;
  const call = this[PENDING_CALL];
  this[PENDING_CALL] = CLIENT_GONE;
  call?.cancel();
}

/** Ties `call` to the response: cancelled when the client leaves, at once if it already has. */
function track(res: TrackedResponse, call: { cancel(): void }): void {
  if (res[PENDING_CALL] === CLIENT_GONE) call.cancel();
  else res[PENDING_CALL] = call;
}

/** A request that matched `route`: bind, call the pattern, shape the reply. */
async function proxyRoute(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: TrackedResponse,
  route: BoundRoute,
  bindings: HttpRequestParts['bindings'],
  rawQuery: string,
  started: number,
): Promise<void> {
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  res.on('close', cancelWhenClientLeaves);
  let status = 500;
  try {
    // A client stream's body is read once its call is open, to forward each message as it arrives.
    const body = route.callKind === 'client-stream' ? undefined : await readBody(req, route.options.maxBodyBytes);
    const parts: HttpRequestParts = { method, bindings, rawQuery, headers: req.headers, body };
    const timeoutMs = timeoutFor(req, route);
    const metadata: Metadata = route.requestMetadata(req.headers, req.socket.remoteAddress, route.namespace);
    const channel = ctx.channels.get(route.endpoint);
    const deadlineMs = Date.now() + timeoutMs;

    if (route.callKind === 'server-stream') {
      // The stream path takes its cancellation as a signal.
      const abort = new AbortController();
      track(res, { cancel: () => abort.abort() });
      const callOptions = { deadlineMs, metadata, signal: abort.signal };
      const request = encode(route.requestType, route.bind(parts));
      status = await streamServerReply({ req, res, route, channel, request, callOptions, timeoutMs, head });
      return;
    }
    let reply: UnaryReply;
    try {
      if (route.callKind === 'client-stream') {
        const limit = route.options.maxBodyBytes;
        if (declaredOverLimit(req, limit)) throw proxyErrors.bodyTooLarge(limit);
        const binding = route.bindStream!(parts);
        const call = channel.clientStream(route.grpcPath, { deadlineMs, metadata });
        track(res, call);
        await forwardRequestBody(req, binding, call, (m) => encode(route.requestType, m));
        reply = await call.reply;
      } else {
        const call = channel.startUnary(route.grpcPath, encode(route.requestType, route.bind(parts)), { deadlineMs, metadata });
        track(res, call);
        reply = await call.reply;
      }
    } catch (err) {
      if (err instanceof GrpcCallError) throw errorFromCall(err, route.namespace, route.root, timeoutMs);
      throw err;
    } finally {
      ctx.metrics.observeCall(route, (performance.now() - started) / 1000);
    }
    status = writeReply(req, res, route, reply, head);
  } catch (err) {
    const proxyError = err instanceof ProxyError ? err : proxyErrors.internal((err as Error).message);
    if (!(err instanceof ProxyError)) ctx.logger.error({ err, route: route.label }, 'unexpected error while proxying');
    const shaped = route.shapeError(proxyError, req.headers.accept);
    status = shaped.status;
    if (proxyError.id !== 'client_closed') writeShapedError(res, shaped, head);
    else res.destroy();
  } finally {
    res[PENDING_CALL] = undefined;
    ctx.metrics.countRequest(route, status);
  }
}

/** Decodes and shapes the pattern's reply and writes it; returns the HTTP status. */
function writeReply(req: IncomingMessage, res: ServerResponse, route: BoundRoute, reply: UnaryReply, head: boolean): number {
  let decoded: Record<string, unknown>;
  try {
    decoded = route.responseType.decode(reply.message) as unknown as Record<string, unknown>;
  } catch (err) {
    throw proxyErrors.badResponse(`pattern sent a response that is not a valid ${route.responseType.name}: ${(err as Error).message}`);
  }
  const shaped = route.shape(decoded, req.headers.accept);
  if (shaped instanceof ProxyError) throw shaped;
  const headers: Record<string, string | string[]> = {};
  route.responseMetadata.headers(reply.headers, headers);
  Object.assign(headers, shaped.headers);
  headers['content-type'] = shaped.contentType;
  const trailers: Record<string, string> = {};
  if (wantsTrailers(req)) route.responseMetadata.trailers(reply.trailers, trailers);
  const trailerNames = Object.keys(trailers);
  if (trailerNames.length > 0) {
    // Trailers need chunked framing: no content-length.
    headers.trailer = trailerNames.join(', ');
    res.writeHead(shaped.status, headers);
    if (!head) res.write(shaped.body);
    res.addTrailers(trailers);
    res.end();
  } else {
    headers['content-length'] = String(Buffer.byteLength(shaped.body));
    res.writeHead(shaped.status, headers);
    res.end(head ? undefined : shaped.body);
  }
  return shaped.status;
}
