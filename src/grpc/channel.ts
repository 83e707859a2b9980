// A lean gRPC client for the proxy's outbound calls, on its own HTTP/2 connection code
// (http2-connection.ts). Messages travel as encoded bytes (callers encode and decode with
// protobufjs); the wire protocol follows https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md.
// It exists because a grpc-js call, and even a bare node:http2 stream, costs more CPU than the
// proxy's whole per-request budget.
import { Call, ServerStreamCall, SingleReplyCall, type ClientStreamCall, type ServerStreamHandlers, type UnaryReply } from './call.js';
import { GrpcCode } from './codes.js';
import { Http2Connection, type ConnectionListener } from './http2-connection.js';
import { MetadataError, type Metadata } from './metadata.js';
import { RequestHeaderEncoder } from './request-headers.js';
import { callOutcome, type CallOutcome } from './status.js';

export type { ClientStreamCall, ServerStreamHandlers, UnaryReply } from './call.js';

/** A unary call in flight. */
export interface UnaryCall {
  /** Rejects with GrpcCallError. */
  readonly reply: Promise<UnaryReply>;
  /** Ends the call with CANCELLED (origin 'cancelled') and resets its stream. */
  cancel(): void;
}
export type { Metadata } from './metadata.js';
export { GrpcCallError, type CallOrigin, type CallOutcome, type CallStatus } from './status.js';

export interface CallOptions {
  /** Absolute deadline in Date.now() milliseconds. */
  deadlineMs?: number;
  metadata?: Metadata;
  /** Aborting it (the client went away) cancels the call: RST_STREAM CANCEL, CANCELLED. */
  signal?: AbortSignal;
}

export interface ChannelOptions {
  /** How long a new connection may take to complete the HTTP/2 handshake. Default 1000. */
  connectTimeoutMs?: number;
  /** Larger reply messages fail the call with RESOURCE_EXHAUSTED. Default 64 MiB. */
  maxReceiveMessageBytes?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024 * 1024;
const INITIAL_RECONNECT_BACKOFF_MS = 100;
const MAX_RECONNECT_BACKOFF_MS = 1000;

const ADDRESS_SYNTAX = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/;
const MAX_PORT = 65535;

const NO_OPTIONS: CallOptions = {};

// Failures found before a stream exists are reported asynchronously, like every other outcome,
// so callers never see a handler run before the call-starting method has returned.
function finishLater(call: Call, outcome: CallOutcome): void {
  process.nextTick(finishCall, call, outcome);
}
function finishCall(call: Call, outcome: CallOutcome): void {
  call.finish(outcome);
}

function abandonConnect(connection: Http2Connection, timeoutMs: number): void {
  connection.destroy(new Error(`no HTTP/2 handshake with the backend within ${timeoutMs} ms`));
}

/**
 * Calls to one backend over one long-lived HTTP/2 connection, shared by all concurrent calls and
 * (re)opened lazily. Failed connects back off: during the backoff window calls fail at once with
 * UNAVAILABLE rather than hammering a backend that is down.
 */
export class GrpcChannel implements ConnectionListener {
  readonly address: string;
  private readonly host: string;
  private readonly port: number;
  private readonly connectTimeoutMs: number;
  private readonly maxReceiveMessageBytes: number;
  private readonly headers: RequestHeaderEncoder;
  private connection: Http2Connection | undefined;
  private readonly connectTimers = new Map<Http2Connection, NodeJS.Timeout>();
  private reconnectBackoffMs = INITIAL_RECONNECT_BACKOFF_MS;
  private noReconnectBeforeMs = 0;
  private lastConnectFailure = '';
  private closed = false;

  /** address: host:port, an IPv6 host in brackets ([::1]:50051). */
  constructor(address: string, options: ChannelOptions = {}) {
    const parts = ADDRESS_SYNTAX.exec(address);
    if (parts === null || Number(parts[3]) > MAX_PORT) {
      throw new TypeError(`invalid backend address ${JSON.stringify(address)}: expected host:port`);
    }
    this.address = address;
    this.host = parts[1] ?? parts[2];
    this.port = Number(parts[3]);
    this.headers = new RequestHeaderEncoder(address);
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
  }

  /** path: /package.Service/Method. Rejects with GrpcCallError. */
  unary(path: string, request: Uint8Array, options?: CallOptions): Promise<UnaryReply> {
    return this.startUnary(path, request, options).reply;
  }

  /** unary() with a handle to cancel the call, for callers that would otherwise need an AbortSignal per call. */
  startUnary(path: string, request: Uint8Array, options?: CallOptions): UnaryCall {
    const call = new SingleReplyCall(this.maxReceiveMessageBytes);
    if (this.start(call, path, options)) call.writeLast(request);
    return call;
  }

  serverStream(path: string, request: Uint8Array, handlers: ServerStreamHandlers, options?: CallOptions): { cancel(): void } {
    const call = new ServerStreamCall(this.maxReceiveMessageBytes, handlers);
    if (this.start(call, path, options)) call.writeLast(request);
    return call;
  }

  clientStream(path: string, options?: CallOptions): ClientStreamCall {
    const call = new SingleReplyCall(this.maxReceiveMessageBytes);
    // Cancelling is a normal way to end a client stream, so an unawaited reply must not count as an unhandled rejection.
    call.reply.catch(ignoreRejection);
    this.start(call, path, options);
    return call;
  }

  /** Refuses new calls and closes the connection once the calls in flight have ended. */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection === undefined || connection.closed) return;
    await new Promise<void>((resolve) => {
      connection.socket.once('close', () => resolve());
      connection.close();
    });
  }

  /** Opens the call's stream; false when the call already failed (reported asynchronously). */
  private start(call: Call, path: string, options: CallOptions = NO_OPTIONS): boolean {
    if (options.signal?.aborted === true) {
      finishLater(call, callOutcome(GrpcCode.CANCELLED, 'call cancelled before it started', 'cancelled'));
      return false;
    }
    const timeoutMs = options.deadlineMs === undefined ? undefined : options.deadlineMs - Date.now();
    if (timeoutMs !== undefined && timeoutMs <= 0) {
      finishLater(call, callOutcome(GrpcCode.DEADLINE_EXCEEDED, 'deadline passed before the call started', 'deadline'));
      return false;
    }
    let headerBlock: Buffer;
    try {
      headerBlock = this.headers.encode(path, timeoutMs, options.metadata);
    } catch (error) {
      if (!(error instanceof MetadataError)) throw error;
      finishLater(call, callOutcome(GrpcCode.INTERNAL, `cannot send request metadata: ${error.message}`, 'protocol'));
      return false;
    }
    const connection = this.acquireConnection();
    if (typeof connection === 'string') {
      finishLater(call, callOutcome(GrpcCode.UNAVAILABLE, `backend ${this.address} unavailable: ${connection}`, 'unavailable'));
      return false;
    }
    call.attach(connection.openStream(headerBlock, call), timeoutMs, options.signal);
    return true;
  }

  /** The connection to start a stream on, or why there is none. */
  private acquireConnection(): Http2Connection | string {
    let connection = this.connection;
    if (connection !== undefined && !connection.usable) {
      // Out of stream ids: the calls on it finish there, new ones go to a fresh connection.
      this.connection = undefined;
      connection.close();
      connection = undefined;
    }
    if (connection === undefined) {
      if (this.closed) return 'channel closed';
      const waitMs = this.noReconnectBeforeMs - Date.now();
      if (waitMs > 0) return `${this.lastConnectFailure}; next connection attempt in ${waitMs} ms`;
      connection = this.connect();
    }
    return connection;
  }

  private connect(): Http2Connection {
    const connection = new Http2Connection(this.host, this.port, this);
    // Ready means the backend's SETTINGS arrived, not just a TCP connect: a hung process still accepts connections.
    this.connectTimers.set(connection, setTimeout(abandonConnect, this.connectTimeoutMs, connection, this.connectTimeoutMs));
    this.connection = connection;
    return connection;
  }

  onConnectionReady(connection: Http2Connection): void {
    this.clearConnectTimer(connection);
    this.reconnectBackoffMs = INITIAL_RECONNECT_BACKOFF_MS;
  }

  onConnectionGoaway(connection: Http2Connection): void {
    this.forget(connection);
  }

  onConnectionClose(connection: Http2Connection, error: Error | undefined): void {
    this.clearConnectTimer(connection);
    this.forget(connection, error);
  }

  private clearConnectTimer(connection: Http2Connection): void {
    clearTimeout(this.connectTimers.get(connection));
    this.connectTimers.delete(connection);
  }

  /**
   * Stops using a connection that failed, closed or was told to go away (its calls may still
   * finish there). One that never became ready is a failed connect attempt: it starts the backoff window.
   */
  private forget(connection: Http2Connection, error?: Error): void {
    if (!connection.ready && error !== undefined) this.lastConnectFailure = error.message;
    if (connection !== this.connection) return;
    this.connection = undefined;
    if (connection.ready) return;
    if (error === undefined) this.lastConnectFailure = 'connection closed before the HTTP/2 handshake';
    this.noReconnectBeforeMs = Date.now() + this.reconnectBackoffMs;
    this.reconnectBackoffMs = Math.min(this.reconnectBackoffMs * 2, MAX_RECONNECT_BACKOFF_MS);
  }
}

function ignoreRejection(): void {}

/** One long-lived channel per backend address. */
export class ChannelPool {
  private readonly channels = new Map<string, GrpcChannel>();

  constructor(private readonly options: ChannelOptions = {}) {}

  get(address: string): GrpcChannel {
    let channel = this.channels.get(address);
    if (channel === undefined) {
      channel = new GrpcChannel(address, this.options);
      this.channels.set(address, channel);
    }
    return channel;
  }

  async closeAll(): Promise<void> {
    const channels = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(channels.map((channel) => channel.close()));
  }
}
