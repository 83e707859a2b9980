// Changing frontends in the admin while proxies serve: the change is served
// quickly without a restart, a refused change leaves the old configuration
// serving, and requests already in flight complete.
import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyValuePattern, type RunningPattern } from '../../examples/keyvalue/server.js';
import type { Frontend } from '../../src/frontend/model.js';
import {
  b64,
  defaultNamespace,
  eventually,
  keyvalueFrontend,
  rejection,
  serveFrontend,
  sleep,
  singleGetFrontend,
  startGatedKeyValue,
  startExtraProxy,
  startStack,
  type Http,
  type Stack,
} from './helpers.js';

const APPLY_WITHIN_MS = 2000;

/** A deep copy of `frontend` with another base path. */
function withBasePath(frontend: Frontend, basePath: string): Frontend {
  const copy = structuredClone(frontend);
  return { ...copy, rest: { ...copy.rest, base_path: basePath } };
}

describe('live updates through the admin', () => {
  let pattern: RunningPattern;
  let stack: Stack;
  let second: Awaited<ReturnType<typeof startExtraProxy>>;

  beforeAll(async () => {
    pattern = await startKeyValuePattern({ address: '127.0.0.1:0' });
    stack = await startStack();
    second = await startExtraProxy(stack.adminServer.address);
    await stack.admin.registerFrontend(keyvalueFrontend());
    const ns = await stack.admin.registerNamespace(defaultNamespace(pattern.address));
    await Promise.all([stack.proxy.waitForRevision(ns.revision!), second.proxy.waitForRevision(ns.revision!)]);
    expect((await stack.http.sendJson('PUT', '/kv/live', { value: b64('still here') })).status).toBe(200);
  });

  afterAll(async () => {
    await second?.close();
    await stack?.close();
    await pattern?.close();
  });

  const serves = async (http: Http, path: string) => (await http.get(path)).status === 200;

  it('a new base_path is served by every proxy within 2 s, without a restart; the old path then 404s', async () => {
    const portsBefore = [stack.proxy.address.port, second.proxy.address.port];
    const current = await stack.admin.getFrontend('keyvalue-rest');
    await stack.admin.updateFrontend(withBasePath(current, '/kv2'), current.revision);
    const started = Date.now();

    await Promise.all(
      [stack.http, second.http].map((http) => eventually(() => serves(http, '/kv2/live'), APPLY_WITHIN_MS, 'GET /kv2/live')),
    );
    expect(Date.now() - started).toBeLessThan(APPLY_WITHIN_MS);

    for (const http of [stack.http, second.http]) {
      const res = await http.get('/kv2/live');
      expect(res.json()).toEqual({ value: b64('still here') });
      expect((await http.get('/kv/live')).status).toBe(404);
    }
    // Same listeners as before: nothing was restarted.
    expect([stack.proxy.address.port, second.proxy.address.port]).toEqual(portsBefore);
  });

  it('a refused update (bad field) leaves the previous definition stored and served', async () => {
    const current = await stack.admin.getFrontend('keyvalue-rest');
    const broken = withBasePath(current, '/kv3');
    broken.rest!.routes![4] = { ...broken.rest!.routes![4], params: [{ source: 'QUERY', name: 'seconds', field: 'kee', required: true }] };

    const err = await rejection<ServiceError>(stack.admin.updateFrontend(broken));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.details).toContain('rest.routes[4].params[0].field');

    expect(await stack.admin.getFrontend('keyvalue-rest')).toEqual(current);
    await sleep(150); // would be plenty for a (wrongly) applied change to show
    for (const http of [stack.http, second.http]) {
      expect((await http.get('/kv2/live')).status).toBe(200);
      expect((await http.get('/kv3/live')).status).toBe(404);
    }
  });

  it('an update that would collide with another binding of the namespace is refused; both keep serving', async () => {
    const other: Frontend = { ...withBasePath(keyvalueFrontend(), '/other'), name: 'kv-other' };
    await stack.admin.registerFrontend(other);
    const ns = await stack.admin.getNamespace('default');
    const updated = await stack.admin.updateNamespace({ ...ns, frontends: [...(ns.frontends ?? []), { frontend: 'kv-other' }] });
    await stack.proxy.waitForRevision(updated.revision!);
    expect((await stack.http.get('/other/live')).status).toBe(200);

    const stored = await stack.admin.getFrontend('kv-other');
    const err = await rejection<ServiceError>(stack.admin.updateFrontend(withBasePath(stored, '/kv2')));
    expect(err.code).toBe(Code.FAILED_PRECONDITION);
    expect(err.details).toContain('/kv2');

    expect(await stack.admin.getFrontend('kv-other')).toEqual(stored);
    expect((await stack.http.get('/other/live')).status).toBe(200);
    expect((await stack.http.get('/kv2/live')).json()).toEqual({ value: b64('still here') });
  });

  it('a stale expected_revision is refused with ABORTED and changes nothing', async () => {
    const current = await stack.admin.getFrontend('keyvalue-rest');
    const err = await rejection<ServiceError>(stack.admin.updateFrontend(withBasePath(current, '/kv9'), String(Number(current.revision) - 1)));
    expect(err.code).toBe(Code.ABORTED);
    expect((await stack.http.get('/kv2/live')).status).toBe(200);
  });
});

describe('requests in flight during an update', () => {
  const CALLS = 5;
  let held: Awaited<ReturnType<typeof startGatedKeyValue>>;
  let stack: Stack;

  beforeAll(async () => {
    // The backend holds every Get until the test releases it.
    held = await startGatedKeyValue();
    stack = await startStack();
    await serveFrontend(stack, singleGetFrontend('slow-kv', '/slow'), held.backend.address, 'slow');
  });

  afterAll(async () => {
    held?.release();
    await stack?.close();
    await held?.backend.close();
  });

  it('complete with 200 even though the update removes their path', async () => {
    const inFlight = Array.from({ length: CALLS }, (_, i) => stack.http.get(`/slow/k${i}`));
    await eventually(async () => held.arrived() === CALLS, 5000, 'all calls at the backend');

    const current = await stack.admin.getFrontend('slow-kv');
    const updated = await stack.admin.updateFrontend(withBasePath(current, '/slow2'));
    await stack.proxy.waitForRevision(updated.revision!);
    // The new configuration is live while the old requests are still waiting at the backend.
    expect((await stack.http.get('/slow/late')).status).toBe(404);
    held.release();

    const replies = await Promise.all(inFlight);
    replies.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ found: true, value: b64(`k${i}`) });
    });
    expect((await stack.http.get('/slow2/after')).status).toBe(200);
  });
});

describe('the admin going away', () => {
  let pattern: RunningPattern;
  let stack: Stack;

  beforeAll(async () => {
    pattern = await startKeyValuePattern({ address: '127.0.0.1:0' });
    stack = await startStack();
    await stack.admin.registerFrontend(keyvalueFrontend());
    const ns = await stack.admin.registerNamespace(defaultNamespace(pattern.address));
    await stack.proxy.waitForRevision(ns.revision!);
  });

  afterAll(async () => {
    await stack?.close();
    await pattern?.close();
  });

  it('the proxy keeps serving the last configuration', async () => {
    expect((await stack.http.sendJson('PUT', '/kv/kept', { value: b64('v') })).status).toBe(200);
    await stack.adminServer.close();
    await sleep(100);
    const res = await stack.http.get('/kv/kept');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ value: b64('v') });
    expect((await stack.http.get('/readyz')).status).toBe(200);
  });
});
