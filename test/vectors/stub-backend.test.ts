import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { buildRoot } from '../../src/protos/root.js';
import { startStubBackend, type StubBackend } from './stub-backend.js';

// The part of the vectors' schema (contracts/http-mapping/vectors.proto, kept
// outside this repository) that these tests use, so they run on a clean clone.
const VEC_PROTO = `
syntax = "proto3";
package vec.v1;
import "google/api/httpbody.proto";
message Sub  { string a = 1; int32 b = 2; Sub child = 3; }
message Book { int64 id = 1; string author = 2; string title = 3; repeated string quotes = 4; }
message Req {
  string name = 1;
  string s = 5;
  int64  i64 = 7;
  bytes  raw = 11;
  repeated string tags = 13;
  repeated Sub subs = 17;
  string display_name = 28;
}
message Resp { Book book = 1; repeated Book books = 2; string next = 3; }
service Vec {
  rpc Call(Req) returns (Resp);
  rpc ServerStream(Req) returns (stream Resp);
  rpc ClientStream(stream Req) returns (Resp);
  rpc Raw(google.api.HttpBody) returns (google.api.HttpBody);
}
`;

interface UnaryOutcome {
  response?: PlainMessage;
  error?: grpc.ServiceError;
  headers?: grpc.Metadata;
  trailers?: grpc.Metadata;
}

type UnaryMethod = (
  request: PlainMessage,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: PlainMessage) => void,
) => grpc.ClientUnaryCall;

/** A unary call that settles with whatever happened, response headers and trailers included. */
function unary(client: grpc.Client, method: string, request: PlainMessage, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<UnaryOutcome> {
  const invoke = (client as unknown as Record<string, UnaryMethod>)[method]!;
  return new Promise((resolve) => {
    const outcome: UnaryOutcome = {};
    const call = invoke.call(client, request, metadata, options, (err, response) => {
      if (err) outcome.error = err;
      else outcome.response = response;
    });
    call.on('metadata', (headers) => (outcome.headers = headers));
    call.on('status', (status) => {
      outcome.trailers = status.metadata;
      resolve(outcome);
    });
  });
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('stub backend for the HTTP-mapping vectors', () => {
  let root: protobuf.Root;
  let stub: StubBackend;
  let client: grpc.Client;

  beforeAll(async () => {
    root = buildRoot([{ name: 'vectors.proto', content: VEC_PROTO }]);
    stub = await startStubBackend(root);
    const definition = serviceDefinition(root.lookupService('vec.v1.Vec'));
    client = new (grpc.makeGenericClientConstructor(definition, 'Vec'))(stub.address, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await stub.close();
  });

  beforeEach(() => stub.reset());

  it('answers an empty Resp by default and records the request with proto names', async () => {
    const outcome = await unary(client, 'Call', { display_name: 'd', i64: '9223372036854775807', raw: base64('abc') });
    expect(outcome.response).toEqual({});
    expect(stub.lastRecord()).toEqual({
      method: 'Call',
      messages: [{ display_name: 'd', i64: '9223372036854775807', raw: base64('abc') }],
      metadata: expect.any(Object),
      metadataBin: {},
    });
  });

  it('records metadata, binary metadata and the deadline; returns the configured reply and metadata', async () => {
    stub.setBehaviour({
      backend: { book: { id: '7', title: 'T' }, next: 'n' },
      backend_metadata: { headers: { 'x-req-id': 'abc' }, trailers: { 'x-cost': '3' } },
    });
    const metadata = new grpc.Metadata();
    metadata.set('tenant', 't1');
    metadata.set('trace-bin', Buffer.from([0xfb, 0xff, 0x01]));
    const outcome = await unary(client, 'Call', { name: 'n1' }, metadata, { deadline: Date.now() + 5_000 });

    expect(outcome.response).toEqual({ book: { id: '7', title: 'T' }, next: 'n' });
    expect(outcome.headers?.get('x-req-id')).toEqual(['abc']);
    expect(outcome.trailers?.get('x-cost')).toEqual(['3']);
    const record = stub.lastRecord()!;
    expect(record.messages).toEqual([{ name: 'n1' }]);
    expect(record.metadata).toMatchObject({ tenant: 't1' });
    expect(record.metadata).not.toHaveProperty('grpc-timeout');
    expect(record.metadataBin).toEqual({ 'trace-bin': '+/8B' });
    expect(record.deadlineMs).toBeGreaterThan(4_000);
    expect(record.deadlineMs).toBeLessThanOrEqual(5_000);
  });

  it('leaves deadlineMs undefined when the client sets no deadline', async () => {
    await unary(client, 'Call', {});
    expect(stub.lastRecord()?.deadlineMs).toBeUndefined();
  });

  it('fails a call with a percent-encoded message and details in grpc-status-details-bin', async () => {
    const message = 'Shelf 100 – 50% Not Found';
    stub.setBehaviour({
      backend_status: {
        code: grpc.status.NOT_FOUND,
        message,
        details: [{ '@type': 'type.googleapis.com/google.rpc.RequestInfo', requestId: 'r-1' }],
      },
    });
    const { error, response } = await unary(client, 'Call', {});

    expect(response).toBeUndefined();
    expect(error).toMatchObject({ code: grpc.status.NOT_FOUND, details: message });
    const statusBytes = error!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const status = root.lookupType('google.rpc.Status').toObject(root.lookupType('google.rpc.Status').decode(statusBytes));
    expect(status).toMatchObject({ code: grpc.status.NOT_FOUND, message });
    expect(status.details).toHaveLength(1);
    expect(status.details[0].type_url).toBe('type.googleapis.com/google.rpc.RequestInfo');
    const requestInfo = root.lookupType('google.rpc.RequestInfo').decode(status.details[0].value);
    expect(requestInfo.toJSON()).toEqual({ request_id: 'r-1' });
  });

  it('sends a status without details as code and message only', async () => {
    stub.setBehaviour({ backend_status: { code: grpc.status.UNAUTHENTICATED, message: 'Bearer realm="api"' } });
    const { error } = await unary(client, 'Call', {});
    expect(error).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'Bearer realm="api"' });
    expect(error!.metadata.get('grpc-status-details-bin')).toEqual([]);
  });

  it('streams every configured message and then fails mid-stream with the configured status', async () => {
    stub.setBehaviour({
      backend_stream: [{ book: { id: '1' } }],
      backend_status: { code: grpc.status.UNAVAILABLE, message: 'gone' },
    });
    const call = (client as unknown as Record<string, (r: PlainMessage) => grpc.ClientReadableStream<PlainMessage>>).ServerStream!.call(client, { s: 'q' });
    const received: PlainMessage[] = [];
    call.on('data', (message: PlainMessage) => received.push(message));
    const error = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));

    expect(received).toEqual([{ book: { id: '1' } }]);
    expect(error).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'gone' });
    expect(stub.lastRecord()).toMatchObject({ method: 'ServerStream', messages: [{ s: 'q' }] });
  });

  it('records every message of a client stream and answers once it half-closes', async () => {
    stub.setBehaviour({ backend: { next: 'done' } });
    const response = await new Promise<PlainMessage>((resolve, reject) => {
      const clientStream = client as unknown as Record<string, (cb: (err: grpc.ServiceError | null, r?: PlainMessage) => void) => grpc.ClientWritableStream<PlainMessage>>;
      const call = clientStream.ClientStream!.call(client, (err, r) => (err ? reject(err) : resolve(r!)));
      call.write({ s: 'a' });
      call.write({ s: 'b' });
      call.end();
    });

    expect(response).toEqual({ next: 'done' });
    expect(stub.lastRecord()).toMatchObject({ method: 'ClientStream', messages: [{ s: 'a' }, { s: 'b' }] });
  });

  it('carries google.api.HttpBody both ways on Raw', async () => {
    stub.setBehaviour({ backend: { content_type: 'text/html', data: base64('<h1>Hello!</h1>') } });
    const outcome = await unary(client, 'Raw', { content_type: 'text/plain', data: base64('Hello!') });
    expect(outcome.response).toEqual({ content_type: 'text/html', data: base64('<h1>Hello!</h1>') });
    expect(stub.lastRecord()?.messages).toEqual([{ content_type: 'text/plain', data: 'SGVsbG8h' }]);
  });

  it('a raw 200 without grpc-status makes the client fail instead of hang', async () => {
    stub.setBehaviour({ backend_raw: { status: 200, headers: { 'content-type': 'application/grpc' }, trailers: {} } });
    const { error } = await unary(client, 'Call', { name: 'x' });
    expect(error?.code).toBe(grpc.status.UNKNOWN);
    expect(stub.lastRecord()?.messages).toEqual([{ name: 'x' }]);
  });

  it('a raw HTTP 404 reaches the client as UNIMPLEMENTED', async () => {
    stub.setBehaviour({ backend_raw: { status: 404, headers: { 'content-type': 'text/plain' } } });
    const { error } = await unary(client, 'Call', {});
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('reports a behaviour it cannot encode as INTERNAL, naming the problem', async () => {
    stub.setBehaviour({ backend: { nope: 1 } });
    const { error } = await unary(client, 'Call', {});
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).toMatch(/stub backend/);
  });

  it('reset() forgets the last record and the behaviour', async () => {
    stub.setBehaviour({ backend: { next: 'x' } });
    await unary(client, 'Call', {});
    stub.reset();
    expect(stub.lastRecord()).toBeUndefined();
    expect((await unary(client, 'Call', {})).response).toEqual({});
  });
});
