// GrpcChannel against a real @grpc/grpc-js server on loopback.
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelPool, GrpcCallError, GrpcChannel, type CallOutcome } from './channel.js';
import { GrpcCode } from './codes.js';

const identity = (bytes: Buffer): Buffer => bytes;

function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/test.Echo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

const ECHO_SERVICE: grpc.ServiceDefinition = {
  Unary: method('Unary', false, false),
  Fail: method('Fail', false, false),
  Sleep: method('Sleep', false, false),
  Stream: method('Stream', false, true),
  Collect: method('Collect', true, false),
};

const FAILURE_MESSAGE = 'bad input: 100% wrong, ünïcode ✓ 日本\ttab';
const FAILURE_DETAILS = Buffer.from([0x08, 0x09, 0x12, 0x00, 0xff]);

/** What the backend saw, for assertions on the server side of a call. */
interface Observations {
  peers: string[];
  sleepTimeoutsMs: number[];
  cancelled: number;
  collectedMessages: number[];
}

function echoImplementation(seen: Observations): grpc.UntypedServiceImplementation {
  return {
    Unary(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      seen.peers.push(call.getPeer());
      const headers = new grpc.Metadata();
      const text = call.metadata.get('x-in')[0];
      const binary = call.metadata.get('x-in-bin')[0];
      if (text !== undefined) headers.set('x-echo', text);
      if (binary !== undefined) headers.set('x-echo-bin', binary);
      call.sendMetadata(headers);
      const trailers = new grpc.Metadata();
      trailers.set('x-trailer', 'done');
      trailers.set('x-trailer-bin', Buffer.from([9, 8, 7]));
      callback(null, call.request, trailers);
    },
    Fail(_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      const trailers = new grpc.Metadata();
      trailers.set('grpc-status-details-bin', FAILURE_DETAILS);
      trailers.set('x-why', 'because');
      callback({ code: grpc.status.FAILED_PRECONDITION, details: FAILURE_MESSAGE, metadata: trailers });
    },
    Sleep(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      const deadline = call.getDeadline();
      seen.sleepTimeoutsMs.push(deadline instanceof Date ? deadline.getTime() - Date.now() : deadline - Date.now());
      const timer = setTimeout(() => callback(null, Buffer.from('woke')), Number(call.request.toString()));
      call.on('cancelled', () => {
        clearTimeout(timer);
        seen.cancelled++;
      });
    },
    Stream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
      for (const size of JSON.parse(call.request.toString()) as number[]) call.write(Buffer.alloc(size, size % 251));
      call.end();
    },
    Collect(call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      const parts: Buffer[] = [];
      call.on('data', (part: Buffer) => parts.push(part));
      call.on('end', () => {
        seen.collectedMessages.push(parts.length);
        callback(null, Buffer.concat(parts));
      });
    },
  };
}

interface Backend {
  server: grpc.Server;
  port: number;
  address: string;
  seen: Observations;
}

async function startBackend(port = 0): Promise<Backend> {
  const seen: Observations = { peers: [], sleepTimeoutsMs: [], cancelled: 0, collectedMessages: [] };
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, echoImplementation(seen));
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return { server, port: boundPort, address: `127.0.0.1:${boundPort}`, seen };
}

function stopBackend(backend: Backend): Promise<void> {
  return new Promise((resolve) => {
    backend.server.forceShutdown();
    // forceShutdown closes the listener asynchronously; give it a tick before the port is reused.
    setImmediate(resolve);
  });
}

async function rejection(promise: Promise<unknown>): Promise<GrpcCallError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GrpcCallError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('GrpcChannel against a grpc-js backend', () => {
  let backend: Backend;
  let channel: GrpcChannel;

  beforeAll(async () => {
    backend = await startBackend();
    channel = new GrpcChannel(backend.address);
  });

  afterAll(async () => {
    await channel.close();
    await stopBackend(backend);
  });

  it('echoes a unary request', async () => {
    const request = Buffer.from('hello, backend');
    const reply = await channel.unary('/test.Echo/Unary', request);
    expect(reply.message).toEqual(request);
  });

  it('echoes an empty and a large message', async () => {
    expect((await channel.unary('/test.Echo/Unary', new Uint8Array(0))).message).toHaveLength(0);
    const large = Buffer.alloc(3 * 1024 * 1024, 7);
    expect((await channel.unary('/test.Echo/Unary', large)).message.equals(large)).toBe(true);
  });

  it('sends metadata and returns reply headers and trailers, -bin values as bytes', async () => {
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    const reply = await channel.unary('/test.Echo/Unary', Buffer.from('m'), {
      metadata: [
        ['X-In', 'text value'],
        ['x-in-bin', binary],
      ],
    });
    expect(reply.headers).toEqual([
      ['x-echo', 'text value'],
      ['x-echo-bin', binary],
    ]);
    expect(reply.trailers).toEqual([
      ['x-trailer', 'done'],
      ['x-trailer-bin', Buffer.from([9, 8, 7])],
    ]);
  });

  it('reports a backend error status with a decoded message, details and trailers', async () => {
    const error = await rejection(channel.unary('/test.Echo/Fail', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.FAILED_PRECONDITION, origin: 'backend', details: FAILURE_MESSAGE });
    expect(error.detailsBin).toEqual(FAILURE_DETAILS);
    expect(error.trailers).toEqual([['x-why', 'because']]);
    expect(error.message).toContain('FAILED_PRECONDITION');
  });

  it('reports an unknown method as UNIMPLEMENTED from the backend', async () => {
    const error = await rejection(channel.unary('/test.Echo/Nope', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNIMPLEMENTED, origin: 'backend' });
  });

  it('enforces the deadline locally and sends it as grpc-timeout', async () => {
    const started = Date.now();
    const error = await rejection(channel.unary('/test.Echo/Sleep', Buffer.from('5000'), { deadlineMs: started + 300 }));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ code: GrpcCode.DEADLINE_EXCEEDED, origin: 'deadline' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
    const observed = backend.seen.sleepTimeoutsMs.at(-1)!;
    expect(observed).toBeGreaterThan(200);
    expect(observed).toBeLessThanOrEqual(300);
    await until(() => backend.seen.cancelled === 1);
  });

  it('fails a call whose deadline has already passed without sending it', async () => {
    const calls = backend.seen.sleepTimeoutsMs.length;
    const error = await rejection(channel.unary('/test.Echo/Sleep', Buffer.from('1'), { deadlineMs: Date.now() - 1 }));
    expect(error).toMatchObject({ code: GrpcCode.DEADLINE_EXCEEDED, origin: 'deadline' });
    expect(backend.seen.sleepTimeoutsMs).toHaveLength(calls);
  });

  it('cancels the call when the signal aborts, and the backend sees the cancellation', async () => {
    const cancelledBefore = backend.seen.cancelled;
    const calls = backend.seen.sleepTimeoutsMs.length;
    const controller = new AbortController();
    const pending = rejection(channel.unary('/test.Echo/Sleep', Buffer.from('5000'), { signal: controller.signal }));
    await until(() => backend.seen.sleepTimeoutsMs.length > calls);
    controller.abort();
    expect(await pending).toMatchObject({ code: GrpcCode.CANCELLED, origin: 'cancelled' });
    await until(() => backend.seen.cancelled === cancelledBefore + 1);
  });

  it('runs concurrent calls on one HTTP/2 session', async () => {
    backend.seen.peers.length = 0;
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => channel.unary('/test.Echo/Unary', Buffer.from(`call ${i}`))));
    replies.forEach((reply, i) => expect(reply.message.toString()).toBe(`call ${i}`));
    expect(new Set(backend.seen.peers).size).toBe(1);
  });

  it('streams server messages as they arrive, including empty and multi-frame ones', async () => {
    const sizes = [1, 0, 10, 100_000, 3, 5, 70_000, 2];
    const messages: Buffer[] = [];
    const headerBlocks: unknown[] = [];
    const status = await new Promise<CallOutcome>((resolve) => {
      channel.serverStream('/test.Echo/Stream', Buffer.from(JSON.stringify(sizes)), {
        onHeaders: (headers) => headerBlocks.push(headers),
        onMessage: (message) => messages.push(Buffer.from(message)),
        onEnd: resolve,
      });
    });
    expect(status).toMatchObject({ code: GrpcCode.OK, origin: 'backend' });
    expect(headerBlocks).toHaveLength(1);
    expect(messages.map((message) => message.length)).toEqual(sizes);
    messages.forEach((message, i) => expect(message.equals(Buffer.alloc(sizes[i]!, sizes[i]! % 251))).toBe(true));
  });

  it('stops a server stream on cancel()', async () => {
    const status = await new Promise<CallOutcome>((resolve) => {
      const call = channel.serverStream('/test.Echo/Stream', Buffer.from(JSON.stringify([1, 2, 3])), {
        onMessage: () => call.cancel(),
        onEnd: resolve,
      });
    });
    expect(status).toMatchObject({ code: GrpcCode.CANCELLED, origin: 'cancelled' });
  });

  it('sends client-stream messages and receives the single reply', async () => {
    const call = channel.clientStream('/test.Echo/Collect');
    for (const part of ['a', 'bb', '', 'ccc']) expect(call.write(Buffer.from(part))).toBe(true);
    await call.drain();
    call.end();
    const reply = await call.reply;
    expect(reply.message.toString()).toBe('abbccc');
    expect(backend.seen.collectedMessages.at(-1)).toBe(4);
  });

  it('reports backpressure on a client stream and resumes after drain()', async () => {
    const call = channel.clientStream('/test.Echo/Collect');
    const chunk = Buffer.alloc(256 * 1024, 1);
    let writes = 0;
    while (call.write(chunk)) writes++;
    writes++;
    await call.drain();
    call.write(chunk);
    call.end();
    expect((await call.reply).message.length).toBe((writes + 1) * chunk.length);
  });

  it('rejects a cancelled client stream with CANCELLED', async () => {
    const call = channel.clientStream('/test.Echo/Collect');
    call.write(Buffer.from('x'));
    call.cancel();
    expect(await rejection(call.reply)).toMatchObject({ code: GrpcCode.CANCELLED, origin: 'cancelled' });
    expect(call.write(Buffer.from('y'))).toBe(false);
  });

  it('refuses metadata it cannot send', async () => {
    const error = await rejection(channel.unary('/test.Echo/Unary', Buffer.alloc(0), { metadata: [['grpc-timeout', '1S']] }));
    expect(error).toMatchObject({ code: GrpcCode.INTERNAL, origin: 'protocol' });
    expect(error.details).toContain('reserved');
  });
});

describe('GrpcChannel when the backend is down', () => {
  async function closedPort(): Promise<string> {
    const backend = await startBackend();
    await stopBackend(backend);
    return backend.address;
  }

  it('fails fast with UNAVAILABLE and backs off before trying to connect again', async () => {
    const channel = new GrpcChannel(await closedPort());
    try {
      const started = Date.now();
      const refused = await rejection(channel.unary('/test.Echo/Unary', Buffer.from('x')));
      expect(refused).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });
      expect(refused.details).toContain('ECONNREFUSED');
      const withinBackoff = await rejection(channel.unary('/test.Echo/Unary', Buffer.from('x')));
      expect(withinBackoff).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });
      expect(withinBackoff.details).toContain('next connection attempt');
      expect(Date.now() - started).toBeLessThan(250);

      await new Promise((resolve) => setTimeout(resolve, 120));
      const retried = await rejection(channel.unary('/test.Echo/Unary', Buffer.from('x')));
      expect(retried.details).toContain('ECONNREFUSED');
    } finally {
      await channel.close();
    }
  });

  it('reconnects once a restarted backend listens again', async () => {
    const firstLife = await startBackend();
    const channel = new GrpcChannel(firstLife.address);
    await channel.unary('/test.Echo/Unary', Buffer.from('up'));
    await stopBackend(firstLife);
    const lost = await rejection(channel.unary('/test.Echo/Unary', Buffer.from('down')));
    expect(lost).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });

    const secondLife = await startBackend(firstLife.port);
    try {
      const started = Date.now();
      let reply: Buffer | undefined;
      while (reply === undefined && Date.now() - started < 3000) {
        reply = await channel.unary('/test.Echo/Unary', Buffer.from('back')).then(
          (result) => result.message,
          () => new Promise<undefined>((resolve) => setTimeout(resolve, 20)),
        );
      }
      expect(reply?.toString()).toBe('back');
    } finally {
      await channel.close();
      await stopBackend(secondLife);
    }
  });

  it('lets calls in flight finish when closed, and refuses new ones', async () => {
    const backend = await startBackend();
    const channel = new GrpcChannel(backend.address);
    try {
      const inFlight = channel.unary('/test.Echo/Sleep', Buffer.from('100'));
      await until(() => backend.seen.sleepTimeoutsMs.length === 1);
      const closed = channel.close();
      const refused = await rejection(channel.unary('/test.Echo/Unary', Buffer.alloc(0)));
      expect(refused).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });
      expect((await inFlight).message.toString()).toBe('woke');
      await closed;
    } finally {
      await stopBackend(backend);
    }
  });

  it('rejects calls on a closed channel', async () => {
    const channel = new GrpcChannel('127.0.0.1:1');
    await channel.close();
    const error = await rejection(channel.unary('/test.Echo/Unary', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });
  });
});

describe('ChannelPool', () => {
  const pool = new ChannelPool();
  afterEach(() => pool.closeAll());

  it('keeps one channel per address', () => {
    expect(pool.get('127.0.0.1:1')).toBe(pool.get('127.0.0.1:1'));
    expect(pool.get('127.0.0.1:1')).not.toBe(pool.get('[::1]:1'));
    expect(pool.get('[::1]:1').address).toBe('[::1]:1');
  });

  it('rejects addresses that are not host:port', () => {
    expect(() => pool.get('localhost')).toThrow(TypeError);
    expect(() => pool.get('http://localhost:80')).toThrow(TypeError);
    expect(() => pool.get('user@localhost:80')).toThrow(TypeError);
    expect(() => pool.get('localhost:65536')).toThrow(TypeError);
    expect(pool.get('backend.internal:65535').address).toBe('backend.internal:65535');
  });
});
