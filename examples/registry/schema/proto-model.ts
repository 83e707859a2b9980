// The model of one .proto file that the text reader, the descriptor
// converter, the printer and the compatibility checks share. Type names are
// as written until resolution (protobuf.ts), then fully qualified with a
// leading dot (".pkg.Message").

/** An identifier value such as `SPEED` in `option optimize_for = SPEED;`. */
export interface Identifier {
  ident: string;
}

export type OptionValue = string | number | boolean | Identifier;

export interface ProtoOption {
  /** As written: `java_package`, `(my.option).field`. */
  name: string;
  value: OptionValue;
}

/** undefined: a proto3 field without label, a oneof member or a map field. */
export type Label = 'optional' | 'required' | 'repeated' | undefined;

export interface ProtoField {
  name: string;
  number: number;
  label: Label;
  /** A scalar keyword or a message/enum name; for a map field, the value type. */
  type: string;
  /** Set for map fields: the key's scalar type. */
  keyType?: string;
  /** The (real, not proto3-optional) oneof the field belongs to. */
  oneof?: string;
  /** Set for extension fields: the extended message. */
  extendee?: string;
  /** Field options, `default` and `json_name` included. */
  options: ProtoOption[];
}

export interface ProtoOneof {
  name: string;
  options: ProtoOption[];
}

/** Inclusive number ranges and names. */
export interface Reserved {
  ranges: Array<[number, number]>;
  names: string[];
}

export interface ProtoMessage {
  name: string;
  /** Declaration order; oneof members included. */
  fields: ProtoField[];
  oneofs: ProtoOneof[];
  messages: ProtoMessage[];
  enums: ProtoEnum[];
  /** Extension fields declared in `extend` blocks inside the message. */
  extensions: ProtoField[];
  /** Inclusive ranges. */
  extensionRanges: Array<[number, number]>;
  reserved: Reserved;
  options: ProtoOption[];
}

export interface ProtoEnumValue {
  name: string;
  number: number;
  options: ProtoOption[];
}

export interface ProtoEnum {
  name: string;
  values: ProtoEnumValue[];
  reserved: Reserved;
  options: ProtoOption[];
}

export interface ProtoMethod {
  name: string;
  input: string;
  output: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
  options: ProtoOption[];
}

export interface ProtoService {
  name: string;
  methods: ProtoMethod[];
  options: ProtoOption[];
}

export type ImportKind = 'plain' | 'public' | 'weak';

export interface ProtoFile {
  syntax: 'proto2' | 'proto3';
  /** '' when the file declares none. */
  package: string;
  imports: Array<{ path: string; kind: ImportKind }>;
  options: ProtoOption[];
  messages: ProtoMessage[];
  enums: ProtoEnum[];
  services: ProtoService[];
  /** Extension fields of top-level `extend` blocks. */
  extensions: ProtoField[];
}

export const SCALAR_TYPES: ReadonlySet<string> = new Set([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

/** Standard options whose values are enum constants, printed bare even when read as strings. */
export const ENUM_OPTIONS: ReadonlySet<string> = new Set(['optimize_for', 'ctype', 'jstype', 'idempotency_level', 'retention']);

/** Standard options whose values are strings, printed quoted even when they look like identifiers. */
export const STRING_OPTIONS: ReadonlySet<string> = new Set([
  'java_package', 'java_outer_classname', 'go_package', 'objc_class_prefix', 'csharp_namespace', 'swift_prefix',
  'php_class_prefix', 'php_namespace', 'php_metadata_namespace', 'ruby_package', 'json_name',
]);

/** The upper bound `max` stands for in message reserved/extension ranges. */
export const MAX_FIELD_NUMBER = 536870911;
/** The upper bound `max` stands for in enum reserved ranges. */
export const MAX_ENUM_NUMBER = 2147483647;

/** The full name of a declaration inside `scope` (a package or message full name, '' for none). */
export function qualifiedName(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`;
}
