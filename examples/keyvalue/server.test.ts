import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { shippedRoot } from '../../src/protos/root.js';
import { BASIC_SERVICE, TTL_SERVICE, startKeyValuePattern, type RunningPattern } from './server.js';

type UnaryCallback = (err: grpc.ServiceError | null, response?: PlainMessage) => void;
type UnaryMethod = (request: PlainMessage, metadata: grpc.Metadata, callback: UnaryCallback) => grpc.ClientUnaryCall;

function clientFor(serviceName: string, address: string): grpc.Client {
  const Client = grpc.makeGenericClientConstructor(serviceDefinition(shippedRoot().lookupService(serviceName)), serviceName);
  return new Client(address, grpc.credentials.createInsecure());
}

/** Calls a unary method by name; resolves with the response as proto JSON (defaults omitted). */
function call(client: grpc.Client, method: string, request: PlainMessage, metadata = new grpc.Metadata()): Promise<PlainMessage> {
  const unary = (client as unknown as Record<string, UnaryMethod>)[method]!;
  return new Promise((resolve, reject) => {
    unary.call(client, request, metadata, (err, response) => (err ? reject(err) : resolve(response!)));
  });
}

const base64 = (text: string) => Buffer.from(text).toString('base64');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('keyvalue pattern over gRPC', () => {
  let pattern: RunningPattern;
  let basic: grpc.Client;
  let ttl: grpc.Client;
  const kv = (method: string, request: PlainMessage) => call(basic, method, request);
  const kvTtl = (method: string, request: PlainMessage) => call(ttl, method, request);

  beforeAll(async () => {
    pattern = await startKeyValuePattern({ address: '127.0.0.1:0' });
    basic = clientFor(BASIC_SERVICE, pattern.address);
    ttl = clientFor(TTL_SERVICE, pattern.address);
  });

  afterAll(async () => {
    basic.close();
    ttl.close();
    await pattern.close();
  });

  it('binds the real port when asked for port 0', () => {
    expect(pattern.address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
  });

  it('Set then Get returns the bytes; Exists sees the key', async () => {
    expect(await kv('Set', { key: 'greeting', value: base64('hello'), tags: { tags: { owner: 'me' } } })).toEqual({ success: true });
    expect(await kv('Get', { key: 'greeting' })).toEqual({ found: true, value: base64('hello') });
    expect(await kv('Exists', { key: 'greeting' })).toEqual({ exists: true });
  });

  it('Get of a missing key is OK with found false (omitted as the proto default)', async () => {
    expect(await kv('Get', { key: 'never-set' })).toEqual({});
    expect(await kv('Exists', { key: 'never-set' })).toEqual({});
  });

  it('stores an empty value as found with no bytes', async () => {
    await kv('Set', { key: 'empty' });
    expect(await kv('Get', { key: 'empty' })).toEqual({ found: true });
  });

  it('Delete removes the key and succeeds for a missing key too', async () => {
    await kv('Set', { key: 'doomed', value: base64('x') });
    expect(await kv('Delete', { key: 'doomed' })).toEqual({ success: true });
    expect(await kv('Get', { key: 'doomed' })).toEqual({});
    expect(await kv('Delete', { key: 'doomed' })).toEqual({ success: true });
  });

  it("keeps keys containing '/' apart", async () => {
    await kv('Set', { key: 'a/b', value: base64('short') });
    await kv('Set', { key: 'a/b/c', value: base64('long') });
    expect(await kv('Get', { key: 'a/b' })).toEqual({ found: true, value: base64('short') });
    expect(await kv('Get', { key: 'a/b/c' })).toEqual({ found: true, value: base64('long') });
    await kv('Delete', { key: 'a/b' });
    expect(await kv('Exists', { key: 'a/b/c' })).toEqual({ exists: true });
  });

  it('refuses an empty key with INVALID_ARGUMENT on every interface', async () => {
    for (const attempt of [kv('Get', {}), kv('Set', { key: '', value: base64('x') }), kvTtl('Expire', { key: '', ttl_seconds: '5' })]) {
      await expect(attempt).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'key must not be empty' });
    }
  });

  it('GetTTL is -1 without an expiry and -2 without a key', async () => {
    await kv('Set', { key: 'forever', value: base64('x') });
    expect(await kvTtl('GetTTL', { key: 'forever' })).toEqual({ ttl_seconds: '-1' });
    expect(await kvTtl('GetTTL', { key: 'nobody' })).toEqual({ ttl_seconds: '-2' });
  });

  it('a key with a 1-second TTL disappears after it', async () => {
    await kv('Set', { key: 'short/lived', value: base64('x') });
    expect(await kvTtl('Expire', { key: 'short/lived', ttl_seconds: '1' })).toEqual({ success: true, key_existed: true });
    expect(await kvTtl('GetTTL', { key: 'short/lived' })).toEqual({ ttl_seconds: '1' });
    await sleep(1_100);
    expect(await kv('Get', { key: 'short/lived' })).toEqual({});
    expect(await kv('Exists', { key: 'short/lived' })).toEqual({});
    expect(await kvTtl('GetTTL', { key: 'short/lived' })).toEqual({ ttl_seconds: '-2' });
  });

  it('Expire of a missing key reports that it did not exist', async () => {
    expect(await kvTtl('Expire', { key: 'absent', ttl_seconds: '10' })).toEqual({ error: 'key not found' });
  });

  it('Expire with a ttl of zero or less deletes the key', async () => {
    await kv('Set', { key: 'now-gone', value: base64('x') });
    expect(await kvTtl('Expire', { key: 'now-gone', ttl_seconds: '0' })).toEqual({ success: true, key_existed: true });
    expect(await kv('Exists', { key: 'now-gone' })).toEqual({});
  });

  it('Persist removes an expiry and says whether there was one', async () => {
    await kv('Set', { key: 'saved', value: base64('x') });
    await kvTtl('Expire', { key: 'saved', ttl_seconds: '100' });
    expect(await kvTtl('GetTTL', { key: 'saved' })).toEqual({ ttl_seconds: '100' });
    expect(await kvTtl('Persist', { key: 'saved' })).toEqual({ success: true, expiration_removed: true });
    expect(await kvTtl('GetTTL', { key: 'saved' })).toEqual({ ttl_seconds: '-1' });
    expect(await kvTtl('Persist', { key: 'saved' })).toEqual({ success: true });
    expect(await kvTtl('Persist', { key: 'absent' })).toEqual({ error: 'key not found' });
  });

  it('refuses a TTL too large to keep exactly', async () => {
    await kv('Set', { key: 'big', value: base64('x') });
    await expect(kvTtl('Expire', { key: 'big', ttl_seconds: '9223372036854775807' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});

describe('keyvalue pattern logging and shutdown', () => {
  it("logs each call's prism-namespace only in debug mode", async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const quiet = await startKeyValuePattern({ address: '127.0.0.1:0', debug: false });
    const chatty = await startKeyValuePattern({ address: '127.0.0.1:0', debug: true });
    const metadata = new grpc.Metadata();
    metadata.set('prism-namespace', 'orders');
    const quietClient = clientFor(BASIC_SERVICE, quiet.address);
    const chattyClient = clientFor(BASIC_SERVICE, chatty.address);
    try {
      await call(quietClient, 'Exists', { key: 'k' }, metadata);
      expect(stderr).not.toHaveBeenCalled();
      await call(chattyClient, 'Exists', { key: 'k' }, metadata);
      const logged = JSON.parse(String(stderr.mock.calls[0]![0]));
      expect(logged).toMatchObject({ level: 'debug', method: `${BASIC_SERVICE}/Exists`, namespace: 'orders' });
    } finally {
      stderr.mockRestore();
      quietClient.close();
      chattyClient.close();
      await Promise.all([quiet.close(), chatty.close()]);
    }
  });

  it('close() returns promptly with a client still connected, and the port stops answering', async () => {
    const pattern = await startKeyValuePattern({ address: '127.0.0.1:0' });
    const client = clientFor(BASIC_SERVICE, pattern.address);
    await call(client, 'Exists', { key: 'k' });
    const started = Date.now();
    await pattern.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(call(client, 'Exists', { key: 'k' })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    client.close();
  });
});
