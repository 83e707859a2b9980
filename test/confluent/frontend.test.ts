// The Confluent Schema Registry frontend (routes/confluent-schema-registry.yaml)
// through the real admin, proxy and registry pattern: every endpoint of the
// contract (/work/shared/contracts/confluent-schema-registry.md §3) with its
// exact status, body and media type, the HTTP conventions of §1 and the
// framework errors of §1.7. Each table runs in order (steps build on the ones
// before), each on subjects of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchemaRegistry, type SchemaRegistryStack } from './setup.js';

const V1 = 'application/vnd.schemaregistry.v1+json';
const SR = 'application/vnd.schemaregistry+json';
const JSON_TYPE = 'application/json';

// What both JavaScript clients send on every request, GETs included (§1.5, §6.4 item 4).
const CLIENT_HEADERS = { 'content-type': V1 };

interface Step {
  name: string;
  method: string;
  path: string;
  /** An object or array is sent as JSON; a string as it is. */
  body?: unknown;
  /** Replaces CLIENT_HEADERS. */
  headers?: Record<string, string>;
  status: number;
  /** The exact JSON body. */
  json?: unknown;
  /** The exact body text. */
  text?: string;
  /** Shorthand for an error body {"error_code": N, "message": <non-empty>}. */
  errorCode?: number;
  /** Default: the v1 media type. */
  contentType?: string;
}

let sr: SchemaRegistryStack;

beforeAll(async () => {
  sr = await startSchemaRegistry();
});

afterAll(async () => {
  await sr?.close();
});

async function run(step: Step): Promise<void> {
  const body = step.body === undefined ? undefined : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
  const reply = await sr.http.send(step.method, step.path, { headers: step.headers ?? CLIENT_HEADERS, body });
  const what = `${step.method} ${step.path} -> ${reply.status} ${reply.text}`;
  expect(reply.status, what).toBe(step.status);
  expect(reply.header('content-type'), what).toBe(step.contentType ?? V1);
  if (step.errorCode !== undefined) {
    expect(reply.json(), what).toEqual({ error_code: step.errorCode, message: expect.stringMatching(/\S/) });
    expect(Object.keys(reply.json()), what).toEqual(['error_code', 'message']);
  }
  if (step.json !== undefined) expect(reply.json(), what).toEqual(step.json);
  if (step.text !== undefined) expect(reply.text, what).toBe(step.text);
}

/** Runs `steps` in order, one test each. */
function table(steps: Step[]): void {
  for (const step of steps) it(`${step.name}: ${step.method} ${step.path}`, () => run(step));
}

// Schemas in the registry's canonical text (§1.4), so the text sent is the text returned.
const ORDER_V1 = '{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"}]}';
const ORDER_V1_SPACED = '{ "type": "record", "namespace": "acme", "name": "Order", "fields": [ { "type": "long", "name": "id" } ] }';
const ORDER_V2 =
  '{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}';
const ORDER_INCOMPATIBLE = '{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"id","type":"string"}]}';
const JSON_SCHEMA = '{"type":"object","properties":{"id":{"type":"integer"}}}';
const MONEY_PROTO = 'syntax = "proto3";\npackage acme;\n\nmessage Money {\n  int64 units = 1;\n}\n';
const PRICE_PROTO = 'syntax = "proto3";\npackage acme;\n\nimport "acme/money.proto";\n\nmessage Price {\n  Money amount = 1;\n}\n';

const record = (subject: string, version: number, id: number, schema: string, extra: Record<string, unknown> = {}) => ({
  subject,
  version,
  id,
  schema,
  ...extra,
});

describe('root, metadata and media types (§1.5, §3.1)', () => {
  table([
    { name: 'liveness is exactly {}', method: 'GET', path: '/', status: 200, text: '{}' },
    { name: 'POST / takes any JSON object', method: 'POST', path: '/', body: { anything: [1, 2] }, status: 200, text: '{}' },
    { name: 'schema types', method: 'GET', path: '/schemas/types', status: 200, json: ['JSON', 'PROTOBUF', 'AVRO'] },
    { name: 'the default context', method: 'GET', path: '/contexts', status: 200, json: ['.'] },
    { name: 'no subjects yet', method: 'GET', path: '/subjects?subjectPrefix=media-', status: 200, json: [] },
    { name: 'no Accept and no Content-Type', method: 'GET', path: '/subjects?subjectPrefix=media-', headers: {}, status: 200, json: [] },
    { name: 'Accept */*', method: 'GET', path: '/', headers: { accept: '*/*' }, status: 200, text: '{}' },
    { name: 'Accept application/*', method: 'GET', path: '/', headers: { accept: 'application/*' }, status: 200, text: '{}' },
    {
      name: 'Python GET Accept list',
      method: 'GET',
      path: '/',
      headers: { accept: `${V1}, ${SR}, ${JSON_TYPE}` },
      status: 200,
      text: '{}',
    },
    {
      name: 'axios Accept list: the server weights decide',
      method: 'GET',
      path: '/',
      headers: { accept: 'application/json, text/plain, */*', 'content-type': V1 },
      status: 200,
      text: '{}',
    },
    { name: 'Accept application/json only', method: 'GET', path: '/', headers: { accept: JSON_TYPE }, status: 200, text: '{}', contentType: JSON_TYPE },
    { name: 'the second type preferred by q', method: 'GET', path: '/', headers: { accept: `${V1};q=0.2, ${SR}` }, status: 200, text: '{}', contentType: SR },
    { name: 'nothing acceptable: 406', method: 'GET', path: '/schemas/types', headers: { accept: 'text/html' }, status: 406, errorCode: 406 },
    {
      name: 'a 406 calls nothing: no subject is created',
      method: 'POST',
      path: '/subjects/media-406/versions',
      headers: { accept: 'text/html', 'content-type': V1 },
      body: { schema: '"string"' },
      status: 406,
      errorCode: 406,
    },
    { name: '…as the subject list shows', method: 'GET', path: '/subjects?subjectPrefix=media-', status: 200, json: [] },
    {
      name: 'errors use the negotiated type',
      method: 'GET',
      path: '/subjects/media-none/versions',
      headers: { accept: JSON_TYPE },
      status: 404,
      errorCode: 40401,
      contentType: JSON_TYPE,
    },
    {
      name: 'unknown routes too',
      method: 'GET',
      path: '/nowhere',
      headers: { accept: JSON_TYPE },
      status: 404,
      errorCode: 404,
      contentType: JSON_TYPE,
    },
    ...[V1, `${SR}; charset=utf-8`, JSON_TYPE, 'application/octet-stream'].map(
      (contentType, i): Step => ({
        name: `request body as ${contentType}`,
        method: 'POST',
        path: `/subjects/media-${i}/versions`,
        headers: { 'content-type': contentType },
        body: { schema: '"string"' },
        status: 200,
        json: { id: 1 },
      }),
    ),
    {
      name: 'any other request media type: 415',
      method: 'POST',
      path: '/subjects/media-x/versions',
      headers: { 'content-type': 'text/plain' },
      body: { schema: '"string"' },
      status: 415,
      errorCode: 415,
    },
    {
      name: 'another +json type is not accepted either',
      method: 'POST',
      path: '/subjects/media-x/versions',
      headers: { 'content-type': 'application/problem+json' },
      body: { schema: '"string"' },
      status: 415,
      errorCode: 415,
    },
    {
      name: 'Content-Type on a bodiless DELETE is accepted',
      method: 'DELETE',
      path: '/subjects/media-3',
      status: 200,
      json: [1],
    },
    {
      name: 'the subjects registered with every media type',
      method: 'GET',
      path: '/subjects?subjectPrefix=media-',
      status: 200,
      json: ['media-0', 'media-1', 'media-2'],
    },
  ]);
});

describe('registration, lookup and versions (§2.1-§2.4, §3.2)', () => {
  table([
    { name: 'unknown subject has no versions', method: 'GET', path: '/subjects/orders-value/versions', status: 404, errorCode: 40401 },
    { name: 'kafkajs first registration probe', method: 'GET', path: '/config/orders-value', status: 404, errorCode: 40408 },
    { name: 'register v1 (kafkajs body)', method: 'POST', path: '/subjects/orders-value/versions', body: { schema: ORDER_V1 }, status: 200, json: { id: 2 } },
    {
      name: 'idempotent, reformatted, official-client body',
      method: 'POST',
      path: '/subjects/orders-value/versions?normalize=false',
      body: { schema: ORDER_V1_SPACED, schemaType: 'AVRO', metadata: { properties: {} }, ruleSet: null },
      status: 200,
      json: { id: 2 },
    },
    {
      name: 'register v2 (Python body)',
      method: 'POST',
      path: '/subjects/orders-value/versions',
      body: { schema: ORDER_V2, schemaType: 'AVRO', references: [] },
      status: 200,
      json: { id: 3 },
    },
    { name: 'the same schema under another subject shares the id', method: 'POST', path: '/subjects/orders-copy/versions', body: { schema: ORDER_V1 }, status: 200, json: { id: 2 } },
    { name: 'versions', method: 'GET', path: '/subjects/orders-value/versions', status: 200, json: [1, 2] },
    { name: 'versions paged', method: 'GET', path: '/subjects/orders-value/versions?offset=1&limit=1', status: 200, json: [2] },
    { name: 'version 1: schemaType omitted for AVRO, references omitted', method: 'GET', path: '/subjects/orders-value/versions/1', status: 200, json: record('orders-value', 1, 2, ORDER_V1) },
    { name: 'latest', method: 'GET', path: '/subjects/orders-value/versions/latest', status: 200, json: record('orders-value', 2, 3, ORDER_V2) },
    { name: '-1 is latest, unknown query keys ignored', method: 'GET', path: '/subjects/orders-value/versions/-1?name=x&deleted=false', status: 200, json: record('orders-value', 2, 3, ORDER_V2) },
    { name: 'the bare schema text', method: 'GET', path: '/subjects/orders-value/versions/1/schema', status: 200, text: ORDER_V1 },
    {
      name: 'the bare schema text with application/json',
      method: 'GET',
      path: '/subjects/orders-value/versions/latest/schema',
      headers: { accept: JSON_TYPE },
      status: 200,
      text: ORDER_V2,
      contentType: JSON_TYPE,
    },
    { name: 'invalid version id', method: 'GET', path: '/subjects/orders-value/versions/0', status: 422, errorCode: 42202 },
    { name: 'invalid version id on an unknown subject', method: 'GET', path: '/subjects/nobody/versions/abc', status: 422, errorCode: 42202 },
    { name: 'missing version', method: 'GET', path: '/subjects/orders-value/versions/9', status: 404, errorCode: 40402 },
    { name: 'lookup', method: 'POST', path: '/subjects/orders-value?normalize=false&deleted=false', body: { schema: ORDER_V1_SPACED }, status: 200, json: record('orders-value', 1, 2, ORDER_V1) },
    { name: 'lookup of a schema the subject does not hold', method: 'POST', path: '/subjects/orders-copy', body: { schema: ORDER_V2 }, status: 404, errorCode: 40403 },
    { name: 'lookup on an unknown subject', method: 'POST', path: '/subjects/nobody', body: { schema: ORDER_V1 }, status: 404, errorCode: 40401 },
    { name: 'invalid schema', method: 'POST', path: '/subjects/orders-value/versions', body: { schema: '{"type":"record"' }, status: 422, errorCode: 42201 },
    { name: 'unknown schemaType', method: 'POST', path: '/subjects/orders-value/versions', body: { schema: ORDER_V1, schemaType: 'XML' }, status: 422, errorCode: 42201 },
    { name: 'reserved subject name', method: 'POST', path: '/subjects/__GLOBAL/versions', body: { schema: ORDER_V1 }, status: 422, errorCode: 42208 },
    { name: 'incompatible registration', method: 'POST', path: '/subjects/orders-value/versions', body: { schema: ORDER_INCOMPATIBLE }, status: 409, errorCode: 409 },
    { name: 'referencedby of an unreferenced version', method: 'GET', path: '/subjects/orders-value/versions/1/referencedby', status: 200, json: [] },
    { name: 'soft-delete a version: the bare number', method: 'DELETE', path: '/subjects/orders-value/versions/1', status: 200, text: '1' },
    { name: 'soft-delete it again', method: 'DELETE', path: '/subjects/orders-value/versions/1', status: 404, errorCode: 40406 },
    { name: 'the soft-deleted version is hidden', method: 'GET', path: '/subjects/orders-value/versions/1', status: 404, errorCode: 40402 },
    { name: '…but readable with deleted=true', method: 'GET', path: '/subjects/orders-value/versions/1?deleted=true', status: 200, json: record('orders-value', 1, 2, ORDER_V1) },
    { name: 'lenient booleans: TRUE', method: 'GET', path: '/subjects/orders-value/versions?deleted=TRUE', status: 200, json: [1, 2] },
    { name: 'lenient booleans: anything else is false', method: 'GET', path: '/subjects/orders-value/versions?deleted=yes', status: 200, json: [2] },
    { name: 'only the deleted ones', method: 'GET', path: '/subjects/orders-value/versions?deletedOnly=true', status: 200, json: [1] },
    { name: 'permanent delete of a live version', method: 'DELETE', path: '/subjects/orders-value/versions/2?permanent=true', status: 404, errorCode: 40407 },
    { name: 'permanent delete of the soft-deleted one', method: 'DELETE', path: '/subjects/orders-value/versions/1?permanent=true', status: 200, text: '1' },
    { name: 'permanent delete of the subject before a soft delete', method: 'DELETE', path: '/subjects/orders-value?permanent=true', status: 404, errorCode: 40405 },
    { name: 'soft-delete the subject: a bare array', method: 'DELETE', path: '/subjects/orders-value?permanent=false', status: 200, json: [2] },
    { name: 'soft-delete it again', method: 'DELETE', path: '/subjects/orders-value', status: 404, errorCode: 40404 },
    { name: 'hidden from the subject list', method: 'GET', path: '/subjects?subjectPrefix=orders', status: 200, json: ['orders-copy'] },
    { name: '…except with deleted=true', method: 'GET', path: '/subjects?subjectPrefix=orders&deleted=true', status: 200, json: ['orders-copy', 'orders-value'] },
    { name: 'permanent delete', method: 'DELETE', path: '/subjects/orders-value?permanent=true', status: 200, json: [2] },
    { name: 'gone', method: 'GET', path: '/subjects/orders-value/versions?deleted=true', status: 404, errorCode: 40401 },
    { name: 'delete of an unknown subject', method: 'DELETE', path: '/subjects/orders-value', status: 404, errorCode: 40401 },
  ]);
});

describe('schemas by id (§3.3, §3.4)', () => {
  table([
    { name: 'register', method: 'POST', path: '/subjects/ids-value/versions', body: { schema: JSON_SCHEMA, schemaType: 'JSON' }, status: 200, json: { id: 4 } },
    { name: 'also under a second subject', method: 'POST', path: '/subjects/ids-other/versions', body: { schema: JSON_SCHEMA, schemaType: 'JSON' }, status: 200, json: { id: 4 } },
    { name: 'by id: schemaType present for JSON', method: 'GET', path: '/schemas/ids/4', status: 200, json: { schema: JSON_SCHEMA, schemaType: 'JSON' } },
    { name: 'the subject is a hint, not a filter', method: 'GET', path: '/schemas/ids/4?subject=somebody-else', status: 200, json: { schema: JSON_SCHEMA, schemaType: 'JSON' } },
    { name: 'fetchMaxId', method: 'GET', path: '/schemas/ids/4?fetchMaxId=true', status: 200, json: { schema: JSON_SCHEMA, schemaType: 'JSON', maxId: 4 } },
    { name: 'the bare text', method: 'GET', path: '/schemas/ids/4/schema', status: 200, text: JSON_SCHEMA },
    { name: 'subjects of an id', method: 'GET', path: '/schemas/ids/4/subjects', status: 200, json: ['ids-other', 'ids-value'] },
    {
      name: 'versions of an id',
      method: 'GET',
      path: '/schemas/ids/4/versions',
      status: 200,
      json: [
        { subject: 'ids-other', version: 1 },
        { subject: 'ids-value', version: 1 },
      ],
    },
    {
      name: 'schema list',
      method: 'GET',
      path: '/schemas?subjectPrefix=ids-',
      status: 200,
      json: [record('ids-other', 1, 4, JSON_SCHEMA, { schemaType: 'JSON' }), record('ids-value', 1, 4, JSON_SCHEMA, { schemaType: 'JSON' })],
    },
    { name: 'unknown id', method: 'GET', path: '/schemas/ids/999', status: 404, errorCode: 40403 },
    { name: 'unknown id, bare text', method: 'GET', path: '/schemas/ids/999/schema', status: 404, errorCode: 40403 },
    { name: 'unknown id, subjects', method: 'GET', path: '/schemas/ids/999/subjects', status: 404, errorCode: 40403 },
    { name: 'unknown id, versions', method: 'GET', path: '/schemas/ids/999/versions', status: 404, errorCode: 40403 },
    { name: 'a non-integer id is an unknown route', method: 'GET', path: '/schemas/ids/abc', status: 404, errorCode: 404 },
    { name: 'an id beyond 32 bits too', method: 'GET', path: '/schemas/ids/4294967296', status: 404, errorCode: 404 },
    { name: 'a malformed integer query value too (JAX-RS)', method: 'GET', path: '/schemas/ids/4/subjects?offset=x', status: 404, errorCode: 404 },
  ]);
});

describe('references and PROTOBUF (§2.5, §3.4)', () => {
  const moneyRef = [{ name: 'acme/money.proto', subject: 'money-value', version: 1 }];
  table([
    { name: 'register the referenced file', method: 'POST', path: '/subjects/money-value/versions', body: { schema: MONEY_PROTO, schemaType: 'PROTOBUF' }, status: 200, json: { id: 5 } },
    {
      name: 'register a file importing it',
      method: 'POST',
      path: '/subjects/price-value/versions',
      body: { schema: PRICE_PROTO, schemaType: 'PROTOBUF', references: moneyRef },
      status: 200,
      json: { id: 6 },
    },
    {
      name: 'the record carries schemaType and references',
      method: 'GET',
      path: '/subjects/price-value/versions/1',
      status: 200,
      json: record('price-value', 1, 6, PRICE_PROTO, { schemaType: 'PROTOBUF', references: moneyRef }),
    },
    { name: 'by id too', method: 'GET', path: '/schemas/ids/6', status: 200, json: { schema: PRICE_PROTO, schemaType: 'PROTOBUF', references: moneyRef } },
    { name: 'referencedby', method: 'GET', path: '/subjects/money-value/versions/1/referencedby', status: 200, json: [6] },
    { name: 'a referenced version cannot be deleted', method: 'DELETE', path: '/subjects/money-value/versions/1', status: 422, errorCode: 42206 },
    { name: 'nor its subject', method: 'DELETE', path: '/subjects/money-value', status: 422, errorCode: 42206 },
    {
      name: 'a missing reference',
      method: 'POST',
      path: '/subjects/price-value/versions',
      body: { schema: PRICE_PROTO, schemaType: 'PROTOBUF', references: [{ name: 'acme/money.proto', subject: 'money-value', version: 7 }] },
      status: 422,
      errorCode: 42201,
    },
  ]);

  it('format=serialized answers a base64 FileDescriptorProto', async () => {
    const reply = await sr.http.get('/schemas/ids/5?subject=money-value&format=serialized', CLIENT_HEADERS);
    expect(reply.status).toBe(200);
    const { schema, schemaType } = reply.json<{ schema: string; schemaType: string }>();
    expect(schemaType).toBe('PROTOBUF');
    const bytes = Buffer.from(schema, 'base64');
    expect(bytes.toString('base64')).toBe(schema);
    // A FileDescriptorProto with the file's package and message names in it.
    expect(bytes.includes(Buffer.from('acme'))).toBe(true);
    expect(bytes.includes(Buffer.from('Money'))).toBe(true);
    const byVersion = await sr.http.get('/subjects/money-value/versions/1?format=serialized', CLIENT_HEADERS);
    expect(byVersion.json()).toEqual(record('money-value', 1, 5, schema, { schemaType: 'PROTOBUF' }));
  });
});

describe('compatibility checks (§3.5)', () => {
  table([
    { name: 'an unknown subject accepts anything (latest)', method: 'POST', path: '/compatibility/subjects/compat-value/versions/latest', body: { schema: ORDER_V1 }, status: 200, json: { is_compatible: true } },
    { name: 'an unknown subject accepts anything (all)', method: 'POST', path: '/compatibility/subjects/compat-value/versions', body: { schema: ORDER_V1 }, status: 200, json: { is_compatible: true } },
    { name: 'a numbered version of an unknown subject', method: 'POST', path: '/compatibility/subjects/compat-value/versions/1', body: { schema: ORDER_V1 }, status: 404, errorCode: 40402 },
    { name: 'register v1', method: 'POST', path: '/subjects/compat-value/versions', body: { schema: ORDER_V1 }, status: 200, json: { id: 2 } },
    { name: 'compatible', method: 'POST', path: '/compatibility/subjects/compat-value/versions/latest', body: { schema: ORDER_V2 }, status: 200, json: { is_compatible: true } },
    { name: 'incompatible: false is emitted', method: 'POST', path: '/compatibility/subjects/compat-value/versions/1', body: { schema: ORDER_INCOMPATIBLE }, status: 200, json: { is_compatible: false } },
    { name: 'against every version the level demands', method: 'POST', path: '/compatibility/subjects/compat-value/versions', body: { schema: ORDER_INCOMPATIBLE }, status: 200, json: { is_compatible: false } },
    { name: 'invalid version id', method: 'POST', path: '/compatibility/subjects/compat-value/versions/0', body: { schema: ORDER_V2 }, status: 422, errorCode: 42202 },
    { name: 'invalid schema', method: 'POST', path: '/compatibility/subjects/compat-value/versions/latest', body: { schema: '{' }, status: 422, errorCode: 42201 },
    { name: 'no version was created', method: 'GET', path: '/subjects/compat-value/versions', status: 200, json: [1] },
  ]);

  it('verbose=true adds the messages', async () => {
    const reply = await sr.http.send('POST', '/compatibility/subjects/compat-value/versions/latest?verbose=True', {
      headers: CLIENT_HEADERS,
      body: JSON.stringify({ schema: ORDER_INCOMPATIBLE }),
    });
    expect(reply.status).toBe(200);
    const body = reply.json<{ is_compatible: boolean; messages: string[] }>();
    expect(body.is_compatible).toBe(false);
    expect(body.messages.length).toBeGreaterThan(0);
    expect(Object.keys(body)).toEqual(['is_compatible', 'messages']);
  });
});

describe('config and mode (§2.6, §2.7, §3.6, §3.7)', () => {
  table([
    { name: 'global default', method: 'GET', path: '/config', status: 200, json: { compatibilityLevel: 'BACKWARD' } },
    { name: 'set the global level (any case)', method: 'PUT', path: '/config', body: { compatibility: 'full' }, status: 200, json: { compatibility: 'FULL' } },
    { name: 'read it back', method: 'GET', path: '/config', status: 200, json: { compatibilityLevel: 'FULL' } },
    { name: 'reset: the previous level', method: 'DELETE', path: '/config', status: 200, json: { compatibilityLevel: 'FULL' } },
    { name: 'back to the default', method: 'GET', path: '/config', status: 200, json: { compatibilityLevel: 'BACKWARD' } },
    { name: 'invalid level', method: 'PUT', path: '/config', body: { compatibility: 'SIDEWAYS' }, status: 422, errorCode: 42203 },
    { name: 'other config fields are accepted and ignored', method: 'PUT', path: '/config', body: { normalize: true, alias: 'x' }, status: 200, json: {} },
    { name: 'no subject level', method: 'GET', path: '/config/cfg-value', status: 404, errorCode: 40408 },
    { name: 'defaultToGlobal', method: 'GET', path: '/config/cfg-value?defaultToGlobal=true', status: 200, json: { compatibilityLevel: 'BACKWARD' } },
    { name: 'a subject level before any version', method: 'PUT', path: '/config/cfg-value', body: { compatibility: 'FORWARD_TRANSITIVE' }, status: 200, json: { compatibility: 'FORWARD_TRANSITIVE' } },
    { name: 'read it back', method: 'GET', path: '/config/cfg-value', status: 200, json: { compatibilityLevel: 'FORWARD_TRANSITIVE' } },
    { name: 'delete it: the removed level', method: 'DELETE', path: '/config/cfg-value', status: 200, json: { compatibilityLevel: 'FORWARD_TRANSITIVE' } },
    { name: 'delete with nothing set', method: 'DELETE', path: '/config/cfg-value', status: 404, errorCode: 40401 },
    { name: 'invalid subject name', method: 'PUT', path: '/config/__EMPTY', body: { compatibility: 'NONE' }, status: 422, errorCode: 42208 },
    { name: 'global mode', method: 'GET', path: '/mode', status: 200, json: { mode: 'READWRITE' } },
    { name: 'no subject mode', method: 'GET', path: '/mode/mode-value', status: 404, errorCode: 40409 },
    { name: 'defaultToGlobal', method: 'GET', path: '/mode/mode-value?defaultToGlobal=true', status: 200, json: { mode: 'READWRITE' } },
    { name: 'set a subject mode', method: 'PUT', path: '/mode/mode-value', body: { mode: 'readonly' }, status: 200, json: { mode: 'READONLY' } },
    { name: 'READONLY refuses registration', method: 'POST', path: '/subjects/mode-value/versions', body: { schema: ORDER_V1 }, status: 422, errorCode: 42205 },
    { name: 'read the mode back', method: 'GET', path: '/mode/mode-value', status: 200, json: { mode: 'READONLY' } },
    { name: 'delete it', method: 'DELETE', path: '/mode/mode-value', status: 200, json: { mode: 'READONLY' } },
    { name: 'delete with nothing set', method: 'DELETE', path: '/mode/mode-value', status: 404, errorCode: 40401 },
    { name: 'invalid mode', method: 'PUT', path: '/mode', body: { mode: 'SOMETIMES' }, status: 422, errorCode: 42204 },
    { name: 'IMPORT on a subject with versions needs force', method: 'PUT', path: '/mode/compat-value', body: { mode: 'IMPORT' }, status: 422, errorCode: 42205 },
    { name: '…and works with force=true', method: 'PUT', path: '/mode/compat-value?force=true', body: { mode: 'IMPORT' }, status: 200, json: { mode: 'IMPORT' } },
    { name: 'undo', method: 'DELETE', path: '/mode/compat-value', status: 200, json: { mode: 'IMPORT' } },
  ]);
});

describe("subjects with '/' (§1.1, §6.4 item 9)", () => {
  table([
    { name: 'register with %2F', method: 'POST', path: '/subjects/team%2Forders/versions', body: { schema: '"int"' }, status: 200, json: { id: 7 } },
    { name: 'the subject name holds the slash', method: 'GET', path: '/subjects?subjectPrefix=team', status: 200, json: ['team/orders'] },
    { name: 'read with %2F', method: 'GET', path: '/subjects/team%2Forders/versions/1', status: 200, json: record('team/orders', 1, 7, '"int"') },
    { name: 'versions with %2F', method: 'GET', path: '/subjects/team%2Forders/versions', status: 200, json: [1] },
    { name: 'versions with a raw slash (official JS getAllVersions)', method: 'GET', path: '/subjects/team/orders/versions', status: 200, json: [1] },
    { name: 'deeper raw slashes', method: 'GET', path: '/subjects/team/a/b/versions', status: 404, errorCode: 40401 },
    {
      name: 'compatibility with a raw slash (Python test_compatibility)',
      method: 'POST',
      path: '/compatibility/subjects/team/orders/versions/latest',
      body: { schema: '"long"' },
      status: 200,
      json: { is_compatible: true },
    },
    {
      name: 'against a numbered version',
      method: 'POST',
      path: '/compatibility/subjects/team/orders/versions/1',
      body: { schema: '"string"' },
      status: 200,
      json: { is_compatible: false },
    },
    { name: 'against all versions', method: 'POST', path: '/compatibility/subjects/team/orders/versions', body: { schema: '"long"' }, status: 200, json: { is_compatible: true } },
    { name: 'other characters decode in a segment', method: 'POST', path: '/subjects/a%20b%3Ac%7Bd%7D/versions', body: { schema: '"int"' }, status: 200, json: { id: 7 } },
    { name: '…and read back', method: 'GET', path: '/subjects/a%20b%3Ac%7Bd%7D/versions/latest', status: 200, json: record('a b:c{d}', 1, 7, '"int"') },
  ]);
});

describe('framework errors (§1.6, §1.7, §3.8)', () => {
  table([
    {
      name: 'associations: 404 so the official serdes fall back to <topic>-value',
      method: 'GET',
      path: '/associations/resources/-/orders?resourceType=topic&associationType=value',
      status: 404,
      errorCode: 404,
    },
    { name: 'an unknown route', method: 'GET', path: '/v1/metadata/id', status: 404, errorCode: 404 },
    { name: 'subject metadata is not implemented', method: 'GET', path: '/subjects/x/metadata?key=a&value=b', status: 404, errorCode: 404 },
    { name: 'schema by guid is not implemented', method: 'GET', path: '/schemas/guids/0f7a', status: 404, errorCode: 404 },
    { name: 'wrong method on a known path', method: 'PUT', path: '/subjects', status: 405, errorCode: 405 },
    { name: 'wrong method on a path with a subject', method: 'PATCH', path: '/config/x', body: {}, status: 405, errorCode: 405 },
    { name: 'a body that is not JSON', method: 'POST', path: '/subjects/err-value/versions', body: '{"schema": ', status: 400, errorCode: 400 },
    { name: 'JSON of the wrong shape', method: 'POST', path: '/subjects/err-value/versions', body: '-1', status: 400, errorCode: 400 },
    { name: 'a field of the wrong type', method: 'POST', path: '/subjects/err-value/versions', body: { schema: 5 }, status: 400, errorCode: 400 },
    { name: 'no body at all', method: 'POST', path: '/subjects/err-value/versions', status: 422, errorCode: 422 },
    { name: 'no body on PUT /config', method: 'PUT', path: '/config', status: 422, errorCode: 422 },
    { name: 'an empty schema', method: 'POST', path: '/subjects/err-value/versions', body: { schema: '' }, status: 422, errorCode: 42201 },
    { name: 'a malformed escape in the path', method: 'GET', path: '/subjects/%ZZ/versions', status: 400, errorCode: 400 },
  ]);

  it('405 carries Allow', async () => {
    const reply = await sr.http.send('PUT', '/subjects', { headers: CLIENT_HEADERS });
    expect(reply.header('allow')).toBe('GET, HEAD, OPTIONS');
  });
});
