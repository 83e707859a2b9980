// The default gRPC interface against real servers on loopback: a stock @grpc/grpc-js client calls
// the passthrough, which forwards to a @grpc/grpc-js backend (or a raw HTTP/2 one where the test
// needs a pattern that misbehaves).
import http2 from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_SERVICE, startKeyValuePattern, type RunningPattern } from '../../examples/keyvalue/server.js';
import { serviceDefinition, type PlainMessage } from '../grpc/service-definition.js';
import { buildRoot, shippedRoot } from '../protos/root.js';
import { startGrpcPassthrough, type GrpcPassthrough, type NamespaceRoute } from './passthrough.js';

const RELAY_PROTO = `
syntax = "proto3";
package prism.test.passthrough;
message Note {
  string text = 1;
  bytes blob = 2;
  int32 count = 3;
}
service Relay {
  rpc Echo(Note) returns (Note);
  rpc Fan(Note) returns (stream Note);
  rpc Gather(stream Note) returns (Note);
  rpc Chat(stream Note) returns (stream Note);
}
`;
const RELAY = serviceDefinition(buildRoot([{ name: 'test/relay.proto', content: RELAY_PROTO }]).lookupService('prism.test.passthrough.Relay'));
const Relay = grpc.makeGenericClientConstructor(RELAY, 'Relay');

const FAILURE_MESSAGE = 'précondition: 100% failed ✓';
const FAILURE_DETAILS = Buffer.from([0x08, 0x09, 0x12, 0x00, 0xff]);
const BINARY_VALUE = Buffer.from([0, 1, 2, 0xfe, 0xff]);
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const GRPC_OPTIONS = { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES };
const QUICKLY_MS = 1000;

type UnaryMethod = (
  request: PlainMessage,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<PlainMessage>,
) => grpc.ClientUnaryCall;

interface RelayStub extends grpc.Client {
  Echo: UnaryMethod;
  Fan(request: PlainMessage, metadata: grpc.Metadata): grpc.ClientReadableStream<PlainMessage>;
  Gather(metadata: grpc.Metadata, callback: grpc.requestCallback<PlainMessage>): grpc.ClientWritableStream<PlainMessage>;
  Chat(metadata: grpc.Metadata): grpc.ClientDuplexStream<PlainMessage, PlainMessage>;
}

/** What the backends saw. */
interface BackendLog {
  metadata: grpc.Metadata[];
  cancelled: string[];
  rawResets: number[];
  /** The raw [name, value, …] header list of each request the raw backend got. */
  rawRequests: string[][];
}

function relayImplementation(log: BackendLog): grpc.UntypedServiceImplementation {
  return {
    Echo(call: grpc.ServerUnaryCall<PlainMessage, PlainMessage>, callback: grpc.sendUnaryData<PlainMessage>) {
      log.metadata.push(call.metadata);
      call.on('cancelled', () => log.cancelled.push('Echo'));
      if (call.request.text === 'hang') return;
      if (call.request.text === 'fail') {
        const trailers = new grpc.Metadata();
        trailers.set('grpc-status-details-bin', FAILURE_DETAILS);
        trailers.set('x-why', 'because');
        callback({ code: grpc.status.FAILED_PRECONDITION, details: FAILURE_MESSAGE, metadata: trailers });
        return;
      }
      const headers = new grpc.Metadata();
      headers.set('x-header', 'h');
      headers.set('x-header-bin', BINARY_VALUE);
      call.sendMetadata(headers);
      const trailers = new grpc.Metadata();
      trailers.set('x-trailer', 'done');
      trailers.set('x-trailer-bin', BINARY_VALUE);
      callback(null, call.request, trailers);
    },
    Fan(call: grpc.ServerWritableStream<PlainMessage, PlainMessage>) {
      call.on('cancelled', () => log.cancelled.push('Fan'));
      const { text, count } = call.request as { text: string; count?: number };
      // 'endless' keeps the stream open until the client cancels it.
      if (text === 'endless') {
        call.write({ text: 'first' });
        return;
      }
      for (let i = 0; i < (count ?? 0); i++) call.write({ text: `${text}-${i}` });
      call.end();
    },
    Gather(call: grpc.ServerReadableStream<PlainMessage, PlainMessage>, callback: grpc.sendUnaryData<PlainMessage>) {
      const texts: string[] = [];
      call.on('data', (note: PlainMessage) => texts.push(note.text as string));
      call.on('end', () => callback(null, { text: texts.join(','), count: texts.length }));
    },
    Chat(call: grpc.ServerDuplexStream<PlainMessage, PlainMessage>) {
      call.on('data', (note: PlainMessage) => {
        // 'stop' ends the call from the backend's side while the client may still be sending.
        if (note.text === 'stop') call.end();
        else call.write({ text: `echo:${note.text as string}` });
      });
      call.on('end', () => call.end());
    },
  };
}

async function startRelayBackend(log: BackendLog): Promise<{ endpoint: string; server: grpc.Server }> {
  const server = new grpc.Server(GRPC_OPTIONS);
  server.addService(RELAY, relayImplementation(log));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { endpoint: `127.0.0.1:${port}`, server };
}

/**
 * A pattern that misbehaves, chosen by the x-behave metadata: 'reset' resets the stream with
 * ENHANCE_YOUR_CALM, 'drop' drops the connection, 'silent' never answers (and records the reset
 * code its stream ends with).
 */
async function startRawBackend(log: BackendLog): Promise<{ endpoint: string; server: http2.Http2Server }> {
  const server = http2.createServer();
  const onStream = (stream: http2.ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]): void => {
    log.rawRequests.push(rawHeaders);
    stream.on('error', () => {});
    stream.resume();
    if (headers['x-behave'] === 'reset') stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    else if (headers['x-behave'] === 'drop') stream.session?.destroy();
    else stream.once('close', () => log.rawResets.push(stream.rstCode ?? -1));
  };
  server.on('stream', onStream as (stream: http2.ServerHttp2Stream, headers: IncomingHttpHeaders) => void);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function metadataFor(namespace: string | undefined, entries: Array<[string, string | Buffer]> = []): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (namespace !== undefined) metadata.set('prism-namespace', namespace);
  for (const [name, value] of entries) metadata.add(name, value);
  return metadata;
}

interface UnaryResult {
  error: grpc.ServiceError | null;
  response: PlainMessage | undefined;
  headers: grpc.Metadata | undefined;
  status: grpc.StatusObject;
  elapsedMs: number;
}

function unary(method: UnaryMethod, request: PlainMessage, metadata: grpc.Metadata, options: grpc.CallOptions = {}): Promise<UnaryResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let error: grpc.ServiceError | null = null;
    let response: PlainMessage | undefined;
    let headers: grpc.Metadata | undefined;
    const call = method(request, metadata, options, (err, value) => {
      error = err;
      response = value;
    });
    call.on('metadata', (received: grpc.Metadata) => (headers = received));
    call.on('status', (status: grpc.StatusObject) => resolve({ error, response, headers, status, elapsedMs: Date.now() - started }));
  });
}

/** The status a streaming call ended with, and the messages it received. */
function streamOutcome(call: grpc.ClientReadableStream<PlainMessage> | grpc.ClientDuplexStream<PlainMessage, PlainMessage>): Promise<{ texts: string[]; status: grpc.StatusObject }> {
  const texts: string[] = [];
  call.on('data', (note: PlainMessage) => texts.push(note.text as string));
  // The error event repeats the status as an exception; the status event is what is asserted.
  call.on('error', () => {});
  return new Promise((resolve) => call.on('status', (status: grpc.StatusObject) => resolve({ texts, status })));
}

async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface RawReply {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: string;
  elapsedMs: number;
}

/** One request over a plain node:http2 client, which enforces no deadline of its own. */
async function rawRequest(port: number, headers: OutgoingHttpHeaders, body: Buffer): Promise<RawReply> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const started = Date.now();
  try {
    return await new Promise<RawReply>((resolve, reject) => {
      const stream = session.request(headers, { endStream: false });
      let reply: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders | undefined;
      let text = '';
      stream.on('response', (received) => (reply = received));
      stream.on('trailers', (received) => (trailers = received));
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      stream.on('error', reject);
      stream.on('close', () => resolve({ headers: reply, trailers, body: text, elapsedMs: Date.now() - started }));
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

const EMPTY_MESSAGE_FRAME = Buffer.from([0, 0, 0, 0, 0]);

describe('default gRPC interface', () => {
  const log: BackendLog = { metadata: [], cancelled: [], rawResets: [], rawRequests: [] };
  const routes = new Map<string, NamespaceRoute>();
  let relay: Awaited<ReturnType<typeof startRelayBackend>>;
  let raw: Awaited<ReturnType<typeof startRawBackend>>;
  let keyValue: RunningPattern;
  let passthrough: GrpcPassthrough;
  let client: RelayStub;

  beforeAll(async () => {
    relay = await startRelayBackend(log);
    raw = await startRawBackend(log);
    keyValue = await startKeyValuePattern({ address: '127.0.0.1:0' });
    routes.set('relay', { kind: 'endpoint', endpoint: relay.endpoint });
    routes.set('raw', { kind: 'endpoint', endpoint: raw.endpoint });
    routes.set('kv', { kind: 'endpoint', endpoint: keyValue.address });
    routes.set('off', { kind: 'disabled' });
    routes.set('down', { kind: 'endpoint', endpoint: `127.0.0.1:${await unusedPort()}` });
    routes.set('starting', { kind: 'unavailable', reason: 'configuration not loaded yet' });
    passthrough = await startGrpcPassthrough({
      listen: { host: '127.0.0.1', port: 0 },
      resolve: (namespace) => routes.get(namespace) ?? { kind: 'unknown' },
      logger: pino({ level: 'silent' }),
    });
    client = new Relay(`127.0.0.1:${passthrough.address.port}`, grpc.credentials.createInsecure(), GRPC_OPTIONS) as unknown as RelayStub;
  });

  afterAll(async () => {
    client?.close();
    await passthrough?.close();
    await keyValue?.close();
    relay?.server.forceShutdown();
    raw?.server.close();
  });

  const echo = (request: PlainMessage, metadata: grpc.Metadata, options?: grpc.CallOptions): Promise<UnaryResult> =>
    unary(client.Echo.bind(client), request, metadata, options);

  it('forwards a unary call with its metadata, response headers and trailers', async () => {
    const metadata = metadataFor('relay', [
      ['x-in', 'a'],
      ['x-in', 'b'],
      ['x-in-bin', BINARY_VALUE],
    ]);
    const result = await echo({ text: 'hello' }, metadata);

    expect(result.error).toBeNull();
    expect(result.response).toEqual({ text: 'hello' });
    expect(result.headers?.get('x-header')).toEqual(['h']);
    expect(result.headers?.get('x-header-bin')).toEqual([BINARY_VALUE]);
    expect(result.status.metadata.get('x-trailer')).toEqual(['done']);
    expect(result.status.metadata.get('x-trailer-bin')).toEqual([BINARY_VALUE]);
    // The backend sees the same metadata as when called directly.
    const viaPassthrough = log.metadata.at(-1)!.toJSON();
    const direct = new Relay(relay.endpoint, grpc.credentials.createInsecure()) as unknown as RelayStub;
    try {
      await unary(direct.Echo.bind(direct), { text: 'hello' }, metadata);
    } finally {
      direct.close();
    }
    expect(viaPassthrough).toEqual(log.metadata.at(-1)!.toJSON());
    expect(viaPassthrough['x-in-bin']).toEqual([BINARY_VALUE]);
  });

  it('keeps repeated metadata as separate header fields, in order', async () => {
    await echo({ text: 'x' }, metadataFor('raw', [['x-behave', 'reset'], ['x-in', 'a'], ['x-in', 'b']]));
    const fields = log.rawRequests.at(-1)!;
    const values = fields.filter((_value, i) => i % 2 === 1 && fields[i - 1] === 'x-in');
    expect(values).toEqual(['a', 'b']);
  });

  it('forwards a server stream', async () => {
    const outcome = await streamOutcome(client.Fan({ text: 'n', count: 3 }, metadataFor('relay')));
    expect(outcome.status.code).toBe(grpc.status.OK);
    expect(outcome.texts).toEqual(['n-0', 'n-1', 'n-2']);
  });

  it('forwards a client stream', async () => {
    const reply = await new Promise<PlainMessage | undefined>((resolve, reject) => {
      const call = client.Gather(metadataFor('relay'), (error, value) => (error ? reject(error) : resolve(value)));
      for (const text of ['a', 'b', 'c']) call.write({ text });
      call.end();
    });
    expect(reply).toEqual({ text: 'a,b,c', count: 3 });
  });

  it('forwards a bidirectional stream message by message', async () => {
    const call = client.Chat(metadataFor('relay'));
    const outcome = streamOutcome(call);
    // Each message is sent only after the previous echo came back, so nothing waits for the stream to end.
    call.on('data', (note: PlainMessage) => {
      if (note.text === 'echo:x') call.write({ text: 'y' });
      else call.end();
    });
    call.write({ text: 'x' });
    const { texts, status } = await outcome;
    expect(status.code).toBe(grpc.status.OK);
    expect(texts).toEqual(['echo:x', 'echo:y']);
  });

  it('carries an error status, its message and details unchanged', async () => {
    const result = await echo({ text: 'fail' }, metadataFor('relay'));
    expect(result.status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(result.status.details).toBe(FAILURE_MESSAGE);
    expect(result.status.metadata.get('grpc-status-details-bin')).toEqual([FAILURE_DETAILS]);
    expect(result.status.metadata.get('x-why')).toEqual(['because']);
  });

  it('passes a 4 MiB message through unchanged', async () => {
    const blob = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 7919) % 251;
    const result = await echo({ text: 'big', blob: blob.toString('base64') }, metadataFor('relay'));
    expect(result.error).toBeNull();
    expect(Buffer.from(result.response!.blob as string, 'base64').equals(blob)).toBe(true);
  });

  it('gives DEADLINE_EXCEEDED at the deadline and cancels the backend call', async () => {
    const cancelledBefore = log.cancelled.filter((name) => name === 'Echo').length;
    const result = await echo({ text: 'hang' }, metadataFor('relay'), { deadline: Date.now() + 200 });
    expect(result.status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(result.elapsedMs).toBeLessThan(QUICKLY_MS);
    await eventually(() => log.cancelled.filter((name) => name === 'Echo').length > cancelledBefore);
  });

  it('enforces grpc-timeout itself when neither the client nor the pattern does', async () => {
    const resetsBefore = log.rawResets.length;
    const reply = await rawRequest(
      passthrough.address.port,
      {
        ':method': 'POST',
        ':path': '/prism.test.passthrough.Relay/Echo',
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '200m',
        'prism-namespace': 'raw',
        'x-behave': 'silent',
      },
      EMPTY_MESSAGE_FRAME,
    );
    expect(reply.headers['grpc-status']).toBe(String(grpc.status.DEADLINE_EXCEEDED));
    expect(decodeURIComponent(reply.headers['grpc-message'] as string)).toMatch(/deadline of 200 ms exceeded .*namespace 'raw'/);
    expect(reply.elapsedMs).toBeGreaterThanOrEqual(190);
    expect(reply.elapsedMs).toBeLessThan(QUICKLY_MS);
    await eventually(() => log.rawResets.length > resetsBefore);
    expect(log.rawResets.at(-1)).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('resets the client stream with the code the pattern reset it with', async () => {
    const result = await echo({ text: 'x' }, metadataFor('raw', [['x-behave', 'reset']]));
    // ENHANCE_YOUR_CALM is RESOURCE_EXHAUSTED in gRPC's mapping of HTTP/2 error codes.
    expect(result.status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('answers UNAVAILABLE when the connection to the pattern drops, and reconnects for the next call', async () => {
    const dropped = await echo({ text: 'x' }, metadataFor('raw', [['x-behave', 'drop']]));
    expect(dropped.status.code).toBe(grpc.status.UNAVAILABLE);
    expect(dropped.status.details).toContain("lost the connection to the pattern for namespace 'raw'");
    const next = await echo({ text: 'x' }, metadataFor('raw', [['x-behave', 'reset']]));
    expect(next.status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('passes a client cancellation of a server stream on to the backend', async () => {
    const cancelledBefore = log.cancelled.filter((name) => name === 'Fan').length;
    const call = client.Fan({ text: 'endless' }, metadataFor('relay'));
    const outcome = streamOutcome(call);
    call.once('data', () => call.cancel());
    const { texts, status } = await outcome;
    expect(texts).toEqual(['first']);
    expect(status.code).toBe(grpc.status.CANCELLED);
    await eventually(() => log.cancelled.filter((name) => name === 'Fan').length > cancelledBefore);
  });

  it.each([
    ['no prism-namespace', undefined, grpc.status.INVALID_ARGUMENT, 'missing prism-namespace metadata'],
    ['an unknown namespace', 'nope', grpc.status.NOT_FOUND, "namespace 'nope' not found"],
    ['a namespace with the interface disabled', 'off', grpc.status.UNIMPLEMENTED, "the default gRPC interface is disabled for namespace 'off'"],
    ['a namespace not servable yet', 'starting', grpc.status.UNAVAILABLE, "namespace 'starting' is unavailable: configuration not loaded yet"],
  ])('answers %s with a clear status', async (_case, namespace, code, message) => {
    const result = await echo({ text: 'x' }, metadataFor(namespace));
    expect(result.status.code).toBe(code);
    expect(result.status.details).toBe(message);
    expect(result.elapsedMs).toBeLessThan(QUICKLY_MS);
  });

  it('answers UNAVAILABLE quickly, naming the namespace, when the pattern is unreachable', async () => {
    const result = await echo({ text: 'x' }, metadataFor('down'));
    expect(result.status.code).toBe(grpc.status.UNAVAILABLE);
    expect(result.status.details).toContain("the pattern for namespace 'down'");
    expect(result.elapsedMs).toBeLessThan(QUICKLY_MS);
  });

  it('looks the namespace up on every call, so a configuration change applies to the next call', async () => {
    routes.set('swapped', { kind: 'disabled' });
    expect((await echo({ text: 'x' }, metadataFor('swapped'))).status.code).toBe(grpc.status.UNIMPLEMENTED);
    routes.set('swapped', { kind: 'endpoint', endpoint: relay.endpoint });
    expect((await echo({ text: 'x' }, metadataFor('swapped'))).status.code).toBe(grpc.status.OK);
  });

  it.each([
    ['a non-POST request', { ':method': 'GET', 'content-type': 'application/grpc' }],
    ['a non-gRPC content-type', { ':method': 'POST', 'content-type': 'application/json' }],
  ])('answers %s with HTTP 415', async (_case, headers) => {
    const reply = await rawRequest(passthrough.address.port, { ...headers, ':path': '/prism.test.passthrough.Relay/Echo', 'prism-namespace': 'relay' }, Buffer.alloc(0));
    expect(reply.headers[':status']).toBe(415);
    expect(reply.body).toMatch(/gRPC|application\/grpc/);
  });

  it('serves the keyvalue pattern (KeyValueBasicInterface/Get)', async () => {
    const KeyValue = grpc.makeGenericClientConstructor(serviceDefinition(shippedRoot().lookupService(BASIC_SERVICE)), 'KeyValueBasicInterface');
    const kv = new KeyValue(`127.0.0.1:${passthrough.address.port}`, grpc.credentials.createInsecure()) as unknown as Record<'Set' | 'Get', UnaryMethod>;
    try {
      const value = Buffer.from('passed through').toString('base64');
      const set = await unary(kv.Set.bind(kv), { key: 'greeting', value }, metadataFor('kv'));
      expect(set.error).toBeNull();
      const got = await unary(kv.Get.bind(kv), { key: 'greeting' }, metadataFor('kv'));
      expect(got.error).toBeNull();
      expect(got.response).toEqual({ found: true, value });
    } finally {
      (kv as unknown as grpc.Client).close();
    }
  });
});

describe('closing the default gRPC interface', () => {
  const log: BackendLog = { metadata: [], cancelled: [], rawResets: [], rawRequests: [] };
  let relay: Awaited<ReturnType<typeof startRelayBackend>>;

  beforeAll(async () => {
    relay = await startRelayBackend(log);
  });

  afterAll(() => relay?.server.forceShutdown());

  async function startWithClient(shutdownGraceMs: number): Promise<{ passthrough: GrpcPassthrough; client: RelayStub }> {
    const passthrough = await startGrpcPassthrough({
      listen: { host: '127.0.0.1', port: 0 },
      resolve: () => ({ kind: 'endpoint', endpoint: relay.endpoint }),
      logger: pino({ level: 'silent' }),
      shutdownGraceMs,
    });
    const client = new Relay(`127.0.0.1:${passthrough.address.port}`, grpc.credentials.createInsecure()) as unknown as RelayStub;
    return { passthrough, client };
  }

  it('lets a call in flight finish before it resolves', async () => {
    const { passthrough, client } = await startWithClient(5000);
    try {
      const call = client.Chat(metadataFor('relay'));
      const outcome = streamOutcome(call);
      call.write({ text: 'before' });
      await new Promise((resolve) => call.once('data', resolve));
      let closed = false;
      const closing = passthrough.close().then(() => (closed = true));
      call.write({ text: 'during' });
      await new Promise((resolve) => call.once('data', resolve));
      expect(closed).toBe(false);
      call.end();
      const { texts, status } = await outcome;
      await closing;
      expect(status.code).toBe(grpc.status.OK);
      expect(texts).toEqual(['echo:before', 'echo:during']);
    } finally {
      client.close();
    }
  });

  it('ends a call the pattern finished before the client stopped sending, leaving nothing open', async () => {
    const { passthrough, client } = await startWithClient(5000);
    try {
      const call = client.Chat(metadataFor('relay'));
      const outcome = streamOutcome(call);
      call.write({ text: 'stop' });
      const { status } = await outcome;
      expect(status.code).toBe(grpc.status.OK);
      // No stream is left half-open on either hop, so closing does not wait for the grace period.
      const started = Date.now();
      await passthrough.close();
      expect(Date.now() - started).toBeLessThan(QUICKLY_MS);
    } finally {
      client.close();
    }
  });

  it('cuts off calls still running after the grace period and cancels them at the pattern', async () => {
    const { passthrough, client } = await startWithClient(200);
    try {
      const call = client.Fan({ text: 'endless' }, metadataFor('relay'));
      const outcome = streamOutcome(call);
      await new Promise((resolve) => call.once('data', resolve));
      const started = Date.now();
      await passthrough.close();
      expect(Date.now() - started).toBeLessThan(QUICKLY_MS);
      expect((await outcome).status.code).not.toBe(grpc.status.OK);
      await eventually(() => log.cancelled.includes('Fan'));
    } finally {
      client.close();
    }
  });
});
