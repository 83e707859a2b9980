// Conversion between call metadata and HTTP/2 header blocks, following the Custom-Metadata rules of
// https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md.
import type { HeaderObject } from './hpack.js';

/**
 * Call metadata as ordered name/value pairs; a name may repeat. Values of names ending in `-bin`
 * are bytes: a Buffer, or a string taken as already base64-encoded (e.g. a forwarded HTTP header).
 * All other values are printable ASCII strings. Received names are lower-case.
 */
export type Metadata = Array<[name: string, value: string | Buffer]>;

/** Request metadata that cannot be sent: bad name or value, or a name reserved by the protocol. */
export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

const METADATA_NAME = /^[0-9a-z_.-]+$/;
const ASCII_VALUE = /^[\x20-\x7e]*$/;
const BASE64_VALUE = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_PADDING = 0x3d; // '='

// Headers the client sends itself or that HTTP/2 forbids: metadata must not add or override them.
const RESERVED_REQUEST_NAMES = new Set(['content-type', 'te', 'host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

// Transport headers of a reply, as opposed to the backend's user metadata.
const TRANSPORT_RESPONSE_NAMES = new Set(['content-type', 'content-length', 'date', 'te']);

/**
 * One request metadata entry as a header field in wire form: the name lower-cased, a binary value
 * in base64. Throws MetadataError for metadata that cannot be sent.
 */
export function metadataHeaderField(givenName: string, value: string | Buffer): [name: string, value: string] {
  const name = givenName.toLowerCase();
  checkRequestName(name);
  return [name, name.endsWith('-bin') ? binaryHeaderValue(name, value) : textHeaderValue(name, value)];
}

/** The user metadata of a received header or trailer block; `-bin` values decoded to Buffers. */
export function metadataFromHeaders(headers: HeaderObject): Metadata {
  const metadata: Metadata = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || isTransportResponseName(name)) continue;
    // Node joins repeated headers with ", " except set-cookie, which it gives as an array.
    for (const joined of typeof value === 'string' ? [value] : value) {
      if (name.endsWith('-bin')) {
        for (const encoded of joined.split(',')) metadata.push([name, Buffer.from(encoded.trim(), 'base64')]);
      } else {
        metadata.push([name, joined]);
      }
    }
  }
  return metadata;
}

function checkRequestName(name: string): void {
  if (!METADATA_NAME.test(name)) throw new MetadataError(`invalid metadata name ${JSON.stringify(name)}`);
  if (name.startsWith('grpc-') || RESERVED_REQUEST_NAMES.has(name)) {
    throw new MetadataError(`metadata name ${JSON.stringify(name)} is reserved by the gRPC protocol`);
  }
}

function isTransportResponseName(name: string): boolean {
  return name.startsWith(':') || name.startsWith('grpc-') || TRANSPORT_RESPONSE_NAMES.has(name);
}

// The spec sends binary values as unpadded base64 (receivers accept both).
function binaryHeaderValue(name: string, value: string | Buffer): string {
  if (typeof value !== 'string') return withoutBase64Padding(value.toString('base64'));
  if (!BASE64_VALUE.test(value)) throw new MetadataError(`metadata ${JSON.stringify(name)} is not valid base64`);
  return withoutBase64Padding(value);
}

function textHeaderValue(name: string, value: string | Buffer): string {
  if (typeof value !== 'string') {
    throw new MetadataError(`metadata ${JSON.stringify(name)} has a binary value but its name does not end in -bin`);
  }
  if (!ASCII_VALUE.test(value)) {
    throw new MetadataError(`metadata ${JSON.stringify(name)} has a value that is not printable ASCII`);
  }
  return value;
}

function withoutBase64Padding(encoded: string): string {
  let end = encoded.length;
  while (end > 0 && encoded.charCodeAt(end - 1) === BASE64_PADDING) end--;
  return encoded.slice(0, end);
}
