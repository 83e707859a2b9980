// The proxy's configuration source: the admin's watch stream, through the
// same gRPC API whether the admin runs in this process or elsewhere.
import { AdminClient } from '../admin/client.js';
import type { ConfigSource } from './proxy.js';

export function adminConfigSource(address: string): ConfigSource & { close(): void } {
  const client = new AdminClient(address);
  return {
    watch: (onSnapshot, onStatus) =>
      client.watchConfig(onSnapshot, { onStatus: (status) => onStatus?.(status === 'connected') }),
    close: () => client.close(),
  };
}
