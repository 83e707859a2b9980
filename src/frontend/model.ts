// The Frontend model as plain objects: the protobuf messages of
// proto/prism/frontend/v1/frontend.proto and proto/prism/admin/v1/admin.proto
// with proto field names, as read from YAML or converted from the admin's
// messages (int64 as decimal strings, enums by name, Durations as strings).

export type FrontendType = 'FRONTEND_TYPE_UNSPECIFIED' | 'REST' | 'GRAPHQL' | 'GRPC_WEB' | 'SSE' | 'WEBSOCKET';
export type ParamSource = 'SOURCE_UNSPECIFIED' | 'PATH' | 'QUERY' | 'HEADER' | 'BODY' | 'CONSTANT';
export type UnescapeMode =
  | 'UNESCAPE_MODE_UNSPECIFIED'
  | 'ALL_CHARACTERS_EXCEPT_RESERVED'
  | 'ALL_CHARACTERS_EXCEPT_SLASH'
  | 'ALL_CHARACTERS';

export interface Listener { host?: string; port?: number }
export interface ProtoFile { name: string; content: string }
export interface GrpcTarget { service?: string; method?: string }

export interface HttpRule {
  selector?: string;
  get?: string;
  put?: string;
  post?: string;
  delete?: string;
  patch?: string;
  custom?: { kind?: string; path?: string };
  body?: string;
  response_body?: string;
  additional_bindings?: HttpRule[];
}

export interface ParamMapping {
  source?: ParamSource;
  name?: string;
  field?: string;
  required?: boolean;
  default?: string;
}

export interface BodyMapping { field?: string; raw_field?: string; raw_content_types?: string[]; required?: boolean }

export interface StatusRule {
  field?: string;
  equals?: string;
  status?: number;
  error_code?: string;
  error_message?: string;
}

export interface ResponseMapping {
  status?: number;
  status_rules?: StatusRule[];
  body_field?: string;
  rename?: Record<string, string>;
  omit?: string[];
  emit_defaults?: boolean;
  headers?: Record<string, string>;
  content_type?: string;
  raw_field?: string;
  use_proto_names?: boolean;
}

/** JSON value (google.protobuf.Value in the proto). */
export type JsonTemplate = null | boolean | number | string | JsonTemplate[] | { [k: string]: JsonTemplate };

export interface ErrorMapping {
  status?: Record<string, number>;
  body?: JsonTemplate;
  content_type?: string;
  status_from?: string;
  status_by_error_id?: Record<string, number>;
}

export interface HeaderForwarding { request?: string[]; response?: string[] }

export interface MappingOptions {
  unescape?: UnescapeMode;
  match_unregistered_custom_verb?: boolean;
  ignore_trailing_slash?: boolean;
  split_repeated_on_comma?: boolean;
  case_insensitive_enums?: boolean;
  query_plus_as_space?: boolean;
  strict_query?: boolean;
  ignored_query_parameters?: string[];
  strict_body?: boolean;
  reject_binding_body_collisions?: boolean;
  patch_infers_field_mask?: string;
  emit_defaults?: boolean;
  auto_query_params?: boolean;
  max_body_bytes?: number;
  json_content_types?: string[];
  lenient_booleans?: boolean;
  allow_inner_double_wildcard?: boolean;
}

export interface MediaTypeOffer {
  content_type?: string;
  /** Server weight in (0, 1]; 0 or absent means 1. */
  quality?: number;
}

export interface RouteMapping {
  operation_id?: string;
  method?: string;
  path_template?: string;
  grpc?: GrpcTarget;
  params?: ParamMapping[];
  body?: BodyMapping;
  response?: ResponseMapping;
  /** google.protobuf.Duration JSON form, e.g. "1.5s". */
  timeout?: string;
  summary?: string;
  http_rule?: HttpRule;
  error_mapping?: ErrorMapping;
  options?: MappingOptions;
}

export interface RestConfig {
  base_path?: string;
  listener?: Listener;
  routes?: RouteMapping[];
  default_error_mapping?: ErrorMapping;
  options?: MappingOptions;
  protos?: ProtoFile[];
  annotated_services?: string[];
  headers?: HeaderForwarding;
  default_timeout?: string;
  max_timeout?: string;
  default_service?: string;
  produces?: MediaTypeOffer[];
}

export interface Frontend {
  name: string;
  type?: FrontendType;
  description?: string;
  labels?: Record<string, string>;
  /** int64 as a decimal string. */
  revision?: string;
  rest?: RestConfig;
  graphql?: Record<string, never>;
  grpc_web?: Record<string, never>;
  sse?: Record<string, never>;
  websocket?: Record<string, never>;
}

export interface PatternRef { type?: string; endpoints?: string[] }

export interface FrontendBinding {
  frontend: string;
  enabled?: boolean;
  base_path?: string;
  listener?: Listener;
}

export interface Namespace {
  name: string;
  pattern?: PatternRef;
  frontends?: FrontendBinding[];
  grpc_disabled?: boolean;
  description?: string;
  revision?: string;
}
