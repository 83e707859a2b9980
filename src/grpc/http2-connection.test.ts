// The HTTP/2 connection's less common paths, through GrpcChannel against node:http2 servers
// configured to exercise them: padding, CONTINUATION, stream limits, flow control, PING, GOAWAY.
import http2, { type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCallError, GrpcChannel } from './channel.js';
import { GrpcCode } from './codes.js';
import { encodeMessageFrame } from './framing.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Replies with the request message, after `delayMs`, with extra reply headers. */
function echo(stream: ServerHttp2Stream, extraHeaders: Record<string, string> = {}, delayMs = 0): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    const reply = (): void => {
      if (stream.destroyed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...extraHeaders }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.concat(chunks));
    };
    if (delayMs > 0) setTimeout(reply, delayMs);
    else reply();
  });
}

async function serve(options: http2.ServerOptions, onStream: (stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void) {
  const server = http2.createServer(options);
  const sessions: ServerHttp2Session[] = [];
  server.on('session', (session) => sessions.push(session));
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    onStream(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const channel = new GrpcChannel(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  cleanups.push(async () => {
    await channel.close();
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { channel, sessions };
}

describe('Http2Connection', () => {
  it('reads padded HEADERS and DATA frames', async () => {
    const { channel } = await serve({ paddingStrategy: http2.constants.PADDING_STRATEGY_MAX }, (stream) => echo(stream));
    const reply = await channel.unary('/test.Echo/Unary', Buffer.from('padded'));
    expect(reply.message.toString()).toBe('padded');
  });

  it('sends and receives header blocks larger than a frame (CONTINUATION)', async () => {
    const big = 'v'.repeat(40_000);
    let seen = '';
    const { channel } = await serve({ settings: { maxHeaderListSize: 200_000 } }, (stream, headers) => {
      seen = String(headers['x-big']);
      echo(stream, { 'x-reply': big });
    });
    const reply = await channel.unary('/test.Echo/Unary', Buffer.from('m'), { metadata: [['x-big', big]] });
    expect(seen).toBe(big);
    expect(reply.headers).toEqual([['x-reply', big]]);
  });

  it('keeps to the backend\'s limit on concurrent streams, queueing the rest', async () => {
    let active = 0;
    let mostActive = 0;
    const { channel } = await serve({ settings: { maxConcurrentStreams: 2 } }, (stream) => {
      active++;
      mostActive = Math.max(mostActive, active);
      stream.on('close', () => active--);
      echo(stream, {}, 20);
    });
    // The first call lets the backend's SETTINGS arrive before the burst.
    await channel.unary('/test.Echo/Unary', Buffer.from('first'));
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => channel.unary('/test.Echo/Unary', Buffer.from(`call ${i}`))));
    expect(replies.map((r) => r.message.toString())).toEqual(Array.from({ length: 8 }, (_, i) => `call ${i}`));
    expect(mostActive).toBe(2);
  });

  it('sends a large request through small flow-control windows, and follows a window change mid-call', async () => {
    const request = Buffer.alloc(300_000, 3);
    const { channel } = await serve({ settings: { initialWindowSize: 1000 } }, (stream) => {
      stream.session?.settings({ initialWindowSize: 70_000 });
      echo(stream);
    });
    const reply = await channel.unary('/test.Echo/Unary', request);
    expect(reply.message.equals(request)).toBe(true);
  });

  it('answers the backend\'s PING', async () => {
    const { channel, sessions } = await serve({}, (stream) => echo(stream));
    await channel.unary('/test.Echo/Unary', Buffer.from('x'));
    const pinged = await new Promise<boolean>((resolve) => sessions[0].ping((error) => resolve(error === null)));
    expect(pinged).toBe(true);
  });

  it('fails calls the backend will not process after GOAWAY as UNAVAILABLE, and finishes the others', async () => {
    const streams: ServerHttp2Stream[] = [];
    const { channel, sessions } = await serve({}, (stream) => streams.push(stream));
    const first = channel.unary('/test.Echo/Unary', encodeMessageFrame(Buffer.from('a')));
    const second = channel.unary('/test.Echo/Unary', Buffer.from('b')).catch((error: unknown) => error);
    while (streams.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    // Only the first stream (id 1) will be processed.
    sessions[0].goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    const refused = (await second) as GrpcCallError;
    expect(refused).toBeInstanceOf(GrpcCallError);
    expect(refused).toMatchObject({ code: GrpcCode.UNAVAILABLE, origin: 'unavailable' });
    expect(refused.details).toContain('GOAWAY');
    streams[0].respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    streams[0].on('wantTrailers', () => streams[0].sendTrailers({ 'grpc-status': '0' }));
    streams[0].end(encodeMessageFrame(Buffer.from('done')));
    expect((await first).message.toString()).toBe('done');
    // A new call opens a new connection.
    streams.length = 0;
    const third = channel.unary('/test.Echo/Unary', Buffer.from('c'));
    while (streams.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    echo(streams[0]);
    expect((await third).message.toString()).toBe('c');
    expect(sessions).toHaveLength(2);
  });
});
