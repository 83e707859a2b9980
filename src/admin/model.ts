// The admin's own registries as plain objects, beside the Frontend model of
// src/frontend/model.ts: the Backend message and the slot parts of a
// namespace's pattern in proto/prism/admin/v1/admin.proto, with proto field
// names (int64 as decimal strings, enums by name, Durations as "1.5s").
import type { Namespace, PatternRef } from '../frontend/model.js';

export const BACKEND_TYPES = ['KAFKA', 'NATS', 'POSTGRES', 'REDIS', 'SQLITE', 'S3', 'MEMSTORE'] as const;
export type BackendType = 'BACKEND_TYPE_UNSPECIFIED' | (typeof BACKEND_TYPES)[number];

export interface Tls {
  enabled?: boolean;
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  server_name?: string;
  insecure_skip_verify?: boolean;
}

export interface ConnectionPool {
  min_connections?: number;
  max_connections?: number;
  idle_timeout?: string;
}

export interface KafkaConfig {
  brokers?: string[];
  client_id?: string;
  tls?: Tls;
  sasl_mechanism?: string;
  connect_timeout?: string;
  request_timeout?: string;
}

export interface NatsConfig {
  servers?: string[];
  jetstream?: boolean;
  tls?: Tls;
  connect_timeout?: string;
  max_reconnects?: number;
}

export interface PostgresConfig {
  hosts?: string[];
  database?: string;
  schema?: string;
  pool?: ConnectionPool;
  tls?: Tls;
  connect_timeout?: string;
  statement_timeout?: string;
}

export interface RedisConfig {
  hosts?: string[];
  database?: number;
  cluster?: boolean;
  pool?: ConnectionPool;
  tls?: Tls;
  connect_timeout?: string;
  command_timeout?: string;
}

export interface SqliteConfig {
  path?: string;
  wal?: boolean;
  busy_timeout?: string;
}

export interface S3Config {
  bucket?: string;
  region?: string;
  endpoint?: string;
  prefix?: string;
  force_path_style?: boolean;
  tls?: Tls;
  request_timeout?: string;
}

export interface MemStoreConfig {
  max_keys?: string;
  max_bytes?: string;
}

export interface Credentials {
  secret_ref?: string;
  username?: string;
  /** Write-only: the admin stores it and never returns it. */
  secret?: string;
  /** Output: a secret is stored; on update, true with no `secret` keeps it. */
  secret_set?: boolean;
}

/** The type-specific config of each backend type: the Backend's oneof member. */
export interface BackendConfigs {
  kafka?: KafkaConfig;
  nats?: NatsConfig;
  postgres?: PostgresConfig;
  redis?: RedisConfig;
  sqlite?: SqliteConfig;
  s3?: S3Config;
  memstore?: MemStoreConfig;
}

export type ConfigField = keyof BackendConfigs;

/** The oneof member that holds each type's config. */
export const CONFIG_FIELD: Record<(typeof BACKEND_TYPES)[number], ConfigField> = {
  KAFKA: 'kafka',
  NATS: 'nats',
  POSTGRES: 'postgres',
  REDIS: 'redis',
  SQLITE: 'sqlite',
  S3: 's3',
  MEMSTORE: 'memstore',
};

export interface Backend extends BackendConfigs {
  name: string;
  type?: BackendType;
  description?: string;
  labels?: Record<string, string>;
  interfaces?: string[];
  credentials?: Credentials;
  /** int64 as a decimal string. */
  revision?: string;
}

export interface SlotRequirement {
  interfaces?: string[];
}

export interface SlottedPatternRef extends PatternRef {
  /** Slot name -> what the slot needs of its backend. */
  slots?: Record<string, SlotRequirement>;
  /** Slot name -> backend name. */
  slot_bindings?: Record<string, string>;
}

/** A Namespace with the slot parts of its pattern typed. */
export interface AdminNamespace extends Namespace {
  pattern?: SlottedPatternRef;
}

/** What a proxy serves, as it reports it to the admin (the ProxyStatus message). */
export interface ProxyStatus {
  /** hostname:pid. */
  proxy_id: string;
  /** int64 revisions as decimal strings; absent when 0. */
  applied_revision?: string;
  latest_revision_seen?: string;
  /** Why the newest configuration was refused; absent when it compiled. */
  config_error?: string;
  error_revision?: string;
  /** RFC 3339, set by the admin when the report arrived. */
  reported_at?: string;
  listeners?: string[];
}
