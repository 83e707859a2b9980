// GrpcChannel against hand-written node:http2 servers that misbehave (or behave) in exact ways.
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCallError, GrpcChannel, type CallOutcome } from './channel.js';
import { GrpcCode } from './codes.js';
import { encodeMessageFrame } from './framing.js';

type Responder = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

const GRPC_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw HTTP/2 server answering every stream with `respond`, and a channel to it. */
async function serve(respond: Responder, options: { connectTimeoutMs?: number; maxReceiveMessageBytes?: number } = {}) {
  const requests: IncomingHttpHeaders[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    requests.push(headers);
    respond(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const channel = new GrpcChannel(`127.0.0.1:${(server.address() as net.AddressInfo).port}`, options);
  cleanups.push(async () => {
    await channel.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { channel, requests, server };
}

function replyWith(body: Buffer | undefined, trailers: Record<string, string> | undefined): Responder {
  return (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: trailers !== undefined });
    if (trailers !== undefined) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.end(body);
  };
}

async function failure(promise: Promise<unknown>): Promise<GrpcCallError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GrpcCallError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('GrpcChannel request', () => {
  it('sends the gRPC request headers, the timeout and metadata in wire form', async () => {
    const { channel, requests } = await serve(replyWith(encodeMessageFrame(Buffer.from('ok')), { 'grpc-status': '0' }));
    await channel.unary('/pkg.Service/Method', Buffer.from('req'), {
      deadlineMs: Date.now() + 5000,
      metadata: [
        ['x-text', 'a'],
        ['x-text', 'b'],
        ['x-raw-bin', Buffer.from([1])],
        ['x-forwarded-bin', 'AQID'],
      ],
    });
    const headers = requests[0]!;
    expect(headers).toMatchObject({
      ':method': 'POST',
      ':scheme': 'http',
      ':path': '/pkg.Service/Method',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-accept-encoding': 'identity',
      'x-text': 'a, b',
      'x-raw-bin': 'AQ',
      'x-forwarded-bin': 'AQID',
    });
    expect(headers[':authority']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(headers['grpc-timeout']).toMatch(/^(49\d\dm|5S)$/);
  });

  it('sends the request as one length-prefixed message', async () => {
    let received = Buffer.alloc(0);
    const { channel } = await serve((stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received = Buffer.concat(chunks);
        replyWith(encodeMessageFrame(Buffer.alloc(0)), { 'grpc-status': '0' })(stream, {});
      });
    });
    await channel.unary('/pkg.Service/Method', Buffer.from('abc'));
    expect(received).toEqual(Buffer.from([0, 0, 0, 0, 3, 0x61, 0x62, 0x63]));
  });
});

describe('GrpcChannel reply classification', () => {
  it('reports a 200 reply that ends without grpc-status as UNKNOWN (protocol)', async () => {
    const { channel } = await serve(replyWith(encodeMessageFrame(Buffer.from('ok')), undefined));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNKNOWN, origin: 'protocol' });
    expect(error.details).toContain('without sending a grpc-status');
  });

  it.each([
    [503, GrpcCode.UNAVAILABLE],
    [404, GrpcCode.UNIMPLEMENTED],
    [401, GrpcCode.UNAUTHENTICATED],
    [500, GrpcCode.UNKNOWN],
  ])('maps HTTP status %i without grpc-status to code %i (protocol)', async (httpStatus, code) => {
    const { channel } = await serve((stream) => {
      stream.respond({ ':status': httpStatus, 'content-type': 'text/plain' });
      stream.end('upstream connect error');
    });
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code, origin: 'protocol' });
    expect(error.details).toContain(`HTTP status ${httpStatus} (text/plain)`);
  });

  it('reports a 200 reply that is not application/grpc as UNKNOWN (protocol)', async () => {
    const { channel } = await serve((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/html' });
      stream.end('<html>');
    });
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNKNOWN, origin: 'protocol' });
  });

  it('takes the status and trailers of a Trailers-Only reply from its headers', async () => {
    const { channel } = await serve((stream) => {
      stream.respond(
        { ...GRPC_HEADERS, 'grpc-status': '5', 'grpc-message': 'no such thing: 100%25', 'x-reason': 'gone', 'x-code-bin': 'AAE=' },
        { endStream: true },
      );
    });
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.NOT_FOUND, origin: 'backend', details: 'no such thing: 100%' });
    expect(error.headers).toEqual([]);
    expect(error.trailers).toEqual([
      ['x-reason', 'gone'],
      ['x-code-bin', Buffer.from([0, 1])],
    ]);
  });

  it('passes through status codes beyond the standard ones', async () => {
    const { channel } = await serve(replyWith(undefined, { 'grpc-status': '42' }));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: 42, origin: 'backend' });
  });

  it('reports a malformed grpc-status as UNKNOWN (protocol)', async () => {
    const { channel } = await serve(replyWith(undefined, { 'grpc-status': 'ok' }));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNKNOWN, origin: 'protocol' });
  });

  it('reports OK without a reply message as UNIMPLEMENTED (protocol)', async () => {
    const { channel } = await serve(replyWith(undefined, { 'grpc-status': '0' }));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNIMPLEMENTED, origin: 'protocol' });
    expect(error.details).toContain('no response message');
  });

  it('reports two reply messages to a unary call as UNIMPLEMENTED (protocol)', async () => {
    const twoMessages = Buffer.concat([encodeMessageFrame(Buffer.from('a')), encodeMessageFrame(Buffer.from('b'))]);
    const { channel } = await serve(replyWith(twoMessages, { 'grpc-status': '0' }));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNIMPLEMENTED, origin: 'protocol' });
  });

  it('reports a compressed reply message as INTERNAL (protocol)', async () => {
    const compressed = encodeMessageFrame(Buffer.from('zz'));
    compressed[0] = 1;
    const { channel } = await serve(replyWith(compressed, { 'grpc-status': '0' }));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.INTERNAL, origin: 'protocol' });
    expect(error.details).toContain('compressed');
  });

  it('reports a reply cut off in the middle of a message as INTERNAL (protocol)', async () => {
    const truncated = encodeMessageFrame(Buffer.from('whole message')).subarray(0, 9);
    const { channel } = await serve(replyWith(truncated, { 'grpc-status': '0' }));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.INTERNAL, origin: 'protocol' });
  });

  it('refuses a reply message above maxReceiveMessageBytes with RESOURCE_EXHAUSTED', async () => {
    const { channel } = await serve(replyWith(encodeMessageFrame(Buffer.alloc(2048)), { 'grpc-status': '0' }), { maxReceiveMessageBytes: 1024 });
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.RESOURCE_EXHAUSTED, origin: 'protocol' });
  });

  it('decodes a percent-encoded grpc-message', async () => {
    const { channel } = await serve(replyWith(undefined, { 'grpc-status': '3', 'grpc-message': 'caf%C3%A9 %E2%9C%93 50%25 %zz' }));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error.details).toBe('café ✓ 50% %zz');
  });

  it.each([
    [http2.constants.NGHTTP2_REFUSED_STREAM, GrpcCode.UNAVAILABLE, 'unavailable'],
    [http2.constants.NGHTTP2_CANCEL, GrpcCode.CANCELLED, 'protocol'],
    [http2.constants.NGHTTP2_INTERNAL_ERROR, GrpcCode.INTERNAL, 'protocol'],
  ])('maps a backend RST_STREAM with error code %i to code %i', async (errorCode, code, origin) => {
    const { channel } = await serve((stream) => stream.close(errorCode));
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code, origin });
  });
});

describe('GrpcChannel server streaming over a raw server', () => {
  it('handles several messages per DATA frame and messages split across frames', async () => {
    const frames = Buffer.concat(['one', 'two', '', 'four'].map((text) => encodeMessageFrame(Buffer.from(text))));
    const { channel } = await serve((stream) => {
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-count': '4' }));
      // Two writes that split the third frame's prefix, coalesced or not by the transport.
      stream.write(frames.subarray(0, 18));
      setTimeout(() => stream.end(frames.subarray(18)), 10);
    });
    const messages: string[] = [];
    const status = await new Promise<CallOutcome>((resolve) => {
      channel.serverStream('/pkg.Service/Watch', Buffer.alloc(0), { onMessage: (message) => messages.push(message.toString()), onEnd: resolve });
    });
    expect(messages).toEqual(['one', 'two', '', 'four']);
    expect(status).toMatchObject({ code: GrpcCode.OK, trailers: [['x-count', '4']] });
  });

  it('ends the stream with UNKNOWN when the backend sends no status', async () => {
    const { channel } = await serve(replyWith(encodeMessageFrame(Buffer.from('m')), undefined));
    const status = await new Promise<CallOutcome>((resolve) => {
      channel.serverStream('/pkg.Service/Watch', Buffer.alloc(0), { onMessage: () => {}, onEnd: resolve });
    });
    expect(status).toMatchObject({ code: GrpcCode.UNKNOWN, origin: 'protocol' });
  });

  it('reports a failure found before sending through onEnd, after serverStream() returned', async () => {
    const { channel } = await serve(replyWith(undefined, { 'grpc-status': '0' }));
    const events: string[] = [];
    const ended = new Promise<CallOutcome>((resolve) => {
      channel.serverStream('/pkg.Service/Watch', Buffer.alloc(0), { onMessage: () => {}, onEnd: resolve }, { deadlineMs: 0 });
      events.push('returned');
    });
    const status = await ended;
    expect(events).toEqual(['returned']);
    expect(status).toMatchObject({ code: GrpcCode.DEADLINE_EXCEEDED, origin: 'deadline' });
  });
});

describe('GrpcChannel connection failures', () => {
  it('fails a call with UNAVAILABLE when the connection drops mid-call', async () => {
    const { channel } = await serve((stream) => {
      stream.respond(GRPC_HEADERS);
      setTimeout(() => stream.session?.destroy(), 20);
    });
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });
  });

  it('gives up on a backend that accepts TCP but never speaks HTTP/2 after connectTimeoutMs', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const channel = new GrpcChannel(`127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { connectTimeoutMs: 150 });
    cleanups.push(async () => {
      await channel.close();
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    });
    const started = Date.now();
    const error = await failure(channel.unary('/pkg.Service/Method', Buffer.alloc(0)));
    expect(error).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });
    expect(error.details).toContain('150 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('moves to a new session after the backend sends GOAWAY', async () => {
    const sessions = new Set<http2.Http2Session>();
    const { channel } = await serve((stream) => {
      const session = stream.session!;
      sessions.add(session);
      replyWith(encodeMessageFrame(Buffer.from('ok')), { 'grpc-status': '0' })(stream, {});
      stream.on('close', () => session.close());
    });
    await channel.unary('/pkg.Service/Method', Buffer.alloc(0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await channel.unary('/pkg.Service/Method', Buffer.alloc(0));
    expect(sessions.size).toBe(2);
  });
});
