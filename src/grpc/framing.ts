// gRPC Length-Prefixed-Message framing: 1 byte compressed flag, 4 bytes big-endian length, message.
import { GrpcCode } from './codes.js';

const PREFIX_BYTES = 5;
const NO_MESSAGE = -1;

/** Frames one already-encoded message, uncompressed, in a single buffer (one write, one DATA frame). */
export function encodeMessageFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, PREFIX_BYTES);
  return frame;
}

/** Receives what a MessageDeframer extracts from the byte stream. */
export interface MessageSink {
  onMessage(message: Buffer): void;
  onFramingError(code: number, message: string): void;
}

/**
 * Splits a stream of DATA chunks into messages, whatever the chunk boundaries. A message that lies
 * whole inside one chunk is handed out as a view of that chunk (no copy); only messages split
 * across chunks are assembled in a buffer of their own. Stops for good after a framing error.
 */
export class MessageDeframer {
  private readonly prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  private prefixBytes = 0;
  private messageLength = NO_MESSAGE;
  private partial: Buffer | undefined;
  private partialBytes = 0;
  private failed = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** True when the bytes received so far end in the middle of a message. */
  get hasIncompleteMessage(): boolean {
    return this.prefixBytes > 0 || this.messageLength !== NO_MESSAGE;
  }

  push(chunk: Buffer, sink: MessageSink): void {
    let offset = 0;
    while (offset < chunk.length && !this.failed) {
      offset = this.messageLength === NO_MESSAGE ? this.takePrefix(chunk, offset, sink) : this.takeMessage(chunk, offset, sink);
    }
  }

  private takePrefix(chunk: Buffer, offset: number, sink: MessageSink): number {
    if (this.prefixBytes === 0 && chunk.length - offset >= PREFIX_BYTES) {
      this.startMessage(chunk[offset], chunk.readUInt32BE(offset + 1), sink);
      return offset + PREFIX_BYTES;
    }
    const taken = Math.min(PREFIX_BYTES - this.prefixBytes, chunk.length - offset);
    chunk.copy(this.prefix, this.prefixBytes, offset, offset + taken);
    this.prefixBytes += taken;
    if (this.prefixBytes === PREFIX_BYTES) {
      this.prefixBytes = 0;
      this.startMessage(this.prefix[0], this.prefix.readUInt32BE(1), sink);
    }
    return offset + taken;
  }

  private startMessage(flags: number, length: number, sink: MessageSink): void {
    if (flags !== 0) {
      // We never advertise compression, so a compressed message is a protocol violation.
      const reason = flags === 1 ? 'a compressed message although no compression was negotiated' : `a message with invalid flags ${flags}`;
      this.fail(sink, GrpcCode.INTERNAL, `backend sent ${reason}`);
    } else if (length > this.maxMessageBytes) {
      this.fail(sink, GrpcCode.RESOURCE_EXHAUSTED, `backend sent a ${length}-byte message, larger than the ${this.maxMessageBytes}-byte limit`);
    } else if (length === 0) {
      sink.onMessage(Buffer.alloc(0));
    } else {
      this.messageLength = length;
    }
  }

  private takeMessage(chunk: Buffer, offset: number, sink: MessageSink): number {
    const available = chunk.length - offset;
    if (this.partial === undefined && available >= this.messageLength) {
      const end = offset + this.messageLength;
      this.messageLength = NO_MESSAGE;
      sink.onMessage(chunk.subarray(offset, end));
      return end;
    }
    this.partial ??= Buffer.allocUnsafe(this.messageLength);
    const taken = Math.min(this.messageLength - this.partialBytes, available);
    chunk.copy(this.partial, this.partialBytes, offset, offset + taken);
    this.partialBytes += taken;
    if (this.partialBytes === this.messageLength) {
      const message = this.partial;
      this.partial = undefined;
      this.partialBytes = 0;
      this.messageLength = NO_MESSAGE;
      sink.onMessage(message);
    }
    return offset + taken;
  }

  private fail(sink: MessageSink, code: number, message: string): void {
    this.failed = true;
    sink.onFramingError(code, message);
  }
}
