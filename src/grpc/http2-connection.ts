// A client HTTP/2 connection (RFC 9113) over a plain TCP socket, just big enough for gRPC:
// streams opened with a prepared header block, DATA with flow control both ways, trailers,
// RST_STREAM, SETTINGS, PING and GOAWAY. node:http2 costs tens of microseconds per stream (a
// Duplex, an AsyncResource, option validation, header objects both ways); here a stream is a
// small object, frames of all streams are written together once per event-loop turn, and
// received frames are handled straight from the socket's buffers.
import net from 'node:net';
import { HpackDecoder, HpackError, type HeaderObject } from './hpack.js';

// Frame types (§6).
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

// Flags.
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

// Settings (§6.5.2).
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;

// Error codes (§7).
export const NO_ERROR = 0x0;
const PROTOCOL_ERROR = 0x1;
const FLOW_CONTROL_ERROR = 0x3;
const FRAME_SIZE_ERROR = 0x6;
export const CANCEL = 0x8;
const COMPRESSION_ERROR = 0x9;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_BYTES = 9;
const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** What we accept; we never raise SETTINGS_MAX_FRAME_SIZE above the default. */
const MAX_RECEIVED_FRAME_SIZE = DEFAULT_MAX_FRAME_SIZE;
// Large receive windows keep the backend from waiting on WINDOW_UPDATEs; they are topped up
// once half is used. Replies are handed on as they arrive, so nothing piles up here.
const STREAM_RECEIVE_WINDOW = 4 * 1024 * 1024;
const CONNECTION_RECEIVE_WINDOW = 64 * 1024 * 1024;
const MAX_HEADER_BLOCK_BYTES = 1024 * 1024;
// A stream's write() reports backpressure above this many bytes waiting for flow-control window.
const STREAM_HIGH_WATER_MARK = 64 * 1024;
// Client stream ids are odd 31-bit numbers.
const MAX_STREAM_ID = 2 ** 31 - 1;
// Frames up to this size are copied into the shared output buffer; larger payloads are written as they are.
const COPY_LIMIT = 2048;
const OUTPUT_SEGMENT_BYTES = 16 * 1024;

/** How a stream ended, from the connection's side; the call turns it into a gRPC outcome. */
export type StreamEnd =
  /** Both sides sent END_STREAM. */
  | { kind: 'ended' }
  /** The backend reset the stream (RST_STREAM) with this error code. */
  | { kind: 'reset'; code: number }
  /** The backend will not process it (GOAWAY before it started); safe to retry. */
  | { kind: 'refused'; reason: string }
  /** The connection failed or closed while the stream was open. */
  | { kind: 'connection'; reason: string }
  /** We reset it ourselves (cancel, deadline). */
  | { kind: 'local' };

/** What a stream reports to its owner (a gRPC call). Listeners are methods, so a stream allocates no closures. */
export interface StreamListener {
  /** A header block: the reply headers, or the trailers when `endStream`. */
  onStreamHeaders(headers: HeaderObject, endStream: boolean): void;
  /** DATA payload: a view into a received chunk (never reused, so the view may be kept). */
  onStreamData(data: Buffer): void;
  /** Everything queued by write() has been handed to the socket. */
  onStreamDrain(): void;
  /** Exactly once, last. */
  onStreamClose(end: StreamEnd): void;
}

/** Connection events for the channel that owns it. */
export interface ConnectionListener {
  /** The backend's first SETTINGS arrived: it speaks HTTP/2. */
  onConnectionReady(connection: Http2Connection): void;
  /** The backend sent GOAWAY: no new streams here. */
  onConnectionGoaway(connection: Http2Connection): void;
  /** The socket closed; `error` when it failed. */
  onConnectionClose(connection: Http2Connection, error: Error | undefined): void;
}

/** One request/reply exchange on a connection. */
export class ClientStream {
  id = 0;
  /** Bytes the backend lets us send (its stream window). */
  sendWindow: number;
  /** Payload received and not yet acknowledged with WINDOW_UPDATE. */
  receivedUnacked = 0;
  localEnded = false;
  remoteEnded = false;
  closed = false;
  /** DATA waiting for window: chunks, the offset into the first, and whether END_STREAM follows. */
  queue: Buffer[] = [];
  queueOffset = 0;
  queuedBytes = 0;
  endQueued = false;
  needsDrain = false;

  constructor(
    readonly connection: Http2Connection,
    readonly listener: StreamListener,
    /** The HPACK block; dropped once sent. */
    public headerBlock: Buffer | undefined,
    sendWindow: number,
  ) {
    this.sendWindow = sendWindow;
  }

  /** Queues payload (END_STREAM after it when `end`); false when the caller should wait for onStreamDrain. */
  write(data: Buffer | undefined, end: boolean): boolean {
    if (this.closed || this.localEnded || this.endQueued) return false;
    return this.connection.writeStream(this, data, end);
  }

  /** Resets the stream with `code` (CANCEL by default) and reports it closed as 'local'. */
  reset(code = CANCEL): void {
    this.connection.resetStream(this, code);
  }
}

/** Frames of all streams collected during one event-loop turn, then written at once. */
class Output {
  private chunks: Buffer[] = [];
  private segment: Buffer | undefined;
  private used = 0;
  private start = 0;

  get empty(): boolean {
    return this.chunks.length === 0 && this.used === this.start;
  }

  /** Room for `bytes` in the current segment; returns the write offset. */
  private reserve(bytes: number): number {
    if (this.segment === undefined || this.segment.length - this.used < bytes) {
      this.seal();
      this.segment = Buffer.allocUnsafe(Math.max(bytes, OUTPUT_SEGMENT_BYTES));
      this.used = 0;
      this.start = 0;
    }
    const at = this.used;
    this.used += bytes;
    return at;
  }

  /** Moves what the current segment holds to the chunk list. */
  private seal(): void {
    if (this.segment !== undefined && this.used > this.start) this.chunks.push(this.segment.subarray(this.start, this.used));
    this.start = this.used;
  }

  frame(type: number, flags: number, streamId: number, payload?: Buffer, from = 0, to = payload?.length ?? 0): void {
    const length = to - from;
    const copy = length <= COPY_LIMIT;
    const seg = this.reserve(FRAME_HEADER_BYTES + (copy ? length : 0));
    const out = this.segment!;
    out[seg] = length >>> 16;
    out[seg + 1] = (length >>> 8) & 0xff;
    out[seg + 2] = length & 0xff;
    out[seg + 3] = type;
    out[seg + 4] = flags;
    out.writeUInt32BE(streamId, seg + 5);
    if (length === 0) return;
    if (copy) {
      payload!.copy(out, seg + FRAME_HEADER_BYTES, from, to);
    } else {
      this.seal();
      this.chunks.push(payload!.subarray(from, to));
    }
  }

  /** A frame whose payload the caller writes into the returned buffer at the returned offset. */
  frameWithRoom(type: number, flags: number, streamId: number, length: number): [Buffer, number] {
    const at = this.reserve(FRAME_HEADER_BYTES + length);
    const out = this.segment!;
    out[at] = length >>> 16;
    out[at + 1] = (length >>> 8) & 0xff;
    out[at + 2] = length & 0xff;
    out[at + 3] = type;
    out[at + 4] = flags;
    out.writeUInt32BE(streamId, at + 5);
    return [out, at + FRAME_HEADER_BYTES];
  }

  raw(bytes: Buffer): void {
    const at = this.reserve(bytes.length);
    bytes.copy(this.segment!, at);
  }

  take(): Buffer[] {
    this.seal();
    const chunks = this.chunks;
    this.chunks = [];
    return chunks;
  }
}

function flushConnection(connection: Http2Connection): void {
  connection.flush();
}

/** A connection to one backend; see the file comment. */
export class Http2Connection {
  readonly socket: net.Socket;
  /** The backend's SETTINGS arrived. */
  ready = false;
  /** No new streams: GOAWAY received, closing, or failed. */
  draining = false;
  closed = false;
  private readonly streams = new Map<number, ClientStream>();
  private readonly waiting: ClientStream[] = [];
  private readonly blocked = new Set<ClientStream>();
  private nextStreamId = 1;
  private peerMaxConcurrentStreams = Infinity;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private sendWindow = DEFAULT_WINDOW;
  private receivedUnacked = 0;
  private readonly decoder = new HpackDecoder();
  private readonly output = new Output();
  private flushScheduled = false;
  private pending: Buffer | undefined;
  /** A header block spread over HEADERS + CONTINUATION frames. */
  private continuation: { streamId: number; endStream: boolean; parts: Buffer[]; bytes: number } | undefined;
  private error: Error | undefined;

  constructor(
    host: string,
    port: number,
    private readonly listener: ConnectionListener,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (error) => {
      this.error ??= error;
    });
    this.socket.on('close', () => this.onSocketClose());
    // Sent at once; the socket holds them until it is connected.
    this.output.raw(PREFACE);
    this.sendSettings();
    this.sendWordFrame(WINDOW_UPDATE, 0, CONNECTION_RECEIVE_WINDOW - DEFAULT_WINDOW);
  }

  get activeStreams(): number {
    return this.streams.size + this.waiting.length;
  }

  /** Whether a new stream may start here. */
  get usable(): boolean {
    return !this.draining && !this.closed && this.nextStreamId + 2 * this.waiting.length <= MAX_STREAM_ID;
  }

  /** Starts a stream with a complete HPACK header block. */
  openStream(headerBlock: Buffer, listener: StreamListener): ClientStream {
    const stream = new ClientStream(this, listener, headerBlock, 0);
    if (this.streams.size < this.peerMaxConcurrentStreams) this.startStream(stream);
    else this.waiting.push(stream);
    return stream;
  }

  private startStream(stream: ClientStream): void {
    stream.id = this.nextStreamId;
    this.nextStreamId += 2;
    stream.sendWindow = this.peerInitialWindow;
    this.streams.set(stream.id, stream);
    this.writeHeaderBlock(stream.id, stream.headerBlock!);
    stream.headerBlock = undefined;
    // Data queued while it waited for a stream slot.
    if (stream.queuedBytes > 0 || stream.endQueued) this.pump(stream);
  }

  private writeHeaderBlock(streamId: number, block: Buffer): void {
    const max = this.peerMaxFrameSize;
    if (block.length <= max) {
      this.output.frame(HEADERS, END_HEADERS, streamId, block);
    } else {
      this.output.frame(HEADERS, 0, streamId, block, 0, max);
      for (let at = max; at < block.length; at += max) {
        const end = Math.min(at + max, block.length);
        this.output.frame(CONTINUATION, end === block.length ? END_HEADERS : 0, streamId, block, at, end);
      }
    }
    this.scheduleFlush();
  }

  /** ClientStream.write: sends what the windows allow now, queues the rest. */
  writeStream(stream: ClientStream, data: Buffer | undefined, end: boolean): boolean {
    const length = data?.length ?? 0;
    // The common case, a small message on an open stream with nothing queued: one DATA frame now.
    if (stream.id !== 0 && stream.queuedBytes === 0 && length <= stream.sendWindow && length <= this.sendWindow && length <= this.peerMaxFrameSize) {
      stream.sendWindow -= length;
      this.sendWindow -= length;
      this.output.frame(DATA, end ? END_STREAM : 0, stream.id, data);
      this.scheduleFlush();
      if (end) this.endLocal(stream);
      return true;
    }
    if (length > 0) {
      stream.queue.push(data!);
      stream.queuedBytes += length;
    }
    stream.endQueued = end;
    if (stream.id !== 0) this.pump(stream);
    if (stream.queuedBytes > STREAM_HIGH_WATER_MARK) {
      stream.needsDrain = true;
      return false;
    }
    return true;
  }

  /** Sends a stream's queued DATA as far as the windows allow. */
  private pump(stream: ClientStream): void {
    while (stream.queuedBytes > 0) {
      const room = Math.min(stream.sendWindow, this.sendWindow, this.peerMaxFrameSize);
      if (room <= 0) {
        if (this.sendWindow <= 0) this.blocked.add(stream);
        return;
      }
      const head = stream.queue[0];
      const from = stream.queueOffset;
      const to = Math.min(head.length, from + room);
      const length = to - from;
      const last = to === head.length && stream.queue.length === 1;
      this.output.frame(DATA, last && stream.endQueued ? END_STREAM : 0, stream.id, head, from, to);
      this.scheduleFlush();
      stream.sendWindow -= length;
      this.sendWindow -= length;
      stream.queuedBytes -= length;
      if (to === head.length) {
        stream.queue.shift();
        stream.queueOffset = 0;
      } else {
        stream.queueOffset = to;
      }
      if (last && stream.endQueued) {
        this.endLocal(stream);
        return;
      }
    }
    if (stream.endQueued && !stream.localEnded) {
      this.output.frame(DATA, END_STREAM, stream.id);
      this.scheduleFlush();
      this.endLocal(stream);
    }
    if (stream.needsDrain) {
      stream.needsDrain = false;
      stream.listener.onStreamDrain();
    }
  }

  private endLocal(stream: ClientStream): void {
    stream.localEnded = true;
    stream.endQueued = false;
    if (stream.remoteEnded) this.closeStream(stream, { kind: 'ended' });
  }

  /** ClientStream.reset. */
  resetStream(stream: ClientStream, code: number): void {
    if (stream.closed) return;
    if (stream.id === 0) {
      this.waiting.splice(this.waiting.indexOf(stream), 1);
    } else if (!this.closed) {
      this.sendWordFrame(RST_STREAM, stream.id, code);
    }
    this.closeStream(stream, { kind: 'local' });
  }

  private closeStream(stream: ClientStream, end: StreamEnd): void {
    if (stream.closed) return;
    stream.closed = true;
    stream.queue = [];
    stream.queuedBytes = 0;
    this.blocked.delete(stream);
    if (stream.id !== 0) this.streams.delete(stream.id);
    stream.listener.onStreamClose(end);
    this.startWaiting();
    if (this.draining && this.activeStreams === 0) this.end();
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxConcurrentStreams && !this.closed) {
      this.startStream(this.waiting.shift()!);
    }
  }

  /** Refuses new streams and closes the socket once the open ones have ended. */
  close(): void {
    this.draining = true;
    if (this.activeStreams === 0) this.end();
  }

  /** Fails every stream and closes the socket at once. */
  destroy(error: Error): void {
    this.error ??= error;
    this.socket.destroy();
    this.onSocketClose();
  }

  private end(): void {
    if (this.closed) return;
    this.flush();
    this.socket.end();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After the current turn's I/O callbacks: frames of every request they started go out in one write.
    setImmediate(flushConnection, this);
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.output.empty || this.socket.destroyed) return;
    const chunks = this.output.take();
    if (chunks.length === 1) {
      this.socket.write(chunks[0]);
      return;
    }
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }

  private sendSettings(): void {
    const [out, at] = this.output.frameWithRoom(SETTINGS, 0, 0, 12);
    out.writeUInt16BE(SETTINGS_ENABLE_PUSH, at);
    out.writeUInt32BE(0, at + 2);
    out.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, at + 6);
    out.writeUInt32BE(STREAM_RECEIVE_WINDOW, at + 8);
  }

  /** A frame whose payload is one 32-bit word: WINDOW_UPDATE, RST_STREAM. */
  private sendWordFrame(type: number, streamId: number, word: number): void {
    const [out, at] = this.output.frameWithRoom(type, 0, streamId, 4);
    out.writeUInt32BE(word, at);
    this.scheduleFlush();
  }

  /** A connection error (§5.4.1): GOAWAY with `code`, then the socket is closed. */
  private fail(code: number, reason: string): void {
    const [out, at] = this.output.frameWithRoom(GOAWAY, 0, 0, 8);
    out.writeUInt32BE(0, at);
    out.writeUInt32BE(code, at + 4);
    this.flush();
    this.destroy(new Error(`backend broke the HTTP/2 protocol: ${reason}`));
  }

  private receive(chunk: Buffer): void {
    let data = chunk;
    if (this.pending !== undefined) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let at = 0;
    while (data.length - at >= FRAME_HEADER_BYTES && !this.closed) {
      const length = (data[at] << 16) | (data[at + 1] << 8) | data[at + 2];
      if (length > MAX_RECEIVED_FRAME_SIZE) return this.fail(FRAME_SIZE_ERROR, `a ${length}-byte frame`);
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > data.length) break;
      const streamId = data.readUInt32BE(at + 5) & 0x7fffffff;
      this.handleFrame(data[at + 3], data[at + 4], streamId, data, at + FRAME_HEADER_BYTES, end);
      at = end;
    }
    if (at < data.length && !this.closed) this.pending = data.subarray(at);
  }

  private handleFrame(type: number, flags: number, streamId: number, data: Buffer, from: number, to: number): void {
    if (this.continuation !== undefined && type !== CONTINUATION) {
      return this.fail(PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    }
    switch (type) {
      case DATA:
        return this.onData(flags, streamId, data, from, to);
      case HEADERS:
        return this.onHeaders(flags, streamId, data, from, to);
      case CONTINUATION:
        return this.onContinuation(flags, streamId, data, from, to);
      case RST_STREAM:
        return this.onReset(streamId, data, from, to);
      case SETTINGS:
        return this.onSettings(flags, streamId, data, from, to);
      case PING:
        return this.onPing(flags, data, from, to);
      case GOAWAY:
        return this.onGoaway(data, from, to);
      case WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, data, from, to);
      case PUSH_PROMISE:
        return this.fail(PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      default:
        // PRIORITY and unknown frame types carry nothing a client needs (§5.5).
        return;
    }
  }

  /** The payload range without padding, or undefined after failing the connection. */
  private unpadded(flags: number, data: Buffer, from: number, to: number): [number, number] | undefined {
    if ((flags & PADDED) === 0) return [from, to];
    const padding = from < to ? data[from] : -1;
    if (padding < 0 || padding >= to - from) {
      this.fail(PROTOCOL_ERROR, 'padding longer than the frame');
      return undefined;
    }
    return [from + 1, to - padding];
  }

  private onData(flags: number, streamId: number, data: Buffer, from: number, to: number): void {
    const length = to - from;
    // Flow control counts the whole payload, padding included, whatever became of the stream.
    this.receivedUnacked += length;
    if (this.receivedUnacked >= CONNECTION_RECEIVE_WINDOW / 2) {
      this.sendWordFrame(WINDOW_UPDATE, 0, this.receivedUnacked);
      this.receivedUnacked = 0;
    }
    const range = this.unpadded(flags, data, from, to);
    if (range === undefined) return;
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.remoteEnded) return;
    const ends = (flags & END_STREAM) !== 0;
    stream.receivedUnacked += length;
    if (!ends && stream.receivedUnacked >= STREAM_RECEIVE_WINDOW / 2) {
      this.sendWordFrame(WINDOW_UPDATE, streamId, stream.receivedUnacked);
      stream.receivedUnacked = 0;
    }
    if (range[1] > range[0]) stream.listener.onStreamData(data.subarray(range[0], range[1]));
    if (ends) this.endRemote(stream);
  }

  private onHeaders(flags: number, streamId: number, data: Buffer, from: number, to: number): void {
    const range = this.unpadded(flags, data, from, to);
    if (range === undefined) return;
    let [start] = range;
    if (flags & PRIORITY) start += 5;
    if (start > range[1]) return this.fail(PROTOCOL_ERROR, 'HEADERS too short for its priority fields');
    const fragment = data.subarray(start, range[1]);
    const endStream = (flags & END_STREAM) !== 0;
    if (flags & END_HEADERS) {
      this.headerBlock(streamId, endStream, fragment);
    } else {
      // The fragment views the receive buffer, which the next read replaces: keep a copy.
      this.continuation = { streamId, endStream, parts: [Buffer.from(fragment)], bytes: fragment.length };
    }
  }

  private onContinuation(flags: number, streamId: number, data: Buffer, from: number, to: number): void {
    const block = this.continuation;
    if (block === undefined || block.streamId !== streamId) return this.fail(PROTOCOL_ERROR, 'CONTINUATION without a header block to continue');
    block.parts.push(Buffer.from(data.subarray(from, to)));
    block.bytes += to - from;
    if (block.bytes > MAX_HEADER_BLOCK_BYTES) return this.fail(PROTOCOL_ERROR, `a header block over ${MAX_HEADER_BLOCK_BYTES} bytes`);
    if (flags & END_HEADERS) {
      this.continuation = undefined;
      this.headerBlock(streamId, block.endStream, Buffer.concat(block.parts));
    }
  }

  private headerBlock(streamId: number, endStream: boolean, block: Buffer): void {
    let headers: HeaderObject;
    try {
      // Decoded even for a stream we no longer track: the dynamic table must stay in step.
      headers = this.decoder.decode(block);
    } catch (error) {
      if (error instanceof HpackError) return this.fail(COMPRESSION_ERROR, error.message);
      throw error;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.remoteEnded) return;
    stream.listener.onStreamHeaders(headers, endStream);
    if (endStream) this.endRemote(stream);
  }

  private endRemote(stream: ClientStream): void {
    stream.remoteEnded = true;
    if (stream.closed) return;
    if (stream.localEnded) {
      this.closeStream(stream, { kind: 'ended' });
      return;
    }
    // The backend answered before the request was complete: stop sending (§8.1).
    this.sendWordFrame(RST_STREAM, stream.id, NO_ERROR);
    this.closeStream(stream, { kind: 'ended' });
  }

  private onReset(streamId: number, data: Buffer, from: number, to: number): void {
    if (to - from !== 4) return this.fail(FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    const stream = this.streams.get(streamId);
    if (stream !== undefined) this.closeStream(stream, { kind: 'reset', code: data.readUInt32BE(from) });
  }

  private onSettings(flags: number, streamId: number, data: Buffer, from: number, to: number): void {
    if (streamId !== 0 || (to - from) % 6 !== 0) return this.fail(PROTOCOL_ERROR, 'malformed SETTINGS');
    if (flags & ACK) return;
    for (let at = from; at < to; at += 6) {
      const value = data.readUInt32BE(at + 2);
      switch (data.readUInt16BE(at)) {
        case SETTINGS_MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrentStreams = value;
          break;
        case SETTINGS_INITIAL_WINDOW_SIZE:
          if (value > MAX_WINDOW) return this.fail(FLOW_CONTROL_ERROR, `initial window ${value}`);
          // A new initial size moves the windows of open streams by the difference (§6.9.2).
          for (const stream of this.streams.values()) stream.sendWindow += value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          break;
        case SETTINGS_MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > 2 ** 24 - 1) return this.fail(PROTOCOL_ERROR, `max frame size ${value}`);
          this.peerMaxFrameSize = value;
          break;
        // Header table size: our encoder never indexes. The rest do not concern a client.
      }
    }
    this.output.frame(SETTINGS, ACK, 0);
    this.scheduleFlush();
    if (!this.ready) {
      this.ready = true;
      this.listener.onConnectionReady(this);
    }
    this.startWaiting();
    for (const stream of this.streams.values()) if (stream.queuedBytes > 0) this.pump(stream);
  }

  private onPing(flags: number, data: Buffer, from: number, to: number): void {
    if (to - from !== 8) return this.fail(FRAME_SIZE_ERROR, 'PING of the wrong size');
    if (flags & ACK) return;
    this.output.frame(PING, ACK, 0, data, from, to);
    this.scheduleFlush();
  }

  private onGoaway(data: Buffer, from: number, to: number): void {
    if (to - from < 8) return this.fail(FRAME_SIZE_ERROR, 'GOAWAY too short');
    const lastStreamId = data.readUInt32BE(from) & 0x7fffffff;
    const code = data.readUInt32BE(from + 4);
    this.draining = true;
    const refused = `backend sent GOAWAY (code ${code}) before processing the call`;
    for (const stream of [...this.streams.values()]) if (stream.id > lastStreamId) this.closeStream(stream, { kind: 'refused', reason: refused });
    for (const stream of this.waiting.splice(0)) this.closeStream(stream, { kind: 'refused', reason: refused });
    this.listener.onConnectionGoaway(this);
    if (this.activeStreams === 0) this.end();
  }

  private onWindowUpdate(streamId: number, data: Buffer, from: number, to: number): void {
    if (to - from !== 4) return this.fail(FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const increment = data.readUInt32BE(from) & 0x7fffffff;
    if (streamId === 0) {
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) return this.fail(FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
      const blocked = [...this.blocked];
      this.blocked.clear();
      for (const stream of blocked) this.pump(stream);
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    stream.sendWindow += increment;
    if (stream.queuedBytes > 0) this.pump(stream);
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    const reason = this.error?.message ?? 'connection closed';
    for (const stream of [...this.waiting.splice(0), ...this.streams.values()]) this.closeStream(stream, { kind: 'connection', reason });
    this.listener.onConnectionClose(this, this.error);
  }
}
