// Shared by the mapping tests: the vector schema plus a schema of our own
// for the types the vectors do not exercise, and the shared vectors.
import { readFileSync } from 'node:fs';
import type protobuf from 'protobufjs';
import { buildRoot } from '../protos/root.js';

export const CONTRACT_DIR = '/work/shared/contracts/http-mapping';

const MAPPING_TEST_PROTO = `
syntax = "proto3";
package t.v1;
import "google/protobuf/empty.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";

message Scalars {
  int32 i32 = 1; uint32 u32 = 2; sint32 s32 = 3; fixed32 fx32 = 4; sfixed32 sfx32 = 5;
  int64 i64 = 6; uint64 u64 = 7; sint64 s64 = 8; fixed64 fx64 = 9; sfixed64 sfx64 = 10;
  float f = 11; double d = 12; bool b = 13; string s = 14; bytes by = 15;
  google.protobuf.NullValue nv = 16;
  repeated int64 i64s = 17;
  repeated double ds = 18;
}

message Maps {
  map<int64, string> by_i64 = 1;
  map<uint64, string> by_u64 = 2;
  map<bool, int32> by_bool = 3;
  map<int32, Maps> nested = 4;
  map<string, google.protobuf.Value> values = 5;
  map<sint32, bytes> blobs = 6;
}

message Wrappers {
  google.protobuf.DoubleValue d = 1;
  google.protobuf.FloatValue f = 2;
  google.protobuf.Int64Value i64 = 3;
  google.protobuf.UInt64Value u64 = 4;
  google.protobuf.Int32Value i32 = 5;
  google.protobuf.UInt32Value u32 = 6;
  google.protobuf.BoolValue b = 7;
  google.protobuf.StringValue s = 8;
  google.protobuf.BytesValue by = 9;
  repeated google.protobuf.Int32Value list = 10;
}

message Names { string foo_bar_1 = 1; string a__b = 2; string HTTPCode = 3; }
`;

export const root: protobuf.Root = buildRoot([
  { name: 'vec.proto', content: readFileSync(`${CONTRACT_DIR}/vectors.proto`, 'utf8') },
  { name: 't/mapping_test.proto', content: MAPPING_TEST_PROTO },
]);

export const Req = root.lookupType('vec.v1.Req');
export const Resp = root.lookupType('vec.v1.Resp');
export const Status = root.lookupType('google.rpc.Status');

/** What the backend would receive: encoded, then decoded again. */
export function overTheWire(type: protobuf.Type, message: object): protobuf.Message {
  return type.decode(type.encode(message).finish());
}

// --- the shared vectors (vectors.json) -------------------------------------

export interface VectorRequest {
  method: string;
  target: string;
  headers?: Record<string, string>;
  body?: string;
  bodyBase64?: string;
}

export interface VectorRule {
  body?: string;
  response_body?: string;
  [verb: string]: unknown;
}

export interface VectorExpect {
  status?: number;
  error?: string;
  message?: Record<string, unknown>;
  json?: unknown;
  raw?: string;
}

/** One runnable case: a vector's fields with a case's overrides applied. */
export interface VectorCase {
  name: string;
  id: string;
  rule?: VectorRule;
  request?: VectorRequest;
  options: Record<string, unknown>;
  expect: VectorExpect;
  backend?: Record<string, unknown>;
  backend_stream?: Record<string, unknown>[];
  backend_status?: Record<string, unknown>;
  rpc?: string;
}

interface Vector extends Partial<VectorCase> {
  id: string;
  cases?: Partial<VectorCase>[];
}

const vectors: Vector[] = JSON.parse(readFileSync(`${CONTRACT_DIR}/vectors.json`, 'utf8'));

/** The cases of the named vectors, each case inheriting what its vector states. */
export function vectorCases(ids: readonly string[]): VectorCase[] {
  const cases: VectorCase[] = [];
  for (const vector of vectors.filter((v) => ids.includes(v.id))) {
    const { cases: subCases, ...shared } = vector;
    (subCases ?? [{}]).forEach((sub, index) => {
      const merged = { ...shared, ...sub, options: { ...shared.options, ...sub.options } } as VectorCase;
      merged.name = subCases ? `${vector.id} #${index + 1}` : vector.id;
      cases.push(merged);
    });
  }
  return cases;
}
