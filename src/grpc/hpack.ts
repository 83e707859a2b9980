// HPACK (RFC 7541) for the HTTP/2 client: a full decoder (static and dynamic
// tables, Huffman) for the header blocks backends send, and an encoder that
// only ever emits literals without indexing, so it keeps no state that the
// backend's decoder would have to mirror.

/** A header block that breaks RFC 7541; the connection cannot continue (COMPRESSION_ERROR). */
export class HpackError extends Error {
  constructor(message: string) {
    super(`malformed header block: ${message}`);
    this.name = 'HpackError';
  }
}

/** Received headers in node:http2's shape: repeated names joined with ", ", set-cookie kept as a list. */
export type HeaderObject = Record<string, string | string[] | undefined>;

// RFC 7541 Appendix A.
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  ['', ''], // index 0 is not used
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_ENTRIES = STATIC_TABLE.length - 1;

/** Static table indexes the encoder uses. */
export const STATIC_INDEX = { methodPost: 3, path: 4, schemeHttp: 6, authority: 1, contentType: 31 } as const;

// Bit lengths of the Huffman codes of symbols 0-255 and EOS (256), RFC 7541 Appendix B. The code is
// canonical: codes are handed out in order of length, then of symbol, so lengths are all it takes.
// prettier-ignore
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;
const MAX_CODE_LENGTH = 30;

/** Canonical decoding tables: per length, its first code, and where its symbols start in `symbols`. */
const HUFFMAN = (() => {
  const symbols = [...CODE_LENGTHS.keys()].sort((a, b) => CODE_LENGTHS[a] - CODE_LENGTHS[b] || a - b);
  const count = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  for (const length of CODE_LENGTHS) count[length]++;
  const firstCode = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  const firstSymbol = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= MAX_CODE_LENGTH; length++) {
    firstCode[length] = code;
    firstSymbol[length] = index;
    code = (code + count[length]) * 2;
    index += count[length];
  }
  return { symbols, count, firstCode, firstSymbol };
})();

/** Decodes a Huffman-coded string (RFC 7541 §5.2) from bytes [start, end) as latin1 text. */
export function huffmanDecode(bytes: Uint8Array, start: number, end: number): string {
  const { symbols, count, firstCode, firstSymbol } = HUFFMAN;
  let text = '';
  let code = 0;
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const offset = code - firstCode[length];
      if (offset < count[length]) {
        const symbol = symbols[firstSymbol[length] + offset];
        if (symbol === EOS) throw new HpackError('EOS inside a Huffman-coded string');
        text += String.fromCharCode(symbol);
        code = 0;
        length = 0;
      } else if (length === MAX_CODE_LENGTH) {
        throw new HpackError('invalid Huffman code');
      }
    }
  }
  // What is left must be padding: fewer than 8 bits, all ones (a prefix of EOS).
  if (length > 7 || code !== 2 ** length - 1) throw new HpackError('invalid Huffman padding');
  return text;
}

const ENTRY_OVERHEAD = 32;

/** Decodes header blocks; one per connection, since the dynamic table spans the connection's blocks. */
export class HpackDecoder {
  /** Newest first. */
  private readonly dynamic: Array<readonly [string, string]> = [];
  private size = 0;
  private limit: number;
  private pos = 0;
  private block: Buffer = Buffer.alloc(0);

  /** maxTableSize: what we advertised as SETTINGS_HEADER_TABLE_SIZE. */
  constructor(private readonly maxTableSize = 4096) {
    this.limit = maxTableSize;
  }

  decode(block: Buffer): HeaderObject {
    this.block = block;
    this.pos = 0;
    const headers: HeaderObject = {};
    let fields = 0;
    while (this.pos < block.length) {
      const byte = block[this.pos];
      if (byte & 0x80) {
        // Indexed field.
        const [name, value] = this.entry(this.integer(7));
        add(headers, name, value);
      } else if ((byte & 0xe0) === 0x20) {
        // Dynamic table size update: only before the first field.
        if (fields > 0) throw new HpackError('table size update after a header field');
        const size = this.integer(5);
        if (size > this.maxTableSize) throw new HpackError(`table size ${size} above the ${this.maxTableSize} allowed`);
        this.limit = size;
        this.evict(0);
        continue;
      } else {
        // Literal: with incremental indexing (01), without (0000) or never indexed (0001).
        const indexed = (byte & 0xc0) === 0x40;
        const nameIndex = this.integer(indexed ? 6 : 4);
        const name = nameIndex === 0 ? this.string() : this.entry(nameIndex)[0];
        const value = this.string();
        if (indexed) this.insert(name, value);
        add(headers, name, value);
      }
      fields++;
    }
    return headers;
  }

  private entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_ENTRIES) return STATIC_TABLE[index];
    const entry = this.dynamic[index - STATIC_ENTRIES - 1];
    if (entry === undefined) throw new HpackError(`index ${index} beyond the tables`);
    return entry;
  }

  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(entrySize);
    // An entry larger than the whole table empties it and is not added (§4.4).
    if (entrySize > this.limit) return;
    this.dynamic.unshift([name, value]);
    this.size += entrySize;
  }

  /** Evicts oldest entries until `room` more bytes fit under the limit. */
  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.limit) {
      const [name, value] = this.dynamic.pop()!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }

  /** An integer with an N-bit prefix (§5.1). */
  private integer(prefixBits: number): number {
    const block = this.block;
    const max = (1 << prefixBits) - 1;
    let value = block[this.pos++] & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.pos >= block.length) throw new HpackError('truncated integer');
      const byte = block[this.pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return value;
      if (shift > 28) throw new HpackError('integer too large');
    }
  }

  /** A string literal (§5.2), as latin1 text like node:http2 gives header values. */
  private string(): string {
    if (this.pos >= this.block.length) throw new HpackError('truncated string');
    const huffman = (this.block[this.pos] & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.pos;
    const end = start + length;
    if (end > this.block.length) throw new HpackError('truncated string');
    this.pos = end;
    if (huffman) return huffmanDecode(this.block, start, end);
    return this.block.toString('latin1', start, end);
  }
}

function add(headers: HeaderObject, name: string, value: string): void {
  const previous = headers[name];
  if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
  else if (Array.isArray(previous)) previous.push(value);
  else headers[name] = `${previous}, ${value}`;
}

/** Bytes an integer takes with an N-bit prefix. */
function integerLength(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let length = 2;
  for (let rest = value - max; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

function writeInteger(out: Buffer, at: number, value: number, prefixBits: number, firstByteFlags: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[at] = firstByteFlags | value;
    return at + 1;
  }
  out[at++] = firstByteFlags | max;
  let rest = value - max;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

/** Bytes of a literal-without-indexing field; nameIndex 0 means a literal name. ASCII names and values. */
function literalFieldLength(nameIndex: number, name: string, value: string): number {
  const nameLength = nameIndex === 0 ? integerLength(name.length, 7) + name.length : 0;
  return integerLength(nameIndex, 4) + nameLength + integerLength(value.length, 7) + value.length;
}

/** Writes a literal header field without indexing (§6.2.2), strings not Huffman-coded; returns the next offset. */
function writeLiteralField(out: Buffer, at: number, nameIndex: number, name: string, value: string): number {
  at = writeInteger(out, at, nameIndex, 4, 0x00);
  if (nameIndex === 0) {
    at = writeInteger(out, at, name.length, 7, 0x00);
    at += out.write(name, at, 'latin1');
  }
  at = writeInteger(out, at, value.length, 7, 0x00);
  return at + out.write(value, at, 'latin1');
}

/** One literal header field without indexing as its own buffer; nameIndex 0 means a literal name. */
export function literalField(nameIndex: number, name: string, value: string): Buffer {
  const out = Buffer.allocUnsafe(literalFieldLength(nameIndex, name, value));
  writeLiteralField(out, 0, nameIndex, name, value);
  return out;
}
