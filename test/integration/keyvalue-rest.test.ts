// The keyvalue REST frontend end to end: routes/keyvalue-rest.yaml registered
// through the admin's gRPC API, a namespace (routes/namespaces/default.yaml)
// pointed at a real keyvalue example pattern, and HTTP requests to the real
// proxy over loopback.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyValuePattern, type RunningPattern } from '../../examples/keyvalue/server.js';
import type { Frontend } from '../../src/frontend/model.js';
import { Proxy } from '../../src/server/proxy.js';
import { adminConfigSource } from '../../src/server/admin-source.js';
import { Http, b64, closedPort, defaultNamespace, keyvalueFrontend, silentLogger, sleep, startStack, type Stack } from './helpers.js';

const JSON_HEADERS = { 'content-type': 'application/json' };
const SMALL_LIMIT = 64;

/** A copy of the keyvalue frontend under /small whose bodies may be at most SMALL_LIMIT bytes. */
function smallBodyFrontend(): Frontend {
  const frontend = keyvalueFrontend();
  return {
    ...frontend,
    name: 'keyvalue-small',
    rest: { ...frontend.rest, base_path: '/small', options: { ...frontend.rest!.options, max_body_bytes: SMALL_LIMIT } },
  };
}

/** The value of one prism_http_requests_total series (0 when absent). */
function requestCount(metrics: string, frontend: string, route: string, status: number): number {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('prism_http_requests_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.indexOf('}'));
    if (
      labels.includes(`frontend="${frontend}"`) &&
      labels.includes(`route="${route}"`) &&
      labels.includes(`status="${status}"`)
    ) {
      return Number(line.slice(line.indexOf('}') + 1).trim());
    }
  }
  return 0;
}

describe('keyvalue REST frontend through admin, proxy and pattern', () => {
  let pattern: RunningPattern;
  let stack: Stack;
  let namespaceRevision: string;

  const put = (path: string, value: string, tags?: Record<string, string>) =>
    stack.http.sendJson('PUT', path, tags ? { value: b64(value), tags: { tags } } : { value: b64(value) });

  beforeAll(async () => {
    pattern = await startKeyValuePattern({ address: '127.0.0.1:0' });
    stack = await startStack();
    await stack.admin.registerFrontend(keyvalueFrontend());
    await stack.admin.registerFrontend(smallBodyFrontend());
    const ns = defaultNamespace(pattern.address);
    const registered = await stack.admin.registerNamespace({ ...ns, frontends: [...(ns.frontends ?? []), { frontend: 'keyvalue-small' }] });
    namespaceRevision = registered.revision!;
    await stack.proxy.waitForRevision(namespaceRevision);
  });

  afterAll(async () => {
    await stack?.close();
    await pattern?.close();
  });

  describe('set and get', () => {
    it('PUT a JSON body, then GET returns the value as base64 JSON', async () => {
      const set = await put('/kv/greeting', 'hello', { a: 'b' });
      expect(set.status).toBe(200);

      const got = await stack.http.get('/kv/greeting');
      expect(got.status).toBe(200);
      expect(got.header('content-type')).toMatch(/^application\/json\b/);
      expect(got.json()).toEqual({ value: b64('hello') });
    });

    it('PUT raw bytes as application/octet-stream, then GET returns their base64', async () => {
      const bytes = Buffer.from([0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x0d]);
      const set = await stack.http.send('PUT', '/kv/raw-bytes', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
      expect(set.status).toBe(200);

      const got = await stack.http.get('/kv/raw-bytes');
      expect(got.status).toBe(200);
      expect(got.json()).toEqual({ value: bytes.toString('base64') });
    });

    it('a later PUT replaces the value', async () => {
      expect((await put('/kv/replaced', 'first')).status).toBe(200);
      expect((await put('/kv/replaced', 'second')).status).toBe(200);
      expect((await stack.http.get('/kv/replaced')).json()).toEqual({ value: b64('second') });
    });

    it('GET of a key never set is 404 with a google.rpc.Status body', async () => {
      const got = await stack.http.get('/kv/never-set-anywhere');
      expect(got.status).toBe(404);
      expect(got.header('content-type')).toMatch(/^application\/json\b/);
      expect(got.json()).toEqual({ code: 5, message: expect.any(String), details: [] });
    });
  });

  describe('keys', () => {
    // Each case: the path the value is written under, and a different spelling
    // of the same key that must read it back.
    it.each([
      { what: "'/' inside the key", written: '/kv/a/b/c', readAs: '/kv/a/b/c' },
      // The frontend sets `unescape: ALL_CHARACTERS` ("decode every escape,
      // '%2F' included"): /kv/x%2Fy and /kv/x/y therefore name the same key.
      { what: '%2F is the same key as /', written: '/kv/x/y', readAs: '/kv/x%2Fy' },
      { what: '/ is the same key as %2F', written: '/kv/p%2Fq', readAs: '/kv/p/q' },
      { what: 'lower-case %2f', written: '/kv/m/n', readAs: '/kv/m%2fn' },
      { what: 'a space as %20', written: '/kv/with%20space', readAs: '/kv/with%20space' },
      { what: 'unicode, percent-encoded UTF-8', written: `/kv/${encodeURIComponent('ключ-✓-日本')}`, readAs: `/kv/${encodeURIComponent('ключ-✓-日本')}` },
      { what: 'an escaped reserved character', written: '/kv/q%3Fx', readAs: '/kv/q%3fx' },
    ])('$what', async ({ written, readAs }) => {
      const value = `value of ${written}`;
      expect((await put(written, value)).status).toBe(200);
      const got = await stack.http.get(readAs);
      expect(got.status).toBe(200);
      expect(got.json()).toEqual({ value: b64(value) });
    });

    it('a space and its escape are one key, and differ from a key without the space', async () => {
      expect((await put('/kv/two%20words', 'spaced')).status).toBe(200);
      expect((await stack.http.get('/kv/twowords')).status).toBe(404);
    });

    it('keys that differ only below the first segment are different keys', async () => {
      expect((await put('/kv/tree/left', 'L')).status).toBe(200);
      expect((await put('/kv/tree/right', 'R')).status).toBe(200);
      expect((await stack.http.get('/kv/tree/left')).json()).toEqual({ value: b64('L') });
      expect((await stack.http.get('/kv/tree/right')).json()).toEqual({ value: b64('R') });
      expect((await stack.http.get('/kv/tree')).status).toBe(404);
    });
  });

  describe('HEAD and DELETE', () => {
    it('HEAD on an existing key is 200 with no body; on a missing key 404 with no body', async () => {
      expect((await put('/kv/present', 'here')).status).toBe(200);
      const present = await stack.http.send('HEAD', '/kv/present');
      expect(present.status).toBe(200);
      expect(present.body.length).toBe(0);

      const missing = await stack.http.send('HEAD', '/kv/absent-key');
      expect(missing.status).toBe(404);
      expect(missing.body.length).toBe(0);
    });

    it('DELETE removes the key: GET is then 404 with {"code":5,"message":…,"details":[]}', async () => {
      expect((await put('/kv/doomed', 'bye')).status).toBe(200);
      expect((await stack.http.send('DELETE', '/kv/doomed')).status).toBe(200);

      const got = await stack.http.get('/kv/doomed');
      expect(got.status).toBe(404);
      const body = got.json();
      expect(body).toEqual({ code: 5, message: expect.any(String), details: [] });
      expect(body.message.length).toBeGreaterThan(0);
      expect((await stack.http.send('HEAD', '/kv/doomed')).status).toBe(404);
    });
  });

  describe('TTL verbs', () => {
    it('POST :expire?seconds=1, GET :ttl says "1" (int64 as a string), and the key is gone after the second', async () => {
      expect((await put('/kv/session/abc', 'token')).status).toBe(200);
      const expire = await stack.http.send('POST', '/kv/session/abc:expire?seconds=1');
      expect(expire.status).toBe(200);

      const ttl = await stack.http.get('/kv/session/abc:ttl');
      expect(ttl.status).toBe(200);
      expect(ttl.json()).toEqual({ ttlSeconds: '1' });

      expect((await stack.http.get('/kv/session/abc')).status).toBe(200);
      await sleep(1100);
      expect((await stack.http.get('/kv/session/abc')).status).toBe(404);
      expect((await stack.http.get('/kv/session/abc:ttl')).status).toBe(404);
    });

    it(':expire on a missing key is 404', async () => {
      expect((await stack.http.send('POST', '/kv/no-such-key:expire?seconds=5')).status).toBe(404);
    });

    it(':expire without seconds is 400 naming "seconds"', async () => {
      expect((await put('/kv/ttl-target', 'x')).status).toBe(200);
      const res = await stack.http.send('POST', '/kv/ttl-target:expire');
      expect(res.status).toBe(400);
      expect(res.json().code).toBe(3);
      expect(res.json().message).toContain('seconds');
    });

    it(':expire?seconds=abc is 400 naming the parameter and the expected type', async () => {
      const res = await stack.http.send('POST', '/kv/ttl-target:expire?seconds=abc');
      expect(res.status).toBe(400);
      const { code, message } = res.json();
      expect(code).toBe(3);
      expect(message).toContain('seconds');
      expect(message).toMatch(/int64|integer/);
      // The key was not touched.
      expect((await stack.http.get('/kv/ttl-target:ttl')).json()).toEqual({ ttlSeconds: '-1' });
    });
  });

  describe('refused requests', () => {
    it('an unknown query parameter is 400 (the frontend is strict_query) and names it', async () => {
      expect((await put('/kv/strict', 'x')).status).toBe(200);
      const res = await stack.http.get('/kv/strict?colour=blue');
      expect(res.status).toBe(400);
      expect(res.json().message).toContain('colour');
    });

    it('PATCH is 405 with an Allow header listing GET, PUT, DELETE and HEAD but not PATCH', async () => {
      const res = await stack.http.send('PATCH', '/kv/x', { headers: JSON_HEADERS, body: '{}' });
      expect(res.status).toBe(405);
      const allow = (res.header('allow') ?? '').split(',').map((m) => m.trim());
      expect(allow).toEqual(expect.arrayContaining(['GET', 'PUT', 'DELETE', 'HEAD']));
      expect(allow).not.toContain('PATCH');
      expect(res.json().code).toBe(12);
    });

    it('OPTIONS is 204 with the same Allow header', async () => {
      const res = await stack.http.send('OPTIONS', '/kv/x');
      expect(res.status).toBe(204);
      expect(res.body.length).toBe(0);
      const allow = (res.header('allow') ?? '').split(',').map((m) => m.trim());
      expect(allow).toEqual(expect.arrayContaining(['GET', 'PUT', 'DELETE', 'HEAD']));
      expect(allow).not.toContain('PATCH');
    });

    it('an unknown path is 404 with a JSON error body', async () => {
      const res = await stack.http.get('/nope');
      expect(res.status).toBe(404);
      expect(res.header('content-type')).toMatch(/^application\/json\b/);
      expect(res.json()).toEqual({ code: 5, message: expect.stringContaining('/nope'), details: [] });
    });

    it.each([
      { what: 'truncated', body: '{"value": ', names: /end of input/i },
      // The message says where: the offending '}' is at offset 17.
      { what: 'a trailing comma', body: '{"value": "aGk=",}', names: /\b17\b/ },
      { what: 'not JSON at all', body: 'value=aGk=', names: /\b0\b/ },
      { what: 'a duplicated key', body: '{"value": "aGk=", "value": "aGk="}', names: /duplicate.*value/i },
    ])('a malformed JSON body ($what) is 400 whose message names the problem', async ({ body, names }) => {
      const res = await stack.http.send('PUT', '/kv/bad-json', { headers: JSON_HEADERS, body });
      expect(res.status).toBe(400);
      const { code, message } = res.json();
      expect(code).toBe(3);
      expect(message).toMatch(/JSON/);
      expect(message).toMatch(names);
      expect((await stack.http.get('/kv/bad-json')).status).toBe(404);
    });

    it('a body that is not base64 where bytes are expected is 400 naming the field', async () => {
      const res = await stack.http.sendJson('PUT', '/kv/bad-bytes', { value: '***' });
      expect(res.status).toBe(400);
      expect(res.json().message).toContain('value');
    });

    it('Content-Type application/xml is 415', async () => {
      const res = await stack.http.send('PUT', '/kv/xml', { headers: { 'content-type': 'application/xml' }, body: '<v>1</v>' });
      expect(res.status).toBe(415);
      expect(res.json().message).toContain('application/xml');
      expect((await stack.http.get('/kv/xml')).status).toBe(404);
    });

    it('a body over max_body_bytes is 413; one under the limit is stored', async () => {
      const small = await stack.http.sendJson('PUT', '/small/k', { value: b64('tiny') });
      expect(small.status).toBe(200);
      expect((await stack.http.get('/small/k')).json()).toEqual({ value: b64('tiny') });

      const big = await stack.http.sendJson('PUT', '/small/k', { value: b64('x'.repeat(SMALL_LIMIT * 4)) });
      expect(big.status).toBe(413);
      expect(big.json().message).toContain(String(SMALL_LIMIT));
      // Without a Content-Length (chunked), the limit holds while reading.
      const chunked = await stack.http.send('PUT', '/small/k', {
        headers: JSON_HEADERS,
        body: Readable.from([Buffer.from('{"value": "'), Buffer.from('A'.repeat(SMALL_LIMIT * 4)), Buffer.from('"}')]),
      });
      expect(chunked.status).toBe(413);
      // The same body is fine under the shared frontend's default limit.
      expect((await stack.http.sendJson('PUT', '/kv/k-big', { value: b64('x'.repeat(SMALL_LIMIT * 4)) })).status).toBe(200);
      expect((await stack.http.get('/small/k')).json()).toEqual({ value: b64('tiny') });
    });
  });

  describe('operations endpoints', () => {
    it('/readyz is 200 once the configuration is loaded, /healthz is 200', async () => {
      const ready = await stack.http.get('/readyz');
      expect(ready.status).toBe(200);
      expect(BigInt(ready.json().revision)).toBeGreaterThanOrEqual(BigInt(namespaceRevision));
      expect((await stack.http.get('/healthz')).status).toBe(200);
    });

    it('before any configuration is loaded (admin unreachable) /readyz is 503, /healthz 200, and requests 503', async () => {
      const source = adminConfigSource(`127.0.0.1:${await closedPort()}`);
      const proxy = new Proxy({ source, listen: { host: '127.0.0.1', port: 0 }, logger: silentLogger });
      await proxy.start();
      const http = new Http(`http://127.0.0.1:${proxy.address.port}`);
      try {
        const ready = await http.get('/readyz');
        expect(ready.status).toBe(503);
        expect((await http.get('/healthz')).status).toBe(200);
        const proxied = await http.get('/kv/anything');
        expect(proxied.status).toBe(503);
        expect(proxied.json()).toMatchObject({ code: 14 });
      } finally {
        await http.close();
        await proxy.stop();
        source.close();
      }
    });

    it('/metrics counts requests per frontend, route and status and shows the config revision', async () => {
      const before = (await stack.http.get('/metrics')).text;
      expect((await put('/kv/metered', 'm')).status).toBe(200);
      expect((await stack.http.get('/kv/metered')).status).toBe(200);
      expect((await stack.http.get('/kv/metered-missing')).status).toBe(404);
      const res = await stack.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.header('content-type')).toMatch(/^text\/plain/);
      const after = res.text;

      expect(requestCount(after, 'keyvalue-rest', 'getKey', 200)).toBe(requestCount(before, 'keyvalue-rest', 'getKey', 200) + 1);
      expect(requestCount(after, 'keyvalue-rest', 'getKey', 404)).toBe(requestCount(before, 'keyvalue-rest', 'getKey', 404) + 1);
      expect(requestCount(after, 'keyvalue-rest', 'setKey', 200)).toBe(requestCount(before, 'keyvalue-rest', 'setKey', 200) + 1);
      const revision = /^prism_config_revision (\d+)$/m.exec(after)?.[1];
      expect(revision).toBe(stack.proxy.revision);
      expect(Number(revision)).toBeGreaterThanOrEqual(Number(namespaceRevision));
    });
  });
});
