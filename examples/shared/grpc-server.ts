// Lifecycle helpers the example patterns share: bind a grpc-js server and
// shut it down without ever hanging.
import * as grpc from '@grpc/grpc-js';

// How long close() lets calls in flight finish before cutting connections.
const SHUTDOWN_GRACE_MS = 1000;

/** Binds plaintext on `address` (port 0 picks one); resolves with the bound port. */
export function bindInsecure(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** The host part of host:port, IPv6 brackets kept. */
export function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

/** Lets calls in flight finish for a moment, then cuts whatever is left, so close() never hangs. */
export function shutDown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
