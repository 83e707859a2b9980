// The HPACK decoder against hand-made blocks, and against node:http2's encoder (nghttp2) for
// Huffman codes, dynamic-table indexing and eviction.
import http2 from 'node:http2';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { HpackDecoder, HpackError, huffmanDecode, literalField } from './hpack.js';
import { Http2Connection, type StreamEnd } from './http2-connection.js';
import type { HeaderObject } from './hpack.js';

const decode = (bytes: number[]): HeaderObject => new HpackDecoder().decode(Buffer.from(bytes));

describe('HpackDecoder', () => {
  it('decodes indexed static fields and literals, and joins repeated names', () => {
    const block = Buffer.concat([
      Buffer.from([0x88]), // :status 200
      literalField(31, 'content-type', 'application/grpc'),
      literalField(0, 'x-tag', 'a'),
      literalField(0, 'x-tag', 'b'),
      literalField(0, 'set-cookie', 'c=1'),
    ]);
    expect(new HpackDecoder().decode(block)).toEqual({
      ':status': '200',
      'content-type': 'application/grpc',
      'x-tag': 'a, b',
      'set-cookie': ['c=1'],
    });
  });

  it('keeps literals with incremental indexing in the dynamic table, newest first', () => {
    const decoder = new HpackDecoder();
    // 0x40: literal with incremental indexing, new name; then index 62 and 63 refer to them.
    decoder.decode(Buffer.from([0x40, 0x01, 0x61, 0x01, 0x31, 0x40, 0x01, 0x62, 0x01, 0x32]));
    expect(decoder.decode(Buffer.from([0xbe, 0xbf]))).toEqual({ b: '2', a: '1' });
  });

  it('evicts the oldest entries beyond the table size and obeys size updates', () => {
    const decoder = new HpackDecoder(64);
    // Each entry is 32 + 1 + 1 = 34 bytes: only one fits in 64.
    decoder.decode(Buffer.from([0x40, 0x01, 0x61, 0x01, 0x31, 0x40, 0x01, 0x62, 0x01, 0x32]));
    expect(decoder.decode(Buffer.from([0xbe]))).toEqual({ b: '2' });
    expect(() => decoder.decode(Buffer.from([0xbf]))).toThrow(HpackError);
    // A size update to 0 empties the table.
    expect(() => decoder.decode(Buffer.from([0x20, 0xbe]))).toThrow(HpackError);
    expect(() => decoder.decode(Buffer.from([0x3f, 0x22]))).toThrow(/table size 65/);
  });

  it('decodes multi-byte integers', () => {
    // Literal without indexing, new name, value of 200 'v' bytes: the length takes 7-bit prefix 127 + 73.
    const value = 'v'.repeat(200);
    expect(decode([0x00, 0x01, 0x78, 0x7f, 0x49, ...Buffer.from(value)])).toEqual({ x: value });
  });

  it.each<[string, number[]]>([
    ['a truncated string', [0x00, 0x01, 0x78, 0x05, 0x61]],
    ['a truncated integer', [0x00, 0x01, 0x78, 0x7f, 0x80]],
    ['index 0', [0x80]],
    ['an index beyond both tables', [0xc0]],
    ['a size update after a field', [0x88, 0x20]],
    ['Huffman padding that is not all ones', [0x00, 0x81, 0x00, 0x00]],
    ['EOS inside a Huffman string', [0x00, 0x01, 0x78, 0x84, 0xff, 0xff, 0xff, 0xff]],
  ])('refuses %s', (_, bytes) => {
    expect(() => decode(bytes)).toThrow(HpackError);
  });
});

describe('huffmanDecode', () => {
  it('decodes the first and last codes of the table', () => {
    // '0' is 00000 (shortest code); symbol 0 is 1111111111000, 13 bits; both padded with ones.
    expect(huffmanDecode(Buffer.from([0x07]), 0, 1)).toBe('0');
    expect(huffmanDecode(Buffer.from([0xff, 0xc7]), 0, 2)).toBe('\0');
    expect(huffmanDecode(Buffer.alloc(0), 0, 0)).toBe('');
  });
});

/** Header blocks as node:http2 encodes them, decoded by our connection. */
async function receivedFromNghttp2(headerSets: Array<Record<string, string>>): Promise<HeaderObject[]> {
  const server = http2.createServer();
  let next = 0;
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, ...headerSets[next++] }, { endStream: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const received: HeaderObject[] = [];
  const connection = new Http2Connection('127.0.0.1', port, {
    onConnectionReady: () => {},
    onConnectionGoaway: () => {},
    onConnectionClose: () => {},
  });
  const request = Buffer.concat([Buffer.from([0x83, 0x86]), literalField(4, ':path', '/'), literalField(1, ':authority', 'test')]);
  try {
    // One at a time, so the order of replies is the order of the sets.
    for (let i = 0; i < headerSets.length; i++) {
      await new Promise<void>((resolve, reject) => {
        const stream = connection.openStream(request, {
          onStreamHeaders: (headers) => received.push(headers),
          onStreamData: () => {},
          onStreamDrain: () => {},
          onStreamClose: (end: StreamEnd) => (end.kind === 'ended' ? resolve() : reject(new Error(JSON.stringify(end)))),
        });
        stream.write(undefined, true);
      });
    }
  } finally {
    connection.close();
    await new Promise((resolve) => server.close(resolve));
  }
  return received;
}

describe('decoding what nghttp2 encodes', () => {
  it('decodes every byte value of a Huffman-coded string', async () => {
    // Mostly short codes, so nghttp2 chooses Huffman coding; NUL is refused by node:http2 itself.
    const sets = Array.from({ length: 255 }, (_, i) => ({ 'x-symbol': `a${String.fromCharCode(i + 1)}${'e'.repeat(20)}` }));
    const received = await receivedFromNghttp2(sets);
    received.forEach((headers, i) => expect(headers['x-symbol']).toBe(sets[i]['x-symbol']));
  });

  it('follows the dynamic table through repeats and evictions', async () => {
    // Repeated fields come back indexed; 40 distinct 200-byte values overflow the 4096-byte table.
    const sets = Array.from({ length: 120 }, (_, i) => ({
      'content-type': 'application/grpc',
      'x-constant': 'same every time',
      [`x-name-${i % 40}`]: `${i % 40}-`.padEnd(200, 'z'),
    }));
    const received = await receivedFromNghttp2(sets);
    received.forEach((headers, i) => {
      const { date: _, ...rest } = headers;
      expect(rest).toEqual({ ':status': '200', ...sets[i] });
    });
  });
});
