// Runs HTTP-mapping vectors (schema vec.v1) through the real proxy: each
// case's rules become a Frontend registered with an in-process admin, a
// recording stub backend answers as the case says, an HTTP client sends the
// case's request over loopback, and the reply and what the backend received
// are compared with `expect`.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import type protobuf from 'protobufjs';
import { Client } from 'undici';
import { ConfigStore } from '../../src/admin/store.js';
import { startAdminServer, type AdminServer } from '../../src/admin/service.js';
import { AdminClient } from '../../src/admin/client.js';
import type { Frontend, MappingOptions, RouteMapping } from '../../src/frontend/model.js';
import { codeName } from '../../src/grpc/codes.js';
import { buildRoot } from '../../src/protos/root.js';
import { Proxy } from '../../src/server/proxy.js';
import { adminConfigSource } from '../../src/server/admin-source.js';
import { startStubBackend, type StubBackend } from './stub-backend.js';
import type { Vector, VectorBody, VectorCase, VectorExpect, VectorRule } from './vector-types.js';

const SERVICE = 'vec.v1.Vec';
const FRONTEND = 'vec';
const NAMESPACE = 'vec';

export interface CaseResult {
  id: string;
  passed: boolean;
  reason?: string;
}

/** A vector's cases with what they inherit from the vector filled in. */
export function expandCases(vector: Vector): Array<{ id: string; body: VectorBody }> {
  const { cases, id: _id, title: _t, divergence: _d, refs: _r, ...shared } = vector;
  if (!cases?.length) return [{ id: vector.id, body: shared }];
  return cases.map((c: VectorCase, i) => ({ id: `${vector.id}#${i + 1}`, body: { ...shared, ...c } }));
}

function routeOf(rule: VectorRule, rpc: string, index: number): RouteMapping {
  const { id, ...httpRule } = rule;
  return { operation_id: id ?? `rule${index}`, grpc: { service: SERVICE, method: rpc }, http_rule: httpRule };
}

function frontendFor(rules: VectorRule[], body: VectorBody, protoSource: string): Frontend {
  return {
    name: FRONTEND,
    type: 'REST',
    rest: {
      protos: [{ name: 'vectors.proto', content: protoSource }],
      routes: rules.map((r, i) => routeOf(r, body.rpc ?? 'Call', i)),
      options: (body.options ?? {}) as MappingOptions,
    },
  };
}

/** Compares expected proto JSON with what the backend got; FieldMask strings compare as sets of paths. */
function sameMessage(type: protobuf.Type, expected: unknown, actual: unknown): boolean {
  const normalise = (t: protobuf.Type, value: unknown): unknown => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const field = t.fields[key];
      field?.resolve();
      const sub = field?.resolvedType && 'fields' in field.resolvedType ? (field.resolvedType as protobuf.Type) : undefined;
      if (sub?.fullName === '.google.protobuf.FieldMask' && typeof v === 'string') out[key] = v.split(',').sort();
      else if (sub && !sub.fullName.startsWith('.google.protobuf.') && !field!.map) {
        out[key] = Array.isArray(v) ? v.map((x) => normalise(sub, x)) : normalise(sub, v);
      } else out[key] = v;
    }
    return out;
  };
  // The stub's objects may have a null prototype; compare as plain JSON values.
  const plain = (v: unknown) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  return isDeepStrictEqual(plain(normalise(type, expected)), plain(normalise(type, actual)));
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 300 ? text.slice(0, 300) + '…' : text;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  trailers: Record<string, string>;
  body: Buffer;
}

export class VectorRunner {
  private constructor(
    private readonly root: protobuf.Root,
    private readonly protoSource: string,
    private readonly store: ConfigStore,
    private readonly admin: AdminServer,
    private readonly adminClient: AdminClient,
    private readonly proxy: Proxy,
    private readonly source: ReturnType<typeof adminConfigSource>,
    private readonly stub: StubBackend,
    private readonly http: Client,
  ) {}

  private registered: string | undefined;
  private frontendExists = false;

  static async start(protoFile: string): Promise<VectorRunner> {
    const protoSource = readFileSync(protoFile, 'utf8');
    const root = buildRoot([{ name: 'vectors.proto', content: protoSource }]);
    const stub = await startStubBackend(root);
    const store = new ConfigStore(':memory:');
    const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
    const admin = await startAdminServer({ address: '127.0.0.1:0', store, logger });
    const adminClient = new AdminClient(admin.address);
    const source = adminConfigSource(admin.address);
    const proxy = new Proxy({ source, listen: { host: '127.0.0.1', port: 0 }, logger });
    await proxy.start();
    const http = new Client(`http://127.0.0.1:${proxy.address.port}`, { pipelining: 0 });
    return new VectorRunner(root, protoSource, store, admin, adminClient, proxy, source, stub, http);
  }

  async close(): Promise<void> {
    await this.http.close();
    await this.proxy.stop();
    this.source.close();
    this.adminClient.close();
    await this.admin.close();
    this.store.close();
    await this.stub.close();
  }

  /** Registers (or replaces) the vec frontend; returns the admin's refusal, if any. */
  private async install(frontend: Frontend): Promise<string | undefined> {
    const key = JSON.stringify(frontend);
    if (key === this.registered) return undefined;
    try {
      const stored = this.frontendExists
        ? await this.adminClient.updateFrontend(frontend)
        : await this.adminClient.registerFrontend(frontend);
      if (!this.frontendExists) {
        this.frontendExists = true;
        await this.adminClient.registerNamespace({
          name: NAMESPACE,
          pattern: { type: 'vec', endpoints: [this.stub.address] },
          frontends: [{ frontend: FRONTEND }],
        });
        const ns = await this.adminClient.getNamespace(NAMESPACE);
        await this.proxy.waitForRevision(ns.revision ?? '0');
      } else {
        await this.proxy.waitForRevision(stored.revision ?? '0');
      }
      this.registered = key;
      return undefined;
    } catch (err) {
      return (err as { details?: string }).details ?? (err as Error).message;
    }
  }

  /** Compiles a rule set on its own through the admin: undefined when it loads. */
  private async loadProblem(rules: VectorRule[], body: VectorBody): Promise<string | undefined> {
    const frontend = frontendFor(rules, body, this.protoSource);
    try {
      await this.adminClient.registerFrontend({ ...frontend, name: 'vec-load-check' });
      await this.adminClient.deleteFrontend('vec-load-check');
      return undefined;
    } catch (err) {
      return (err as { details?: string }).details ?? (err as Error).message;
    }
  }

  async runCase(id: string, body: VectorBody): Promise<CaseResult> {
    const expect: VectorExpect = body.expect ?? {};
    const fail = (reason: string): CaseResult => ({ id, passed: false, reason });
    const rules = body.rules ?? (body.rule ? [body.rule] : []);

    if (body.templates) {
      for (const template of body.templates) {
        const problem = await this.loadProblem([{ get: template }], body);
        if (expect.load === 'reject' && problem === undefined) return fail(`template ${show(template)} loaded; expected a refusal`);
        if (expect.load === 'accept' && problem !== undefined) return fail(`template ${show(template)} refused: ${problem}`);
      }
      return { id, passed: true };
    }
    if (expect.load && !body.request) {
      const problem = await this.loadProblem(rules, body);
      if (expect.load === 'reject' && problem === undefined) return fail('rules loaded; expected a refusal');
      if (expect.load === 'accept' && problem !== undefined) return fail(`rules refused: ${problem}`);
      return { id, passed: true };
    }
    if (!body.request) return fail('case has neither a request nor a load expectation');

    const refusal = await this.install(frontendFor(rules, body, this.protoSource));
    if (expect.load === 'reject') return refusal ? { id, passed: true } : fail('rules loaded; expected a refusal');
    if (refusal) return fail(`frontend refused: ${refusal}`);

    this.stub.reset();
    this.stub.setBehaviour({
      backend: body.backend,
      backend_stream: body.backend_stream,
      backend_status: body.backend_status,
      backend_metadata: body.backend_metadata,
      backend_raw: body.backend_raw,
    });
    const before = expect.route ? await this.routeCounts() : undefined;
    const reply = await this.send(body.request);
    return this.check(id, expect, reply, before);
  }

  private async send(request: NonNullable<VectorBody['request']>): Promise<Reply> {
    const body =
      request.bodyBase64 !== undefined ? Buffer.from(request.bodyBase64, 'base64') : request.body !== undefined ? Buffer.from(request.body) : undefined;
    const res = await this.http.request({
      method: request.method,
      path: request.target,
      headers: { host: `127.0.0.1:${this.proxy.address.port}`, ...(request.headers ?? {}) },
      body,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    return {
      status: res.statusCode,
      headers: res.headers as Reply['headers'],
      trailers: (res.trailers ?? {}) as Record<string, string>,
      body: Buffer.concat(chunks),
    };
  }

  /** Requests counted per operation id, read from /metrics. */
  private async routeCounts(): Promise<Map<string, number>> {
    const res = await this.http.request({ method: 'GET', path: '/metrics' });
    const text = await res.body.text();
    const counts = new Map<string, number>();
    for (const m of text.matchAll(/^prism_http_requests_total\{([^}]*)\} (\d+)/gm)) {
      const route = /route="([^"]*)"/.exec(m[1])?.[1] ?? '';
      const frontend = /frontend="([^"]*)"/.exec(m[1])?.[1] ?? '';
      if (frontend === FRONTEND) counts.set(route, (counts.get(route) ?? 0) + Number(m[2]));
    }
    return counts;
  }

  private async check(id: string, expect: VectorExpect, reply: Reply, before?: Map<string, number>): Promise<CaseResult> {
    const problems: string[] = [];
    const text = reply.body.toString('utf8');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const wantsOk = expect.message || expect.messages || expect.route || expect.json !== undefined;
    const status = expect.status ?? (wantsOk ? 200 : undefined);
    if (status !== undefined && reply.status !== status) problems.push(`status ${reply.status}, expected ${status} (body ${show(text)})`);
    if (expect.error) {
      const code = (json as { code?: number } | undefined)?.code;
      const name = typeof code === 'number' ? codeName(code) : undefined;
      if (name !== expect.error) problems.push(`error ${name ?? show(text)}, expected ${expect.error}`);
      const envelope = json as Record<string, unknown> | undefined;
      if (!envelope || !('message' in envelope) || !Array.isArray(envelope.details)) {
        problems.push(`error body ${show(text)} is not a google.rpc.Status with code, message and details`);
      }
    }
    const record = this.stub.lastRecord();
    const reqType = this.root.lookupType('vec.v1.Req');
    if (expect.message) {
      if (!record) problems.push('the backend was not called');
      else if (!sameMessage(reqType, expect.message, record.messages[0])) {
        problems.push(`backend got ${show(record.messages[0])}, expected ${show(expect.message)}`);
      }
    }
    if (expect.messages) {
      if (!record) problems.push('the backend was not called');
      else if (
        record.messages.length !== expect.messages.length ||
        !expect.messages.every((m, i) => sameMessage(reqType, m, record.messages[i]))
      ) {
        problems.push(`backend got ${show(record.messages)}, expected ${show(expect.messages)}`);
      }
    }
    if (expect.json !== undefined && !isDeepStrictEqual(json, expect.json)) problems.push(`body ${show(text)}, expected ${show(expect.json)}`);
    if (expect.raw !== undefined && text !== expect.raw) problems.push(`body ${show(text)}, expected ${show(expect.raw)}`);
    for (const [name, want] of Object.entries(expect.headers ?? {})) {
      const got = reply.headers[name.toLowerCase()];
      const value = Array.isArray(got) ? got.join(', ') : got;
      if (name.toLowerCase() === 'allow') {
        const set = new Set((value ?? '').split(',').map((s) => s.trim()));
        const wanted = want.split(',').map((s) => s.trim());
        if (!wanted.every((m) => set.has(m)) || set.has('POST')) problems.push(`allow ${show(value)}, expected ${show(want)}`);
      } else if (name.toLowerCase() === 'content-type' ? !value?.startsWith(want) : value !== want) {
        problems.push(`header ${name}: ${show(value)}, expected ${show(want)}`);
      }
    }
    if (expect.trailers) {
      const got = Object.fromEntries(Object.entries(reply.trailers).map(([k, v]) => [k.toLowerCase(), v]));
      for (const [name, want] of Object.entries(expect.trailers)) {
        if (got[name.toLowerCase()] !== want) problems.push(`trailer ${name}: ${show(got[name.toLowerCase()])}, expected ${show(want)}`);
      }
      if (Object.keys(expect.trailers).length === 0 && Object.keys(got).length > 0) problems.push(`unexpected trailers ${show(got)}`);
    }
    if (expect.backend_metadata) {
      const md = record?.metadata ?? {};
      for (const [name, want] of Object.entries(expect.backend_metadata)) {
        const value = want === '<request host>' ? `127.0.0.1:${this.proxy.address.port}` : want === '<client ip>' ? '127.0.0.1' : want;
        if (md[name] !== value) problems.push(`backend metadata ${name}: ${show(md[name])}, expected ${show(value)}`);
      }
    }
    for (const [name, want] of Object.entries(expect.backend_metadata_bytes_b64 ?? {})) {
      const got = record?.metadataBin[name];
      if (got !== want) problems.push(`backend -bin metadata ${name}: ${show(got)}, expected ${show(want)}`);
    }
    if (expect.backend_deadline_ms !== undefined) {
      const got = record?.deadlineMs;
      if (got === undefined || got > expect.backend_deadline_ms || got < expect.backend_deadline_ms - 50) {
        problems.push(`backend deadline ${got} ms, expected ${expect.backend_deadline_ms} ms (up to 50 ms less)`);
      }
    }
    if (expect.route && before) {
      const after = await this.routeCounts();
      const handled = [...after].filter(([r, n]) => n > (before.get(r) ?? 0)).map(([r]) => r);
      if (handled.length !== 1 || handled[0] !== expect.route) problems.push(`handled by ${show(handled)}, expected ${expect.route}`);
    }
    return problems.length ? { id, passed: false, reason: problems.join('; ') } : { id, passed: true };
  }
}

/** Runs every case of a vector file; `onResult` sees each result as it comes. */
export async function runVectorFile(
  file: string,
  protoFile: string,
  onResult: (r: CaseResult) => void = () => {},
): Promise<CaseResult[]> {
  const vectors = JSON.parse(readFileSync(file, 'utf8')) as Vector[];
  const runner = await VectorRunner.start(protoFile);
  const results: CaseResult[] = [];
  try {
    for (const vector of vectors) {
      for (const { id, body } of expandCases(vector)) {
        let result: CaseResult;
        try {
          result = await runner.runCase(id, body);
        } catch (err) {
          result = { id, passed: false, reason: `runner error: ${(err as Error).message}` };
        }
        results.push(result);
        onResult(result);
      }
    }
  } finally {
    await runner.close();
  }
  return results;
}
