// The shape of the HTTP-mapping vectors in vectors.json, as documented in
// the contract's README (contracts/http-mapping/README.md). Field names are
// the file's own, so the JSON loads into these types without renaming.

/** Names the `options` block may set; each mirrors an option of one of the anchors. */
export interface VectorOptions {
  /** Decoding of multi-segment path variables; single-segment ones are always fully decoded. */
  unescape?: 'ALL_CHARACTERS_EXCEPT_RESERVED' | 'ALL_CHARACTERS_EXCEPT_SLASH' | 'ALL_CHARACTERS';
  match_unregistered_custom_verb?: boolean;
  ignore_trailing_slash?: boolean;
  split_repeated_on_comma?: boolean;
  case_insensitive_enums?: boolean;
  query_plus_as_space?: boolean;
  strict_query?: boolean;
  ignored_query_parameters?: string[];
  strict_body?: boolean;
  reject_binding_body_collisions?: boolean;
  /** Name of a FieldMask field filled from the body's keys on PATCH. */
  patch_infers_field_mask?: string;
  emit_defaults?: boolean;
}

/** An HttpRule-shaped binding (google/api/http.proto); in a route set each carries an `id`. */
export interface VectorRule {
  id?: string;
  get?: string;
  put?: string;
  post?: string;
  delete?: string;
  patch?: string;
  custom?: { kind: string; path: string };
  body?: string;
  response_body?: string;
  additional_bindings?: VectorRule[];
}

export interface VectorRequest {
  method: string;
  /** Path plus raw query, exactly as sent on the wire. */
  target: string;
  headers?: Record<string, string>;
  /** UTF-8 body text; `bodyBase64` instead carries bytes that are not valid UTF-8. */
  body?: string;
  bodyBase64?: string;
}

/** The `vec.v1.Vec` method a rule binds. */
export type VectorRpc = 'Call' | 'ServerStream' | 'ClientStream' | 'Raw';

/** A google.rpc.Status in proto JSON; details are Any values (`{"@type": …, …fields}`). */
export interface VectorStatus {
  code: number;
  message?: string;
  details?: Array<Record<string, unknown>>;
}

export interface VectorBackendMetadata {
  headers?: Record<string, string>;
  trailers?: Record<string, string>;
}

/** A backend reply that is not gRPC: this HTTP status, headers and trailers, no gRPC framing. */
export interface VectorBackendRaw {
  status: number;
  headers?: Record<string, string>;
  trailers?: Record<string, string>;
}

export interface VectorExpect {
  /** HTTP status of the proxy's reply; 200 when absent but message/messages/route/json are given. */
  status?: number;
  /** gRPC code name carried in the error body, e.g. "INVALID_ARGUMENT". */
  error?: string;
  /** The request message the backend must receive: proto3 JSON with proto field names. */
  message?: Record<string, unknown>;
  /** The messages the backend must receive on a client stream, in order. */
  messages?: Array<Record<string, unknown>>;
  /** The HTTP body parsed as JSON. */
  json?: unknown;
  /** The exact HTTP body. */
  raw?: string;
  /** Response headers that must be present with these values (names case-insensitive). */
  headers?: Record<string, string>;
  /** Response trailers that must be present; `{}` means none beyond what HTTP itself adds. */
  trailers?: Record<string, string>;
  /** The id of the rule that must handle the request. */
  route?: string;
  /** Whether the Frontend must compile. */
  load?: 'accept' | 'reject';
  /** Text metadata the backend must receive; `<request host>` and `<client ip>` are placeholders. */
  backend_metadata?: Record<string, string>;
  /** Binary (-bin) metadata the backend must receive, each value the standard base64 of the bytes. */
  backend_metadata_bytes_b64?: Record<string, string>;
  /** Time left until the deadline as the backend sees it; may be lower by the proxy's own time, never higher. */
  backend_deadline_ms?: number;
}

/** What a vector and its cases share; a case may override any of it. */
export interface VectorBody {
  rule?: VectorRule;
  rules?: VectorRule[];
  /** Compile-only: each template is compiled on its own as `{"get": template}` binding Call. */
  templates?: string[];
  request?: VectorRequest;
  options?: VectorOptions;
  rpc?: VectorRpc;
  /** The proto-JSON response the stub returns (an HttpBody for Raw); an empty Resp when absent. */
  backend?: Record<string, unknown>;
  /** ServerStream: the messages the stub sends, in order. */
  backend_stream?: Array<Record<string, unknown>>;
  backend_status?: VectorStatus;
  backend_metadata?: VectorBackendMetadata;
  backend_raw?: VectorBackendRaw;
  expect?: VectorExpect;
  note?: string;
}

/** A sub-case: inherits the vector's fields and overrides those it gives. */
export type VectorCase = VectorBody;

export interface Vector extends VectorBody {
  id: string;
  title: string;
  cases?: VectorCase[];
  /** What other implementations do where they differ from `expect`. */
  divergence?: string;
  /** Sources: spec, lib, envoy, gw, vanguard, kong, ours. */
  refs?: string[];
}
