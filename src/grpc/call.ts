// One gRPC call on an HTTP/2 stream: turns stream events into messages and a final outcome.
import { constants as http2Constants } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, IncomingHttpStatusHeader } from 'node:http2';
import { GrpcCode } from './codes.js';
import { MessageDeframer, encodeMessageFrame, type MessageSink } from './framing.js';
import { metadataFromHeaders, type Metadata } from './metadata.js';
import {
  GrpcCallError,
  callOutcome,
  invalidReplyHeaders,
  statusFromStreamReset,
  statusFromTrailers,
  type CallOutcome,
} from './status.js';

export interface UnaryReply {
  message: Buffer;
  headers: Metadata;
  trailers: Metadata;
}

export interface ServerStreamHandlers {
  onHeaders?(headers: Metadata): void;
  /** One reply message; it may be a view into a larger receive buffer, so copy it to keep it. */
  onMessage(message: Buffer): void;
  /** Exactly once, last. Code 0 on success; failures carry the same codes and origins as GrpcCallError. */
  onEnd(status: CallOutcome): void;
}

export interface ClientStreamCall {
  /** Sends one message; false when the stream's buffer is full (wait for drain()) or the call is over. */
  write(message: Uint8Array): boolean;
  /** Resolves once write() may be called again: the buffer drained or the call ended. */
  drain(): Promise<void>;
  /** Half-closes: no more messages. */
  end(): void;
  cancel(): void;
  /** Rejects with GrpcCallError. */
  readonly reply: Promise<UnaryReply>;
}

// setTimeout cannot wait longer (it fires at once instead); beyond it we rely on grpc-timeout.
const MAX_TIMER_MS = 2 ** 31 - 1;

const CALL = Symbol('gRPC call');
type CallStream = ClientHttp2Stream & { [CALL]: Call };

// Stream listeners shared by all calls (`this` is the stream), so a call allocates no closures.
function onStreamResponse(this: CallStream, headers: IncomingHttpHeaders & IncomingHttpStatusHeader): void {
  this[CALL].receiveHeaders(headers);
}
function onStreamData(this: CallStream, chunk: Buffer): void {
  this[CALL].receiveData(chunk);
}
function onStreamTrailers(this: CallStream, trailers: IncomingHttpHeaders): void {
  this[CALL].receiveTrailers(trailers);
}
function onStreamError(this: CallStream, error: Error): void {
  this[CALL].receiveError(error);
}
function onStreamClose(this: CallStream): void {
  this[CALL].receiveClose();
}
function onDeadline(call: Call, timeoutMs: number): void {
  call.expire(timeoutMs);
}

/**
 * The state every call kind shares. Subclasses decide what messages and the outcome mean to their
 * caller. Ends exactly once, through finish(); later stream events are ignored.
 */
export abstract class Call implements MessageSink {
  protected stream: ClientHttp2Stream | undefined;
  protected headers: Metadata = [];
  protected finished = false;
  private session: ClientHttp2Session | undefined;
  private signal: AbortSignal | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private status: CallOutcome | undefined;
  private streamError: Error | undefined;
  private readonly deframer: MessageDeframer;

  constructor(maxReceiveMessageBytes: number) {
    this.deframer = new MessageDeframer(maxReceiveMessageBytes);
  }

  protected abstract receiveMessage(message: Buffer): void;
  protected abstract complete(outcome: CallOutcome): void;
  protected receivedHeaders(_headers: Metadata): void {}

  /** Starts following a stream that carries this call's request; timeoutMs arms the local deadline. */
  attach(session: ClientHttp2Session, stream: ClientHttp2Stream, timeoutMs: number | undefined, signal: AbortSignal | undefined): void {
    this.session = session;
    this.stream = stream;
    (stream as CallStream)[CALL] = this;
    stream.on('response', onStreamResponse);
    stream.on('data', onStreamData);
    stream.on('trailers', onStreamTrailers);
    stream.on('error', onStreamError);
    stream.on('close', onStreamClose);
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) {
      this.deadlineTimer = setTimeout(onDeadline, timeoutMs, this, timeoutMs);
    }
    if (signal !== undefined) {
      this.signal = signal;
      signal.addEventListener('abort', this);
    }
  }

  /** Sends the last message and half-closes in one DATA frame. */
  writeLast(message: Uint8Array): void {
    if (!this.finished) this.stream?.end(encodeMessageFrame(message));
  }

  cancel(): void {
    this.abort(callOutcome(GrpcCode.CANCELLED, 'call cancelled by the caller', 'cancelled', this.headers));
  }

  expire(timeoutMs: number): void {
    this.abort(callOutcome(GrpcCode.DEADLINE_EXCEEDED, `deadline of ${Math.round(timeoutMs)} ms exceeded`, 'deadline', this.headers));
  }

  /** AbortSignal listener (the call is its own listener object, again to avoid a closure). */
  handleEvent(): void {
    this.cancel();
  }

  /** Ends the call here, and resets the stream with CANCEL so the backend stops working on it. */
  abort(outcome: CallOutcome): void {
    if (this.finished) return;
    this.finish(outcome);
    this.stream?.close(http2Constants.NGHTTP2_CANCEL);
  }

  finish(outcome: CallOutcome): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadlineTimer);
    this.signal?.removeEventListener('abort', this);
    this.complete(outcome);
  }

  receiveHeaders(headers: IncomingHttpHeaders & IncomingHttpStatusHeader): void {
    if (this.finished) return;
    if (headers['grpc-status'] !== undefined) {
      // Trailers-Only reply: the status comes in the only header block, which thus holds trailers.
      this.status = statusFromTrailers(headers, this.headers);
      return;
    }
    const invalid = invalidReplyHeaders(headers);
    if (invalid !== undefined) {
      this.abort(invalid);
      return;
    }
    this.headers = metadataFromHeaders(headers);
    this.receivedHeaders(this.headers);
  }

  receiveData(chunk: Buffer): void {
    if (!this.finished) this.deframer.push(chunk, this);
  }

  onMessage(message: Buffer): void {
    if (!this.finished) this.receiveMessage(message);
  }

  onFramingError(code: number, message: string): void {
    this.abort(callOutcome(code, message, 'protocol', this.headers));
  }

  receiveTrailers(trailers: IncomingHttpHeaders): void {
    this.status = statusFromTrailers(trailers, this.headers);
  }

  receiveError(error: Error): void {
    this.streamError = error;
  }

  receiveClose(): void {
    if (this.finished) return;
    if (this.status === undefined) {
      this.finish(this.outcomeWithoutStatus());
    } else if (this.deframer.hasIncompleteMessage) {
      this.finish(callOutcome(GrpcCode.INTERNAL, 'backend ended the reply in the middle of a message', 'protocol', this.headers, this.status.trailers));
    } else {
      this.finish(this.status);
    }
  }

  /** Why the stream closed without a grpc-status. */
  private outcomeWithoutStatus(): CallOutcome {
    const error = this.streamError;
    if (this.session?.destroyed === true) {
      // Node reports a failed connect as the cancellation of the pending stream, with the cause attached.
      const reason = error === undefined ? 'connection closed' : error.cause instanceof Error ? error.cause.message : error.message;
      return callOutcome(GrpcCode.UNAVAILABLE, `backend connection ended before a reply: ${reason}`, 'unavailable', this.headers);
    }
    // Node reports a backend's RST_STREAM as ERR_HTTP2_STREAM_ERROR, or not at all for CANCEL.
    if (error !== undefined && (error as NodeJS.ErrnoException).code !== 'ERR_HTTP2_STREAM_ERROR') {
      // E.g. the backend sent GOAWAY before processing this stream.
      return callOutcome(GrpcCode.UNAVAILABLE, `stream to backend failed before a reply: ${error.message}`, 'unavailable', this.headers);
    }
    const resetCode = this.stream?.rstCode ?? http2Constants.NGHTTP2_NO_ERROR;
    if (resetCode !== http2Constants.NGHTTP2_NO_ERROR) return statusFromStreamReset(resetCode, this.headers);
    return callOutcome(GrpcCode.UNKNOWN, 'backend ended the reply without sending a grpc-status', 'protocol', this.headers);
  }
}

/** Unary and client-streaming calls: exactly one reply message, delivered through a promise. */
export class SingleReplyCall extends Call implements ClientStreamCall {
  readonly reply: Promise<UnaryReply>;
  private resolveReply!: (reply: UnaryReply) => void;
  private rejectReply!: (error: GrpcCallError) => void;
  private message: Buffer | undefined;

  constructor(maxReceiveMessageBytes: number) {
    super(maxReceiveMessageBytes);
    this.reply = new Promise<UnaryReply>((resolve, reject) => {
      this.resolveReply = resolve;
      this.rejectReply = reject;
    });
  }

  write(message: Uint8Array): boolean {
    return !this.finished && this.stream !== undefined && this.stream.write(encodeMessageFrame(message));
  }

  end(): void {
    if (!this.finished) this.stream?.end();
  }

  drain(): Promise<void> {
    const stream = this.stream;
    if (this.finished || stream === undefined || !stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  }

  protected receiveMessage(message: Buffer): void {
    if (this.message === undefined) {
      this.message = message;
      return;
    }
    // A cardinality violation; statuscodes.md assigns UNIMPLEMENTED.
    this.abort(callOutcome(GrpcCode.UNIMPLEMENTED, 'backend sent more than one reply message to a single-reply call', 'protocol', this.headers));
  }

  protected complete(outcome: CallOutcome): void {
    if (outcome.code !== GrpcCode.OK) {
      this.rejectReply(GrpcCallError.fromOutcome(outcome));
    } else if (this.message === undefined) {
      const reason = 'backend sent no response message';
      this.rejectReply(new GrpcCallError(GrpcCode.UNIMPLEMENTED, reason, outcome.headers, outcome.trailers, 'protocol'));
    } else {
      this.resolveReply({ message: this.message, headers: outcome.headers, trailers: outcome.trailers });
    }
  }
}

/** Server-streaming calls: messages and the outcome go to the caller's handlers as they arrive. */
export class ServerStreamCall extends Call {
  constructor(
    maxReceiveMessageBytes: number,
    private readonly handlers: ServerStreamHandlers,
  ) {
    super(maxReceiveMessageBytes);
  }

  protected override receivedHeaders(headers: Metadata): void {
    this.handlers.onHeaders?.(headers);
  }

  protected receiveMessage(message: Buffer): void {
    this.handlers.onMessage(message);
  }

  protected complete(outcome: CallOutcome): void {
    this.handlers.onEnd(outcome);
  }
}
