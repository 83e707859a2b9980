// One gRPC call on an HTTP/2 stream: turns stream events into messages and a final outcome.
import { GrpcCode } from './codes.js';
import { MessageDeframer, encodeMessageFrame, type MessageSink } from './framing.js';
import type { HeaderObject } from './hpack.js';
import { CANCEL, NO_ERROR, type ClientStream, type StreamEnd, type StreamListener } from './http2-connection.js';
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

function onDeadline(call: Call, timeoutMs: number): void {
  call.expire(timeoutMs);
}

/**
 * The state every call kind shares. Subclasses decide what messages and the outcome mean to their
 * caller. Ends exactly once, through finish(); later stream events are ignored. The call is its
 * stream's listener, its deadline timer's argument and its signal's listener, so it needs no closures.
 */
export abstract class Call implements MessageSink, StreamListener {
  protected stream: ClientStream | undefined;
  protected headers: Metadata = [];
  protected finished = false;
  private receivedHeaderBlock = false;
  private signal: AbortSignal | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private status: CallOutcome | undefined;
  private readonly deframer: MessageDeframer;
  private drainWaiters: Array<() => void> | undefined;

  constructor(maxReceiveMessageBytes: number) {
    this.deframer = new MessageDeframer(maxReceiveMessageBytes);
  }

  protected abstract receiveMessage(message: Buffer): void;
  protected abstract complete(outcome: CallOutcome): void;
  protected receivedHeaders(_headers: Metadata): void {}

  /** Starts following the stream that carries this call; timeoutMs arms the local deadline. */
  attach(stream: ClientStream, timeoutMs: number | undefined, signal: AbortSignal | undefined): void {
    this.stream = stream;
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
    if (!this.finished) this.stream?.write(encodeMessageFrame(message), true);
  }

  cancel(): void {
    this.abort(callOutcome(GrpcCode.CANCELLED, 'call cancelled by the caller', 'cancelled', this.headers));
  }

  expire(timeoutMs: number): void {
    this.abort(callOutcome(GrpcCode.DEADLINE_EXCEEDED, `deadline of ${Math.round(timeoutMs)} ms exceeded`, 'deadline', this.headers));
  }

  /** AbortSignal listener. */
  handleEvent(): void {
    this.cancel();
  }

  /** Ends the call here, and resets the stream with CANCEL so the backend stops working on it. */
  abort(outcome: CallOutcome): void {
    if (this.finished) return;
    this.finish(outcome);
    this.stream?.reset(CANCEL);
  }

  finish(outcome: CallOutcome): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadlineTimer);
    this.signal?.removeEventListener('abort', this);
    this.releaseDrainWaiters();
    this.complete(outcome);
  }

  /** Resolves once the stream's queued messages are sent, or the call is over. */
  protected waitForDrain(): Promise<void> {
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = undefined;
    waiters?.forEach((resolve) => resolve());
  }

  onStreamHeaders(headers: HeaderObject, _endStream: boolean): void {
    if (this.finished) return;
    if (this.receivedHeaderBlock || headers['grpc-status'] !== undefined) {
      // Trailers; or a Trailers-Only reply, whose only header block holds the status.
      this.receivedHeaderBlock = true;
      this.status = statusFromTrailers(headers, this.headers);
      return;
    }
    this.receivedHeaderBlock = true;
    const invalid = invalidReplyHeaders(headers);
    if (invalid !== undefined) {
      this.abort(invalid);
      return;
    }
    this.headers = metadataFromHeaders(headers);
    this.receivedHeaders(this.headers);
  }

  onStreamData(data: Buffer): void {
    if (!this.finished) this.deframer.push(data, this);
  }

  onStreamDrain(): void {
    this.releaseDrainWaiters();
  }

  onMessage(message: Buffer): void {
    if (!this.finished) this.receiveMessage(message);
  }

  onFramingError(code: number, message: string): void {
    this.abort(callOutcome(code, message, 'protocol', this.headers));
  }

  onStreamClose(end: StreamEnd): void {
    if (this.finished) return;
    if (this.status === undefined) {
      this.finish(this.outcomeWithoutStatus(end));
    } else if (this.deframer.hasIncompleteMessage) {
      this.finish(callOutcome(GrpcCode.INTERNAL, 'backend ended the reply in the middle of a message', 'protocol', this.headers, this.status.trailers));
    } else {
      this.finish(this.status);
    }
  }

  /** Why the stream closed without a grpc-status. */
  private outcomeWithoutStatus(end: StreamEnd): CallOutcome {
    switch (end.kind) {
      case 'connection':
        return callOutcome(GrpcCode.UNAVAILABLE, `backend connection ended before a reply: ${end.reason}`, 'unavailable', this.headers);
      case 'refused':
        // The backend did not start on the call, so it is as safe to retry as a failed connect.
        return callOutcome(GrpcCode.UNAVAILABLE, `stream to backend failed before a reply: ${end.reason}`, 'unavailable', this.headers);
      case 'reset':
        if (end.code !== NO_ERROR) return statusFromStreamReset(end.code, this.headers);
        break;
      case 'local':
        return callOutcome(GrpcCode.CANCELLED, 'call cancelled', 'cancelled', this.headers);
    }
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
    return !this.finished && this.stream !== undefined && this.stream.write(encodeMessageFrame(message), false);
  }

  end(): void {
    if (!this.finished) this.stream?.write(undefined, true);
  }

  drain(): Promise<void> {
    if (this.finished || this.stream === undefined || !this.stream.needsDrain) return Promise.resolve();
    return this.waitForDrain();
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
