// The Confluent Schema Registry frontend end to end, for the tests in this
// folder: a real admin (in-memory store), routes/confluent-schema-registry.yaml
// registered through its gRPC API and bound in a namespace to a real registry
// pattern (MEMSTORE), and the real proxy on loopback. The frontend's own
// listener (8081) is dropped so it serves on the proxy's port-0 listener and
// test files can run in parallel.
import { join } from 'node:path';
import { startRegistryPattern, type RunningPattern } from '../../examples/registry/server.js';
import type { Frontend } from '../../src/frontend/model.js';
import { loadYaml, ROUTES_DIR, startStack, type Http, type Stack } from '../integration/helpers.js';

export const FRONTEND_FILE = join(ROUTES_DIR, 'confluent-schema-registry.yaml');

/** routes/confluent-schema-registry.yaml without its listener (a fresh copy each call). */
export function schemaRegistryFrontend(): Frontend {
  const frontend = loadYaml<Frontend>(FRONTEND_FILE);
  const { listener: _ownPort, ...rest } = frontend.rest!;
  return { ...frontend, rest };
}

export interface SchemaRegistryStack {
  /** http://127.0.0.1:PORT, the base URL clients are given. */
  url: string;
  http: Http;
  stack: Stack;
  pattern: RunningPattern;
  close(): Promise<void>;
}

export async function startSchemaRegistry(): Promise<SchemaRegistryStack> {
  const pattern = await startRegistryPattern({ address: '127.0.0.1:0', storage: { type: 'MEMSTORE' } });
  const stack = await startStack();
  try {
    await stack.admin.registerFrontend(schemaRegistryFrontend());
    const ns = await stack.admin.registerNamespace({
      name: 'schema-registry',
      pattern: { type: 'registry', endpoints: [pattern.address] },
      frontends: [{ frontend: 'confluent-schema-registry' }],
    });
    await stack.proxy.waitForRevision(ns.revision ?? '0');
  } catch (err) {
    await stack.close();
    await pattern.close();
    throw err;
  }
  return {
    url: `http://${stack.proxyAddress}`,
    http: stack.http,
    stack,
    pattern,
    async close() {
      await stack.close();
      await pattern.close();
    },
  };
}
