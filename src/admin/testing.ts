// Fixtures shared by the admin tests: realistic definitions and a throwaway
// store directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frontend, Namespace } from '../frontend/model.js';
import type { Backend } from './model.js';
import { decodePlain, encodePlain, type PlainMessage } from '../grpc/service-definition.js';
import { shippedRoot } from '../protos/root.js';

/** A REST frontend serving keyvalue Get under `basePath`. */
export function kvFrontend(name: string, basePath = '/kv'): Frontend {
  return {
    name,
    type: 'REST',
    description: 'keyvalue over HTTP',
    rest: {
      base_path: basePath,
      routes: [
        {
          operation_id: 'getValue',
          method: 'GET',
          path_template: '/{key}',
          grpc: { service: 'prism.interfaces.keyvalue.KeyValueBasicInterface', method: 'Get' },
          params: [{ source: 'PATH', name: 'key', field: 'key', required: true }],
        },
      ],
    },
  };
}

export function kvNamespace(name: string, frontends: string[] = []): Namespace {
  return {
    name,
    pattern: { type: 'keyvalue', endpoints: ['127.0.0.1:50051'] },
    frontends: frontends.map((frontend) => ({ frontend })),
  };
}

/** A fresh directory under the OS temp dir and its removal. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'prism-admin-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A definition as it comes back through the gRPC API: the proto codec's canonical plain form. */
function canonical<T>(typeName: string, value: T): T {
  const type = shippedRoot().lookupType(typeName);
  return decodePlain(type, encodePlain(type, value as PlainMessage)) as T;
}

/** `frontend` as the admin stores it at `revision`. */
export function storedFrontend(frontend: Frontend, revision: string): Frontend {
  return { ...canonical('prism.frontend.v1.Frontend', frontend), revision };
}

export function storedNamespace(namespace: Namespace, revision: string): Namespace {
  return { ...canonical('prism.admin.v1.Namespace', namespace), revision };
}

/** An in-memory store backend offering the keyvalue interfaces. */
export function memstoreBackend(name: string): Backend {
  return { name, type: 'MEMSTORE', description: 'in-memory keyvalue', interfaces: ['keyvalue_basic', 'keyvalue_ttl'] };
}

export function storedBackend(backend: Backend, revision: string): Backend {
  return { ...canonical('prism.admin.v1.Backend', backend), revision };
}
