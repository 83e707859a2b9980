import descriptor from 'protobufjs/ext/descriptor/index.js';
import { describe, expect, it } from 'vitest';
import { checkCompatibility, InvalidSchemaError, parseSchema, protobufToSerialized, type ResolvedReferences } from './index.js';
import { expectChange, type ChangeCase } from './test-helpers.js';

const NO_REFS: ResolvedReferences = new Map();

function proto(text: string, references: ResolvedReferences = NO_REFS, normalize = false) {
  return parseSchema('PROTOBUF', text, references, { normalize });
}

const ORDER = `syntax = "proto3";
package acme.v1;

import "google/protobuf/timestamp.proto";

option java_package = "com.acme.v1";
option optimize_for = SPEED;

message Order {
  option deprecated = true;

  reserved 9, 20 to 25, 100 to max;
  reserved "legacy";

  string id = 1 [json_name = "orderId", deprecated = true];
  repeated int64 quantities = 2 [packed = false];
  map<string, Line> lines = 3;
  oneof payment {
    string card = 4;
    Status status = 5;
  }
  optional int32 priority = 6;
  google.protobuf.Timestamp placed_at = 7;
  Line first = 8;

  message Line {
    string sku = 1;
  }

  enum Status {
    option allow_alias = true;
    STATUS_UNSPECIFIED = 0;
    STATUS_PAID = 1 [deprecated = true];
    STATUS_SETTLED = 1;
    reserved 7, 10 to max;
    reserved "STATUS_OLD";
  }
}

enum Channel {
  CHANNEL_UNSPECIFIED = 0;
}

service Orders {
  option deprecated = true;
  rpc Get(Order) returns (Order);
  rpc Watch(stream Order) returns (stream Order) {
    option idempotency_level = NO_SIDE_EFFECTS;
  }
}
`;

describe('PROTOBUF canonical text', () => {
  it('prints a file in the canonical layout (a canonical input comes back unchanged)', () => {
    expect(proto(ORDER).canonical).toBe(ORDER);
  });

  it.each([
    ['whitespace and comments', ORDER.replaceAll('\n', '\n\n  ').replace('message Order {', '// the order\nmessage   Order{ /* body */')],
    ['fully qualified type names', ORDER.replace('Line first = 8;', '.acme.v1.Order.Line first = 8;').replace('rpc Get(Order)', 'rpc Get(.acme.v1.Order)')],
    ['package-qualified type names', ORDER.replace('Status status = 5;', 'acme.v1.Order.Status status = 5;')],
    ['option values spelled differently', ORDER.replace('option optimize_for = SPEED;', "option optimize_for = SPEED ;").replace('"com.acme.v1"', "'com.acme.v1'")],
  ])('collapses %s', (_, variant) => {
    expect(proto(variant).canonical).toBe(ORDER);
  });

  it('writes the shortest name that still resolves to the same type', () => {
    const text = `syntax = "proto3";
package a.b;

message Outer {
  message Inner {
    int32 x = 1;
  }

  message Deep {
    .a.b.Outer.Inner inner = 1;
    Deep self = 2;
  }
}

message Inner {
  a.b.Outer.Inner shadowed = 1;
  .a.b.Inner top = 2;
}
`;
    expect(proto(text).canonical).toBe(
      text
        .replace('.a.b.Outer.Inner inner = 1;', 'Inner inner = 1;')
        .replace('a.b.Outer.Inner shadowed = 1;', 'Outer.Inner shadowed = 1;')
        .replace('.a.b.Inner top = 2;', 'Inner top = 2;'),
    );
  });

  it('keeps proto2 labels, defaults, extensions and extension ranges', () => {
    const text = `syntax = "proto2";
package legacy;

message Item {
  extensions 100 to 199;

  required string name = 1;
  optional int32 count = 2 [default = 5];
  optional Kind kind = 3 [default = KIND_B];
  optional string note = 4 [default = "n/a"];
  repeated double weights = 5 [packed = true];
  optional double ratio = 6 [default = inf];

  enum Kind {
    KIND_A = 0;
    KIND_B = 1;
  }
}

extend Item {
  optional string tag = 100;
}
`;
    expect(proto(text).canonical).toBe(text);
  });

  it('normalizing sorts imports and options', () => {
    const refs: ResolvedReferences = new Map([
      ['b.proto', { schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; package b; message B {}' }],
      ['a.proto', { schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; package a; message A {}' }],
    ]);
    const one = 'syntax = "proto3"; import "b.proto"; import "a.proto"; option java_package = "x"; option go_package = "y"; message M { a.A a = 1 [json_name = "j", deprecated = true]; b.B b = 2; }';
    const two = 'syntax = "proto3"; import "a.proto"; import "b.proto"; option go_package = "y"; option java_package = "x"; message M { a.A a = 1 [deprecated = true, json_name = "j"]; b.B b = 2; }';
    expect(proto(one, refs).canonical).not.toBe(proto(two, refs).canonical);
    expect(proto(one, refs, true).canonical).toBe(proto(two, refs, true).canonical);
    expect(proto(one, refs, true).canonical).toBe(`syntax = "proto3";

import "a.proto";
import "b.proto";

option go_package = "y";
option java_package = "x";

message M {
  a.A a = 1 [json_name = "j", deprecated = true];
  b.B b = 2;
}
`);
  });
});

describe('PROTOBUF serialized FileDescriptorProto', () => {
  it('round-trips: text -> descriptor -> the same canonical text', () => {
    const parsed = proto(ORDER);
    const serialized = protobufToSerialized(parsed);
    expect(serialized).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(proto(serialized).canonical).toBe(ORDER);
    expect(protobufToSerialized(proto(serialized))).toBe(serialized);
  });

  it('writes what protoc would: map entries, proto3 optional, json_name, enum defaults', () => {
    const file = decode(protobufToSerialized(proto(ORDER)));
    expect(file.package).toBe('acme.v1');
    expect(file.dependency).toEqual(['google/protobuf/timestamp.proto']);
    expect(file.syntax).toBe('proto3');
    expect(file.options).toEqual({ javaPackage: 'com.acme.v1', optimizeFor: 'SPEED' });
    const order = file.messageType[0];
    expect(order.nestedType.map((n: { name: string }) => n.name)).toEqual(['Line', 'LinesEntry']);
    const field = (name: string) => order.field.find((f: { name: string }) => f.name === name);
    expect(field('lines')).toMatchObject({ label: 'LABEL_REPEATED', type: 'TYPE_MESSAGE', typeName: '.acme.v1.Order.LinesEntry' });
    expect(field('id')).toMatchObject({ jsonName: 'orderId', options: { deprecated: true } });
    expect(field('status')).toMatchObject({ type: 'TYPE_ENUM', typeName: '.acme.v1.Order.Status', oneofIndex: 0 });
    expect(field('priority')).toMatchObject({ proto3Optional: true, oneofIndex: 1 });
    expect(order.oneofDecl.map((o: { name: string }) => o.name)).toEqual(['payment', '_priority']);
    expect(order.reservedRange).toEqual([{ start: 9, end: 10 }, { start: 20, end: 26 }, { start: 100, end: 536870912 }]);
  });

  it('reads a descriptor protoc-style (json_name everywhere, proto2 without syntax)', () => {
    const bytes = descriptor.FileDescriptorProto.encode(
      descriptor.FileDescriptorProto.fromObject({
        name: 'legacy.proto',
        package: 'legacy',
        messageType: [
          {
            name: 'Item',
            field: [
              { name: 'item_id', number: 1, label: 'LABEL_REQUIRED', type: 'TYPE_STRING', jsonName: 'itemId' },
              { name: 'count', number: 2, label: 'LABEL_OPTIONAL', type: 'TYPE_INT32', jsonName: 'count', defaultValue: '5' },
            ],
          },
        ],
      }),
    ).finish();
    expect(proto(Buffer.from(bytes).toString('base64')).canonical).toBe(`syntax = "proto2";
package legacy;

message Item {
  required string item_id = 1;
  optional int32 count = 2 [default = 5];
}
`);
  });

  it('resolves relative type names and a relative map entry name in a descriptor', () => {
    const bytes = descriptor.FileDescriptorProto.encode(
      descriptor.FileDescriptorProto.fromObject({
        package: 'shop',
        syntax: 'proto3',
        messageType: [
          {
            name: 'Cart',
            field: [
              { name: 'items', number: 1, label: 'LABEL_REPEATED', type: 'TYPE_MESSAGE', typeName: 'ItemsEntry' },
              { name: 'first', number: 2, label: 'LABEL_OPTIONAL', type: 'TYPE_MESSAGE', typeName: 'Cart.Item' },
            ],
            nestedType: [
              { name: 'Item', field: [{ name: 'sku', number: 1, label: 'LABEL_OPTIONAL', type: 'TYPE_STRING' }] },
              {
                name: 'ItemsEntry',
                options: { mapEntry: true },
                field: [
                  { name: 'key', number: 1, label: 'LABEL_OPTIONAL', type: 'TYPE_STRING' },
                  { name: 'value', number: 2, label: 'LABEL_OPTIONAL', type: 'TYPE_MESSAGE', typeName: '.shop.Cart.Item' },
                ],
              },
            ],
          },
        ],
      }),
    ).finish();
    expect(proto(Buffer.from(bytes).toString('base64')).canonical).toBe(`syntax = "proto3";
package shop;

message Cart {
  map<string, Item> items = 1;
  Item first = 2;

  message Item {
    string sku = 1;
  }
}
`);
  });

  it('refuses non-PROTOBUF schemas', () => {
    expect(() => protobufToSerialized(parseSchema('AVRO', '"int"', NO_REFS))).toThrow(/PROTOBUF/);
  });
});

describe('PROTOBUF invalid schemas', () => {
  it.each([
    ['an empty schema', '  ', /empty schema/],
    ['a syntax error', 'syntax = "proto3"; message M { int32 a = 1 }', /^Invalid Protobuf schema: illegal token '}'/],
    ['a proto2 field without label', 'syntax = "proto2"; message M { int32 a = 1; }', /illegal token 'int32'/],
    ['a duplicate field number', 'syntax = "proto3"; message M { int32 a = 1; int32 b = 1; }', /duplicate id 1/],
    ['an undefined type', 'syntax = "proto3"; message M { Missing a = 1; }', /type "Missing" is not defined \(in M\)/],
    ['a service taking an enum', 'syntax = "proto3"; enum E { E0 = 0; } service S { rpc R(E) returns (E); }', /"E" is not a message/],
    ['a missing import', 'syntax = "proto3"; import "common/money.proto"; message M {}', /import "common\/money\.proto" is neither a reference nor a well-known type/],
    ['an edition', 'edition = "2023"; message M { int32 a = 1; }', /editions are not supported/],
    ['a group', 'syntax = "proto2"; message M { optional group G = 1 { optional int32 x = 2; } }', /groups are not supported/],
    ['base64 that is no descriptor', Buffer.from('not a descriptor at all').toString('base64'), /not a serialized FileDescriptorProto/],
  ])('rejects %s with the parser message', (_, text, message) => {
    expect(() => proto(text)).toThrow(InvalidSchemaError);
    expect(() => proto(text)).toThrow(message);
  });
});

describe('PROTOBUF references', () => {
  const money = 'syntax = "proto3";\npackage common;\nmessage Money { string currency = 1; int64 units = 2; }';
  const refs: ResolvedReferences = new Map([['common/money.proto', { schemaType: 'PROTOBUF', schema: money }]]);

  it('resolves an import by its path among the references', () => {
    const text = 'syntax = "proto3";\npackage shop;\nimport "common/money.proto";\nmessage Price { common.Money amount = 1; }';
    expect(proto(text, refs).canonical).toBe(`syntax = "proto3";
package shop;

import "common/money.proto";

message Price {
  common.Money amount = 1;
}
`);
  });

  it('sees the public imports of an import', () => {
    const facade = new Map([...refs, ['facade.proto', { schemaType: 'PROTOBUF' as const, schema: 'syntax = "proto3"; import public "common/money.proto";' }]]);
    expect(() => proto('syntax = "proto3"; import "facade.proto"; message P { common.Money m = 1; }', facade)).not.toThrow();
  });

  it('does not see the plain imports of an import', () => {
    const facade = new Map([...refs, ['facade.proto', { schemaType: 'PROTOBUF' as const, schema: 'syntax = "proto3"; import "common/money.proto";' }]]);
    expect(() => proto('syntax = "proto3"; import "facade.proto"; message P { common.Money m = 1; }', facade)).toThrow(/not defined/);
  });

  it('accepts a reference given as a serialized descriptor', () => {
    const serialized = protobufToSerialized(proto(money));
    const asDescriptor: ResolvedReferences = new Map([['common/money.proto', { schemaType: 'PROTOBUF', schema: serialized }]]);
    expect(proto('syntax = "proto3"; import "common/money.proto"; message P { common.Money m = 1; }', asDescriptor).canonical).toContain('common.Money m = 1;');
  });

  it('knows the well-known types without references', () => {
    const text =
      'syntax = "proto3"; import "google/protobuf/any.proto"; import "google/protobuf/wrappers.proto"; import "google/protobuf/descriptor.proto";' +
      ' message M { google.protobuf.Any a = 1; google.protobuf.StringValue s = 2; google.protobuf.FieldDescriptorProto.Type t = 3; }';
    expect(proto(text).canonical).toContain('google.protobuf.FieldDescriptorProto.Type t = 3;');
  });

  it('serializes the import as a dependency', () => {
    const text = 'syntax = "proto3";\npackage shop;\nimport "common/money.proto";\nmessage Price { common.Money amount = 1; }';
    const file = decode(protobufToSerialized(proto(text, refs)));
    expect(file.dependency).toEqual(['common/money.proto']);
    expect(file.messageType[0].field[0]).toMatchObject({ type: 'TYPE_MESSAGE', typeName: '.common.Money' });
  });
});

describe('PROTOBUF compatibility', () => {
  /** A proto3 file in package `p` with the given top-level declarations. */
  const file = (body: string, header = 'syntax = "proto3";\npackage p;') => `${header}\n${body}`;
  const msg = (fields: string, rest = '') => file(`message M { ${fields} }\n${rest}`);

  const cases: Array<ChangeCase & { old: string; new: string }> = [
    { name: 'add a field', old: msg('string a = 1;'), new: msg('string a = 1; int32 b = 2;'), backward: true, forward: true },
    { name: 'remove a field', old: msg('string a = 1; int32 b = 2;'), new: msg('string a = 1;'), backward: true, forward: true },
    { name: 'rename a field', old: msg('string a = 1;'), new: msg('string b = 1;'), backward: true, forward: true },
    { name: 'change a field number', old: msg('string a = 1;'), new: msg('string a = 2;'), backward: true, forward: true },
    { name: 'int32 to int64', old: msg('int32 a = 1;'), new: msg('int64 a = 1;'), backward: true, forward: true },
    { name: 'uint32 to bool', old: msg('uint32 a = 1;'), new: msg('bool a = 1;'), backward: true, forward: true },
    { name: 'sint32 to sint64', old: msg('sint32 a = 1;'), new: msg('sint64 a = 1;'), backward: true, forward: true },
    { name: 'fixed32 to sfixed32', old: msg('fixed32 a = 1;'), new: msg('sfixed32 a = 1;'), backward: true, forward: true },
    { name: 'fixed64 to sfixed64', old: msg('fixed64 a = 1;'), new: msg('sfixed64 a = 1;'), backward: true, forward: true },
    { name: 'string to bytes', old: msg('string a = 1;'), new: msg('bytes a = 1;'), backward: true, forward: true },
    { name: 'string to int32', old: msg('string a = 1;'), new: msg('int32 a = 1;'), backward: 'FIELD_SCALAR_KIND_CHANGED', forward: 'FIELD_SCALAR_KIND_CHANGED' },
    { name: 'int32 to double', old: msg('int32 a = 1;'), new: msg('double a = 1;'), backward: 'FIELD_SCALAR_KIND_CHANGED', forward: 'FIELD_SCALAR_KIND_CHANGED' },
    { name: 'int32 to sint32', old: msg('int32 a = 1;'), new: msg('sint32 a = 1;'), backward: 'FIELD_SCALAR_KIND_CHANGED', forward: 'FIELD_SCALAR_KIND_CHANGED' },
    { name: 'fixed32 to fixed64', old: msg('fixed32 a = 1;'), new: msg('fixed64 a = 1;'), backward: 'FIELD_SCALAR_KIND_CHANGED', forward: 'FIELD_SCALAR_KIND_CHANGED' },
    { name: 'scalar to message', old: msg('string a = 1;', 'message N {}'), new: msg('N a = 1;', 'message N {}'), backward: 'FIELD_KIND_CHANGED', forward: 'FIELD_KIND_CHANGED' },
    { name: 'enum to int32', old: msg('E a = 1;', 'enum E { E0 = 0; }'), new: msg('int32 a = 1;', 'enum E { E0 = 0; }'), backward: 'FIELD_KIND_CHANGED', forward: 'FIELD_KIND_CHANGED' },
    { name: 'message to map', old: msg('N a = 1;', 'message N {}'), new: msg('map<string, N> a = 1;', 'message N {}'), backward: 'FIELD_KIND_CHANGED', forward: 'FIELD_KIND_CHANGED' },
    { name: 'map value int32 to int64', old: msg('map<string, int32> a = 1;'), new: msg('map<string, int64> a = 1;'), backward: true, forward: true },
    { name: 'map value string to int32', old: msg('map<string, string> a = 1;'), new: msg('map<string, int32> a = 1;'), backward: 'FIELD_SCALAR_KIND_CHANGED', forward: 'FIELD_SCALAR_KIND_CHANGED' },
    { name: 'change the package', old: msg('string a = 1;'), new: file('message M { string a = 1; }', 'syntax = "proto3";\npackage q;'), backward: 'PACKAGE_CHANGED', forward: 'PACKAGE_CHANGED' },
    { name: 'add a message', old: msg('string a = 1;'), new: msg('string a = 1;', 'message N {}'), backward: true, forward: 'MESSAGE_REMOVED' },
    { name: 'remove a message', old: msg('string a = 1;', 'message N {}'), new: msg('string a = 1;'), backward: 'MESSAGE_REMOVED', forward: true },
    { name: 'rename a message', old: msg('string a = 1;'), new: file('message Renamed { string a = 1; }'), backward: 'MESSAGE_REMOVED', forward: 'MESSAGE_REMOVED' },
    { name: 'move a nested message to the top level', old: msg('N n = 1; message N { int32 x = 1; }'), new: msg('N n = 1;', 'message N { int32 x = 1; }'), backward: true, forward: true },
    { name: 'add an enum', old: msg('string a = 1;'), new: msg('string a = 1;', 'enum E { E0 = 0; }'), backward: true, forward: true },
    { name: 'remove an enum', old: msg('string a = 1;', 'enum E { E0 = 0; }'), new: msg('string a = 1;'), backward: true, forward: true },
    { name: 'add an enum value', old: msg('E e = 1;', 'enum E { E0 = 0; }'), new: msg('E e = 1;', 'enum E { E0 = 0; E1 = 1; }'), backward: true, forward: true },
    { name: 'rename an enum value', old: msg('E e = 1;', 'enum E { E0 = 0; E1 = 1; }'), new: msg('E e = 1;', 'enum E { E0 = 0; ONE = 1; }'), backward: true, forward: true },
    { name: 'string made repeated', old: msg('string a = 1;'), new: msg('repeated string a = 1;'), backward: true, forward: true },
    { name: 'bytes made repeated', old: msg('bytes a = 1;'), new: msg('repeated bytes a = 1;'), backward: true, forward: true },
    { name: 'int32 made repeated', old: msg('int32 a = 1;'), new: msg('repeated int32 a = 1;'), backward: 'FIELD_NUMERIC_LABEL_CHANGED', forward: 'FIELD_NUMERIC_LABEL_CHANGED' },
    { name: 'enum made repeated', old: msg('E a = 1;', 'enum E { E0 = 0; }'), new: msg('repeated E a = 1;', 'enum E { E0 = 0; }'), backward: 'FIELD_NUMERIC_LABEL_CHANGED', forward: 'FIELD_NUMERIC_LABEL_CHANGED' },
    { name: 'proto3 optional added', old: msg('int32 a = 1;'), new: msg('optional int32 a = 1;'), backward: true, forward: true },
    {
      name: 'proto2 required field added',
      old: file('message M { optional string a = 1; }', 'syntax = "proto2";\npackage p;'),
      new: file('message M { optional string a = 1; required int32 b = 2; }', 'syntax = "proto2";\npackage p;'),
      backward: 'REQUIRED_FIELD_ADDED',
      forward: 'REQUIRED_FIELD_REMOVED',
    },
    {
      name: 'proto2 field made required',
      old: file('message M { optional string a = 1; }', 'syntax = "proto2";\npackage p;'),
      new: file('message M { required string a = 1; }', 'syntax = "proto2";\npackage p;'),
      backward: 'REQUIRED_FIELD_ADDED',
      forward: 'REQUIRED_FIELD_REMOVED',
    },
    { name: 'add a oneof of new fields', old: msg('string a = 1;'), new: msg('string a = 1; oneof o { int32 b = 2; string c = 3; }'), backward: true, forward: true },
    { name: 'add a field to a oneof', old: msg('oneof o { int32 b = 2; }'), new: msg('oneof o { int32 b = 2; string c = 3; }'), backward: true, forward: 'ONEOF_FIELD_REMOVED' },
    { name: 'move one field into a new oneof', old: msg('string a = 1;'), new: msg('oneof o { string a = 1; }'), backward: true, forward: true },
    { name: 'move two fields into a new oneof', old: msg('string a = 1; int32 b = 2;'), new: msg('oneof o { string a = 1; int32 b = 2; }'), backward: 'MULTIPLE_FIELDS_MOVED_TO_ONEOF', forward: true },
    {
      name: 'move a field into an existing oneof',
      old: msg('string a = 1; oneof o { int32 b = 2; }'),
      new: msg('oneof o { string a = 1; int32 b = 2; }'),
      backward: 'FIELD_MOVED_TO_EXISTING_ONEOF',
      forward: 'ONEOF_FIELD_REMOVED',
    },
    {
      name: 'a message field retyped to an equal definition',
      old: msg('A x = 1;', 'message A { int32 v = 1; }'),
      new: msg('B x = 1;', 'message A { int32 v = 1; }\nmessage B { int64 v = 1; }'),
      backward: true,
      forward: 'MESSAGE_REMOVED',
    },
    {
      name: 'a message field retyped to an incompatible definition',
      old: msg('A x = 1;', 'message A { int32 v = 1; }'),
      new: msg('B x = 1;', 'message A { int32 v = 1; }\nmessage B { string v = 1; }'),
      backward: 'FIELD_NAMED_TYPE_CHANGED',
      forward: 'MESSAGE_REMOVED',
    },
    {
      name: 'a change deep inside a recursive message',
      old: msg('M child = 1; int32 v = 2;'),
      new: msg('M child = 1; string v = 2;'),
      backward: 'FIELD_SCALAR_KIND_CHANGED',
      forward: 'FIELD_SCALAR_KIND_CHANGED',
    },
  ];

  it.each(cases)('$name', (change) => {
    expectChange(proto(change.old), proto(change.new), change);
  });

  it('treats a schema and its serialized descriptor as the same', () => {
    const text = msg('string a = 1; map<string, int32> m = 2; optional int32 o = 3;');
    const serialized = protobufToSerialized(proto(text));
    expect(checkCompatibility('FULL', proto(serialized), [proto(text)])).toEqual([]);
  });

  it('reports Confluent-style messages', () => {
    expect(checkCompatibility('BACKWARD', proto(msg('string a = 1;')), [proto(msg('string a = 1;', 'message Gone {}'))])).toEqual([
      "{errorType:'MESSAGE_REMOVED', description:'The new schema is missing a MESSAGE type at path '#/Gone' in the old schema'}",
    ]);
  });
});

/** A serialized schema decoded back to a plain FileDescriptorProto object. */
function decode(base64: string) {
  const message = descriptor.FileDescriptorProto.decode(Buffer.from(base64, 'base64'));
  return descriptor.FileDescriptorProto.toObject(message, { enums: String, longs: Number }) as any;
}
