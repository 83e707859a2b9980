// Type names in a .proto file: the symbols a file can see, protoc's scoping
// rules to resolve a written name, and the shortest name that resolves back,
// which the printer writes so that text and descriptor inputs (which carry
// fully qualified names) print alike.
import {
  qualifiedName,
  SCALAR_TYPES,
  type ProtoField,
  type ProtoFile,
  type ProtoMessage,
  type ProtoService,
} from './proto-model.js';
import { InvalidSchemaError } from './types.js';

export type SymbolKind = 'message' | 'enum' | 'package' | 'service';

/** Full names (no leading dot) of everything a file can refer to. */
export type Symbols = ReadonlyMap<string, SymbolKind>;

/** Adds the file's package (and its prefixes) and declarations to `into`. */
export function addSymbols(file: ProtoFile, into: Map<string, SymbolKind>): void {
  const parts = file.package === '' ? [] : file.package.split('.');
  for (let i = 1; i <= parts.length; i++) into.set(parts.slice(0, i).join('.'), 'package');
  const addMessage = (message: ProtoMessage, scope: string): void => {
    const fullName = qualifiedName(scope, message.name);
    into.set(fullName, 'message');
    for (const inner of message.messages) addMessage(inner, fullName);
    for (const inner of message.enums) into.set(qualifiedName(fullName, inner.name), 'enum');
  };
  for (const message of file.messages) addMessage(message, file.package);
  for (const inner of file.enums) into.set(qualifiedName(file.package, inner.name), 'enum');
  for (const service of file.services) into.set(qualifiedName(file.package, service.name), 'service');
}

/**
 * protoc's lookup of a type name written inside `scope`: the first name part
 * is searched from the innermost scope outwards; once found (as anything
 * that can contain declarations) the rest must resolve inside it. A
 * single-part name keeps searching outwards past symbols that are not types.
 */
function resolveTypeName(name: string, scope: string, symbols: Symbols): string | undefined {
  if (name.startsWith('.')) return isType(symbols.get(name.slice(1))) ? name.slice(1) : undefined;
  const dot = name.indexOf('.');
  const first = dot < 0 ? name : name.slice(0, dot);
  for (let current: string | undefined = scope; current !== undefined; current = parentScope(current)) {
    const found = symbols.get(qualifiedName(current, first));
    if (found === undefined) continue;
    if (dot < 0) {
      if (isType(found)) return qualifiedName(current, first);
      continue;
    }
    const full = qualifiedName(current, name);
    return isType(symbols.get(full)) ? full : undefined;
  }
  return undefined;
}

/** The shortest suffix of `fullName` that resolves to it from `scope`, else the absolute ".name". */
export function shortestTypeName(fullName: string, scope: string, symbols: Symbols): string {
  const parts = fullName.split('.');
  for (let k = 1; k <= parts.length; k++) {
    const candidate = parts.slice(-k).join('.');
    if (resolveTypeName(candidate, scope, symbols) === fullName) return candidate;
  }
  return `.${fullName}`;
}

/**
 * The file with every message/enum reference replaced by its absolute name
 * (".pkg.Type"); a name that does not resolve makes the schema invalid.
 */
export function resolveFile(file: ProtoFile, symbols: Symbols): ProtoFile {
  const scope = file.package;
  return {
    ...file,
    messages: file.messages.map((m) => resolveMessage(m, scope, symbols)),
    services: file.services.map((s) => resolveService(s, scope, symbols)),
    extensions: file.extensions.map((f) => resolveField(f, scope, symbols)),
  };
}

function resolveMessage(message: ProtoMessage, scope: string, symbols: Symbols): ProtoMessage {
  const inner = qualifiedName(scope, message.name);
  return {
    ...message,
    fields: message.fields.map((f) => resolveField(f, inner, symbols)),
    messages: message.messages.map((m) => resolveMessage(m, inner, symbols)),
    extensions: message.extensions.map((f) => resolveField(f, inner, symbols)),
  };
}

function resolveField(field: ProtoField, scope: string, symbols: Symbols): ProtoField {
  return {
    ...field,
    type: SCALAR_TYPES.has(field.type) ? field.type : absolute(field.type, scope, symbols),
    ...(field.extendee !== undefined ? { extendee: absolute(field.extendee, scope, symbols, 'message') } : {}),
  };
}

function resolveService(service: ProtoService, scope: string, symbols: Symbols): ProtoService {
  const inner = qualifiedName(scope, service.name);
  return {
    ...service,
    methods: service.methods.map((method) => ({
      ...method,
      input: absolute(method.input, inner, symbols, 'message'),
      output: absolute(method.output, inner, symbols, 'message'),
    })),
  };
}

function absolute(name: string, scope: string, symbols: Symbols, required?: SymbolKind): string {
  const full = resolveTypeName(name, scope, symbols);
  if (full === undefined) {
    throw new InvalidSchemaError(`Invalid Protobuf schema: type "${name}" is not defined (in ${scope === '' ? 'the file' : scope})`);
  }
  if (required !== undefined && symbols.get(full) !== required) {
    throw new InvalidSchemaError(`Invalid Protobuf schema: "${name}" is not a ${required} (in ${scope === '' ? 'the file' : scope})`);
  }
  return `.${full}`;
}

function isType(kind: SymbolKind | undefined): boolean {
  return kind === 'message' || kind === 'enum';
}

/** The enclosing scope; undefined above the root. */
function parentScope(scope: string): string | undefined {
  if (scope === '') return undefined;
  const dot = scope.lastIndexOf('.');
  return dot < 0 ? '' : scope.slice(0, dot);
}
