// Client streaming through the proxy to a real grpc-js backend: each JSON value
// of the HTTP body is forwarded as soon as it is complete (vector B16), and a
// body that goes wrong midway cancels the backend call.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Frontend } from '../../src/frontend/model.js';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { PROJECT_DIR, buildRoot } from '../../src/protos/root.js';
import { eventually, serveFrontend, startStack, type Stack } from './helpers.js';

const PROTO = readFileSync(join(PROJECT_DIR, 'test', 'vectors', 'fixtures', 'vectors.proto'), 'utf8');
const LIMIT = 64;

/** What the backend saw: each call's messages, and how each call ended. */
const calls: Array<{ messages: string[]; ended: 'half-closed' | 'cancelled' | undefined }> = [];
const received = () => calls.flatMap((c) => c.messages);

/** Answers ClientStream with its messages' `s` values joined, once the client half-closes. */
function clientStream(call: grpc.ServerReadableStream<PlainMessage, PlainMessage>, callback: grpc.sendUnaryData<PlainMessage>): void {
  const record: (typeof calls)[number] = { messages: [], ended: undefined };
  calls.push(record);
  call.on('data', (message: PlainMessage) => record.messages.push(String(message.s)));
  // A reset stream also ends the request stream, its 'cancelled' following a tick later; grpc-js
  // reports 'cancelled' after a completed call too. So answer a tick after 'end', and count
  // whichever ending comes first.
  call.on('cancelled', () => (record.ended ??= 'cancelled'));
  call.on('end', () =>
    setImmediate(() => {
      if (record.ended !== undefined) return;
      record.ended = 'half-closed';
      callback(null, { next: record.messages.join(',') });
    }),
  );
}

async function startVecBackend(): Promise<{ address: string; close(): void }> {
  const root = buildRoot([{ name: 'vectors.proto', content: PROTO }]);
  const server = new grpc.Server();
  server.addService(serviceDefinition(root.lookupService('vec.v1.Vec')), { ClientStream: clientStream });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

function vecFrontend(): Frontend {
  const route = (operation_id: string, path_template: string) => ({
    operation_id,
    method: 'POST',
    path_template,
    grpc: { service: 'vec.v1.Vec', method: 'ClientStream' },
    body: { field: '*' },
  });
  return {
    name: 'vec-stream',
    type: 'REST',
    rest: {
      protos: [{ name: 'vectors.proto', content: PROTO }],
      routes: [route('bulk', '/v1/bulk'), { ...route('small', '/v1/small'), options: { max_body_bytes: LIMIT } }],
    },
  };
}

/** A chunked body: `first`, then — once the backend holds a message — `rest`. */
function bodyInTwoParts(first: string, rest: string): Readable {
  return Readable.from(
    (async function* () {
      yield first;
      await eventually(async () => received().length > 0, 5000, 'the first message reaching the backend');
      yield rest;
    })(),
  );
}

const NDJSON = { 'content-type': 'application/x-ndjson' };
const JSON_CT = { 'content-type': 'application/json' };

describe('client streaming', () => {
  let stack: Stack;
  let backend: Awaited<ReturnType<typeof startVecBackend>>;

  beforeAll(async () => {
    stack = await startStack();
    backend = await startVecBackend();
    await serveFrontend(stack, vecFrontend(), backend.address);
  });

  afterAll(async () => {
    await stack?.close();
    backend?.close();
  });

  beforeEach(() => {
    calls.length = 0;
  });

  it('forwards the first message before the client has sent the rest of the body', async () => {
    const reply = await stack.http.send('POST', '/v1/bulk', { headers: JSON_CT, body: bodyInTwoParts('[{"s":"a"},', '{"s":"b"}]') });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ next: 'a,b' });
    expect(calls).toEqual([{ messages: ['a', 'b'], ended: 'half-closed' }]);
  });

  it('forwards NDJSON line by line', async () => {
    const reply = await stack.http.send('POST', '/v1/bulk', { headers: NDJSON, body: bodyInTwoParts('{"s":"a"}\r\n', '{"s":"b"}\r\n') });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ next: 'a,b' });
  });

  it('a body that is not JSON midway is a 400 and cancels the backend call', async () => {
    const reply = await stack.http.send('POST', '/v1/bulk', { headers: JSON_CT, body: bodyInTwoParts('[{"s":"a"},', '{"s":"b"} x {"s":"c"}]') });
    expect(reply.status).toBe(400);
    expect(reply.text).toContain("unexpected character 'x'");
    await eventually(async () => calls[0]?.ended === 'cancelled', 5000, 'the backend call cancelled');
    // 'b' went out before the bad byte was read, but the cancel may overtake it.
    expect(['a', 'a,b']).toContain(calls[0]!.messages.join(','));
  });

  it('a body that passes max_body_bytes midway is a 413 and cancels the backend call', async () => {
    const reply = await stack.http.send('POST', '/v1/small', {
      headers: JSON_CT,
      body: bodyInTwoParts('[{"s":"a"},', `{"s":"${'b'.repeat(LIMIT)}"}]`),
    });
    expect(reply.status).toBe(413);
    await eventually(async () => calls[0]?.ended === 'cancelled', 5000, 'the backend call cancelled');
    expect(calls[0]!.messages).toEqual(['a']);
  });

  it('a client that leaves midway cancels the backend call', async () => {
    const body = new Readable({ read() {} });
    body.push('[{"s":"a"},');
    const sent = stack.http.send('POST', '/v1/bulk', { headers: JSON_CT, body });
    await eventually(async () => received().length > 0, 5000, 'the first message reaching the backend');
    body.destroy(new Error('the client gave up'));
    await expect(sent).rejects.toThrow('the client gave up');
    await eventually(async () => calls[0]?.ended === 'cancelled', 5000, 'the backend call cancelled');
  });

  it('a declared Content-Length over max_body_bytes is a 413 before any call', async () => {
    const reply = await stack.http.send('POST', '/v1/small', { headers: JSON_CT, body: `[{"s":"${'b'.repeat(LIMIT)}"}]` });
    expect(reply.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it('a Content-Type that is not JSON is a 415 before any call', async () => {
    const reply = await stack.http.send('POST', '/v1/bulk', { headers: { 'content-type': 'text/plain' }, body: '{"s":"a"}' });
    expect(reply.status).toBe(415);
    expect(calls).toEqual([]);
  });
});
