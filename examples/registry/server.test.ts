// The registry pattern over real gRPC on loopback, against every storage
// backend: the semantics of the Confluent contract §1.2-§4, and the error
// details (google.rpc.ErrorInfo) a frontend renders.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlainMessage } from '../../src/grpc/service-definition.js';
import { PROJECT_DIR } from '../../src/protos/root.js';
import { startRegistryPattern, type RunningPattern } from './server.js';
import type { StorageConfig } from './storage/open.js';
import { dropPostgresSchema, freshPostgresSchema, POSTGRES_URL, postgresReachable } from './storage/pg-testing.js';
import { failureOf, registryClient, type RegistryCall, type RegistryClient } from './testing.js';

const tmp = mkdtempSync(join(tmpdir(), 'registry-server-'));
const pgSchema = freshPostgresSchema();
const withPostgres = await postgresReachable();

interface Backend {
  name: string;
  storage: StorageConfig;
  cleanUp?(): Promise<void>;
}

const ALL_BACKENDS: Backend[] = [
  { name: 'memstore', storage: { type: 'MEMSTORE' } },
  { name: 'sqlite', storage: { type: 'SQLITE', path: join(tmp, 'registry.db') } },
  {
    name: 'postgres',
    storage: { type: 'POSTGRES', connectionString: POSTGRES_URL, schema: pgSchema },
    cleanUp: () => dropPostgresSchema(pgSchema),
  },
];
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BACKENDS = ALL_BACKENDS.filter((backend) => withPostgres || backend.name !== 'postgres');

/** The gRPC status each registry error code must travel with. */
function grpcCodeOf(errorCode: string): GrpcStatus {
  if (errorCode.startsWith('404')) return GrpcStatus.NOT_FOUND;
  if (errorCode === '409' || errorCode === '42206') return GrpcStatus.FAILED_PRECONDITION;
  if (errorCode === '42205') return GrpcStatus.PERMISSION_DENIED;
  if (errorCode.startsWith('422')) return GrpcStatus.INVALID_ARGUMENT;
  throw new Error(`no expectation for ${errorCode}`);
}

/** Asserts the call fails with `errorCode`, its HTTP status, gRPC code and ErrorInfo. */
async function expectError(pending: Promise<unknown>, errorCode: string, message?: RegExp): Promise<void> {
  const failure = await failureOf(pending);
  expect(failure).toMatchObject({
    code: grpcCodeOf(errorCode),
    errorCode,
    httpStatus: errorCode.slice(0, 3),
    domain: 'registry.prism',
  });
  expect(failure.reason).toMatch(/^[A-Z_]+$/);
  expect(failure.message).not.toBe('');
  expect({ code: failure.detailsCode, message: failure.detailsMessage }).toEqual({
    code: failure.code,
    message: failure.message,
  });
  if (message) expect(failure.message).toMatch(message);
}

// ---- schemas ----------------------------------------------------------------

const avroRecord = (name: string, fields: object[], extra: object = {}) =>
  JSON.stringify({ type: 'record', name, ...extra, fields });
const field = (name: string, type: unknown, extra: object = {}) => ({ name, type, ...extra });

/**
 * Evolutions of one AVRO record. Ids are global, so a test that looks at ids
 * across subjects names its own record.
 */
function person(name: string) {
  return {
    v1: avroRecord(name, [field('age', 'int')]),
    v2: avroRecord(name, [field('age', 'int'), field('first', 'string', { default: 'John' })]),
    v3: avroRecord(name, [field('age', 'int'), field('first', 'string'), field('last', 'string', { default: 'Doe' })]),
    /** Adds a field without default: BACKWARD-incompatible with v1. */
    noDefault: avroRecord(name, [field('age', 'int'), field('email', 'string')]),
  };
}
const { v1: PERSON_V1, v2: PERSON_V2, v3: PERSON_V3, noDefault: PERSON_NO_DEFAULT } = person('Person');
const compact = (json: string) => JSON.stringify(JSON.parse(json));

const JSON_OPEN = '{"type":"object","properties":{"a":{"type":"string"}}}';
const JSON_OPEN_PLUS_B = '{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}';
const JSON_CLOSED = '{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}';
const JSON_CLOSED_PLUS_B =
  '{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"additionalProperties":false}';

const ORDER_V1 = 'syntax = "proto3";\npackage acme;\n\nmessage Order {\n  string id = 1;\n}\n';
const ORDER_V2 = 'syntax = "proto3";\npackage acme;\n\nmessage Order {\n  string id = 1;\n  int32 qty = 2;\n}\n';
const ORDER_ID_AS_INT = 'syntax = "proto3";\npackage acme;\n\nmessage Order {\n  int32 id = 1;\n}\n';

describe.each(BACKENDS)('registry pattern on $name', (backend) => {
  let pattern: RunningPattern;
  let client: RegistryClient;
  let call: RegistryCall;

  beforeAll(async () => {
    pattern = await startRegistryPattern({ address: '127.0.0.1:0', storage: backend.storage });
    client = registryClient(pattern.address);
    call = client.call;
  });

  afterAll(async () => {
    client.close();
    await pattern.close();
    await backend.cleanUp?.();
  });

  const register = async (subject: string, schema: string, extra: PlainMessage = {}) =>
    (await call('RegisterSchema', { subject, schema, ...extra })).id as number;
  const versionsOf = async (subject: string, extra: PlainMessage = {}) =>
    ((await call('ListVersions', { subject, ...extra })).versions as number[] | undefined) ?? [];
  const byVersion = (subject: string, version: string, extra: PlainMessage = {}) =>
    call('GetSchemaByVersion', { subject, version, ...extra });
  const setLevel = (subject: string, compatibility: string) => call('SetConfig', { subject, compatibility });
  const compatible = async (subject: string, version: string, schema: string, extra: PlainMessage = {}) =>
    (await call('CheckCompatibility', { subject, version, schema, ...extra })).is_compatible as boolean;

  describe('service basics', () => {
    it('answers Ping, the schema types and the default context', async () => {
      expect(await call('Ping')).toEqual({});
      expect(await call('GetSchemaTypes')).toEqual({ types: ['JSON', 'PROTOBUF', 'AVRO'] });
      expect(await call('ListContexts')).toEqual({ contexts: ['.'] });
      expect(await call('ListContexts', { context_prefix: '.' })).toEqual({ contexts: ['.'] });
      expect(await call('ListContexts', { context_prefix: 'x' })).toEqual({});
    });
  });

  describe('registration and global ids', () => {
    it('stores the canonical text; AVRO records omit schema_type and empty references', async () => {
      const id = await register(
        'basic-value',
        '{ "type": "record",\n "name": "User", "fields": [ {"name": "age", "type": "int"} ] }',
      );
      expect(await byVersion('basic-value', '1')).toEqual({
        subject: 'basic-value',
        version: 1,
        id,
        schema: '{"type":"record","name":"User","fields":[{"name":"age","type":"int"}]}',
      });
      expect(await call('GetSchema', { id })).toEqual({
        schema: '{"type":"record","name":"User","fields":[{"name":"age","type":"int"}]}',
      });
    });

    it('gives the same schema under two subjects one id', async () => {
      const SHARED = person('Shared').v1;
      const first = await register('shared-a', SHARED);
      const second = await register('shared-b', SHARED);
      expect(second).toBe(first);
      expect(await call('GetSubjectsById', { id: first })).toEqual({ subjects: ['shared-a', 'shared-b'] });
      expect(await call('GetVersionsById', { id: first })).toEqual({
        versions: [
          { subject: 'shared-a', version: 1 },
          { subject: 'shared-b', version: 1 },
        ],
      });
    });

    it.each([
      [
        'AVRO',
        avroRecord('Equivalent', [field('n', 'long')]),
        '{"fields":[{"type":"long","name":"n"}],\n  "name":"Equivalent", "type":"record"}',
      ],
      ['JSON', JSON_CLOSED, JSON.stringify(JSON.parse(JSON_CLOSED), null, 2)],
      ['PROTOBUF', ORDER_V1, ORDER_V1.replaceAll('\n', '\n\n').replaceAll('  ', '    ')],
    ])(
      'answers a reformatted equivalent %s schema with the same id and no new version',
      async (type, schema, reformatted) => {
        const subject = `reformatted-${type}`;
        const schema_type = type;
        const id = await register(subject, schema, { schema_type });
        expect(await register(subject, reformatted, { schema_type })).toBe(id);
        expect(await versionsOf(subject)).toEqual([1]);
        expect(await register(`${subject}-elsewhere`, reformatted, { schema_type })).toBe(id);
      },
    );

    it('matches schemas by their normalized form when asked to normalize', async () => {
      const written = '{"type":"object","properties":{"b":{"type":"integer"},"a":{"type":"string"}}}';
      const reordered = '{"properties":{"a":{"type":"string"},"b":{"type":"integer"}},"type":"object"}';
      const options = { schema_type: 'JSON' };
      const id = await register('normalized', written, options);
      await expectError(call('LookupSchema', { subject: 'normalized', schema: reordered, ...options }), '40403');
      const found = await call('LookupSchema', {
        subject: 'normalized',
        schema: reordered,
        normalize: true,
        ...options,
      });
      expect(found).toMatchObject({ version: 1, id });
      expect(await register('normalized', reordered, { ...options, normalize: true })).toBe(id);
      expect(await versionsOf('normalized')).toEqual([1]);
      // Stored normalized, a schema comes back in its normalized form.
      await register('normalized-stored', written, { ...options, normalize: true });
      expect((await byVersion('normalized-stored', '1')).schema).toBe(reordered);
    });

    it('treats "string" and {"type":"string"} as one schema', async () => {
      const id = await register('primitive', '"string"');
      expect(await register('primitive', '{"type": "string"}')).toBe(id);
      expect((await byVersion('primitive', 'latest')).schema).toBe('"string"');
    });

    it('gives a new schema a new id and the next version; an older one comes back unchanged', async () => {
      const v1 = await register('evolving', PERSON_V1);
      const v2 = await register('evolving', PERSON_V2);
      expect(v2).toBeGreaterThan(v1);
      expect(await versionsOf('evolving')).toEqual([1, 2]);
      expect(await register('evolving', PERSON_V1)).toBe(v1);
      expect(await versionsOf('evolving')).toEqual([1, 2]);
    });

    it('re-registers an existing version even when the level would now reject it', async () => {
      await setLevel('relaxed', 'NONE');
      const v1 = await register('relaxed', PERSON_V1);
      await register('relaxed', avroRecord('Person', [field('other', 'string')]));
      await setLevel('relaxed', 'BACKWARD');
      expect(await register('relaxed', PERSON_V1)).toBe(v1);
      await expectError(register('relaxed', PERSON_NO_DEFAULT), '409');
    });

    it('stores JSON and PROTOBUF schemas with their type', async () => {
      const jsonId = await register('typed-json', JSON_OPEN, { schema_type: 'JSON' });
      const protoId = await register('typed-proto', ORDER_V1, { schema_type: 'PROTOBUF' });
      expect(await byVersion('typed-json', '1')).toMatchObject({ id: jsonId, schema_type: 'JSON', schema: JSON_OPEN });
      expect(await byVersion('typed-proto', '1')).toMatchObject({ id: protoId, schema_type: 'PROTOBUF' });
      expect(await call('GetSchema', { id: jsonId })).toEqual({ schema_type: 'JSON', schema: JSON_OPEN });
      expect(await call('GetSchema', { id: protoId })).toMatchObject({ schema_type: 'PROTOBUF' });
    });

    it('takes an empty schema as the latest version of a subject with live versions', async () => {
      await register('empty-schema', PERSON_V1);
      const latest = await register('empty-schema', PERSON_V2);
      expect(await register('empty-schema', '')).toBe(latest);
      expect(await versionsOf('empty-schema')).toEqual([1, 2]);
      await expectError(register('empty-schema-new', ''), '42201');
    });

    it('answers the highest id with fetch_max_id only', async () => {
      const id = await register('max-id', avroRecord('MaxId', [field('x', 'int')]));
      const answer = await call('GetSchema', { id, fetch_max_id: true });
      expect(answer.max_id).toBeGreaterThanOrEqual(id);
      expect(await call('GetSchema', { id })).not.toHaveProperty('max_id');
    });

    it.each([
      ['a control character', 'bad\u0001subject'],
      ['a C1 control character', 'bad\u0085subject'],
      ['the reserved __GLOBAL', '__GLOBAL'],
      ['the reserved __EMPTY', '__EMPTY'],
      ['the empty name', ''],
    ])('refuses a subject with %s (42208)', async (_, subject) => {
      await expectError(register(subject, PERSON_V1), '42208');
    });

    it('accepts subjects with slashes, colons, quotes and spaces', async () => {
      const subject = 'a/b:{c} "d" \'e\'';
      const id = await register(subject, PERSON_V1);
      expect(await byVersion(subject, '1')).toMatchObject({ subject, id });
    });

    it.each([
      ['an unknown schema type', { schema: PERSON_V1, schema_type: 'XML' }],
      ['a lower-case schema type', { schema: PERSON_V1, schema_type: 'avro' }],
      ['unparsable AVRO', { schema: '{"type": "record", "name": "Broken"' }],
      ['an AVRO record with a bad field name', { schema: avroRecord('Bad', [field('no-dash', 'int')]) }],
      ['an AVRO record with an undefined type', { schema: avroRecord('Bad', [field('x', 'com.acme.Missing')]) }],
      ['unparsable JSON schema', { schema: '{"type": ', schema_type: 'JSON' }],
      ['invalid PROTOBUF', { schema: 'message {', schema_type: 'PROTOBUF' }],
      [
        'a reference to a missing subject',
        { schema: PERSON_V1, references: [{ name: 'x', subject: 'nope', version: 1 }] },
      ],
    ])('refuses %s (42201)', async (_, request) => {
      await expectError(call('RegisterSchema', { subject: 'invalid-schemas', ...request }), '42201');
    });
  });

  describe('version numbering (§2.1)', () => {
    it('counts soft-deleted versions: v1, v2 both soft-deleted, then v3', async () => {
      await register('numbering-1', PERSON_V1);
      await register('numbering-1', PERSON_V2);
      await call('DeleteSubject', { subject: 'numbering-1' });
      await register('numbering-1', PERSON_V3);
      expect(await versionsOf('numbering-1', { deleted: true })).toEqual([1, 2, 3]);
    });

    it('ignores permanently deleted versions: v2 erased, v1 soft-deleted, then v2', async () => {
      await register('numbering-2', PERSON_V1);
      await register('numbering-2', PERSON_V2);
      await call('DeleteSchemaVersion', { subject: 'numbering-2', version: '2' });
      await call('DeleteSchemaVersion', { subject: 'numbering-2', version: '2', permanent: true });
      await call('DeleteSchemaVersion', { subject: 'numbering-2', version: '1' });
      await register('numbering-2', PERSON_V3);
      expect(await versionsOf('numbering-2', { deleted: true })).toEqual([1, 2]);
    });

    it('starts again at v1 after the subject was permanently deleted', async () => {
      await register('numbering-3', PERSON_V1);
      await register('numbering-3', PERSON_V2);
      await call('DeleteSubject', { subject: 'numbering-3' });
      await call('DeleteSubject', { subject: 'numbering-3', permanent: true });
      await register('numbering-3', PERSON_V3);
      expect(await versionsOf('numbering-3', { deleted: true })).toEqual([1]);
    });

    it('registers a soft-deleted schema again as a new version with its old id, erasing the old version', async () => {
      const id = await register('resurrected', PERSON_V1);
      await register('resurrected', PERSON_V2);
      await call('DeleteSchemaVersion', { subject: 'resurrected', version: '1' });
      expect(await register('resurrected', PERSON_V1)).toBe(id);
      expect(await versionsOf('resurrected', { deleted: true })).toEqual([2, 3]);
      expect(await byVersion('resurrected', '3')).toMatchObject({ id });
    });
  });

  describe('reading versions, subjects and ids', () => {
    const READER = person('Reader');

    beforeAll(async () => {
      await register('read-a', READER.v1);
      await register('read-a', READER.v2);
      await register('read-a', READER.v3);
      await call('DeleteSchemaVersion', { subject: 'read-a', version: '3' });
      await register('read-b', READER.v1);
      await register('read-c', READER.v2);
      await call('DeleteSubject', { subject: 'read-c' });
    });

    it.each(['latest', '-1', ' LaTeSt '])('resolves %j to the newest live version', async (version) => {
      expect(await byVersion('read-a', version)).toMatchObject({ version: 2 });
    });

    it.each(['0', '-2', 'abc', 'earliest', '2147483648', '', '1.5', '1e3'])(
      'rejects the version id %j with 42202, before looking up the subject',
      async (version) => {
        await expectError(byVersion('never-registered', version), '42202');
        await expectError(call('DeleteSchemaVersion', { subject: 'never-registered', version }), '42202');
        await expectError(call('GetReferencedBy', { subject: 'never-registered', version }), '42202');
        if (version !== '') {
          await expectError(
            call('CheckCompatibility', { subject: 'never-registered', version, schema: READER.v1 }),
            '42202',
          );
        }
      },
    );

    it('accepts the largest version id', async () => {
      await expectError(byVersion('read-a', '2147483647'), '40402');
    });

    it('answers 40401 for unknown or wholly soft-deleted subjects and 40402 for missing versions', async () => {
      await expectError(byVersion('never-registered', '1'), '40401', /Subject 'never-registered' not found/);
      await expectError(byVersion('read-c', '1'), '40401');
      await expectError(byVersion('read-a', '3'), '40402');
      await expectError(byVersion('read-a', '9'), '40402');
      expect(await byVersion('read-a', '3', { deleted: true })).toMatchObject({ version: 3 });
      expect(await byVersion('read-c', '1', { deleted: true })).toMatchObject({ version: 1 });
    });

    it('lists versions with deleted, deleted_only, offset and limit', async () => {
      expect(await versionsOf('read-a')).toEqual([1, 2]);
      expect(await versionsOf('read-a', { deleted: true })).toEqual([1, 2, 3]);
      expect(await versionsOf('read-a', { deleted_only: true })).toEqual([3]);
      expect(await versionsOf('read-a', { deleted: true, offset: 1, limit: 1 })).toEqual([2]);
      await expectError(call('ListVersions', { subject: 'read-c' }), '40401');
      await expectError(call('ListVersions', { subject: 'read-b', deleted_only: true }), '40401');
      await expectError(call('ListVersions', { subject: 'never-registered' }), '40401');
    });

    it('lists subjects sorted, with prefix, deleted, deleted_only, offset and limit', async () => {
      const subjects = async (request: PlainMessage) => (await call('ListSubjects', request)).subjects ?? [];
      expect(await subjects({ subject_prefix: 'read-' })).toEqual(['read-a', 'read-b']);
      expect(await subjects({ subject_prefix: 'read-', deleted: true })).toEqual(['read-a', 'read-b', 'read-c']);
      expect(await subjects({ subject_prefix: 'read-', deleted_only: true })).toEqual(['read-c']);
      expect(await subjects({ subject_prefix: 'read-', deleted: true, offset: 1, limit: 1 })).toEqual(['read-b']);
      expect(await subjects({})).toEqual(expect.arrayContaining(['read-a', 'read-b']));
    });

    it('reads schemas by id, soft-deleted ones included; unknown ids answer 40403', async () => {
      const v3 = (await byVersion('read-a', '3', { deleted: true })).id as number;
      expect(await call('GetSchema', { id: v3 })).toEqual({ schema: compact(READER.v3) });
      expect(await call('GetSchema', { id: v3, subject: 'unrelated-subject' })).toMatchObject({
        schema: expect.any(String),
      });
      for (const id of [0, 999999]) {
        await expectError(call('GetSchema', { id }), '40403', new RegExp(`Schema ${id} not found`));
        await expectError(call('GetSubjectsById', { id }), '40403');
        await expectError(call('GetVersionsById', { id }), '40403');
      }
    });

    it('lists the subjects and versions of an id, soft-deleted uses with deleted', async () => {
      const v2 = (await byVersion('read-a', '2')).id as number;
      expect(await call('GetSubjectsById', { id: v2 })).toEqual({ subjects: ['read-a'] });
      expect(await call('GetSubjectsById', { id: v2, deleted: true })).toEqual({ subjects: ['read-a', 'read-c'] });
      expect(await call('GetVersionsById', { id: v2, deleted: true, offset: 1 })).toEqual({
        versions: [{ subject: 'read-c', version: 1 }],
      });
      const v3 = (await byVersion('read-a', '3', { deleted: true })).id as number;
      expect(await call('GetSubjectsById', { id: v3 })).toEqual({});
    });

    it('lists schema records with prefix, deleted, latest_only, offset and limit', async () => {
      const list = async (request: PlainMessage) =>
        (
          ((await call('ListSchemas', { subject_prefix: 'read-', ...request })).schemas as
            PlainMessage[] | undefined) ?? []
        ).map((record) => `${record.subject as string}/${record.version as number}`);
      expect(await list({})).toEqual(['read-a/1', 'read-a/2', 'read-b/1']);
      expect(await list({ deleted: true })).toEqual(['read-a/1', 'read-a/2', 'read-a/3', 'read-b/1', 'read-c/1']);
      expect(await list({ latest_only: true })).toEqual(['read-a/2', 'read-b/1']);
      expect(await list({ offset: 1, limit: 1 })).toEqual(['read-a/2']);
      const [first] = (await call('ListSchemas', { subject_prefix: 'read-b' })).schemas as PlainMessage[];
      expect(first).toEqual({ subject: 'read-b', version: 1, id: expect.any(Number), schema: compact(READER.v1) });
    });

    it('gives PROTOBUF as a base64 FileDescriptorProto with format=serialized, the same schema as its text', async () => {
      const id = await register('serialized-proto', ORDER_V2, { schema_type: 'PROTOBUF' });
      const serialized = (await call('GetSchema', { id, format: 'serialized' })).schema as string;
      const descriptorRoot = protobuf.loadSync(
        join(PROJECT_DIR, 'node_modules/protobufjs/google/protobuf/descriptor.proto'),
      );
      const fileType = descriptorRoot.lookupType('google.protobuf.FileDescriptorProto');
      const file = fileType.toObject(fileType.decode(Buffer.from(serialized, 'base64'))) as {
        package: string;
        messageType: { name: string; field: { name: string }[] }[];
      };
      expect(file.package).toBe('acme');
      expect(file.messageType.map((m) => m.name)).toEqual(['Order']);
      expect(file.messageType[0]!.field.map((f) => f.name)).toEqual(['id', 'qty']);
      expect((await byVersion('serialized-proto', '1', { format: 'serialized' })).schema).toBe(serialized);
      expect(await register('serialized-proto-copy', serialized, { schema_type: 'PROTOBUF' })).toBe(id);
      // Other formats and other types ignore the parameter.
      expect((await call('GetSchema', { id, format: 'ignore_extensions' })).schema).not.toBe(serialized);
      const avroId = await register('serialized-avro', PERSON_V1);
      expect((await call('GetSchema', { id: avroId, format: 'serialized' })).schema).toBe(compact(PERSON_V1));
    });
  });

  describe('lookup (§2.3)', () => {
    beforeAll(async () => {
      await register('lookup', PERSON_V1);
      await register('lookup', PERSON_V2);
      await register('lookup-other', PERSON_V3);
      await call('DeleteSchemaVersion', { subject: 'lookup', version: '1' });
    });

    it('answers the version holding the schema, reformatted or not', async () => {
      const record = await call('LookupSchema', { subject: 'lookup', schema: `  ${PERSON_V2}\n` });
      expect(record).toMatchObject({ subject: 'lookup', version: 2, schema: compact(PERSON_V2) });
      expect(record.id).toBe((await byVersion('lookup', '2')).id);
    });

    it('matches soft-deleted versions only with deleted', async () => {
      await expectError(call('LookupSchema', { subject: 'lookup', schema: PERSON_V1 }), '40403');
      expect(await call('LookupSchema', { subject: 'lookup', schema: PERSON_V1, deleted: true })).toMatchObject({
        version: 1,
      });
    });

    it('answers 40403 for a schema held only by another subject, 40401 for an unknown subject, 42201 for an invalid schema', async () => {
      await expectError(call('LookupSchema', { subject: 'lookup', schema: PERSON_V3 }), '40403');
      await expectError(call('LookupSchema', { subject: 'never-registered', schema: PERSON_V1 }), '40401');
      await expectError(call('LookupSchema', { subject: 'lookup', schema: '{' }), '42201');
    });

    it('never registers anything', async () => {
      await expectError(call('LookupSchema', { subject: 'lookup-new', schema: PERSON_V1 }), '40401');
      await expectError(call('ListVersions', { subject: 'lookup-new' }), '40401');
    });
  });

  describe('lookup of a schema with its references inlined (§2.3)', () => {
    const ADDRESS = { type: 'record', name: 'Address', namespace: 'com.shop', fields: [field('street', 'string')] };
    const customer = (address: unknown, extra: object[] = []) =>
      avroRecord('Customer', [field('address', address), ...extra], { namespace: 'com.shop' });
    const addressRef = [{ name: 'com.shop.Address', subject: 'address', version: 1 }];
    let customerId: number;

    beforeAll(async () => {
      await register('address', JSON.stringify(ADDRESS));
      customerId = await register('customer', customer('com.shop.Address'), { references: addressRef });
      await register('customer', customer('com.shop.Address', [field('vip', 'boolean', { default: false })]), {
        references: addressRef,
      });
      await call('DeleteSchemaVersion', { subject: 'customer', version: '1' });
    });

    it('answers the version whose referenced record the schema writes inline', async () => {
      const inlineV2 = customer(ADDRESS, [field('vip', 'boolean', { default: false })]);
      const found = await call('LookupSchema', { subject: 'customer', schema: inlineV2 });
      expect(found).toMatchObject({ subject: 'customer', version: 2, references: addressRef });
      expect(found.id).toBe((await byVersion('customer', '2')).id);
      // Lookup registers nothing.
      expect(await versionsOf('customer', { deleted: true })).toEqual([1, 2]);
    });

    it('matches soft-deleted versions only with deleted', async () => {
      await expectError(call('LookupSchema', { subject: 'customer', schema: customer(ADDRESS) }), '40403');
      const found = await call('LookupSchema', { subject: 'customer', schema: customer(ADDRESS), deleted: true });
      expect(found).toMatchObject({ version: 1, id: customerId });
    });

    it('answers 40403 when the inline schema differs in a field', async () => {
      const otherStreet = { ...ADDRESS, fields: [field('street', 'bytes')] };
      await expectError(
        call('LookupSchema', { subject: 'customer', schema: customer(otherStreet), deleted: true }),
        '40403',
      );
      const vipAsInt = customer(ADDRESS, [field('vip', 'int')]);
      await expectError(call('LookupSchema', { subject: 'customer', schema: vipAsInt }), '40403');
    });

    it('matches a JSON schema with a referenced document substituted for its "$ref"', async () => {
      const point = { type: 'object', properties: { x: { type: 'number' } } };
      await register('inline-point', JSON.stringify(point), { schema_type: 'JSON' });
      const pointRef = [{ name: 'point.json', subject: 'inline-point', version: 1 }];
      const shape = (origin: unknown) => JSON.stringify({ type: 'object', properties: { origin } });
      const shapeRef = shape({ $ref: 'point.json' });
      const id = await register('inline-shape', shapeRef, { schema_type: 'JSON', references: pointRef });
      const found = await call('LookupSchema', { subject: 'inline-shape', schema: shape(point), schema_type: 'JSON' });
      expect(found).toMatchObject({ version: 1, id });
      const pointAsString = { type: 'object', properties: { x: { type: 'string' } } };
      await expectError(
        call('LookupSchema', { subject: 'inline-shape', schema: shape(pointAsString), schema_type: 'JSON' }),
        '40403',
      );
    });
  });

  describe('deletion (§2.4)', () => {
    it('soft-deletes a version, refuses a second soft delete (40406), erases it permanently, then 40402', async () => {
      await register('del-version', PERSON_V1);
      await register('del-version', PERSON_V2);
      await expectError(
        call('DeleteSchemaVersion', { subject: 'del-version', version: '2', permanent: true }),
        '40407',
      );
      expect(await call('DeleteSchemaVersion', { subject: 'del-version', version: '2' })).toEqual({ version: 2 });
      await expectError(call('DeleteSchemaVersion', { subject: 'del-version', version: '2' }), '40406');
      expect(await call('DeleteSchemaVersion', { subject: 'del-version', version: '2', permanent: true })).toEqual({
        version: 2,
      });
      await expectError(
        call('DeleteSchemaVersion', { subject: 'del-version', version: '2', permanent: true }),
        '40402',
      );
      await expectError(byVersion('del-version', '2', { deleted: true }), '40402');
      await expectError(call('DeleteSchemaVersion', { subject: 'del-version', version: '7' }), '40402');
      await expectError(call('DeleteSchemaVersion', { subject: 'never-registered', version: '1' }), '40401');
    });

    it('resolves latest to the newest live version', async () => {
      await register('del-latest', PERSON_V1);
      await register('del-latest', PERSON_V2);
      expect(await call('DeleteSchemaVersion', { subject: 'del-latest', version: 'latest' })).toEqual({ version: 2 });
      expect(await call('DeleteSchemaVersion', { subject: 'del-latest', version: '-1' })).toEqual({ version: 1 });
      await expectError(call('DeleteSchemaVersion', { subject: 'del-latest', version: 'latest' }), '40402');
    });

    it('soft-deletes a subject (its live versions), then 40404; permanent before soft is 40405', async () => {
      await register('del-subject', PERSON_V1);
      await register('del-subject', PERSON_V2);
      await register('del-subject', PERSON_V3);
      await call('DeleteSchemaVersion', { subject: 'del-subject', version: '1' });
      await expectError(call('DeleteSubject', { subject: 'del-subject', permanent: true }), '40405');
      expect(await call('DeleteSubject', { subject: 'del-subject' })).toEqual({ versions: [2, 3] });
      await expectError(call('DeleteSubject', { subject: 'del-subject' }), '40404');
      expect(await call('DeleteSubject', { subject: 'del-subject', permanent: true })).toEqual({ versions: [1, 2, 3] });
      await expectError(call('DeleteSubject', { subject: 'del-subject', permanent: true }), '40401');
      await expectError(call('DeleteSubject', { subject: 'del-subject' }), '40401');
      await expectError(call('ListVersions', { subject: 'del-subject', deleted: true }), '40401');
    });

    it('keeps soft-deleted schemas readable by id; forgets an id once every version holding it is erased', async () => {
      const id = await register('del-forget', avroRecord('Forgotten', [field('x', 'int')]));
      await call('DeleteSubject', { subject: 'del-forget' });
      expect(await call('GetSchema', { id })).toMatchObject({ schema: expect.any(String) });
      await call('DeleteSubject', { subject: 'del-forget', permanent: true });
      await expectError(call('GetSchema', { id }), '40403');
      // Registered again, the schema keeps its id, which resolves again.
      expect(await register('del-forget', avroRecord('Forgotten', [field('x', 'int')]))).toBe(id);
      expect(await call('GetSchema', { id })).toMatchObject({ schema: expect.any(String) });
    });

    it('keeps subject config and mode over a soft delete and drops them with the last permanent delete', async () => {
      await register('del-settings', PERSON_V1);
      await setLevel('del-settings', 'FULL');
      await call('SetMode', { subject: 'del-settings', mode: 'READWRITE' });
      await call('DeleteSubject', { subject: 'del-settings' });
      expect(await call('GetConfig', { subject: 'del-settings' })).toEqual({ compatibility_level: 'FULL' });
      await call('DeleteSchemaVersion', { subject: 'del-settings', version: '1', permanent: true });
      await expectError(call('GetConfig', { subject: 'del-settings' }), '40408');
      await expectError(call('GetMode', { subject: 'del-settings' }), '40409');
    });
  });

  describe('references (§2.5)', () => {
    const ADDRESS = avroRecord('Address', [field('street', 'string')], { namespace: 'com.acme' });
    const CUSTOMER = avroRecord('Customer', [field('address', 'com.acme.Address')], { namespace: 'com.acme' });
    const addressRef = (version = 1) => [{ name: 'com.acme.Address', subject: 'ref-address', version }];
    let addressId: number;
    let customerId: number;

    beforeAll(async () => {
      addressId = await register('ref-address', ADDRESS);
      customerId = await register('ref-customer', CUSTOMER, { references: addressRef() });
    });

    it('stores references with the schema and returns them', async () => {
      expect(await byVersion('ref-customer', '1')).toMatchObject({ id: customerId, references: addressRef() });
      expect(await call('GetSchema', { id: customerId })).toMatchObject({ references: addressRef() });
      expect(customerId).not.toBe(addressId);
    });

    it('makes references part of the identity and resolves them for lookup', async () => {
      expect(await register('ref-customer-2', CUSTOMER, { references: addressRef() })).toBe(customerId);
      expect(
        await call('LookupSchema', { subject: 'ref-customer', schema: CUSTOMER, references: addressRef() }),
      ).toMatchObject({
        version: 1,
      });
      await expectError(call('RegisterSchema', { subject: 'ref-customer-3', schema: CUSTOMER }), '42201');
      await expectError(register('ref-customer-3', CUSTOMER, { references: addressRef(2) }), '42201');
    });

    it('lists the referrers of a version and protects it from deletion (42206)', async () => {
      expect(await call('GetReferencedBy', { subject: 'ref-address', version: '1' })).toEqual({ ids: [customerId] });
      expect(await call('GetReferencedBy', { subject: 'ref-customer', version: '1' })).toEqual({});
      await expectError(call('DeleteSchemaVersion', { subject: 'ref-address', version: '1' }), '42206');
      await expectError(call('DeleteSubject', { subject: 'ref-address' }), '42206');
      await expectError(call('GetReferencedBy', { subject: 'never-registered', version: '1' }), '40401');
      await expectError(call('GetReferencedBy', { subject: 'ref-address', version: '5' }), '40402');
    });

    it('lets a version go once its referrers are soft-deleted', async () => {
      await call('DeleteSubject', { subject: 'ref-customer' });
      await expectError(call('DeleteSubject', { subject: 'ref-address' }), '42206'); // ref-customer-2 still refers
      await call('DeleteSubject', { subject: 'ref-customer-2' });
      expect(await call('GetReferencedBy', { subject: 'ref-address', version: '1' })).toEqual({});
      expect(await call('GetReferencedBy', { subject: 'ref-address', version: '1', deleted: true })).toEqual({
        ids: [customerId],
      });
      expect(await call('DeleteSubject', { subject: 'ref-address' })).toEqual({ versions: [1] });
      expect(await call('GetReferencedBy', { subject: 'ref-address', version: '1' })).toEqual({});
    });

    it('resolves PROTOBUF imports and JSON $refs through references', async () => {
      const money = 'syntax = "proto3";\npackage common;\n\nmessage Money {\n  int64 units = 1;\n}\n';
      const invoice =
        'syntax = "proto3";\npackage billing;\n\nimport "common/money.proto";\n\nmessage Invoice {\n  common.Money total = 1;\n}\n';
      await register('ref-money', money, { schema_type: 'PROTOBUF' });
      const moneyRef = [{ name: 'common/money.proto', subject: 'ref-money', version: 1 }];
      const invoiceId = await register('ref-invoice', invoice, { schema_type: 'PROTOBUF', references: moneyRef });
      expect(await byVersion('ref-invoice', '1')).toMatchObject({
        id: invoiceId,
        schema_type: 'PROTOBUF',
        references: moneyRef,
      });
      await expectError(register('ref-invoice-2', invoice, { schema_type: 'PROTOBUF' }), '42201');

      const point = '{"type":"object","properties":{"x":{"type":"number"}}}';
      const shape = '{"type":"object","properties":{"origin":{"$ref":"point.json"}}}';
      await register('ref-point', point, { schema_type: 'JSON' });
      const pointRef = [{ name: 'point.json', subject: 'ref-point', version: 1 }];
      expect(await register('ref-shape', shape, { schema_type: 'JSON', references: pointRef })).toBeGreaterThan(0);
      await expectError(call('DeleteSubject', { subject: 'ref-point' }), '42206');
    });
  });

  describe('compatibility (§2.6, §3.5, §5)', () => {
    it('checks registrations against the default BACKWARD level (409 with the details)', async () => {
      await register('compat-default', PERSON_V1);
      await expectError(register('compat-default', PERSON_NO_DEFAULT), '409', /incompatible/);
      expect(await register('compat-default', PERSON_V2)).toBeGreaterThan(0);
    });

    it('checks only the latest version under BACKWARD and all of them under BACKWARD_TRANSITIVE', async () => {
      for (const subject of ['compat-backward', 'compat-transitive']) {
        await register(subject, PERSON_V1);
        await register(subject, PERSON_V2);
      }
      await setLevel('compat-transitive', 'backward_transitive');
      expect(await register('compat-backward', PERSON_V3)).toBeGreaterThan(0);
      await expectError(register('compat-transitive', PERSON_V3), '409');
    });

    it.each([
      ['FORWARD', 'an added field without default', PERSON_NO_DEFAULT, true],
      ['FORWARD', 'a removed field without default', avroRecord('Person', []), false],
      ['FULL', 'an added field without default', PERSON_NO_DEFAULT, false],
      ['FULL', 'an added field with default', PERSON_V2, true],
      ['NONE', 'an unrelated field type', avroRecord('Person', [field('age', 'boolean')]), true],
      ['BACKWARD', 'int widened to long', avroRecord('Person', [field('age', 'long')]), true],
      ['FORWARD', 'int widened to long', avroRecord('Person', [field('age', 'long')]), false],
    ])('%s judges %s (compatible: %s)', async (level, change, schema, expected) => {
      const subject = `compat-level-${level}-${change}`;
      await register(subject, PERSON_V1);
      await setLevel(subject, level);
      if (expected) expect(await register(subject, schema)).toBeGreaterThan(0);
      else await expectError(register(subject, schema), '409');
    });

    it('uses the global level for subjects without their own', async () => {
      await register('compat-global', PERSON_V1);
      await setLevel('', 'NONE');
      try {
        expect(await register('compat-global', PERSON_NO_DEFAULT)).toBeGreaterThan(0);
      } finally {
        await call('DeleteConfig', { subject: '' });
      }
      await expectError(register('compat-global', PERSON_V1.replace('"int"', '"boolean"')), '409');
    });

    it('applies the JSON content model: open schemas reject new typed properties, closed ones accept them', async () => {
      await register('compat-json-open', JSON_OPEN, { schema_type: 'JSON' });
      await expectError(register('compat-json-open', JSON_OPEN_PLUS_B, { schema_type: 'JSON' }), '409');
      await register('compat-json-closed', JSON_CLOSED, { schema_type: 'JSON' });
      expect(await register('compat-json-closed', JSON_CLOSED_PLUS_B, { schema_type: 'JSON' })).toBeGreaterThan(0);
    });

    it('accepts an added PROTOBUF field and rejects a changed field kind', async () => {
      await register('compat-proto', ORDER_V1, { schema_type: 'PROTOBUF' });
      expect(await register('compat-proto', ORDER_V2, { schema_type: 'PROTOBUF' })).toBeGreaterThan(0);
      await expectError(register('compat-proto', ORDER_ID_AS_INT, { schema_type: 'PROTOBUF' }), '409');
    });

    it('treats a change of schema type as incompatible', async () => {
      await register('compat-type-change', PERSON_V1);
      await expectError(register('compat-type-change', JSON_OPEN, { schema_type: 'JSON' }), '409');
      expect(await compatible('compat-type-change', 'latest', JSON_OPEN, { schema_type: 'JSON' })).toBe(false);
    });

    describe('CheckCompatibility', () => {
      beforeAll(async () => {
        await register('check', PERSON_V1);
        await register('check', PERSON_V2);
        await setLevel('check-transitive', 'BACKWARD_TRANSITIVE');
        await register('check-transitive', PERSON_V1);
        await register('check-transitive', PERSON_V2);
      });

      it('checks against one version: latest, -1 or a number', async () => {
        expect(await compatible('check', 'latest', PERSON_V3)).toBe(true);
        expect(await compatible('check', '-1', PERSON_V3)).toBe(true);
        expect(await compatible('check', '1', PERSON_V3)).toBe(false);
        expect(await compatible('check', '2', PERSON_V3)).toBe(true);
        // A transitive level checks just the named version here.
        expect(await compatible('check-transitive', 'latest', PERSON_V3)).toBe(true);
      });

      it('checks against the versions the level demands when no version is given', async () => {
        expect(await compatible('check', '', PERSON_V3)).toBe(true);
        expect(await compatible('check-transitive', '', PERSON_V3)).toBe(false);
      });

      it('answers messages only when verbose', async () => {
        const terse = await call('CheckCompatibility', { subject: 'check', version: '1', schema: PERSON_V3 });
        expect(terse).toEqual({ is_compatible: false });
        const verbose = await call('CheckCompatibility', {
          subject: 'check',
          version: '1',
          schema: PERSON_V3,
          verbose: true,
        });
        expect(verbose.is_compatible).toBe(false);
        expect((verbose.messages as string[]).length).toBeGreaterThan(0);
        const fine = await call('CheckCompatibility', {
          subject: 'check',
          version: '2',
          schema: PERSON_V3,
          verbose: true,
        });
        expect(fine).toEqual({ is_compatible: true });
      });

      it('finds unknown subjects and empty latest compatible, missing numbered versions 40402', async () => {
        expect(await compatible('never-registered', 'latest', PERSON_V1)).toBe(true);
        expect(await compatible('never-registered', '', PERSON_V1)).toBe(true);
        await expectError(
          call('CheckCompatibility', { subject: 'never-registered', version: '1', schema: PERSON_V1 }),
          '40402',
        );
        await expectError(call('CheckCompatibility', { subject: 'check', version: '3', schema: PERSON_V1 }), '40402');
      });

      it('answers 42201 for an invalid schema, or incompatible with the reason when verbose', async () => {
        await expectError(call('CheckCompatibility', { subject: 'check', version: 'latest', schema: '{' }), '42201');
        const verbose = await call('CheckCompatibility', {
          subject: 'check',
          version: 'latest',
          schema: '{',
          verbose: true,
        });
        expect(verbose).toEqual({ is_compatible: false, messages: [expect.stringMatching(/Invalid schema/)] });
      });

      it('never creates a version', async () => {
        await compatible('check', 'latest', PERSON_V3);
        expect(await versionsOf('check')).toEqual([1, 2]);
      });
    });
  });

  describe('configuration (§2.6, §3.6)', () => {
    it('reads, sets and deletes the global level (default BACKWARD)', async () => {
      expect(await call('GetConfig')).toEqual({ compatibility_level: 'BACKWARD' });
      expect(await setLevel('', 'full')).toEqual({ compatibility: 'FULL' });
      expect(await call('GetConfig')).toEqual({ compatibility_level: 'FULL' });
      expect(await call('DeleteConfig')).toEqual({ compatibility_level: 'FULL' });
      expect(await call('GetConfig')).toEqual({ compatibility_level: 'BACKWARD' });
      expect(await call('DeleteConfig')).toEqual({ compatibility_level: 'BACKWARD' });
    });

    it('keeps subject levels apart from the global one; 40408 without defaultToGlobal', async () => {
      await expectError(call('GetConfig', { subject: 'config-subject' }), '40408');
      expect(await call('GetConfig', { subject: 'config-subject', default_to_global: true })).toEqual({
        compatibility_level: 'BACKWARD',
      });
      // Settable before the subject has any version.
      expect(await setLevel('config-subject', 'Forward_Transitive')).toEqual({ compatibility: 'FORWARD_TRANSITIVE' });
      expect(await call('GetConfig', { subject: 'config-subject' })).toEqual({
        compatibility_level: 'FORWARD_TRANSITIVE',
      });
      expect(await call('GetConfig')).toEqual({ compatibility_level: 'BACKWARD' });
      expect(await call('DeleteConfig', { subject: 'config-subject' })).toEqual({
        compatibility_level: 'FORWARD_TRANSITIVE',
      });
      await expectError(call('DeleteConfig', { subject: 'config-subject' }), '40401');
    });

    it('leaves the level alone when none is given', async () => {
      expect(await setLevel('config-empty', '')).toEqual({});
      await expectError(call('GetConfig', { subject: 'config-empty' }), '40408');
    });

    it.each([
      ['an unknown level', 'config-bad', 'SIDEWAYS', '42203'],
      ['an empty-ish level', 'config-bad', ' ', '42203'],
      ['a reserved subject', '__GLOBAL', 'FULL', '42208'],
      ['a subject with a control character', 'bad\u0000subject', 'FULL', '42208'],
    ])('refuses %s', async (_, subject, compatibility, errorCode) => {
      await expectError(call('SetConfig', { subject, compatibility }), errorCode);
    });
  });

  describe('modes (§2.7, §3.7)', () => {
    it('reads, sets and deletes modes; 40409 without a subject mode; 42204 for unknown modes', async () => {
      expect(await call('GetMode')).toEqual({ mode: 'READWRITE' });
      await expectError(call('GetMode', { subject: 'mode-subject' }), '40409');
      expect(await call('GetMode', { subject: 'mode-subject', default_to_global: true })).toEqual({
        mode: 'READWRITE',
      });
      expect(await call('SetMode', { subject: 'mode-subject', mode: 'readonly' })).toEqual({ mode: 'READONLY' });
      expect(await call('GetMode', { subject: 'mode-subject' })).toEqual({ mode: 'READONLY' });
      expect(await call('DeleteMode', { subject: 'mode-subject' })).toEqual({ mode: 'READONLY' });
      await expectError(call('DeleteMode', { subject: 'mode-subject' }), '40401');
      await expectError(call('SetMode', { subject: 'mode-subject', mode: 'READ_SOMETIMES' }), '42204');
      await expectError(call('SetMode', { subject: '__EMPTY', mode: 'READONLY' }), '42208');
    });

    it('READONLY refuses new schemas and deletes (42205) but serves reads and re-registration', async () => {
      const id = await register('mode-readonly', PERSON_V1);
      await call('SetMode', { subject: 'mode-readonly', mode: 'READONLY' });
      expect(await register('mode-readonly', PERSON_V1)).toBe(id);
      await expectError(register('mode-readonly', PERSON_V2), '42205', /read-only/);
      await expectError(call('DeleteSchemaVersion', { subject: 'mode-readonly', version: '1' }), '42205');
      await expectError(call('DeleteSubject', { subject: 'mode-readonly' }), '42205');
      expect(await call('LookupSchema', { subject: 'mode-readonly', schema: PERSON_V1 })).toMatchObject({ id });
      expect(await compatible('mode-readonly', 'latest', PERSON_V2)).toBe(true);
      await call('DeleteMode', { subject: 'mode-readonly' });
      expect(await register('mode-readonly', PERSON_V2)).toBeGreaterThan(id);
    });

    it('a global READONLY applies to subjects without their own mode; READONLY_OVERRIDE to all', async () => {
      await call('SetMode', { subject: 'mode-writable', mode: 'READWRITE' });
      await call('SetMode', { mode: 'READONLY' });
      try {
        await expectError(register('mode-global', PERSON_V1), '42205');
        expect(await register('mode-writable', PERSON_V1)).toBeGreaterThan(0);
        await call('SetMode', { mode: 'READONLY_OVERRIDE' });
        await expectError(register('mode-writable', PERSON_V2), '42205');
      } finally {
        await call('SetMode', { mode: 'READWRITE' });
      }
      expect(await register('mode-global', PERSON_V1)).toBeGreaterThan(0);
    });

    it('IMPORT uses the given id and version verbatim and skips compatibility', async () => {
      const IMPORTED = person('Imported');
      expect(await call('SetMode', { subject: 'import', mode: 'IMPORT' })).toEqual({ mode: 'IMPORT' });
      expect(await register('import', IMPORTED.v1, { id: 5000, version: 7 })).toBe(5000);
      expect(await register('import', IMPORTED.noDefault, { id: 5001 })).toBe(5001);
      expect(await versionsOf('import')).toEqual([7, 8]);
      expect(await byVersion('import', '7')).toMatchObject({ id: 5000, version: 7 });
      // Without an id, or reusing a taken id or version: 42205.
      await expectError(register('import', IMPORTED.v2), '42205');
      await expectError(register('import', IMPORTED.v2, { id: 5000 }), '42205');
      await expectError(register('import', IMPORTED.v2, { id: 5002, version: 7 }), '42205');
      // The schema already has an id: another one conflicts (42207).
      await call('SetMode', { subject: 'import-2', mode: 'IMPORT' });
      await expectError(register('import-2', IMPORTED.v1, { id: 5003 }), '42207');
      expect(await register('import-2', IMPORTED.v1, { id: 5000 })).toBe(5000);
      // Back in READWRITE, new ids continue above the imported ones; ids cannot be given.
      await call('DeleteMode', { subject: 'import' });
      await expectError(register('import', IMPORTED.v2, { id: 6000 }), '42205');
      const next = await register('import-after', avroRecord('AfterImport', [field('x', 'int')]));
      expect(next).toBeGreaterThan(5001);
    });

    it('refuses IMPORT for a subject or registry holding schemas unless forced', async () => {
      await register('import-busy', PERSON_V1);
      await expectError(call('SetMode', { subject: 'import-busy', mode: 'IMPORT' }), '42205');
      expect(await call('SetMode', { subject: 'import-busy', mode: 'IMPORT', force: true })).toEqual({
        mode: 'IMPORT',
      });
      await expectError(call('SetMode', { mode: 'IMPORT' }), '42205');
      expect(await call('SetMode', { mode: 'IMPORT', force: true })).toEqual({ mode: 'IMPORT' });
      expect(await call('DeleteMode')).toEqual({ mode: 'IMPORT' });
      expect(await call('GetMode')).toEqual({ mode: 'READWRITE' });
    });
  });
});

describe.skipIf(!withPostgres)('storage failures', () => {
  it('answer INTERNAL with 50001 / 500 when the store is broken', async () => {
    const schema = freshPostgresSchema();
    const pattern = await startRegistryPattern({
      address: '127.0.0.1:0',
      storage: { type: 'POSTGRES', connectionString: POSTGRES_URL, schema },
    });
    const client = registryClient(pattern.address);
    try {
      await dropPostgresSchema(schema);
      const failure = await failureOf(client.call('GetSchema', { id: 1 }));
      expect(failure).toMatchObject({ code: GrpcStatus.INTERNAL, errorCode: '50001', httpStatus: '500' });
    } finally {
      client.close();
      await pattern.close();
    }
  });

  it('answer UNAVAILABLE with 50001 / 500, without hanging, when the store becomes unreachable', async () => {
    const proxy = await tcpProxy(new URL(POSTGRES_URL));
    const schema = freshPostgresSchema();
    const pattern = await startRegistryPattern({
      address: '127.0.0.1:0',
      storage: { type: 'POSTGRES', connectionString: proxy.url, schema },
    });
    const client = registryClient(pattern.address);
    try {
      await client.call('RegisterSchema', { subject: 'before-outage', schema: '"string"' });
      await proxy.close();
      const failure = await failureOf(client.call('GetSchemaByVersion', { subject: 'before-outage', version: '1' }));
      expect(failure).toMatchObject({ code: GrpcStatus.UNAVAILABLE, errorCode: '50001', httpStatus: '500' });
    } finally {
      client.close();
      await pattern.close();
      await dropPostgresSchema(schema);
    }
  });
});

/** A TCP proxy to `target`'s host and port; close() refuses new connections and cuts open ones. */
async function tcpProxy(target: URL): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
