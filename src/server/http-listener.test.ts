// What a client sees from the listener itself: requests Node's HTTP parser
// refuses still get the JSON Status envelope and a 4xx, never a bare reset.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpListener } from './http-listener.js';

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
  });
}

describe('HttpListener', () => {
  let listener: HttpListener;
  let port: number;

  beforeAll(async () => {
    listener = new HttpListener({ host: '127.0.0.1', port: 0 }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '7' });
      res.end('proxied');
    });
    port = (await listener.listen()).port;
  });
  afterAll(() => listener.close());

  it.each([
    ['an unknown method', 'FOO /kv/x HTTP/1.1\r\nhost: x\r\n\r\n'],
    ['a malformed request line', 'GET /kv/x HTTP/9\r\n\r\n'],
    ['a header without a colon', 'GET /kv/x HTTP/1.1\r\nbroken header\r\n\r\n'],
  ])('answers %s with 400 and a google.rpc.Status body', async (_name, text) => {
    const reply = await rawRequest(port, text);
    const [head, body] = reply.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(body)).toMatchObject({ code: 3, details: [] });
    expect(JSON.parse(body).message).toMatch(/^malformed HTTP request: /);
  });

  it('passes a well-formed request to the proxy handler', async () => {
    const reply = await rawRequest(port, 'GET /kv/x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply.endsWith('proxied')).toBe(true);
  });
});
