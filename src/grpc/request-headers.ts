// The HPACK header block of a gRPC request. Everything but the timeout and the metadata depends
// only on the method path, so that part is encoded once per path; metadata entries repeat from
// call to call (namespace, forwarded host and address), so each is checked and encoded once too.
import { STATIC_INDEX, literalField } from './hpack.js';
import { MetadataError, metadataHeaderField, type Metadata } from './metadata.js';
import { formatGrpcTimeout } from './timeout.js';

// Bounds that keep a stream of ever-new paths or metadata values from growing the caches forever.
const MAX_CACHED_PATHS = 1024;
const MAX_CACHED_FIELDS = 4096;
const INDEXED = 0x80;
const PATH_SYNTAX = /^\/[\x21-\x7e]*$/;
// A literal field without indexing, new name "grpc-timeout"; the value's length byte follows.
const TIMEOUT_NAME = Buffer.from([0x00, 12, ...Buffer.from('grpc-timeout', 'latin1')]);

export class RequestHeaderEncoder {
  private readonly prefixes = new Map<string, Buffer>();
  /** Encoded text fields by name, then value (two lookups cost less than building a joint key). */
  private readonly fields = new Map<string, Map<string, Buffer>>();
  private cachedFields = 0;
  // Reused between calls: the encoded metadata fields of the call being encoded.
  private readonly parts: Buffer[] = [];

  constructor(private readonly authority: string) {}

  /** The whole block; throws MetadataError for metadata that cannot be sent. */
  encode(path: string, timeoutMs: number | undefined, metadata: Metadata | undefined): Buffer {
    const prefix = this.prefix(path);
    const timeout = timeoutMs === undefined ? undefined : formatGrpcTimeout(timeoutMs);
    const parts = this.parts;
    parts.length = 0;
    let length = prefix.length + (timeout === undefined ? 0 : TIMEOUT_NAME.length + 1 + timeout.length);
    if (metadata !== undefined) {
      for (const [name, value] of metadata) {
        const field = this.field(name, value);
        parts.push(field);
        length += field.length;
      }
    }
    if (length === prefix.length) return prefix;
    const block = Buffer.allocUnsafe(length);
    // TypedArray.set: far cheaper than Buffer.copy for blocks this small.
    block.set(prefix, 0);
    let at = prefix.length;
    if (timeout !== undefined) {
      block.set(TIMEOUT_NAME, at);
      at += TIMEOUT_NAME.length;
      // At most 9 characters, so the length fits the 7-bit prefix.
      block[at++] = timeout.length;
      at += block.write(timeout, at, 'latin1');
    }
    for (const field of parts) {
      block.set(field, at);
      at += field.length;
    }
    return block;
  }

  private prefix(path: string): Buffer {
    let prefix = this.prefixes.get(path);
    if (prefix === undefined) {
      if (!PATH_SYNTAX.test(path)) throw new MetadataError(`method path ${JSON.stringify(path)} is not /Service/Method in printable ASCII`);
      prefix = Buffer.concat([
        Buffer.from([INDEXED | STATIC_INDEX.methodPost, INDEXED | STATIC_INDEX.schemeHttp]),
        literalField(STATIC_INDEX.path, ':path', path),
        literalField(STATIC_INDEX.authority, ':authority', this.authority),
        literalField(STATIC_INDEX.contentType, 'content-type', 'application/grpc'),
        literalField(0, 'te', 'trailers'),
        literalField(0, 'grpc-accept-encoding', 'identity'),
      ]);
      if (this.prefixes.size < MAX_CACHED_PATHS) this.prefixes.set(path, prefix);
    }
    return prefix;
  }

  /** One metadata entry as an encoded field; text entries are cached, binary ones vary too much. */
  private field(name: string, value: string | Buffer): Buffer {
    if (typeof value !== 'string') return literalField(0, ...metadataHeaderField(name, value));
    let byValue = this.fields.get(name);
    let field = byValue?.get(value);
    if (field === undefined) {
      field = literalField(0, ...metadataHeaderField(name, value));
      if (this.cachedFields >= MAX_CACHED_FIELDS) {
        this.fields.clear();
        this.cachedFields = 0;
        byValue = undefined;
      }
      if (byValue === undefined) this.fields.set(name, (byValue = new Map()));
      byValue.set(value, field);
      this.cachedFields++;
    }
    return field;
  }
}
