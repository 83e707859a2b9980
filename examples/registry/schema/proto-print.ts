// The canonical .proto text of a resolved file (§1.4): one fixed layout, so
// that inputs differing only in whitespace, comments or the spelling of
// type names print the same. Comments are not kept.
import {
  MAX_ENUM_NUMBER,
  MAX_FIELD_NUMBER,
  qualifiedName,
  SCALAR_TYPES,
  type OptionValue,
  type ProtoEnum,
  type ProtoField,
  type ProtoFile,
  type ProtoMessage,
  type ProtoOption,
  type ProtoService,
  type Reserved,
} from './proto-model.js';
import { shortestTypeName, type Symbols } from './proto-names.js';

const INDENT = '  ';

/** Options protobufjs and descriptors keep as field attributes; printed first so both inputs agree. */
const LEADING_FIELD_OPTIONS = ['default', 'json_name'];

export function printFile(file: ProtoFile, symbols: Symbols): string {
  const scope = file.package;
  const sections: string[][] = [
    [`syntax = "${file.syntax}";`, ...(file.package === '' ? [] : [`package ${file.package};`])],
    file.imports.map(({ path, kind }) => `import ${kind === 'plain' ? '' : `${kind} `}${quote(path)};`),
    optionStatements(file.options),
    ...file.messages.map((m) => printMessage(m, scope, symbols)),
    ...file.enums.map(printEnum),
    ...extendBlocks(file.extensions, scope, symbols),
    ...file.services.map((s) => printService(s, scope, symbols)),
  ];
  return `${joinSections(sections).join('\n')}\n`;
}

function printMessage(message: ProtoMessage, scope: string, symbols: Symbols): string[] {
  const inner = qualifiedName(scope, message.name);
  const body = joinSections([
    optionStatements(message.options),
    [
      ...reservedStatements(message.reserved, MAX_FIELD_NUMBER),
      ...(message.extensionRanges.length > 0 ? [`extensions ${ranges(message.extensionRanges, MAX_FIELD_NUMBER)};`] : []),
    ],
    fieldLines(message, inner, symbols),
    ...extendBlocks(message.extensions, inner, symbols),
    ...message.messages.map((m) => printMessage(m, inner, symbols)),
    ...message.enums.map(printEnum),
  ]);
  return block(`message ${message.name}`, body);
}

/** Fields in declaration order, each oneof printed whole where its first member stands. */
function fieldLines(message: ProtoMessage, scope: string, symbols: Symbols): string[] {
  const lines: string[] = [];
  const printedOneofs = new Set<string>();
  for (const field of message.fields) {
    if (field.oneof === undefined) {
      lines.push(fieldLine(field, scope, symbols));
    } else if (!printedOneofs.has(field.oneof)) {
      printedOneofs.add(field.oneof);
      const oneof = message.oneofs.find((o) => o.name === field.oneof);
      const members = message.fields.filter((f) => f.oneof === field.oneof).map((f) => fieldLine(f, scope, symbols));
      lines.push(...block(`oneof ${field.oneof}`, [...optionStatements(oneof?.options ?? []), ...members]));
    }
  }
  return lines;
}

function fieldLine(field: ProtoField, scope: string, symbols: Symbols): string {
  const type = typeName(field.type, scope, symbols);
  const declared = field.keyType === undefined ? type : `map<${field.keyType}, ${type}>`;
  const label = field.label === undefined ? '' : `${field.label} `;
  return `${label}${declared} ${field.name} = ${field.number}${fieldOptions(field.options)};`;
}

function fieldOptions(options: ProtoOption[]): string {
  if (options.length === 0) return '';
  const leading = LEADING_FIELD_OPTIONS.flatMap((name) => options.filter((o) => o.name === name));
  const rest = options.filter((o) => !LEADING_FIELD_OPTIONS.includes(o.name));
  return ` [${[...leading, ...rest].map((o) => `${o.name} = ${optionValue(o.value)}`).join(', ')}]`;
}

/** Consecutive extension fields of one extendee form one `extend` block. */
function extendBlocks(fields: ProtoField[], scope: string, symbols: Symbols): string[][] {
  const groups: ProtoField[][] = [];
  for (const field of fields) {
    const last = groups.at(-1);
    if (last && last[0]!.extendee === field.extendee) last.push(field);
    else groups.push([field]);
  }
  return groups.map((group) =>
    block(`extend ${typeName(group[0]!.extendee!, scope, symbols)}`, group.map((f) => fieldLine(f, scope, symbols))),
  );
}

function printEnum(enumeration: ProtoEnum): string[] {
  const values = enumeration.values.map((v) => `${v.name} = ${v.number}${fieldOptions(v.options)};`);
  const body = [...optionStatements(enumeration.options), ...values, ...reservedStatements(enumeration.reserved, MAX_ENUM_NUMBER)];
  return block(`enum ${enumeration.name}`, body);
}

function printService(service: ProtoService, scope: string, symbols: Symbols): string[] {
  const inner = qualifiedName(scope, service.name);
  const methods = service.methods.flatMap((method) => {
    const input = `${method.clientStreaming ? 'stream ' : ''}${typeName(method.input, inner, symbols)}`;
    const output = `${method.serverStreaming ? 'stream ' : ''}${typeName(method.output, inner, symbols)}`;
    const signature = `rpc ${method.name}(${input}) returns (${output})`;
    return method.options.length === 0 ? [`${signature};`] : block(signature, optionStatements(method.options));
  });
  return block(`service ${service.name}`, [...optionStatements(service.options), ...methods]);
}

function reservedStatements(reserved: Reserved, max: number): string[] {
  return [
    ...(reserved.ranges.length > 0 ? [`reserved ${ranges(reserved.ranges, max)};`] : []),
    ...(reserved.names.length > 0 ? [`reserved ${reserved.names.map(quote).join(', ')};`] : []),
  ];
}

function ranges(list: Array<[number, number]>, max: number): string {
  return list.map(([from, to]) => (from === to ? `${from}` : `${from} to ${to === max ? 'max' : to}`)).join(', ');
}

function optionStatements(options: ProtoOption[]): string[] {
  return options.map((o) => `option ${o.name} = ${optionValue(o.value)};`);
}

function optionValue(value: OptionValue): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : '-inf';
  return value.ident;
}

function typeName(type: string, scope: string, symbols: Symbols): string {
  return SCALAR_TYPES.has(type) ? type : shortestTypeName(type.slice(1), scope, symbols);
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

function quote(text: string): string {
  return `"${text.replace(/[\\"\n\r\t\0]/g, (c) => ESCAPES[c]!)}"`;
}

function block(header: string, body: string[]): string[] {
  return [`${header} {`, ...body.map((line) => (line === '' ? line : INDENT + line)), '}'];
}

/** Non-empty sections separated by one blank line. */
function joinSections(sections: string[][]): string[] {
  return sections.filter((s) => s.length > 0).flatMap((s, i) => (i === 0 ? s : ['', ...s]));
}
