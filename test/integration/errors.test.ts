// Every way a call can fail, seen from the HTTP client: gRPC statuses from a
// backend the test controls (KeyValueBasicInterface.Get answers per key),
// status details, a frontend's own error template, deadlines, and patterns
// that are down or go down.
import { status as Code } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyValuePattern } from '../../examples/keyvalue/server.js';
import type { Frontend } from '../../src/frontend/model.js';
import {
  GrpcFailure,
  KV_BASIC,
  KV_TTL,
  b64,
  closedPort,
  errorInfoTrailers,
  eventually,
  keyvalueFrontend,
  serveFrontend,
  sleep,
  startBackend,
  startStack,
  type Backend,
  type Stack,
} from './helpers.js';

const SLOW_MS = 2000;

/** Get answers per key: code-N fails with status N, "info" carries an ErrorInfo, "slow" takes SLOW_MS. */
async function startControlledBackend(): Promise<Backend> {
  return startBackend({
    [KV_BASIC]: {
      Get: async (request) => {
        const key = String(request.key ?? '');
        const code = /^code-(\d+)$/.exec(key)?.[1];
        if (code !== undefined) throw new GrpcFailure(Number(code), `backend failed ${key}`);
        if (key === 'info') {
          throw new GrpcFailure(
            Code.NOT_FOUND,
            'subject not found',
            errorInfoTrailers(Code.NOT_FOUND, 'subject not found', {
              reason: 'SUBJECT_NOT_FOUND',
              domain: 'registry.example',
              metadata: { error_code: '40401' },
            }),
          );
        }
        if (key.startsWith('unauth:')) throw new GrpcFailure(Code.UNAUTHENTICATED, decodeURIComponent(key.slice(7)));
        if (key === 'slow') await sleep(SLOW_MS);
        return { found: true, value: b64(key) };
      },
    },
    [KV_TTL]: {
      Expire: () => ({ success: true, key_existed: true }),
    },
  });
}

function errorsFrontend(): Frontend {
  return {
    name: 'errs',
    type: 'REST',
    rest: {
      base_path: '/e',
      default_service: KV_BASIC,
      routes: [
        { operation_id: 'get', method: 'GET', path_template: '/{key}', grpc: { method: 'Get' } },
        { operation_id: 'getQuick', method: 'GET', path_template: '/quick/{key}', grpc: { method: 'Get' }, timeout: '0.2s' },
      ],
    },
  };
}

const TEMPLATE = {
  error_code: '${error_info.metadata.error_code|int ?? http_status}',
  message: '${message}',
};

/** A frontend with its own error body (Confluent style) and two status overrides. */
function mappedFrontend(): Frontend {
  return {
    name: 'mapped',
    type: 'REST',
    rest: {
      base_path: '/m',
      default_service: KV_BASIC,
      default_error_mapping: { status: { FAILED_PRECONDITION: 412, ALREADY_EXISTS: 422 }, body: TEMPLATE },
      routes: [
        { operation_id: 'get', method: 'GET', path_template: '/{key}', grpc: { method: 'Get' } },
        {
          operation_id: 'expire',
          method: 'POST',
          path_template: '/{key}:expire',
          grpc: { service: KV_TTL, method: 'Expire' },
          params: [{ source: 'QUERY', name: 'seconds', field: 'ttl_seconds', required: true }],
        },
      ],
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('errors', () => {
  let backend: Backend;
  let plain: Stack;
  let mapped: Stack;

  beforeAll(async () => {
    backend = await startControlledBackend();
    [plain, mapped] = await Promise.all([startStack(), startStack()]);
    await serveFrontend(plain, errorsFrontend(), backend.address, 'errs');
    // Alone on its proxy, so requests no route takes are shaped by its template too.
    await serveFrontend(mapped, mappedFrontend(), backend.address, 'mapped');
  });

  afterAll(async () => {
    await Promise.all([plain?.close(), mapped?.close()]);
    await backend?.close();
  });

  describe('gRPC status -> HTTP status, google.rpc.Status body', () => {
    it.each([
      { code: Code.CANCELLED, http: 499 },
      { code: Code.UNKNOWN, http: 500 },
      { code: Code.INVALID_ARGUMENT, http: 400 },
      { code: Code.DEADLINE_EXCEEDED, http: 504 },
      { code: Code.NOT_FOUND, http: 404 },
      { code: Code.ALREADY_EXISTS, http: 409 },
      { code: Code.PERMISSION_DENIED, http: 403 },
      { code: Code.RESOURCE_EXHAUSTED, http: 429 },
      { code: Code.FAILED_PRECONDITION, http: 400 },
      { code: Code.ABORTED, http: 409 },
      { code: Code.OUT_OF_RANGE, http: 400 },
      { code: Code.UNIMPLEMENTED, http: 501 },
      { code: Code.INTERNAL, http: 500 },
      { code: Code.UNAVAILABLE, http: 503 },
      { code: Code.DATA_LOSS, http: 500 },
      { code: Code.UNAUTHENTICATED, http: 401 },
    ])('status $code -> HTTP $http', async ({ code, http }) => {
      const res = await plain.http.get(`/e/code-${code}`);
      expect(res.status).toBe(http);
      expect(res.header('content-type')).toMatch(/^application\/json\b/);
      expect(res.json()).toEqual({ code, message: `backend failed code-${code}`, details: [] });
      if (code === Code.UNAUTHENTICATED) expect(res.header('www-authenticate')).toBeTruthy();
      else expect(res.header('www-authenticate')).toBeUndefined();
    });

    it('an ErrorInfo in grpc-status-details-bin is rendered in details', async () => {
      const res = await plain.http.get('/e/info');
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({
        code: 5,
        message: 'subject not found',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SUBJECT_NOT_FOUND',
            domain: 'registry.example',
            metadata: { error_code: '40401' },
          },
        ],
      });
    });

    // A status message is free text (UTF-8, any character); it must reach the
    // client in the body whatever it holds, and the proxy must keep serving.
    it.each([
      { what: 'non-Latin-1 characters', message: 'jeton expiré ✓' },
      { what: 'a line break', message: 'token expired\nlog in again' },
    ])('UNAUTHENTICATED whose message has $what is still a 401 with that message', async ({ message }) => {
      const res = await plain.http.get(`/e/${encodeURIComponent(`unauth:${encodeURIComponent(message)}`)}`, undefined, 2000);
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ code: Code.UNAUTHENTICATED, message, details: [] });
      expect((await plain.http.get('/e/still-serving')).status).toBe(200);
    });
  });

  describe("a frontend's default_error_mapping", () => {
    it('renders backend errors through the template, error_code from ErrorInfo metadata', async () => {
      const res = await mapped.http.get('/m/info');
      expect(res.status).toBe(404);
      expect(res.header('content-type')).toMatch(/^application\/json\b/);
      expect(res.json()).toEqual({ error_code: 40401, message: 'subject not found' });
    });

    it.each([
      { what: 'a status override', code: Code.FAILED_PRECONDITION, http: 412 },
      { what: 'another status override', code: Code.ALREADY_EXISTS, http: 422 },
      { what: 'the standard table', code: Code.INTERNAL, http: 500 },
      { what: 'the standard table', code: Code.PERMISSION_DENIED, http: 403 },
    ])('without ErrorInfo, error_code falls back to the HTTP status ($what: $code -> $http)', async ({ code, http }) => {
      const res = await mapped.http.get(`/m/code-${code}`);
      expect(res.status).toBe(http);
      expect(res.json()).toEqual({ error_code: http, message: `backend failed code-${code}` });
    });

    it("renders the proxy's own errors too: an unknown route (404)", async () => {
      const res = await mapped.http.get('/elsewhere/x');
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({ error_code: 404, message: expect.stringContaining('/elsewhere/x') });
    });

    it("renders the proxy's own errors too: a bad parameter (400)", async () => {
      const res = await mapped.http.send('POST', '/m/k:expire?seconds=abc');
      expect(res.status).toBe(400);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['error_code', 'message']);
      expect(body.error_code).toBe(400);
      expect(body.message).toContain('seconds');
    });

    it("renders the proxy's own errors too: a missing parameter (400) and a wrong method (405 with Allow)", async () => {
      const missing = await mapped.http.send('POST', '/m/k:expire');
      expect(missing.status).toBe(400);
      expect(missing.json()).toEqual({ error_code: 400, message: expect.stringContaining('seconds') });

      const wrongMethod = await mapped.http.send('DELETE', '/m/k');
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.header('allow')).toContain('GET');
      expect(wrongMethod.json()).toEqual({ error_code: 405, message: expect.any(String) });
    });

    it('leaves successful replies alone', async () => {
      const res = await mapped.http.get('/m/fine');
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ found: true, value: b64('fine') });
    });
  });

  describe('deadlines', () => {
    it("a slow backend behind a route with timeout 0.2s is 504 well before the backend's 2 s", async () => {
      const { value: res, ms } = await timed(() => plain.http.get('/e/quick/slow'));
      expect(res.status).toBe(504);
      expect(res.json()).toMatchObject({ code: Code.DEADLINE_EXCEEDED });
      expect(ms).toBeGreaterThanOrEqual(190);
      expect(ms).toBeLessThan(1000);
    });

    it("a client's grpc-timeout: 100m header is a 100 ms deadline (504)", async () => {
      const { value: res, ms } = await timed(() => plain.http.get('/e/slow', { 'grpc-timeout': '100m' }));
      expect(res.status).toBe(504);
      expect(res.json()).toMatchObject({ code: Code.DEADLINE_EXCEEDED });
      expect(ms).toBeGreaterThanOrEqual(90);
      expect(ms).toBeLessThan(1000);
    });

    it('a malformed grpc-timeout header is 400', async () => {
      const res = await plain.http.get('/e/fine', { 'grpc-timeout': 'soon' });
      expect(res.status).toBe(400);
      expect(res.json().message).toMatch(/timeout/i);
    });
  });

  describe('patterns that are down', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('a namespace whose pattern endpoint is a closed port gives 503 within 1 s, every time', async () => {
      const port = await closedPort();
      const frontend = keyvalueFrontend();
      await serveFrontend(stack, { ...frontend, name: 'kv-down', rest: { ...frontend.rest, base_path: '/down' } }, `127.0.0.1:${port}`, 'down');
      for (let i = 0; i < 3; i++) {
        const { value: res, ms } = await timed(() => stack.http.get(`/down/key-${i}`));
        expect(res.status).toBe(503);
        expect(res.json()).toMatchObject({ code: Code.UNAVAILABLE, details: [] });
        expect(ms).toBeLessThan(1000);
      }
    });

    it('a pattern stopped while the proxy runs gives 503; restarted on the same port, 200 again', async () => {
      let pattern = await startKeyValuePattern({ address: '127.0.0.1:0' });
      const frontend = keyvalueFrontend();
      await serveFrontend(stack, { ...frontend, name: 'kv-restart', rest: { ...frontend.rest, base_path: '/restart' } }, pattern.address, 'restart');
      expect((await stack.http.sendJson('PUT', '/restart/k', { value: b64('v1') })).status).toBe(200);
      expect((await stack.http.get('/restart/k')).status).toBe(200);

      const address = pattern.address;
      await pattern.close();
      const { value: down, ms } = await timed(() => stack.http.get('/restart/k'));
      expect(down.status).toBe(503);
      expect(ms).toBeLessThan(1000);

      pattern = await startKeyValuePattern({ address });
      try {
        // The proxy reconnects on its own (it backs off for at most 1 s between attempts).
        await eventually(async () => (await stack.http.sendJson('PUT', '/restart/k', { value: b64('v2') })).status === 200, 3000, 'PUT after restart');
        const got = await stack.http.get('/restart/k');
        expect(got.status).toBe(200);
        expect(got.json()).toEqual({ value: b64('v2') });
      } finally {
        await pattern.close();
      }
    });
  });
});
