// One gRPC call forwarded to a pattern: the client's stream (downstream) joined to a stream on the
// pattern's session (upstream). DATA is piped both ways untouched, so messages are never decoded
// and each side's backpressure reaches the other; header blocks are copied (headers.ts). Whatever
// ends the call first (the pattern's status, a reset on either side, the local deadline) settles
// it, once.
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Logger } from 'pino';
import { GrpcCode } from '../grpc/codes.js';
import { downstreamResponseHeaders, downstreamTrailers, statusTrailers, trailersOnlyReply } from './headers.js';

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;

// setTimeout fires at once for longer delays; a deadline further off (about 24.8 days) is left to the pattern.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CallTarget {
  namespace: string;
  /** host:port of the pattern. */
  endpoint: string;
  /** From the client's grpc-timeout; undefined when it set no deadline. */
  timeoutMs: number | undefined;
  logger: Logger;
}

/** @types/node leaves out the raw [name, value, …] list Node passes after the flags. */
type RawHeadersListener = (headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

function withRawHeaders(listener: RawHeadersListener): (headers: IncomingHttpHeaders, flags: number) => void {
  return listener as (headers: IncomingHttpHeaders, flags: number) => void;
}

export class ForwardedCall {
  private upstream: ClientHttp2Stream | undefined;
  /** Response headers went to the client, so any status from now on must come as trailers. */
  private responded = false;
  /** The trailer block the client gets, once known. */
  private trailers: OutgoingHttpHeaders | undefined;
  /** The client's stream has sent all its DATA and waits for trailers. */
  private trailersWanted = false;
  /** The client got its final frame, or went away. */
  private settled = false;
  private readonly deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly downstream: ServerHttp2Stream,
    private readonly target: CallTarget,
  ) {
    downstream.once('close', () => this.onDownstreamClose());
    downstream.once('wantTrailers', () => {
      this.trailersWanted = true;
      this.flushTrailers();
    });
    const { timeoutMs } = target;
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
      this.deadline = setTimeout(() => this.onDeadline(timeoutMs), timeoutMs);
    }
  }

  /** Sends the request to the pattern once its session is ready; UNAVAILABLE when there is none. */
  forward(session: Promise<ClientHttp2Session>, headers: OutgoingHttpHeaders): void {
    session.then(
      (ready) => this.open(ready, headers),
      (error: Error) => this.fail(GrpcCode.UNAVAILABLE, `${this.pattern()} is unavailable: ${error.message}`),
    );
  }

  private open(session: ClientHttp2Session, headers: OutgoingHttpHeaders): void {
    if (this.settled) return;
    let upstream: ClientHttp2Stream;
    try {
      upstream = session.request(headers);
    } catch (error) {
      // A session that began closing since it was handed out is a lost connection; otherwise Node refused the header block.
      if (session.closed || session.destroyed) this.fail(GrpcCode.UNAVAILABLE, `lost the connection to ${this.pattern()}`);
      else this.fail(GrpcCode.INTERNAL, `cannot forward the request headers: ${(error as Error).message}`);
      return;
    }
    this.upstream = upstream;
    upstream.on('response', withRawHeaders((_headers, flags, rawHeaders) => this.onResponse(flags, rawHeaders)));
    upstream.on('trailers', withRawHeaders((_headers, _flags, rawHeaders) => this.onTrailers(rawHeaders)));
    upstream.on('error', (error) => this.target.logger.debug({ namespace: this.target.namespace, err: error.message }, 'pattern stream error'));
    upstream.once('close', () => this.onUpstreamClose(session));
    this.downstream.pipe(upstream);
  }

  private onResponse(flags: number, rawHeaders: string[]): void {
    if (this.isDecided()) return;
    const headers = downstreamResponseHeaders(rawHeaders);
    if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) {
      // Trailers-Only: the pattern's whole reply is this one block.
      if (this.respond(headers, { endStream: true })) this.settle(NGHTTP2_NO_ERROR);
      return;
    }
    if (!this.respond(headers, { waitForTrailers: true })) return;
    this.responded = true;
    this.upstream!.pipe(this.downstream);
  }

  private onTrailers(rawHeaders: string[]): void {
    if (this.isDecided()) return;
    this.trailers = downstreamTrailers(rawHeaders);
    this.flushTrailers();
  }

  private onUpstreamClose(session: ClientHttp2Session): void {
    if (this.isDecided()) return;
    const code = this.upstream!.rstCode ?? NGHTTP2_NO_ERROR;
    if (session.destroyed) this.fail(GrpcCode.UNAVAILABLE, `lost the connection to ${this.pattern()}`);
    else if (code !== NGHTTP2_NO_ERROR) this.mirrorReset(code);
    else this.fail(GrpcCode.INTERNAL, `${this.pattern()} ended the call without a status`);
  }

  private onDownstreamClose(): void {
    // The client cancelled (RST_STREAM) or its connection dropped: the pattern's call is cancelled too.
    if (!this.settled) this.settle(NGHTTP2_CANCEL);
  }

  private onDeadline(timeoutMs: number): void {
    this.fail(GrpcCode.DEADLINE_EXCEEDED, `deadline of ${timeoutMs} ms exceeded waiting for ${this.pattern()}`);
  }

  /** The pattern reset the stream: the client's stream is reset with the same code, which its library maps to a status. */
  private mirrorReset(code: number): void {
    this.downstream.close(code);
    this.settle(NGHTTP2_NO_ERROR);
  }

  /** Ends the call with a status of the proxy's own, cancelling the pattern's side. */
  private fail(code: number, message: string): void {
    if (this.isDecided()) return;
    const level = code === GrpcCode.UNAVAILABLE || code === GrpcCode.INTERNAL ? 'warn' : 'debug';
    this.target.logger[level]({ namespace: this.target.namespace, endpoint: this.target.endpoint, code, message }, 'gRPC passthrough call failed');
    if (!this.responded) {
      this.downstream.respond(trailersOnlyReply(code, message), { endStream: true });
      this.settle(NGHTTP2_CANCEL);
      return;
    }
    // Response headers are out: stop relaying the pattern's DATA, then send the status as trailers.
    this.trailers = statusTrailers(code, message);
    this.upstream!.unpipe(this.downstream);
    this.upstream!.close(NGHTTP2_CANCEL);
    if (!this.downstream.writableEnded) this.downstream.end();
    this.flushTrailers();
  }

  private flushTrailers(): void {
    if (!this.trailersWanted || this.trailers === undefined || this.settled) return;
    try {
      this.downstream.sendTrailers(this.trailers);
    } catch {
      // Node refused the pattern's trailer block; a reset is the one way left to end the call.
      this.downstream.close(NGHTTP2_INTERNAL_ERROR);
    }
    this.settle(NGHTTP2_NO_ERROR);
  }

  /** Sends a response header block; one Node refuses fails the call instead. */
  private respond(headers: OutgoingHttpHeaders, options: http2.ServerStreamResponseOptions): boolean {
    try {
      this.downstream.respond(headers, options);
      return true;
    } catch (error) {
      this.fail(GrpcCode.INTERNAL, `cannot forward the response headers of ${this.pattern()}: ${(error as Error).message}`);
      return false;
    }
  }

  /**
   * Marks the call over. `upstreamCode` resets the pattern's stream if it is still open (a no-op
   * when both sides already ended it).
   */
  private settle(upstreamCode: number): void {
    this.settled = true;
    clearTimeout(this.deadline);
    this.upstream?.close(upstreamCode);
    // Client DATA nobody will read would hold the connection's flow-control window: discard it.
    this.downstream.unpipe();
    this.downstream.resume();
  }

  /** The final status is chosen (or the client is gone), so nothing may change it any more. */
  private isDecided(): boolean {
    return this.settled || this.trailers !== undefined || this.downstream.destroyed;
  }

  private pattern(): string {
    return `the pattern for namespace '${this.target.namespace}' at ${this.target.endpoint}`;
  }
}
