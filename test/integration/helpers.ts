// Shared wiring for the integration tests: a real admin (gRPC, in-memory
// store), a real proxy on loopback watching it, the keyvalue example pattern
// or a grpc-js backend the test controls, and a small HTTP client. Every
// listener asks for port 0 so test files can run in parallel.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { pino, type Logger } from 'pino';
import type protobuf from 'protobufjs';
import { Pool } from 'undici';
import { parse as parseYaml } from 'yaml';
import { AdminClient } from '../../src/admin/client.js';
import { startAdminServer, type AdminServer } from '../../src/admin/service.js';
import { ConfigStore } from '../../src/admin/store.js';
import type { Frontend, Namespace } from '../../src/frontend/model.js';
import { serviceDefinition, type PlainMessage } from '../../src/grpc/service-definition.js';
import { PROJECT_DIR, shippedRoot } from '../../src/protos/root.js';
import { adminConfigSource } from '../../src/server/admin-source.js';
import { Proxy } from '../../src/server/proxy.js';

export const KV_BASIC = 'prism.interfaces.keyvalue.KeyValueBasicInterface';
export const KV_TTL = 'prism.interfaces.keyvalue.KeyValueTTLInterface';
export const ROUTES_DIR = join(PROJECT_DIR, 'routes');

export const silentLogger: Logger = pino({ level: 'silent' });

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A YAML definition file as a plain object, with any `revision` dropped (the admin assigns it). */
export function loadYaml<T>(file: string): T {
  const value = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const { revision: _assignedByAdmin, ...definition } = value;
  return definition as T;
}

/** routes/keyvalue-rest.yaml, a fresh deep copy each call so tests may edit it. */
export function keyvalueFrontend(): Frontend {
  return loadYaml<Frontend>(join(ROUTES_DIR, 'keyvalue-rest.yaml'));
}

/** routes/namespaces/default.yaml with its pattern pointed at `endpoint`. */
export function defaultNamespace(endpoint: string): Namespace {
  const ns = loadYaml<Namespace>(join(ROUTES_DIR, 'namespaces', 'default.yaml'));
  return { ...ns, pattern: { ...ns.pattern, endpoints: [endpoint] } };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = any>(): T;
  /** One header as a single string (joined when repeated). */
  header(name: string): string | undefined;
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  /** Fail when no reply (headers or body progress) arrives for this long; default 10 s. */
  timeoutMs?: number;
}

/** An HTTP/1.1 client for one origin (a pool, so requests can overlap); `path` goes on the wire exactly as given. */
export class Http {
  private readonly client: Pool;

  constructor(readonly origin: string) {
    this.client = new Pool(origin);
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<Reply> {
    // A reply that never comes fails the request in bounded time instead of hanging the test.
    const res = await this.client.request({
      method,
      path,
      headers: options.headers,
      body: options.body,
      headersTimeout: options.timeoutMs ?? 10_000,
      bodyTimeout: options.timeoutMs ?? 10_000,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const text = body.toString('utf8');
    const headers = res.headers as Reply['headers'];
    return {
      status: res.statusCode,
      headers,
      body,
      text,
      json: () => JSON.parse(text),
      header: (name) => {
        const v = headers[name.toLowerCase()];
        return Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }

  get(path: string, headers?: Record<string, string>, timeoutMs?: number) {
    return this.send('GET', path, { headers, timeoutMs });
  }

  /** A JSON body with Content-Type application/json. */
  sendJson(method: string, path: string, value: unknown, headers: Record<string, string> = {}) {
    return this.send(method, path, { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** An admin with an in-memory store, a proxy watching it, and an HTTP client for the proxy. */
export interface Stack {
  admin: AdminClient;
  adminServer: AdminServer;
  proxy: Proxy;
  http: Http;
  /** host:port of the proxy's shared listener. */
  proxyAddress: string;
  /** Waits until the proxy serves the admin's current revision. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const store = new ConfigStore(':memory:');
  const adminServer = await startAdminServer({ address: '127.0.0.1:0', store, logger: silentLogger });
  const admin = new AdminClient(adminServer.address);
  const source = adminConfigSource(adminServer.address);
  const proxy = new Proxy({ source, listen: { host: '127.0.0.1', port: 0 }, logger: silentLogger });
  await proxy.start();
  const proxyAddress = `127.0.0.1:${proxy.address.port}`;
  const http = new Http(`http://${proxyAddress}`);
  return {
    admin,
    adminServer,
    proxy,
    http,
    proxyAddress,
    settle: async () => {
      const { revision } = await admin.listFrontends();
      await proxy.waitForRevision(revision);
    },
    async close() {
      await http.close();
      await proxy.stop();
      source.close();
      admin.close();
      await adminServer.close();
      store.close();
    },
  };
}

/** Another proxy watching the same admin (as on a second machine), keeping its configuration in `cacheFile` if given. */
export async function startExtraProxy(adminAddress: string, cacheFile?: string): Promise<{ proxy: Proxy; http: Http; close(): Promise<void> }> {
  const source = adminConfigSource(adminAddress);
  const proxy = new Proxy({ source, listen: { host: '127.0.0.1', port: 0 }, logger: silentLogger, cacheFile });
  await proxy.start();
  const http = new Http(`http://127.0.0.1:${proxy.address.port}`);
  return {
    proxy,
    http,
    async close() {
      await http.close();
      await proxy.stop();
      source.close();
    },
  };
}

/** Registers `frontend` and a namespace binding it to `endpoint`; resolves once the proxy serves both. */
export async function serveFrontend(stack: Stack, frontend: Frontend, endpoint: string, namespace = 'default'): Promise<void> {
  await stack.admin.registerFrontend(frontend);
  const ns = await stack.admin.registerNamespace({
    name: namespace,
    pattern: { type: 'test', endpoints: [endpoint] },
    frontends: [{ frontend: frontend.name }],
  });
  await stack.proxy.waitForRevision(ns.revision ?? '0');
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection<E = grpc.ServiceError>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns the elapsed ms, or throws. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

// ---- grpc-js backends the tests control ----

export type UnaryAnswer = (
  request: PlainMessage,
  call: grpc.ServerUnaryCall<PlainMessage, PlainMessage>,
) => PlainMessage | Promise<PlainMessage>;

/** A gRPC failure a handler can throw: the status, its message and optional trailers. */
export class GrpcFailure extends Error {
  constructor(readonly code: grpc.status, message: string, readonly trailers?: grpc.Metadata) {
    super(message);
  }
}

export interface Backend {
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A grpc-js server for `services` (name -> method -> answer), messages as
 * proto JSON with proto field names; `root` defaults to the shipped protos.
 */
export async function startBackend(
  services: Record<string, Record<string, UnaryAnswer>>,
  options: { root?: protobuf.Root; address?: string } = {},
): Promise<Backend> {
  const root = options.root ?? shippedRoot();
  const server = new grpc.Server();
  for (const [serviceName, answers] of Object.entries(services)) {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [method, answer] of Object.entries(answers)) {
      handlers[method] = ((call: grpc.ServerUnaryCall<PlainMessage, PlainMessage>, callback: grpc.sendUnaryData<PlainMessage>) => {
        Promise.resolve()
          .then(() => answer(call.request, call))
          .then(
            (reply) => callback(null, reply),
            (err: unknown) => {
              if (err instanceof GrpcFailure) callback({ code: err.code, details: err.message, metadata: err.trailers });
              else callback({ code: grpc.status.INTERNAL, details: String(err) });
            },
          );
      }) as grpc.handleUnaryCall<PlainMessage, PlainMessage>;
    }
    server.addService(serviceDefinition(root.lookupService(serviceName)), handlers);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address ?? '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    port,
    // Calls still running (a slow handler) are cut rather than waited for.
    close: async () => server.forceShutdown(),
  };
}

/** grpc-status-details-bin trailers holding a google.rpc.Status with one ErrorInfo detail. */
export function errorInfoTrailers(code: number, message: string, info: { reason: string; domain: string; metadata: Record<string, string> }): grpc.Metadata {
  const root = shippedRoot();
  const status = root.lookupType('google.rpc.Status');
  const errorInfo = root.lookupType('google.rpc.ErrorInfo');
  const detail = errorInfo.encode(errorInfo.fromObject(info)).finish();
  const encoded = status
    .encode(status.fromObject({ code, message, details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: detail }] }))
    .finish();
  const md = new grpc.Metadata();
  md.set('grpc-status-details-bin', Buffer.from(encoded));
  return md;
}

/** Base64 of a UTF-8 string. */
export const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

// ---- an annotated .proto (google.api.http) and a backend for it ----

export const THINGS_SERVICE = 'things.v1.Things';

export const THINGS_PROTO = `syntax = "proto3";
package things.v1;

import "google/api/annotations.proto";

service Things {
  rpc GetThing(GetThingRequest) returns (Thing) {
    option (google.api.http) = { get: "/v1/things/{id}" };
  }
  rpc CreateThing(Thing) returns (Thing) {
    option (google.api.http) = { post: "/v1/things" body: "*" };
  }
}

message GetThingRequest {
  string id = 1;
}

message Thing {
  string id = 1;
  string name = 2;
  int32 size = 3;
  // Set by the backend.
  int64 version = 4;
}
`;

/**
 * Things over grpc-js: CreateThing stores (version = number of writes so far),
 * GetThing reads or fails NOT_FOUND; `delayMs` delays every answer.
 */
export function thingsAnswers(delayMs = 0): Record<string, UnaryAnswer> {
  const things = new Map<string, PlainMessage>();
  let writes = 0;
  return {
    CreateThing: async (request) => {
      if (delayMs) await sleep(delayMs);
      const thing = { ...request, version: String(++writes) };
      things.set(String(request.id ?? ''), thing);
      return thing;
    },
    GetThing: async (request) => {
      if (delayMs) await sleep(delayMs);
      const thing = things.get(String(request.id ?? ''));
      if (!thing) throw new GrpcFailure(grpc.status.NOT_FOUND, `no thing '${String(request.id ?? '')}'`);
      return thing;
    },
  };
}

/** A keyvalue backend whose Get holds every call until `release()`; `arrived()` counts the calls held. */
export async function startGatedKeyValue(): Promise<{ backend: Backend; arrived(): number; release(): void }> {
  let arrived = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const backend = await startBackend({
    [KV_BASIC]: {
      Get: async (request) => {
        arrived++;
        await gate;
        return { found: true, value: b64(String(request.key)) };
      },
    },
  });
  return { backend, arrived: () => arrived, release };
}

/** A frontend with one route, GET {basePath}/{key} -> KeyValueBasicInterface.Get. */
export function singleGetFrontend(name: string, basePath: string): Frontend {
  return {
    name,
    type: 'REST',
    rest: { base_path: basePath, routes: [{ operation_id: 'get', method: 'GET', path_template: '/{key}', grpc: { service: KV_BASIC, method: 'Get' } }] },
  };
}
