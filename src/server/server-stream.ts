// Server-streaming replies, framed by the client's Accept header: NDJSON
// (default), Server-Sent Events, or one JSON array. Every message is flushed
// as it arrives. An error before the first message is a real HTTP error; a
// later one becomes a final error frame (and the grpc-status trailer when
// the client accepts trailers).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError, proxyErrors } from '../errors/catalogue.js';
import { errorFromCall } from '../errors/error-shaper.js';
import { GrpcCallError, type CallOptions, type CallOutcome, type GrpcChannel } from '../grpc/channel.js';
import type { BoundRoute } from './config.js';

type Framing = 'ndjson' | 'sse' | 'json-array';

const CONTENT_TYPES: Record<Framing, string> = {
  ndjson: 'application/x-ndjson',
  sse: 'text/event-stream',
  'json-array': 'application/json',
};

export function framingFor(accept: string | undefined): Framing {
  if (!accept) return 'ndjson';
  const a = accept.toLowerCase();
  if (a.includes('text/event-stream')) return 'sse';
  if (a.includes('application/x-ndjson') || a.includes('application/jsonl')) return 'ndjson';
  if (a.includes('application/json')) return 'json-array';
  return 'ndjson';
}

function frame(framing: Framing, json: string, first: boolean): string {
  switch (framing) {
    case 'ndjson':
      return json + '\n';
    case 'sse':
      return `data: ${json}\n\n`;
    case 'json-array':
      return (first ? '[' : ',') + json;
  }
}

function errorFrame(framing: Framing, statusJson: string, first: boolean): string {
  switch (framing) {
    case 'ndjson':
      return `{"error":${statusJson}}\n`;
    case 'sse':
      return `event: error\ndata: ${statusJson}\n\n`;
    case 'json-array':
      return (first ? '[' : ',') + `{"error":${statusJson}}]`;
  }
}

/** Whether the client said it reads HTTP trailers (`TE: trailers`). */
export function wantsTrailers(req: IncomingMessage): boolean {
  const te = req.headers.te;
  return typeof te === 'string' && te.toLowerCase().split(',').some((t) => t.trim() === 'trailers');
}

export interface ServerStreamArgs {
  req: IncomingMessage;
  res: ServerResponse;
  route: BoundRoute;
  channel: GrpcChannel;
  request: Uint8Array;
  callOptions: CallOptions;
  timeoutMs: number;
  head: boolean;
}

/** Streams the reply; resolves with the HTTP status sent. Rejects ProxyError before the first byte. */
export function streamServerReply(args: ServerStreamArgs): Promise<number> {
  const { req, res, route, channel, request, callOptions, timeoutMs, head } = args;
  const framing = framingFor(req.headers.accept);
  const trailers = wantsTrailers(req);
  let started = false;

  const start = () => {
    if (started) return;
    started = true;
    const headers: Record<string, string | string[]> = {
      'content-type': CONTENT_TYPES[framing],
      'cache-control': 'no-cache',
    };
    if (trailers) headers.trailer = 'grpc-status, grpc-message';
    res.writeHead(200, headers);
    res.flushHeaders();
  };

  return new Promise((resolve, reject) => {
    let ended = false;
    /** Ends the reply with an error frame (after the first message) or an HTTP error (before it). */
    const finishWithError = (proxyError: ProxyError, trailerCode: number, trailerMessage: string) => {
      if (ended) return;
      ended = true;
      if (!started) {
        reject(proxyError);
        return;
      }
      const statusJson = JSON.stringify({ code: proxyError.code, message: proxyError.message, details: proxyError.details });
      if (!head) res.write(errorFrame(framing, statusJson, false));
      if (trailers) res.addTrailers({ 'grpc-status': String(trailerCode), 'grpc-message': encodeURIComponent(trailerMessage) });
      res.end();
      resolve(200);
    };
    const call = channel.serverStream(
      route.grpcPath,
      request,
      {
        onMessage(message) {
          if (ended) return;
          let json: string;
          try {
            const shaped = route.shape(route.responseType.decode(message) as unknown as Record<string, unknown>);
            if (shaped instanceof ProxyError) throw shaped;
            json = typeof shaped.body === 'string' ? shaped.body : JSON.stringify(shaped.body.toString('base64'));
          } catch (err) {
            // A message we cannot translate ends the stream visibly rather than being dropped.
            const proxyError = err instanceof ProxyError ? err : proxyErrors.badResponse(`pattern sent an invalid ${route.responseType.name}: ${(err as Error).message}`);
            call.cancel();
            finishWithError(proxyError, proxyError.code, proxyError.message);
            return;
          }
          const first = !started;
          start();
          if (!head) res.write(frame(framing, json, first));
        },
        onEnd(status: CallOutcome) {
          if (ended) return;
          if (status.code === 0) {
            ended = true;
            const first = !started;
            start();
            if (!head && framing === 'json-array') res.write(first ? '[]' : ']');
            if (trailers) res.addTrailers({ 'grpc-status': '0', 'grpc-message': '' });
            res.end();
            resolve(200);
            return;
          }
          const proxyError = errorFromCall(GrpcCallError.fromOutcome(status), route.namespace, route.root, timeoutMs);
          finishWithError(proxyError, status.code, status.message);
        },
      },
      callOptions,
    );
  });
}

