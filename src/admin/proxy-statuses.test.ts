import { status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from './client.js';
import { PROXY_STATUS_TTL_MS, ProxyStatusRegistry } from './proxy-statuses.js';
import { startAdminServer, type AdminServer } from './service.js';
import { ConfigStore } from './store.js';

describe('ProxyStatusRegistry', () => {
  it('keeps the latest report per proxy, stamped with its own clock, ordered by proxy_id', () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const registry = new ProxyStatusRegistry(() => now);
    registry.report({ proxy_id: 'b:2', applied_revision: '3', reported_at: '1999-01-01T00:00:00Z' });
    registry.report({ proxy_id: 'a:1', applied_revision: '3' });
    now += 1000;
    registry.report({ proxy_id: 'b:2', applied_revision: '4' });
    expect(registry.list()).toEqual([
      { proxy_id: 'a:1', applied_revision: '3', reported_at: '2025-01-01T00:00:00.000Z' },
      { proxy_id: 'b:2', applied_revision: '4', reported_at: '2025-01-01T00:00:01.000Z' },
    ]);
  });

  it('forgets a proxy not heard from for 60 s', () => {
    let now = 0;
    const registry = new ProxyStatusRegistry(() => now);
    registry.report({ proxy_id: 'gone:1' });
    now = 30_000;
    registry.report({ proxy_id: 'alive:2' });
    now = PROXY_STATUS_TTL_MS;
    expect(registry.list().map((s) => s.proxy_id)).toEqual(['alive:2', 'gone:1']);
    now = PROXY_STATUS_TTL_MS + 1;
    expect(registry.list().map((s) => s.proxy_id)).toEqual(['alive:2']);
  });
});

describe('ReportProxyStatus / ListProxyStatuses', () => {
  let store: ConfigStore;
  let server: AdminServer;
  let admin: AdminClient;

  beforeAll(async () => {
    store = new ConfigStore(':memory:');
    server = await startAdminServer({ address: '127.0.0.1:0', store });
    admin = new AdminClient(server.address);
  });
  afterAll(async () => {
    admin.close();
    await server.close();
    store.close();
  });

  it('round-trips a report and stores nothing (the revision does not move)', async () => {
    const before = store.currentRevision();
    await admin.reportProxyStatus({ proxy_id: 'h:9', applied_revision: '0', latest_revision_seen: '12', config_error: 'bad', error_revision: '12', listeners: ['127.0.0.1:8080'] });
    const [status] = await admin.listProxyStatuses();
    expect(status).toMatchObject({ proxy_id: 'h:9', latest_revision_seen: '12', config_error: 'bad', error_revision: '12', listeners: ['127.0.0.1:8080'] });
    // int64 0 is absent on the wire, as for every other revision field.
    expect(status.applied_revision).toBeUndefined();
    expect(store.currentRevision()).toBe(before);
  });

  it('refuses a report without proxy_id', async () => {
    const err = await admin.reportProxyStatus({ proxy_id: '' }).then(() => undefined, (e: ServiceError) => e);
    expect(err?.code).toBe(Code.INVALID_ARGUMENT);
    expect(err?.details).toContain('proxy_id');
  });
});
