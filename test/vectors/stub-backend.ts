// The recording stub backend behind the HTTP-mapping vectors: it serves
// vec.v1.Vec, records what each call delivered (messages, metadata, deadline)
// and answers whatever the current case describes. It is written on
// node:http2 rather than a gRPC library because some cases need replies no
// gRPC server would send (a 200 without grpc-status, a plain HTTP error) and
// exact control over headers, trailers and Trailers-Only responses.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type protobuf from 'protobufjs';
import { decodePlain, encodePlain, type PlainMessage } from '../../src/grpc/service-definition.js';

const SERVICE = 'vec.v1.Vec';

/** What the next calls answer; set per case by the runner. */
export interface StubBehaviour {
  /** Proto JSON (proto or JSON field names) of the Resp to return, or of the HttpBody for Raw. */
  backend?: unknown;
  /** ServerStream: the messages to send, in order. */
  backend_stream?: unknown[];
  /** The call's status; `details` are Any values in proto JSON (`{"@type": "type.googleapis.com/…", …fields}`). */
  backend_status?: { code: number; message?: string; details?: unknown[] };
  backend_metadata?: { headers?: Record<string, string>; trailers?: Record<string, string> };
  /** Answer with this plain HTTP/2 response instead of gRPC. */
  backend_raw?: { status: number; headers?: Record<string, string>; trailers?: Record<string, string> };
}

/** What the backend observed for a call. */
export interface StubRecord {
  /** The vec.v1.Vec method, e.g. "Call". */
  method: string;
  /** Each received request as proto3 JSON with proto field names. */
  messages: unknown[];
  /** Received text metadata. */
  metadata: Record<string, string>;
  /** Received -bin metadata, each value the standard base64 of the bytes (several values comma-separated). */
  metadataBin: Record<string, string>;
  /** Time left until the deadline on arrival, from grpc-timeout; undefined without one. */
  deadlineMs?: number;
}

export interface StubBackend {
  /** host:port to dial, plaintext HTTP/2. */
  address: string;
  setBehaviour(behaviour: StubBehaviour): void;
  lastRecord(): StubRecord | undefined;
  /** Back to the default answer (an empty response) and no record. */
  reset(): void;
  close(): Promise<void>;
}

type Status = NonNullable<StubBehaviour['backend_status']>;
type HeaderBlock = Record<string, string | number>;

/** A gRPC reply, ready to send. */
interface GrpcReply {
  headers: HeaderBlock;
  messages: Buffer[];
  trailers: HeaderBlock;
}

const GRPC_CODE = { OK: 0, INTERNAL: 13, UNIMPLEMENTED: 12 } as const;

// Headers the gRPC transport itself uses; everything else a client sends is metadata.
const TRANSPORT_HEADERS = new Set(['content-type', 'te', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding']);

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

export async function startStubBackend(root: protobuf.Root): Promise<StubBackend> {
  const methods = methodsByPath(root.lookupService(SERVICE));
  let behaviour: StubBehaviour = {};
  let last: StubRecord | undefined;

  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });

  server.on('stream', (stream, headers) => {
    // A client that resets its call is no failure of the stub.
    stream.on('error', () => {});
    const method = methods.get(headers[':path'] ?? '');
    if (!method) {
      stream.resume();
      sendGrpc(stream, statusReply({ code: GRPC_CODE.UNIMPLEMENTED, message: `unknown method ${headers[':path']}` }, root));
      return;
    }
    // The answer is the one set when the call arrived.
    const answering = behaviour;
    serveCall(stream, headers, method, answering, root, (record) => (last = record)).catch(() => {
      // Only a behaviour node:http2 refuses to send (e.g. a connection-specific header) gets here.
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
  });

  const port = await listen(server);
  return {
    address: `127.0.0.1:${port}`,
    setBehaviour: (next) => {
      behaviour = next;
    },
    lastRecord: () => last,
    reset: () => {
      behaviour = {};
      last = undefined;
    },
    close: () => close(server, sessions),
  };
}

/** Reads the whole request, records it, then answers as `behaviour` says. */
async function serveCall(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  method: protobuf.Method,
  behaviour: StubBehaviour,
  root: protobuf.Root,
  onRecord: (record: StubRecord) => void,
): Promise<void> {
  const body = await readBody(stream);
  if (body === undefined) return;
  let record: StubRecord;
  try {
    record = recordOf(method, headers, body);
  } catch (err) {
    sendGrpc(stream, statusReply({ code: GRPC_CODE.INTERNAL, message: `stub backend: ${(err as Error).message}` }, root));
    return;
  }
  onRecord(record);
  answer(stream, method, behaviour, root);
}

function methodsByPath(service: protobuf.Service): Map<string, protobuf.Method> {
  const byPath = new Map<string, protobuf.Method>();
  for (const method of service.methodsArray) {
    method.resolve();
    byPath.set(`/${service.fullName.slice(1)}/${method.name}`, method);
  }
  return byPath;
}

/** The whole request body, or undefined when the client reset the call before ending it. */
function readBody(stream: http2.ServerHttp2Stream): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(undefined));
  });
}

function recordOf(method: protobuf.Method, headers: http2.IncomingHttpHeaders, body: Buffer): StubRecord {
  const requestType = method.resolvedRequestType!;
  const record: StubRecord = {
    method: method.name,
    messages: splitFrames(body).map((bytes) => decodePlain(requestType, bytes)),
    ...metadataOf(headers),
  };
  const timeout = headers['grpc-timeout'];
  if (Array.isArray(timeout)) throw new Error('more than one grpc-timeout');
  if (timeout !== undefined) record.deadlineMs = timeoutMs(timeout);
  return record;
}

/** The messages of a gRPC body: each a 1-byte compressed flag, a 4-byte big-endian length, the bytes. */
function splitFrames(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < 5) throw new Error('truncated gRPC frame header');
    const end = offset + 5 + body.readUInt32BE(offset + 1);
    if (end > body.length) throw new Error('truncated gRPC message');
    if (body[offset] !== 0) throw new Error('compressed messages are not supported');
    messages.push(body.subarray(offset + 5, end));
    offset = end;
  }
  return messages;
}

function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function metadataOf(headers: http2.IncomingHttpHeaders): Pick<StubRecord, 'metadata' | 'metadataBin'> {
  const metadata: Record<string, string> = {};
  const metadataBin: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || TRANSPORT_HEADERS.has(name) || value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name.endsWith('-bin')) metadataBin[name] = standardBase64(text);
    else metadata[name] = text;
  }
  return { metadata, metadataBin };
}

/** Senders may pad -bin values or not; records hold padded standard base64 so they compare exactly. */
function standardBase64(headerValue: string): string {
  return headerValue
    .split(',')
    .map((part) => Buffer.from(part.trim(), 'base64').toString('base64'))
    .join(',');
}

/** grpc-timeout is at most 8 digits and a case-sensitive unit. */
function timeoutMs(header: string): number {
  const match = /^(\d{1,8})([HMSmun])$/.exec(header);
  if (!match) throw new Error(`malformed grpc-timeout '${header}'`);
  return Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
}

function answer(stream: http2.ServerHttp2Stream, method: protobuf.Method, behaviour: StubBehaviour, root: protobuf.Root): void {
  if (behaviour.backend_raw) {
    sendRaw(stream, behaviour.backend_raw);
    return;
  }
  let reply: GrpcReply;
  try {
    reply = grpcReply(method, behaviour, root);
  } catch (err) {
    reply = statusReply({ code: GRPC_CODE.INTERNAL, message: `stub backend cannot build its answer: ${(err as Error).message}` }, root);
  }
  sendGrpc(stream, reply);
}

function grpcReply(method: protobuf.Method, behaviour: StubBehaviour, root: protobuf.Root): GrpcReply {
  const responseType = method.resolvedResponseType!;
  const status = behaviour.backend_status ?? { code: GRPC_CODE.OK };
  return {
    headers: lowerCaseNames(behaviour.backend_metadata?.headers),
    messages: replyMessages(method, behaviour, status).map((message) => frame(encodePlain(responseType, message as PlainMessage))),
    // The status comes last so metadata cannot mask it.
    trailers: { ...lowerCaseNames(behaviour.backend_metadata?.trailers), ...statusTrailers(status, root) },
  };
}

function replyMessages(method: protobuf.Method, behaviour: StubBehaviour, status: Status): unknown[] {
  if (method.responseStream && behaviour.backend_stream) return behaviour.backend_stream;
  // A failed unary call carries no response message.
  if (status.code !== GRPC_CODE.OK) return [];
  return [behaviour.backend ?? {}];
}

function statusReply(status: Status, root: protobuf.Root): GrpcReply {
  return { headers: {}, messages: [], trailers: statusTrailers(status, root) };
}

function statusTrailers(status: Status, root: protobuf.Root): HeaderBlock {
  const trailers: HeaderBlock = { 'grpc-status': status.code };
  if (status.message) trailers['grpc-message'] = percentEncode(status.message);
  // As grpc-go does: the binary status only when it says more than code and message.
  if (status.details?.length) trailers['grpc-status-details-bin'] = unpaddedBase64(encodeStatus(status, root));
  return trailers;
}

/** grpc-message is percent-encoded UTF-8: every byte outside printable ASCII, and '%' itself. */
function percentEncode(message: string): string {
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    const printable = byte >= 0x20 && byte <= 0x7e && byte !== 0x25;
    encoded += printable ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return encoded;
}

/** The gRPC spec asks senders to emit -bin values unpadded (receivers accept both). */
function unpaddedBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

function encodeStatus(status: Status, root: protobuf.Root): Uint8Array {
  const statusType = root.lookupType('google.rpc.Status');
  const details = (status.details ?? []).map((detail) => packAny(detail, root));
  return statusType.encode({ code: status.code, message: status.message ?? '', details }).finish();
}

/**
 * A google.protobuf.Any from its proto-JSON form: the type named by "@type"
 * (looked up in the root) encoded from the remaining fields. Details are
 * ordinary messages (google.rpc.ErrorInfo, RequestInfo, …), so the form of
 * well-known types with a JSON value of their own is not handled.
 */
function packAny(detail: unknown, root: protobuf.Root): { type_url: string; value: Uint8Array } {
  const { '@type': typeUrl, ...fields } = detail as Record<string, unknown>;
  if (typeof typeUrl !== 'string') throw new Error('a status detail needs an "@type"');
  const type = root.lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  return { type_url: typeUrl, value: encodePlain(type, fields) };
}

function lowerCaseNames(block: Record<string, string> | undefined): HeaderBlock {
  return Object.fromEntries(Object.entries(block ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}

function sendGrpc(stream: http2.ServerHttp2Stream, reply: GrpcReply): void {
  const headers = { ':status': 200, 'content-type': 'application/grpc', ...reply.headers };
  if (reply.messages.length === 0) {
    // Trailers-Only: the status travels in the one and only header block.
    stream.respond({ ...headers, ...reply.trailers }, { endStream: true });
    return;
  }
  stream.respond(headers, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers(reply.trailers));
  for (const message of reply.messages) stream.write(message);
  stream.end();
}

function sendRaw(stream: http2.ServerHttp2Stream, raw: NonNullable<StubBehaviour['backend_raw']>): void {
  const trailers = lowerCaseNames(raw.trailers);
  const headers = { ':status': raw.status, ...lowerCaseNames(raw.headers) };
  if (Object.keys(trailers).length === 0) {
    stream.respond(headers, { endStream: true });
    return;
  }
  stream.respond(headers, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end();
}

function listen(server: http2.Http2Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Cuts every connection so close() never waits on a client that keeps its channel open. */
function close(server: http2.Http2Server, sessions: Set<http2.ServerHttp2Session>): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    for (const session of sessions) session.destroy();
  });
}
