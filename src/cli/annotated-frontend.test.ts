import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFrontend } from '../frontend/compile.js';
import { validateFrontend } from '../frontend/validate.js';
import { annotatedFrontend, collectProtoFiles } from './annotated-frontend.js';

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Writes files (import path -> content) under a new temp dir; returns the dir. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'prism-annotated-'));
  tempDirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

const SHOP = `syntax = "proto3";
package shop.v1;
import "google/api/annotations.proto";
import "google/protobuf/empty.proto";
import "prism/common/types.proto";
import "shop/types.proto";

service Shop {
  rpc GetItem(GetItemRequest) returns (shop.types.Item) {
    option (google.api.http) = { get: "/v1/items/{name}" };
  }
  rpc CreateItem(shop.types.Item) returns (shop.types.Item) {
    option (google.api.http) = { post: "/v1/items" body: "*" };
  }
  rpc Ping(google.protobuf.Empty) returns (google.protobuf.Empty);
}

service Admin {
  rpc Reset(google.protobuf.Empty) returns (google.protobuf.Empty);
}

message GetItemRequest { string name = 1; prism.common.Tags tags = 2; }
`;

const TYPES = `syntax = "proto3";
package shop.types;
import "shop/common.proto";
message Item { string name = 1; shop.common.Money price = 2; }
`;

const COMMON = `syntax = "proto3";
package shop.common;
import "google/protobuf/timestamp.proto";
message Money { int64 units = 1; google.protobuf.Timestamp at = 2; }
service Internal {
  rpc Touch(Money) returns (Money);
}
`;

describe('collectProtoFiles', () => {
  it('returns the file and the local files it imports, transitively, each once', () => {
    const dir = tree({ 'shop.proto': SHOP, 'shop/types.proto': TYPES, 'shop/common.proto': COMMON });
    expect(collectProtoFiles(join(dir, 'shop.proto'))).toEqual([
      { name: 'shop.proto', content: SHOP },
      { name: 'shop/types.proto', content: TYPES },
      { name: 'shop/common.proto', content: COMMON },
    ]);
  });

  it('leaves out shipped and well-known protos', () => {
    const dir = tree({ 'shop.proto': SHOP, 'shop/types.proto': TYPES, 'shop/common.proto': COMMON });
    const names = collectProtoFiles(join(dir, 'shop.proto')).map((f) => f.name);
    expect(names).not.toContain('google/api/annotations.proto');
    expect(names).not.toContain('prism/common/types.proto');
    expect(names.some((n) => n.startsWith('google/protobuf/'))).toBe(false);
  });

  it('includes a file imported twice (diamond) once', () => {
    const dir = tree({
      'top.proto': 'syntax = "proto3";\nimport "left.proto";\nimport "right.proto";\n',
      'left.proto': 'syntax = "proto3";\nimport "base.proto";\n',
      'right.proto': 'syntax = "proto3";\nimport "base.proto";\n',
      'base.proto': 'syntax = "proto3";\nmessage Base {}\n',
    });
    expect(collectProtoFiles(join(dir, 'top.proto')).map((f) => f.name)).toEqual(['top.proto', 'left.proto', 'base.proto', 'right.proto']);
  });

  it('finds imports in include directories', () => {
    const main = tree({ 'main.proto': 'syntax = "proto3";\nimport "vendor/lib.proto";\n' });
    const include = tree({ 'vendor/lib.proto': 'syntax = "proto3";\nmessage Lib {}\n' });
    expect(collectProtoFiles(join(main, 'main.proto'), [include]).map((f) => f.name)).toEqual(['main.proto', 'vendor/lib.proto']);
  });

  it('a missing import is an error naming the file and the import', () => {
    const dir = tree({ 'main.proto': 'syntax = "proto3";\nimport "a.proto";\n', 'a.proto': 'syntax = "proto3";\nimport "gone.proto";\n' });
    expect(() => collectProtoFiles(join(dir, 'main.proto'))).toThrow(/a\.proto: import 'gone\.proto' not found/);
  });
});

describe('annotatedFrontend', () => {
  it('lists the annotated services of the file itself', () => {
    const dir = tree({ 'shop.proto': SHOP, 'shop/types.proto': TYPES, 'shop/common.proto': COMMON });
    const frontend = annotatedFrontend('shop-rest', join(dir, 'shop.proto'));
    expect(frontend).toEqual({
      name: 'shop-rest',
      type: 'REST',
      description: 'google.api.http annotations of shop.proto',
      rest: {
        protos: collectProtoFiles(join(dir, 'shop.proto')),
        annotated_services: ['shop.v1.Shop'],
      },
    });
  });

  it('lists every annotated service, nested packages fully qualified', () => {
    const proto = `syntax = "proto3";
package a.b.c;
import "google/api/annotations.proto";
message R { string id = 1; }
service One { rpc Get(R) returns (R) { option (google.api.http) = { get: "/one/{id}" }; } }
service Two { rpc Put(R) returns (R) { option (google.api.http) = { put: "/two/{id}" body: "*" }; } }
`;
    const dir = tree({ 'svc.proto': proto });
    expect(annotatedFrontend('x', join(dir, 'svc.proto')).rest?.annotated_services).toEqual(['a.b.c.One', 'a.b.c.Two']);
  });

  it('gives a frontend that validates and compiles to the annotated routes', () => {
    const dir = tree({ 'shop.proto': SHOP, 'shop/types.proto': TYPES, 'shop/common.proto': COMMON });
    const frontend = annotatedFrontend('shop-rest', join(dir, 'shop.proto'));
    expect(validateFrontend(frontend)).toEqual([]);
    expect(compileFrontend(frontend).routes.map((r) => [r.method, r.template.source, r.grpcPath])).toEqual([
      ['GET', '/v1/items/{name}', '/shop.v1.Shop/GetItem'],
      ['POST', '/v1/items', '/shop.v1.Shop/CreateItem'],
    ]);
  });

  it('a file without annotations is an error naming it', () => {
    const dir = tree({ 'plain.proto': 'syntax = "proto3";\npackage p;\nmessage M {}\nservice S { rpc Do(M) returns (M); }\n' });
    const file = join(dir, 'plain.proto');
    expect(() => annotatedFrontend('p', file)).toThrow(`${file}: no service with google.api.http annotations`);
  });

  it('annotations in imported files only do not count', () => {
    const dir = tree({
      'main.proto': 'syntax = "proto3";\npackage m;\nimport "other.proto";\nmessage M {}\n',
      'other.proto':
        'syntax = "proto3";\npackage o;\nimport "google/api/annotations.proto";\nmessage R { string id = 1; }\nservice S { rpc Get(R) returns (R) { option (google.api.http) = { get: "/r/{id}" }; } }\n',
    });
    expect(() => annotatedFrontend('m', join(dir, 'main.proto'))).toThrow(/no service with google\.api\.http annotations/);
  });
});
