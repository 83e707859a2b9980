// .proto text -> model, through protobufjs' parser. protobufjs drops a few
// things the canonical text needs (the syntax, `import public`, whether an
// option value was an identifier or a string), which a pass over its token
// stream recovers.
import protobuf from 'protobufjs';
import {
  ENUM_OPTIONS,
  MAX_ENUM_NUMBER,
  MAX_FIELD_NUMBER,
  STRING_OPTIONS,
  SCALAR_TYPES,
  type ImportKind,
  type OptionValue,
  type ProtoEnum,
  type ProtoField,
  type ProtoFile,
  type ProtoMessage,
  type ProtoOption,
  type ProtoService,
  type Reserved,
} from './proto-model.js';
import { InvalidSchemaError } from './types.js';

/** What the token stream tells beyond protobufjs' reflection tree. */
export interface SourceFacts {
  syntax: 'proto2' | 'proto3';
  imports: Array<{ path: string; kind: ImportKind }>;
  /** Identifiers used as option values (`= SPEED`, `: VALUE`), as opposed to strings. */
  identifierValues: ReadonlySet<string>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const NOT_IDENTIFIER_VALUES = new Set(['true', 'false', 'inf', 'nan']);

export function readProtoText(text: string): ProtoFile {
  let parsed: protobuf.IParserResult;
  try {
    parsed = protobuf.parse(text, { keepCase: true });
  } catch (err) {
    throw new InvalidSchemaError(`Invalid Protobuf schema: ${(err as Error).message}`);
  }
  return fromReflection(parsed.root, parsed.package ?? '', scanTokens(text));
}

/** The model of a file whose declarations protobufjs holds in `root`. */
export function fromReflection(root: protobuf.Root, packageName: string, facts: SourceFacts): ProtoFile {
  const container = packageName === '' ? root : (root.lookup(packageName) as protobuf.Namespace);
  const reader = new ReflectionReader(facts);
  const nested = container.nestedArray;
  return {
    syntax: facts.syntax,
    package: packageName,
    imports: facts.imports,
    options: reader.options(container.options, 'file'),
    messages: nested.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map((t) => reader.message(t)),
    enums: nested.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum).map((e) => reader.enumeration(e)),
    services: nested.filter((n): n is protobuf.Service => n instanceof protobuf.Service).map((s) => reader.service(s)),
    extensions: reader.extensions(nested),
  };
}

// ---------------------------------------------------------------- tokens

type Token = { string: string } | { word: string };

function scanTokens(text: string): SourceFacts {
  const tokens = tokenList(text);
  const word = (i: number) => wordOf(tokens[i]);
  const string = (i: number) => stringOf(tokens[i]);
  let syntax: SourceFacts['syntax'] = 'proto2';
  const imports: SourceFacts['imports'] = [];
  const identifierValues = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const current = word(i);
    if (current === 'edition' && word(i + 1) === '=' && string(i + 2) !== undefined) {
      throw new InvalidSchemaError('Invalid Protobuf schema: editions are not supported, use syntax "proto2" or "proto3"');
    }
    if (current === 'syntax' && word(i + 1) === '=' && string(i + 2) === 'proto3') syntax = 'proto3';
    if (current === 'import') {
      const modifier = word(i + 1);
      const kind: ImportKind = modifier === 'public' || modifier === 'weak' ? modifier : 'plain';
      const path = string(kind === 'plain' ? i + 1 : i + 2);
      if (path !== undefined) imports.push({ path, kind });
    }
    const next = word(i + 1);
    if ((current === '=' || current === ':') && next !== undefined && IDENTIFIER.test(next) && !NOT_IDENTIFIER_VALUES.has(next)) {
      identifierValues.add(next);
    }
  }
  return { syntax, imports, identifierValues };
}

function wordOf(token: Token | undefined): string | undefined {
  return token && 'word' in token ? token.word : undefined;
}

function stringOf(token: Token | undefined): string | undefined {
  return token && 'string' in token ? token.string : undefined;
}

/** protobufjs' tokens with each string literal (quote, content, quote) folded into one token. */
function tokenList(text: string): Token[] {
  const tokenizer = protobuf.tokenize(text, false);
  const tokens: Token[] = [];
  for (let token = tokenizer.next(); token !== null; token = tokenizer.next()) {
    if (token === '"' || token === "'") {
      tokens.push({ string: tokenizer.next() ?? '' });
      tokenizer.next();
    } else {
      tokens.push({ word: token });
    }
  }
  return tokens;
}

// ---------------------------------------------------------------- reflection

class ReflectionReader {
  constructor(private readonly facts: SourceFacts) {}

  message(type: protobuf.Type): ProtoMessage {
    const nested = type.nestedArray;
    for (const inner of nested) {
      if (inner instanceof protobuf.Type && (inner as { group?: boolean }).group) {
        throw new InvalidSchemaError(`Invalid Protobuf schema: groups are not supported (${inner.fullName.slice(1)})`);
      }
    }
    const realOneofs = type.oneofsArray.filter((oneof) => !isSyntheticOneof(oneof));
    return {
      name: type.name,
      // Sister fields protobufjs adds for extensions declared elsewhere are not the message's own.
      fields: type.fieldsArray.filter((f) => f.declaringField === null && !f.extend).map((f) => this.field(f)),
      oneofs: realOneofs.map((oneof) => ({ name: oneof.name, options: this.options(oneof.options, 'oneof') })),
      messages: nested.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map((t) => this.message(t)),
      enums: nested.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum).map((e) => this.enumeration(e)),
      extensions: this.extensions(nested),
      extensionRanges: (type.extensions ?? []).map(([from, to]) => [from, to] as [number, number]),
      reserved: reserved(type.reserved),
      options: this.options(type.options, 'message'),
    };
  }

  enumeration(type: protobuf.Enum): ProtoEnum {
    const valueOptions = (type as { valuesOptions?: Record<string, Record<string, unknown>> }).valuesOptions ?? {};
    return {
      name: type.name,
      values: Object.entries(type.values).map(([name, number]) => ({
        name,
        number,
        options: this.options(valueOptions[name], 'enum value'),
      })),
      reserved: enumReserved(type.reserved),
      options: this.options(type.options, 'enum'),
    };
  }

  service(service: protobuf.Service): ProtoService {
    return {
      name: service.name,
      methods: service.methodsArray.map((method) => ({
        name: method.name,
        input: method.requestType,
        output: method.responseType,
        clientStreaming: method.requestStream === true,
        serverStreaming: method.responseStream === true,
        options: this.options(method.options, 'method'),
      })),
      options: this.options(service.options, 'service'),
    };
  }

  extensions(nested: protobuf.ReflectionObject[]): ProtoField[] {
    return nested.filter((n): n is protobuf.Field => n instanceof protobuf.Field && n.extend !== undefined).map((f) => this.field(f));
  }

  field(field: protobuf.Field): ProtoField {
    const isMap = field instanceof protobuf.MapField;
    const oneof = field.partOf && !isSyntheticOneof(field.partOf) ? field.partOf.name : undefined;
    const options = { ...field.options };
    const proto3Optional = options.proto3_optional === true;
    delete options.proto3_optional;
    return {
      name: field.name,
      number: field.id,
      label: label(field.toJSON().rule, proto3Optional || (this.facts.syntax === 'proto2' && !isMap && oneof === undefined)),
      type: field.type,
      ...(isMap ? { keyType: field.keyType } : {}),
      ...(oneof !== undefined ? { oneof } : {}),
      ...(field.extend !== undefined ? { extendee: field.extend } : {}),
      options: this.options(options, 'field', field.type),
    };
  }

  /** Option values as printed: strings that were bare identifiers in the source become identifiers again. */
  options(options: Record<string, unknown> | undefined, owner: string, fieldType?: string): ProtoOption[] {
    return Object.entries(options ?? {}).map(([name, value]) => ({ name, value: this.optionValue(name, value, owner, fieldType) }));
  }

  private optionValue(name: string, value: unknown, owner: string, fieldType: string | undefined): OptionValue {
    if (typeof value === 'number' || typeof value === 'boolean') return value;
    if (typeof value !== 'string') throw new InvalidSchemaError(`Invalid Protobuf schema: unsupported value for ${owner} option ${name}`);
    // A field default is an identifier exactly when the field has an enum type.
    if (name === 'default') return fieldType !== undefined && !SCALAR_TYPES.has(fieldType) ? { ident: value } : value;
    if (ENUM_OPTIONS.has(name)) return { ident: value };
    return !STRING_OPTIONS.has(name) && this.facts.identifierValues.has(value) ? { ident: value } : value;
  }
}

function label(rule: string | undefined, implicitOptional: boolean): ProtoField['label'] {
  if (rule === 'repeated' || rule === 'required') return rule;
  return implicitOptional ? 'optional' : undefined;
}

/** The oneof protobufjs (like protoc) creates for a proto3 `optional` field. */
function isSyntheticOneof(oneof: protobuf.OneOf): boolean {
  return oneof.fieldsArray.length === 1 && oneof.fieldsArray[0]!.options?.proto3_optional === true;
}

/** protobufjs reads an enum's `max` as the field-number maximum; protoc's enum maximum is int32's. */
function enumReserved(list: Array<number[] | string> | undefined): Reserved {
  const read = reserved(list);
  return { ...read, ranges: read.ranges.map(([from, to]) => [from, to === MAX_FIELD_NUMBER ? MAX_ENUM_NUMBER : to]) };
}

function reserved(list: Array<number[] | string> | undefined): Reserved {
  const out: Reserved = { ranges: [], names: [] };
  for (const entry of list ?? []) {
    if (typeof entry === 'string') out.names.push(entry);
    else out.ranges.push([entry[0]!, entry[1]!]);
  }
  return out;
}
