// Unmodified Confluent Schema Registry clients against the Prism proxy
// (routes/confluent-schema-registry.yaml over the registry pattern):
// @confluentinc/schemaregistry (the official JavaScript client and its serdes)
// and @kafkajs/confluent-schema-registry. Each registers AVRO, JSON and
// PROTOBUF schemas (with references), serializes and deserializes a message,
// fetches the latest version, checks compatibility and changes the level.
import { create, createFileRegistry, createMutableRegistry, type DescMessage } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import {
  AvroDeserializer,
  AvroSerializer,
  Compatibility,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  SchemaRegistryClient,
  SerdeType,
  type SchemaInfo,
} from '@confluentinc/schemaregistry';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchemaRegistry, type SchemaRegistryStack } from './setup.js';

let sr: SchemaRegistryStack;

beforeAll(async () => {
  sr = await startSchemaRegistry();
});

afterAll(async () => {
  await sr?.close();
});

/** The schema a subject's latest version holds, read over plain HTTP (independent of either client). */
async function latestOverHttp(subject: string): Promise<Record<string, unknown>> {
  const reply = await sr.http.get(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
  expect(reply.status, reply.text).toBe(200);
  return reply.json();
}

// ---- schemas shared by both clients (each client uses its own subjects) ----

const ADDRESS_AVRO = {
  type: 'record',
  name: 'Address',
  namespace: 'acme',
  fields: [{ name: 'city', type: 'string' }],
};
const CUSTOMER_AVRO = {
  type: 'record',
  name: 'Customer',
  namespace: 'acme',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'address', type: 'acme.Address' },
  ],
};
const CUSTOMER_AVRO_V2 = {
  ...CUSTOMER_AVRO,
  fields: [...CUSTOMER_AVRO.fields, { name: 'vip', type: 'boolean', default: false }],
};
const CUSTOMER_AVRO_BREAKING = {
  ...CUSTOMER_AVRO,
  fields: [{ name: 'name', type: 'int' }, CUSTOMER_AVRO.fields[1]],
};

const ADDRESS_JSON = {
  $id: 'address.json',
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};
const CUSTOMER_JSON = {
  type: 'object',
  properties: { name: { type: 'string' }, address: { $ref: 'address.json' } },
  required: ['name', 'address'],
};

const MONEY_PROTO = 'syntax = "proto3";\npackage acme;\n\nmessage Money {\n  int64 units = 1;\n  string currency = 2;\n}\n';
const PRICE_PROTO =
  'syntax = "proto3";\npackage acme;\n\nimport "acme/money.proto";\n\nmessage Price {\n  string sku = 1;\n  Money amount = 2;\n}\n';

const customer = { name: 'Ann', address: { city: 'Oslo' } };

describe('@confluentinc/schemaregistry (official JavaScript client)', () => {
  let client: SchemaRegistryClient;

  beforeAll(() => {
    client = new SchemaRegistryClient({ baseURLs: [sr.url], maxRetries: 0 });
  });

  afterAll(async () => {
    await client?.close();
  });

  describe('AVRO', () => {
    let customerId: number;

    it('registers a schema and one that references it', async () => {
      const addressId = await client.register('cf-address-value', { schemaType: 'AVRO', schema: JSON.stringify(ADDRESS_AVRO) });
      expect(addressId).toBeGreaterThan(0);
      const info: SchemaInfo = {
        schemaType: 'AVRO',
        schema: JSON.stringify(CUSTOMER_AVRO),
        references: [{ name: 'acme.Address', subject: 'cf-address-value', version: 1 }],
      };
      customerId = await client.register('cf-customers-value', info);
      expect(customerId).toBeGreaterThan(addressId);
      // Idempotent: the same id again, no new version.
      expect(await client.register('cf-customers-value', info)).toBe(customerId);
      expect(await client.getAllVersions('cf-customers-value')).toEqual([1]);
      expect(await client.getId('cf-customers-value', info)).toBe(customerId);
    });

    it('fetches the latest version with its references', async () => {
      const latest = await client.getLatestSchemaMetadata('cf-customers-value');
      expect(latest).toMatchObject({ id: customerId, version: 1, subject: 'cf-customers-value' });
      // The canonical text (contract §1.4) drops a namespace equal to the enclosing one.
      expect(JSON.parse(latest.schema)).toEqual({ ...CUSTOMER_AVRO, fields: [CUSTOMER_AVRO.fields[0], { name: 'address', type: 'Address' }] });
      expect(latest.references).toEqual([{ name: 'acme.Address', subject: 'cf-address-value', version: 1 }]);
      expect(latest.schemaType ?? 'AVRO').toBe('AVRO');
    });

    it('serializes with the latest (referencing) schema and deserializes', async () => {
      const serializer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
      const bytes = await serializer.serialize('cf-customers', customer);
      expect(bytes[0]).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(customerId);
      const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
      expect(await deserializer.deserialize('cf-customers', bytes)).toEqual(customer);
    });

    it('auto-registers a schema from the message while serializing', async () => {
      const serializer = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true });
      const message = { id: 7, label: 'seven' };
      const bytes = await serializer.serialize('cf-auto-avro', message);
      const registered = await latestOverHttp('cf-auto-avro-value');
      expect(bytes.readInt32BE(1)).toBe(registered.id);
      const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
      expect(await deserializer.deserialize('cf-auto-avro', bytes)).toEqual(message);
    });

    it('checks compatibility and changes the level', async () => {
      const v2: SchemaInfo = { schemaType: 'AVRO', schema: JSON.stringify(CUSTOMER_AVRO_V2), references: [{ name: 'acme.Address', subject: 'cf-address-value', version: 1 }] };
      const breaking: SchemaInfo = { ...v2, schema: JSON.stringify(CUSTOMER_AVRO_BREAKING) };
      expect(await client.testSubjectCompatibility('cf-customers-value', v2)).toBe(true);
      expect(await client.testCompatibility('cf-customers-value', 1, breaking)).toBe(false);

      expect(await client.getDefaultCompatibility()).toBe(Compatibility.BACKWARD);
      expect(await client.updateCompatibility('cf-customers-value', Compatibility.FULL)).toBe(Compatibility.FULL);
      expect(await client.getCompatibility('cf-customers-value')).toBe(Compatibility.FULL);
      // A registration the level refuses: 409 with the registry's error code.
      await expect(client.register('cf-customers-value', breaking)).rejects.toMatchObject({ status: 409, errorCode: 409 });
      expect(await client.register('cf-customers-value', v2)).toBeGreaterThan(customerId);
      expect(await client.getAllVersions('cf-customers-value')).toEqual([1, 2]);
    });

    it('sees the registry errors with their codes', async () => {
      await expect(client.getLatestSchemaMetadata('cf-nobody')).rejects.toMatchObject({ status: 404, errorCode: 40401 });
      await expect(client.getCompatibility('cf-address-value')).rejects.toMatchObject({ status: 404, errorCode: 40408 });
      await expect(client.deleteSubject('cf-address-value')).rejects.toMatchObject({ status: 422, errorCode: 42206 });
    });
  });

  describe('JSON', () => {
    it('registers a schema with a reference, serializes with it and deserializes', async () => {
      await client.register('cf-address-json', { schemaType: 'JSON', schema: JSON.stringify(ADDRESS_JSON) });
      const id = await client.register('cf-customers-json-value', {
        schemaType: 'JSON',
        schema: JSON.stringify(CUSTOMER_JSON),
        references: [{ name: 'address.json', subject: 'cf-address-json', version: 1 }],
      });
      const latest = await client.getLatestSchemaMetadata('cf-customers-json-value');
      expect(latest).toMatchObject({ id, version: 1, schemaType: 'JSON' });
      expect(JSON.parse(latest.schema)).toEqual(CUSTOMER_JSON);

      const serializer = new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true, validate: true });
      const bytes = await serializer.serialize('cf-customers-json', customer);
      expect(bytes.readInt32BE(1)).toBe(id);
      const deserializer = new JsonDeserializer(client, SerdeType.VALUE, { validate: true });
      expect(await deserializer.deserialize('cf-customers-json', bytes)).toEqual(customer);
    });

    it('auto-registers a schema from the message while serializing', async () => {
      const serializer = new JsonSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true });
      const message = { sku: 'A-1', count: 3 };
      const bytes = await serializer.serialize('cf-auto-json', message);
      const registered = await latestOverHttp('cf-auto-json-value');
      expect(registered.schemaType).toBe('JSON');
      expect(bytes.readInt32BE(1)).toBe(registered.id);
      const deserializer = new JsonDeserializer(client, SerdeType.VALUE, {});
      expect(await deserializer.deserialize('cf-auto-json', bytes)).toEqual(message);
    });
  });

  describe('PROTOBUF', () => {
    // The file descriptors a protoc-generated module would carry: acme/price.proto imports acme/money.proto.
    const int64 = FieldDescriptorProto_Type.INT64;
    const optional = FieldDescriptorProto_Label.OPTIONAL;
    const files = createFileRegistry(
      create(FileDescriptorSetSchema, {
        file: [
          create(FileDescriptorProtoSchema, {
            name: 'acme/money.proto',
            package: 'acme',
            syntax: 'proto3',
            messageType: [
              {
                name: 'Money',
                field: [
                  { name: 'units', number: 1, type: int64, label: optional, jsonName: 'units' },
                  { name: 'currency', number: 2, type: FieldDescriptorProto_Type.STRING, label: optional, jsonName: 'currency' },
                ],
              },
            ],
          }),
          create(FileDescriptorProtoSchema, {
            name: 'acme/price.proto',
            package: 'acme',
            syntax: 'proto3',
            dependency: ['acme/money.proto'],
            messageType: [
              {
                name: 'Price',
                field: [
                  { name: 'sku', number: 1, type: FieldDescriptorProto_Type.STRING, label: optional, jsonName: 'sku' },
                  { name: 'amount', number: 2, type: FieldDescriptorProto_Type.MESSAGE, typeName: '.acme.Money', label: optional, jsonName: 'amount' },
                ],
              },
            ],
          }),
        ],
      }),
    );
    const priceDesc = files.getMessage('acme.Price') as DescMessage;

    it('auto-registers the file and its import (base64 descriptors), serializes and deserializes', async () => {
      const serializer = new ProtobufSerializer(client, SerdeType.VALUE, {
        autoRegisterSchemas: true,
        registry: createMutableRegistry(files),
      });
      const message = create(priceDesc, { sku: 'A-1', amount: { units: 12n, currency: 'EUR' } });
      const bytes = await serializer.serialize('cf-prices', message);

      // The import was registered under its path (a subject with a '/'), the file with a reference to it.
      const registered = await latestOverHttp('cf-prices-value');
      expect(registered).toMatchObject({
        schemaType: 'PROTOBUF',
        references: [{ name: 'acme/money.proto', subject: 'acme/money.proto', version: 1 }],
      });
      expect(registered.schema).toContain('message Price');
      expect(bytes.readInt32BE(1)).toBe(registered.id);
      // getAllVersions sends the subject unencoded: GET /subjects/acme/money.proto/versions.
      expect(await client.getAllVersions('acme/money.proto')).toEqual([1]);

      const deserializer = new ProtobufDeserializer(client, SerdeType.VALUE, {});
      const decoded = (await deserializer.deserialize('cf-prices', bytes)) as Record<string, unknown>;
      expect(decoded).toMatchObject({ $typeName: 'acme.Price', sku: 'A-1', amount: { units: 12n, currency: 'EUR' } });
    });

    it('registers .proto text with a reference and reads it back', async () => {
      await client.register('cf-money-text', { schemaType: 'PROTOBUF', schema: MONEY_PROTO });
      const id = await client.register('cf-price-text', {
        schemaType: 'PROTOBUF',
        schema: PRICE_PROTO,
        references: [{ name: 'acme/money.proto', subject: 'cf-money-text', version: 1 }],
      });
      const latest = await client.getLatestSchemaMetadata('cf-price-text');
      expect(latest).toMatchObject({ id, version: 1, schemaType: 'PROTOBUF', schema: PRICE_PROTO });
      expect(await client.testSubjectCompatibility('cf-price-text', { schemaType: 'PROTOBUF', schema: PRICE_PROTO, references: latest.references })).toBe(
        true,
      );
    });
  });
});

/** A mappersmith resource call as kafkajs defines them (src/api/index.ts). */
type KafkajsCall = (params: Record<string, unknown>) => Promise<{ data(): unknown }>;

/**
 * kafkajs has no public API for compatibility checks and subject config; its own request
 * definitions (the private `api`, with the client's headers and middlewares) are used instead.
 */
function kafkajsApi(registry: SchemaRegistry): { Subject: Record<'compatible' | 'config' | 'updateConfig', KafkajsCall> } {
  return (registry as unknown as { api: ReturnType<typeof kafkajsApi> }).api;
}

describe('@kafkajs/confluent-schema-registry', () => {
  let registry: SchemaRegistry;

  beforeAll(() => {
    registry = new SchemaRegistry({ host: sr.url, retry: { retries: 0 } });
  });

  describe('AVRO', () => {
    let customerId: number;

    it('registers with a reference (first registration sets the subject level)', async () => {
      const address = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ADDRESS_AVRO) }, { subject: 'kj-address-value' });
      const registered = await registry.register(
        {
          type: SchemaType.AVRO,
          schema: JSON.stringify(CUSTOMER_AVRO),
          references: [{ name: 'acme.Address', subject: 'kj-address-value', version: 1 }],
        },
        { subject: 'kj-customers-value', compatibility: COMPATIBILITY.FULL },
      );
      customerId = registered.id;
      expect(customerId).toBeGreaterThan(address.id);
      // kafkajs read 404 from GET /config/{s} and so set the level after registering.
      const config = await kafkajsApi(registry).Subject.config({ subject: 'kj-customers-value' });
      expect(config.data()).toEqual({ compatibilityLevel: 'FULL' });
      // The same registration again: GET /config answers FULL, which matches.
      const again = await registry.register(
        {
          type: SchemaType.AVRO,
          schema: JSON.stringify(CUSTOMER_AVRO),
          references: [{ name: 'acme.Address', subject: 'kj-address-value', version: 1 }],
        },
        { subject: 'kj-customers-value', compatibility: COMPATIBILITY.FULL },
      );
      expect(again.id).toBe(customerId);
    });

    it('refuses to register when the subject level differs from its option', async () => {
      await expect(
        registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ADDRESS_AVRO) }, { subject: 'kj-customers-value' }),
      ).rejects.toThrow('Compatibility does not match the configuration (BACKWARD != FULL)');
    });

    it('encodes and decodes through the registry', async () => {
      const bytes = await registry.encode(customerId, customer);
      expect(bytes.readInt32BE(1)).toBe(customerId);
      // A fresh instance has nothing cached: it fetches GET /schemas/ids/{id} and the references.
      const fresh = new SchemaRegistry({ host: sr.url, retry: { retries: 0 } });
      expect(await fresh.decode(bytes)).toEqual(customer);
    });

    it('fetches ids: latest, by version, by schema', async () => {
      expect(await registry.getLatestSchemaId('kj-customers-value')).toBe(customerId);
      expect(await registry.getRegistryId('kj-customers-value', 1)).toBe(customerId);
      expect(await registry.getRegistryId('kj-customers-value', 'latest')).toBe(customerId);
      expect(await registry.getRegistryIdBySchema('kj-address-value', { type: SchemaType.AVRO, schema: JSON.stringify(ADDRESS_AVRO) })).toBeGreaterThan(0);
      await expect(registry.getLatestSchemaId('kj-nobody')).rejects.toThrow();
    });

    it('checks compatibility and changes the level', async () => {
      const references = [{ name: 'acme.Address', subject: 'kj-address-value', version: 1 }];
      const compatible = await kafkajsApi(registry).Subject.compatible({
        subject: 'kj-customers-value',
        body: { schema: JSON.stringify(CUSTOMER_AVRO_V2), references },
      });
      expect(compatible.data()).toEqual({ is_compatible: true });
      const breaking = await kafkajsApi(registry).Subject.compatible({
        subject: 'kj-customers-value',
        version: 1,
        body: { schema: JSON.stringify(CUSTOMER_AVRO_BREAKING), references },
      });
      expect(breaking.data()).toEqual({ is_compatible: false });
      const updated = await kafkajsApi(registry).Subject.updateConfig({ subject: 'kj-customers-value', body: { compatibility: 'NONE' } });
      expect(updated.data()).toEqual({ compatibility: 'NONE' });
      const registered = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(CUSTOMER_AVRO_BREAKING), references },
        { subject: 'kj-customers-value', compatibility: COMPATIBILITY.NONE },
      );
      expect(registered.id).toBeGreaterThan(customerId);
    });
  });

  describe('JSON', () => {
    it('registers with a reference, encodes and decodes', async () => {
      await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(ADDRESS_JSON) }, { subject: 'kj-address-json' });
      const { id } = await registry.register(
        {
          type: SchemaType.JSON,
          schema: JSON.stringify(CUSTOMER_JSON),
          references: [{ name: 'address.json', subject: 'kj-address-json', version: 1 }],
        },
        { subject: 'kj-customers-json' },
      );
      expect(await registry.getLatestSchemaId('kj-customers-json')).toBe(id);
      const bytes = await registry.encode(id, customer);
      const fresh = new SchemaRegistry({ host: sr.url, retry: { retries: 0 } });
      expect(await fresh.decode(bytes)).toEqual(customer);
      await expect(registry.encode(id, { name: 'no address' })).rejects.toThrow();
    });
  });

  describe('PROTOBUF', () => {
    it('registers with a reference, encodes and decodes', async () => {
      await registry.register({ type: SchemaType.PROTOBUF, schema: MONEY_PROTO }, { subject: 'kj-money.proto' });
      const { id } = await registry.register(
        {
          type: SchemaType.PROTOBUF,
          schema: PRICE_PROTO,
          references: [{ name: 'acme/money.proto', subject: 'kj-money.proto', version: 1 }],
        },
        { subject: 'kj-prices-value' },
      );
      const latest = await latestOverHttp('kj-prices-value');
      expect(latest).toMatchObject({ id, schemaType: 'PROTOBUF', schema: PRICE_PROTO });
      const price = { sku: 'A-1', amount: { units: 12, currency: 'EUR' } };
      const bytes = await registry.encode(id, price);
      const fresh = new SchemaRegistry({ host: sr.url, retry: { retries: 0 } });
      const decoded = (await fresh.decode(bytes)) as { sku: string; amount: { units: unknown; currency: string } };
      expect(decoded.sku).toBe('A-1');
      expect(decoded.amount.currency).toBe('EUR');
      expect(Number(decoded.amount.units)).toBe(12);
    });
  });
});
