// A lean gRPC client on node:http2 for the proxy's outbound calls. Messages travel as encoded bytes
// (callers encode and decode with protobufjs); the wire protocol follows
// https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md. It exists because a grpc-js call
// costs more CPU than the proxy's whole per-request budget.
import http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { Call, ServerStreamCall, SingleReplyCall, type ClientStreamCall, type ServerStreamHandlers, type UnaryReply } from './call.js';
import { GrpcCode } from './codes.js';
import { MetadataError, addMetadataToHeaders, type Metadata } from './metadata.js';
import { callOutcome, type CallOutcome } from './status.js';
import { formatGrpcTimeout } from './timeout.js';

export type { ClientStreamCall, ServerStreamHandlers, UnaryReply } from './call.js';
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
// Client stream ids are odd 31-bit numbers; start a fresh session well before they run out.
const MAX_STREAMS_PER_SESSION = 2 ** 30 - 1;

const ADDRESS_SYNTAX = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;
const MAX_PORT = 65535;

// The part of every request's header block that does not vary; :authority and :scheme come from the session.
const CONSTANT_REQUEST_HEADERS: Readonly<OutgoingHttpHeaders> = {
  ':method': 'POST',
  'content-type': 'application/grpc',
  te: 'trailers',
  'grpc-accept-encoding': 'identity',
};

const SESSION_OPTIONS: http2.ClientSessionOptions = { settings: { enablePush: false } };

const NO_OPTIONS: CallOptions = {};

// Failures found before a stream exists are reported asynchronously, like every other outcome,
// so callers never see a handler run before the call-starting method has returned.
function finishLater(call: Call, outcome: CallOutcome): void {
  process.nextTick(finishCall, call, outcome);
}
function finishCall(call: Call, outcome: CallOutcome): void {
  call.finish(outcome);
}

function abandonConnect(session: ClientHttp2Session, timeoutMs: number): void {
  session.destroy(new Error(`no HTTP/2 handshake with the backend within ${timeoutMs} ms`));
}

/**
 * Calls to one backend over one long-lived HTTP/2 session, shared by all concurrent calls and
 * (re)opened lazily. Failed connects back off: during the backoff window calls fail at once with
 * UNAVAILABLE rather than hammering a backend that is down.
 */
export class GrpcChannel {
  readonly address: string;
  private readonly url: string;
  private readonly connectTimeoutMs: number;
  private readonly maxReceiveMessageBytes: number;
  private connection: Connection | undefined;
  private reconnectBackoffMs = INITIAL_RECONNECT_BACKOFF_MS;
  private noReconnectBeforeMs = 0;
  private lastConnectFailure = '';
  private closed = false;

  /** address: host:port, an IPv6 host in brackets ([::1]:50051). */
  constructor(address: string, options: ChannelOptions = {}) {
    const port = ADDRESS_SYNTAX.exec(address)?.[1];
    if (port === undefined || Number(port) > MAX_PORT) {
      throw new TypeError(`invalid backend address ${JSON.stringify(address)}: expected host:port`);
    }
    this.address = address;
    this.url = `http://${address}`;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
  }

  /** path: /package.Service/Method. Rejects with GrpcCallError. */
  unary(path: string, request: Uint8Array, options?: CallOptions): Promise<UnaryReply> {
    const call = new SingleReplyCall(this.maxReceiveMessageBytes);
    if (this.start(call, path, options)) call.writeLast(request);
    return call.reply;
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

  /** Refuses new calls and closes the session once the calls in flight have ended. */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection === undefined || connection.session.destroyed) return;
    const { session } = connection;
    // close() is a no-op on a session already closing (after GOAWAY), which still emits 'close' when done.
    await new Promise((resolve) => {
      session.once('close', resolve);
      session.close();
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
    let headers: OutgoingHttpHeaders;
    try {
      headers = requestHeaders(path, timeoutMs, options.metadata);
    } catch (error) {
      if (!(error instanceof MetadataError)) throw error;
      finishLater(call, callOutcome(GrpcCode.INTERNAL, `cannot send request metadata: ${error.message}`, 'protocol'));
      return false;
    }
    const session = this.acquireSession();
    if (typeof session === 'string') {
      finishLater(call, callOutcome(GrpcCode.UNAVAILABLE, `backend ${this.address} unavailable: ${session}`, 'unavailable'));
      return false;
    }
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers);
    } catch (error) {
      // The session is known to be open, so Node refused the header block itself (e.g. a bad :path).
      finishLater(call, callOutcome(GrpcCode.INTERNAL, `cannot send the request: ${(error as Error).message}`, 'protocol'));
      return false;
    }
    call.attach(session, stream, timeoutMs, options.signal);
    return true;
  }

  /** The session to start a stream on, or why there is none. */
  private acquireSession(): ClientHttp2Session | string {
    let connection = this.connection;
    if (connection !== undefined && !isUsable(connection)) {
      // Its events may still be queued (a failed connect is reported on a later tick): stop using it now.
      this.forget(connection);
      connection.session.close();
      connection = undefined;
    }
    if (connection === undefined) {
      if (this.closed) return 'channel closed';
      const waitMs = this.noReconnectBeforeMs - Date.now();
      if (waitMs > 0) return `${this.lastConnectFailure}; next connection attempt in ${waitMs} ms`;
      connection = this.connect();
    }
    connection.streamsStarted++;
    return connection.session;
  }

  private connect(): Connection {
    const connection: Connection = { session: http2.connect(this.url, SESSION_OPTIONS), ready: false, streamsStarted: 0 };
    const { session } = connection;
    // Ready means the backend's SETTINGS arrived, not just a TCP connect: a hung process still accepts connections.
    const connectTimer = setTimeout(abandonConnect, this.connectTimeoutMs, session, this.connectTimeoutMs);
    session.once('remoteSettings', () => {
      clearTimeout(connectTimer);
      connection.ready = true;
      this.reconnectBackoffMs = INITIAL_RECONNECT_BACKOFF_MS;
    });
    session.on('error', (error) => this.forget(connection, error));
    session.once('goaway', () => this.forget(connection));
    session.once('close', () => {
      clearTimeout(connectTimer);
      this.forget(connection);
    });
    this.connection = connection;
    return connection;
  }

  /**
   * Stops using a connection that failed, closed or was told to go away (Node winds its session down,
   * letting its calls finish). One that never became ready is a failed connect attempt: it starts
   * the backoff window.
   */
  private forget(connection: Connection, error?: Error): void {
    if (!connection.ready && error !== undefined) this.lastConnectFailure = error.message;
    if (connection !== this.connection) return;
    this.connection = undefined;
    if (connection.ready) return;
    if (error === undefined) this.lastConnectFailure = 'connection closed before the HTTP/2 handshake';
    this.noReconnectBeforeMs = Date.now() + this.reconnectBackoffMs;
    this.reconnectBackoffMs = Math.min(this.reconnectBackoffMs * 2, MAX_RECONNECT_BACKOFF_MS);
  }
}

/** A session and what the channel tracks about it. */
interface Connection {
  readonly session: ClientHttp2Session;
  /** The backend's SETTINGS arrived. */
  ready: boolean;
  streamsStarted: number;
}

function isUsable(connection: Connection): boolean {
  const { session } = connection;
  return !session.destroyed && !session.closed && connection.streamsStarted < MAX_STREAMS_PER_SESSION;
}

function requestHeaders(path: string, timeoutMs: number | undefined, metadata: Metadata | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...CONSTANT_REQUEST_HEADERS, ':path': path };
  if (timeoutMs !== undefined) headers['grpc-timeout'] = formatGrpcTimeout(timeoutMs);
  if (metadata !== undefined) addMetadataToHeaders(headers, metadata);
  return headers;
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
