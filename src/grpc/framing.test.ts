import { describe, expect, it } from 'vitest';
import { GrpcCode } from './codes.js';
import { MessageDeframer, encodeMessageFrame, type MessageSink } from './framing.js';

class RecordingSink implements MessageSink {
  readonly messages: Buffer[] = [];
  readonly errors: Array<[number, string]> = [];
  onMessage(message: Buffer): void {
    this.messages.push(Buffer.from(message));
  }
  onFramingError(code: number, message: string): void {
    this.errors.push([code, message]);
  }
}

function deframe(chunks: Buffer[], maxMessageBytes = 1 << 20): { sink: RecordingSink; deframer: MessageDeframer } {
  const sink = new RecordingSink();
  const deframer = new MessageDeframer(maxMessageBytes);
  for (const chunk of chunks) deframer.push(chunk, sink);
  return { sink, deframer };
}

describe('encodeMessageFrame', () => {
  it('prefixes the message with flag 0 and its big-endian length', () => {
    expect(encodeMessageFrame(Buffer.from('hi'))).toEqual(Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69]));
    expect(encodeMessageFrame(new Uint8Array(300)).subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 1, 44]));
  });
});

describe('MessageDeframer', () => {
  const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(1000, 3), Buffer.from('x'), Buffer.alloc(0)];
  const stream = Buffer.concat(messages.map(encodeMessageFrame));

  it('extracts several messages from one chunk', () => {
    const { sink, deframer } = deframe([stream]);
    expect(sink.messages).toEqual(messages);
    expect(deframer.hasIncompleteMessage).toBe(false);
  });

  it('extracts the same messages whatever the chunk boundaries', () => {
    for (let chunkSize = 1; chunkSize <= 11; chunkSize++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; at += chunkSize) chunks.push(stream.subarray(at, at + chunkSize));
      expect(deframe(chunks).sink.messages).toEqual(messages);
    }
  });

  it('knows when the input stops in the middle of a message', () => {
    expect(deframe([stream.subarray(0, 3)]).deframer.hasIncompleteMessage).toBe(true);
    expect(deframe([stream.subarray(0, 7)]).deframer.hasIncompleteMessage).toBe(true);
  });

  it('fails on a compressed message, which was never negotiated, and then ignores the rest', () => {
    const compressed = encodeMessageFrame(Buffer.from('z'));
    compressed[0] = 1;
    const { sink } = deframe([compressed, stream]);
    expect(sink.errors).toEqual([[GrpcCode.INTERNAL, expect.stringContaining('compressed')]]);
    expect(sink.messages).toEqual([]);
  });

  it('fails on unknown flags', () => {
    const flagged = encodeMessageFrame(Buffer.from('z'));
    flagged[0] = 0x80;
    expect(deframe([flagged]).sink.errors).toEqual([[GrpcCode.INTERNAL, expect.stringContaining('flags 128')]]);
  });

  it('fails on a message above the size limit before buffering it', () => {
    const { sink } = deframe([encodeMessageFrame(Buffer.alloc(101)).subarray(0, 5)], 100);
    expect(sink.errors).toEqual([[GrpcCode.RESOURCE_EXHAUSTED, expect.stringContaining('101-byte')]]);
  });
});
