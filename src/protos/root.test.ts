import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Long from 'long';
import protobuf from 'protobufjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRoot, PROJECT_DIR, PROTO_DIR, ProtoLoadError, SHIPPED_PROTOS, shippedRoot } from './root.js';

function loadErrorOf(run: () => unknown): ProtoLoadError {
  try {
    run();
  } catch (err) {
    if (err instanceof ProtoLoadError) return err;
    throw err;
  }
  throw new Error('expected a ProtoLoadError');
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('shipped protos', () => {
  it('lists every .proto under proto/ by import path, sorted', () => {
    expect(PROTO_DIR).toBe(join(PROJECT_DIR, 'proto'));
    expect(SHIPPED_PROTOS).toEqual(
      expect.arrayContaining([
        'google/api/annotations.proto',
        'google/api/http.proto',
        'google/api/httpbody.proto',
        'google/rpc/status.proto',
        'google/rpc/error_details.proto',
        'prism/frontend/v1/frontend.proto',
        'prism/interfaces/keyvalue/keyvalue_basic.proto',
        'prism/interfaces/keyvalue/keyvalue_ttl.proto',
      ]),
    );
    expect([...SHIPPED_PROTOS]).toEqual([...SHIPPED_PROTOS].sort());
  });

  it.each([
    'prism.interfaces.keyvalue.SetRequest',
    'prism.interfaces.keyvalue.GetTTLResponse',
    'prism.frontend.v1.Frontend',
    'prism.admin.v1.Namespace',
    'google.api.HttpBody',
    'google.api.HttpRule',
    'google.rpc.Status',
    'google.rpc.ErrorInfo',
    'google.protobuf.Duration',
    'google.protobuf.Any',
  ])('shippedRoot() has %s', (name) => {
    expect(shippedRoot().lookupType(name)).toBeInstanceOf(protobuf.Type);
  });

  it('has the keyvalue services', () => {
    expect(Object.keys(shippedRoot().lookupService('prism.interfaces.keyvalue.KeyValueBasicInterface').methods)).toEqual([
      'Set',
      'Get',
      'Delete',
      'Exists',
    ]);
    expect(Object.keys(shippedRoot().lookupService('prism.interfaces.keyvalue.KeyValueTTLInterface').methods)).toEqual([
      'Expire',
      'GetTTL',
      'Persist',
    ]);
  });

  it('keeps proto field names as written', () => {
    const type = shippedRoot().lookupType('prism.interfaces.keyvalue.ExpireRequest');
    expect(type.fieldsArray.map((f) => f.name)).toEqual(['key', 'ttl_seconds']);
  });

  it('decodes 64-bit integers exactly (Long)', () => {
    const type = shippedRoot().lookupType('prism.interfaces.keyvalue.ExpireRequest');
    const big = Long.fromString('9007199254740993');
    const decoded = type.decode(type.encode({ key: 'k', ttl_seconds: big }).finish()) as unknown as { ttl_seconds: Long };
    expect(Long.isLong(decoded.ttl_seconds)).toBe(true);
    expect(decoded.ttl_seconds.toString()).toBe('9007199254740993');
  });

  it('shippedRoot() is built once; buildRoot() builds a new Root each time', () => {
    expect(shippedRoot()).toBe(shippedRoot());
    expect(buildRoot()).not.toBe(buildRoot());
    expect(buildRoot()).not.toBe(shippedRoot());
  });
});

describe('buildRoot with extra sources', () => {
  const shared = {
    name: 'acme/shared.proto',
    content: 'syntax = "proto3";\npackage acme;\nimport "google/protobuf/timestamp.proto";\nmessage Meta { google.protobuf.Timestamp at = 1; }\n',
  };
  const api = {
    name: 'acme/api.proto',
    content: `syntax = "proto3";
package acme.v1;
import "acme/shared.proto";
import "google/api/annotations.proto";
import "prism/common/types.proto";
message Thing { string thing_id = 1; acme.Meta meta = 2; prism.common.Tags tags = 3; }
service Things {
  rpc Get(Thing) returns (Thing) { option (google.api.http) = { get: "/v1/things/{thing_id}" }; }
}
`,
  };

  it('resolves imports between extra sources, shipped protos and well-known types', () => {
    const root = buildRoot([api, shared]);
    const thing = root.lookupType('acme.v1.Thing');
    thing.resolveAll();
    expect(thing.fields.meta.resolvedType?.fullName).toBe('.acme.Meta');
    expect(thing.fields.tags.resolvedType?.fullName).toBe('.prism.common.Tags');
    expect(root.lookupType('acme.Meta').fields.at.resolvedType?.fullName).toBe('.google.protobuf.Timestamp');
    const method = root.lookupService('acme.v1.Things').methods.Get;
    expect(method.parsedOptions).toEqual([{ '(google.api.http)': { get: '/v1/things/{thing_id}' } }]);
    // The shipped protos are still there.
    expect(root.lookupType('prism.interfaces.keyvalue.GetRequest')).toBeInstanceOf(protobuf.Type);
  });

  it('loads google/protobuf/descriptor.proto for custom options', () => {
    const root = buildRoot([
      {
        name: 'opt.proto',
        content:
          'syntax = "proto3";\npackage o;\nimport "google/protobuf/descriptor.proto";\nextend google.protobuf.FieldOptions { string tag = 50001; }\nmessage M { string a = 1 [(tag) = "x"]; }\n',
      },
    ]);
    expect(root.lookupType('o.M').fields.a.options?.['(tag)']).toBe('x');
  });

  it('resolves imports from include directories', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prism-root-'));
    tempDirs.push(dir);
    writeFileSync(join(dir, 'lib.proto'), 'syntax = "proto3";\npackage lib;\nmessage L { int32 n = 1; }\n');
    const root = buildRoot([{ name: 'main.proto', content: 'syntax = "proto3";\npackage m;\nimport "lib.proto";\nmessage M { lib.L l = 1; }\n' }], [dir]);
    expect(root.lookupType('lib.L')).toBeInstanceOf(protobuf.Type);
  });

  it('a missing import is a ProtoLoadError naming the importing file', () => {
    const err = loadErrorOf(() => buildRoot([{ name: 'a.proto', content: 'syntax = "proto3";\nimport "missing/b.proto";\n' }]));
    expect(err.file).toBe('a.proto');
    expect(err.message).toBe("a.proto: import 'missing/b.proto' not found");
  });

  it('a missing import of an imported file names that file', () => {
    const err = loadErrorOf(() =>
      buildRoot([
        { name: 'a.proto', content: 'syntax = "proto3";\nimport "b.proto";\n' },
        { name: 'b.proto', content: 'syntax = "proto3";\nimport "c.proto";\n' },
      ]),
    );
    expect(err.file).toBe('b.proto');
    expect(err.message).toContain("'c.proto'");
  });

  it('a syntax error is a ProtoLoadError naming the file', () => {
    const err = loadErrorOf(() => buildRoot([shared, { name: 'broken.proto', content: 'syntax = "proto3";\nmessage {' }]));
    expect(err.file).toBe('broken.proto');
    expect(err.message).toMatch(/^broken\.proto: /);
  });

  it('a name clash with a shipped type is a ProtoLoadError', () => {
    const err = loadErrorOf(() =>
      buildRoot([{ name: 'dup.proto', content: 'syntax = "proto3";\npackage prism.interfaces.keyvalue;\nmessage GetRequest { string x = 1; }\n' }]),
    );
    expect(err.message).toContain('GetRequest');
  });

  it('an unknown type is a ProtoLoadError naming the file that uses it', () => {
    const err = loadErrorOf(() =>
      buildRoot([
        { name: 'good.proto', content: 'syntax = "proto3";\npackage g;\nmessage A { string x = 1; }\n' },
        { name: 'bad.proto', content: 'syntax = "proto3";\npackage b;\nmessage B { Missing m = 1; }\n' },
      ]),
    );
    expect(err.message).toContain('Missing');
    expect(err.file).toBe('bad.proto');
  });
});
