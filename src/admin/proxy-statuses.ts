// The proxies' reports of what they serve, kept by the admin in memory only:
// a report is a proxy's own view, repeated every few seconds, so losing them
// with an admin restart costs nothing, and a proxy that stops reporting
// (stopped, crashed, cut off) drops out of the list on its own.
import type { ProxyStatus } from './model.js';

/** A proxy not heard from for this long is forgotten (proxies report every 15 s). */
export const PROXY_STATUS_TTL_MS = 60_000;

export class ProxyStatusRegistry {
  private readonly byId = new Map<string, { status: ProxyStatus; receivedAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces the proxy's previous report; reported_at is the admin's clock, not the proxy's. */
  report(status: ProxyStatus): void {
    // Pruned here too, so restarted proxies (new pids) do not pile up when nobody lists.
    this.forgetSilent();
    const receivedAt = this.now();
    this.byId.set(status.proxy_id, { status: { ...status, reported_at: new Date(receivedAt).toISOString() }, receivedAt });
  }

  /** Reports younger than the TTL, ordered by proxy_id. */
  list(): ProxyStatus[] {
    this.forgetSilent();
    return [...this.byId.keys()].sort().map((id) => this.byId.get(id)!.status);
  }

  private forgetSilent(): void {
    const oldest = this.now() - PROXY_STATUS_TTL_MS;
    for (const [id, entry] of this.byId) if (entry.receivedAt < oldest) this.byId.delete(id);
  }
}
