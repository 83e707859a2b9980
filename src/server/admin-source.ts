// The proxy's configuration source: the admin's watch stream, through the
// same gRPC API whether the admin runs in this process or elsewhere, which
// also takes the proxy's status reports.
import { AdminClient } from '../admin/client.js';
import type { ConfigSource } from './proxy.js';

export function adminConfigSource(address: string): ConfigSource & { close(): void } {
  const client = new AdminClient(address);
  return {
    watch: (onSnapshot, onStatus) =>
      client.watchConfig(onSnapshot, { onStatus: (status) => onStatus?.(status === 'connected') }),
    report: (status) => client.reportProxyStatus(status),
    close: () => client.close(),
  };
}
