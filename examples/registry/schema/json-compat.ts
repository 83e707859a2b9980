// JSON Schema compatibility (§5.3): the writer schema (whose data exists) is
// diffed against the reader schema, and only changes that cannot reject
// data the writer accepted pass. Error types are Confluent's names.
import type { ParsedJsonSchema } from './json-schema.js';
import { isJsonObject, jsonEqual, type JsonObject } from './json-value.js';
import { incompatibility, type Roles } from './types.js';

/** A schema node together with the document it sits in, for resolving "$ref". */
interface Loc {
  node: unknown;
  doc: unknown;
  schema: ParsedJsonSchema;
}

/** What a position (a property name, an array index) accepts. */
type Slot = { kind: 'open' } | { kind: 'closed' } | { kind: 'schema'; loc: Loc };

interface Context {
  roles: Roles;
  /** Pairs under comparison; meeting one again (a recursive schema) counts as compatible. */
  inProgress: Set<string>;
  ids: Map<unknown, number>;
}

/** Keywords that annotate but never reject a value. */
const ANNOTATIONS = new Set([
  'title', 'description', '$comment', 'examples', 'default', 'readOnly', 'writeOnly', 'deprecated',
  '$id', 'id', '$schema', '$anchor', 'definitions', '$defs',
]);

/** Error types for a position a closed reader rejects, and for one an open writer left unconstrained. */
interface SlotErrors {
  closed: string;
  open: string;
}
const PROPERTY: SlotErrors = { closed: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', open: 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL' };
const ADDITIONAL_PROPERTIES: SlotErrors = { closed: 'ADDITIONAL_PROPERTIES_REMOVED', open: 'ADDITIONAL_PROPERTIES_NARROWED' };
const ITEM: SlotErrors = { closed: 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL', open: 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL' };
const ADDITIONAL_ITEMS: SlotErrors = { closed: 'ADDITIONAL_ITEMS_REMOVED', open: 'ADDITIONAL_ITEMS_NARROWED' };

/** Bounds a reader may raise (upper) or lower (lower) but not add or move the other way. */
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];

/** Messages for every way `reader` may reject data valid for `writer` (empty = it cannot). */
export function jsonReadable(reader: ParsedJsonSchema, writer: ParsedJsonSchema, roles: Roles): string[] {
  const ctx: Context = { roles, inProgress: new Set(), ids: new Map() };
  return diff(rootLoc(writer), rootLoc(reader), '#', ctx);
}

function rootLoc(schema: ParsedJsonSchema): Loc {
  return { node: schema.root, doc: schema.root, schema };
}

function diff(writerLoc: Loc, readerLoc: Loc, path: string, ctx: Context): string[] {
  const w = deref(writerLoc);
  const r = deref(readerLoc);
  if (w.node === false || acceptsAll(r.node)) return [];
  const key = `${nodeId(w.node, ctx)}/${nodeId(r.node, ctx)}`;
  if (ctx.inProgress.has(key)) return [];
  ctx.inProgress.add(key);
  try {
    if (r.node === false) return [incompatibility('TYPE_NARROWED', `The ${ctx.roles.reader} schema at path '${path}' accepts no value`)];
    const typeProblems = types(w, r, path, ctx);
    if (typeProblems.length > 0) return typeProblems;
    return [
      ...bounds(w, r, path),
      ...valueConstraints(w, r, path),
      ...objects(w, r, path, ctx),
      ...arrays(w, r, path, ctx),
      ...combinations(w, r, path, ctx),
    ];
  } finally {
    ctx.inProgress.delete(key);
  }
}

// ---------------------------------------------------------------- types

function types(w: Loc, r: Loc, path: string, ctx: Context): string[] {
  // Two schemas without "type" (say, two oneOfs) are left to the keyword and branch comparisons.
  if (declaredTypes(w) === undefined && declaredTypes(r) === undefined) return [];
  const readerTypes = effectiveTypes(r);
  if (readerTypes === undefined) return [];
  const writerTypes = effectiveTypes(w);
  if (writerTypes === undefined) {
    return [incompatibility('TYPE_NARROWED', `The ${ctx.roles.reader} schema at path '${path}' restricts the type to ${[...readerTypes].join(', ')}`)];
  }
  const lost = [...writerTypes].filter((t) => !accepts(readerTypes, t));
  if (lost.length === 0) return [];
  const narrowed = [...readerTypes].every((t) => accepts(writerTypes, t));
  return [
    incompatibility(
      narrowed ? 'TYPE_NARROWED' : 'TYPE_CHANGED',
      `The type at path '${path}' changed from ${[...writerTypes].join(', ')} in the ${ctx.roles.writer} schema to ${[...readerTypes].join(', ')} in the ${ctx.roles.reader} schema`,
    ),
  ];
}

/** Integers are numbers, so "number" accepts what "integer" does. */
function accepts(types: ReadonlySet<string>, type: string): boolean {
  return types.has(type) || (type === 'integer' && types.has('number'));
}

function declaredTypes(loc: Loc): Set<string> | undefined {
  const type = asObject(loc.node).type;
  if (typeof type === 'string') return new Set([type]);
  return Array.isArray(type) ? new Set(type as string[]) : undefined;
}

/** "type", or the union of the branch types of a oneOf/anyOf whose branches all have one; undefined = any type. */
function effectiveTypes(loc: Loc): Set<string> | undefined {
  const declared = declaredTypes(loc);
  if (declared) return declared;
  const branches = subschemas(loc, 'oneOf') ?? subschemas(loc, 'anyOf');
  if (!branches) return undefined;
  const union = new Set<string>();
  for (const branch of branches) {
    const branchTypes = effectiveTypes(deref(branch));
    if (!branchTypes) return undefined;
    for (const t of branchTypes) union.add(t);
  }
  return union;
}

// ---------------------------------------------------------------- scalar constraints

function bounds(w: Loc, r: Loc, path: string): string[] {
  const writer = asObject(w.node);
  const reader = asObject(r.node);
  const out: string[] = [];
  for (const [keys, direction] of [[UPPER_BOUNDS, 1], [LOWER_BOUNDS, -1]] as const) {
    for (const key of keys) {
      const before = writer[key];
      const after = reader[key];
      if (typeof after !== 'number') continue;
      if (typeof before !== 'number') {
        out.push(incompatibility(`${constantCase(key)}_ADDED`, `A ${key} of ${after} was added at path '${path}'`));
      } else if ((after - before) * direction < 0) {
        const change = direction > 0 ? 'DECREASED' : 'INCREASED';
        out.push(incompatibility(`${constantCase(key)}_${change}`, `The ${key} at path '${path}' changed from ${before} to ${after}`));
      }
    }
  }
  return out;
}

function valueConstraints(w: Loc, r: Loc, path: string): string[] {
  const writer = asObject(w.node);
  const reader = asObject(r.node);
  const out: string[] = [];
  if (typeof reader.multipleOf === 'number') {
    if (typeof writer.multipleOf !== 'number') {
      out.push(incompatibility('MULTIPLE_OF_ADDED', `A multipleOf of ${reader.multipleOf} was added at path '${path}'`));
    } else if (!isMultiple(writer.multipleOf, reader.multipleOf)) {
      out.push(incompatibility('MULTIPLE_OF_CHANGED', `The multipleOf at path '${path}' changed from ${writer.multipleOf} to ${reader.multipleOf}`));
    }
  }
  if (typeof reader.pattern === 'string' && reader.pattern !== writer.pattern) {
    const added = typeof writer.pattern !== 'string';
    out.push(incompatibility(added ? 'PATTERN_ADDED' : 'PATTERN_CHANGED', `The pattern at path '${path}' is now '${reader.pattern}'`));
  }
  if (reader.uniqueItems === true && writer.uniqueItems !== true) {
    out.push(incompatibility('UNIQUE_ITEMS_ADDED', `uniqueItems was added at path '${path}'`));
  }
  const allowed = enumValues(reader);
  if (allowed) {
    const before = enumValues(writer);
    if (!before) out.push(incompatibility('ENUM_ARRAY_NARROWED', `An enum was added at path '${path}'`));
    else if (!before.every((value) => allowed.some((v) => jsonEqual(v, value)))) {
      out.push(incompatibility('ENUM_ARRAY_NARROWED', `The enum at path '${path}' lost values`));
    }
  }
  return out;
}

/** Old values stay valid when the old divisor is a multiple of the new one. */
function isMultiple(of: number, divisor: number): boolean {
  const ratio = of / divisor;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

/** "const" restricts like a one-value "enum". */
function enumValues(node: JsonObject): unknown[] | undefined {
  if (Array.isArray(node.enum)) return node.enum;
  return 'const' in node ? [node.const] : undefined;
}

// ---------------------------------------------------------------- objects

function objects(w: Loc, r: Loc, path: string, ctx: Context): string[] {
  const writer = asObject(w.node);
  const reader = asObject(r.node);
  const out: string[] = [];
  const writerRequired = new Set(stringArray(writer.required));
  const readerProperties = asObject(reader.properties);
  for (const name of stringArray(reader.required)) {
    if (writerRequired.has(name) || (isJsonObject(readerProperties[name]) && 'default' in readerProperties[name])) continue;
    out.push(incompatibility('REQUIRED_ATTRIBUTE_ADDED', `The required property '${name}' at path '${path}' was added without a default`));
  }
  const names = new Set([...Object.keys(asObject(writer.properties)), ...Object.keys(readerProperties)]);
  for (const name of names) {
    const at = `${path}/properties/${name}`;
    out.push(...slots(propertySlot(w, name), propertySlot(r, name), at, PROPERTY, ctx));
  }
  // Names matching a pattern of either side are read under the other side's pattern or rest.
  for (const pattern of new Set([...patterns(w), ...patterns(r)])) {
    const at = `${path}/patternProperties/${pattern}`;
    out.push(...slots(patternSlot(w, pattern), patternSlot(r, pattern), at, PROPERTY, ctx));
  }
  const rest = `${path}/additionalProperties`;
  out.push(...slots(restSlot(w, 'additionalProperties'), restSlot(r, 'additionalProperties'), rest, ADDITIONAL_PROPERTIES, ctx));
  return out;
}

/** A property is governed by its own schema, else a matching pattern, else additionalProperties. */
function propertySlot(loc: Loc, name: string): Slot {
  const node = asObject(loc.node);
  const own = asObject(node.properties)[name];
  if (own !== undefined) return schemaSlot(loc, own);
  for (const [pattern, schema] of Object.entries(asObject(node.patternProperties))) {
    if (safeRegExp(pattern)?.test(name)) return schemaSlot(loc, schema);
  }
  return restSlot(loc, 'additionalProperties');
}

function patternSlot(loc: Loc, pattern: string): Slot {
  const own = asObject(asObject(loc.node).patternProperties)[pattern];
  return own === undefined ? restSlot(loc, 'additionalProperties') : schemaSlot(loc, own);
}

function patterns(loc: Loc): string[] {
  return Object.keys(asObject(asObject(loc.node).patternProperties));
}

// ---------------------------------------------------------------- arrays

function arrays(w: Loc, r: Loc, path: string, ctx: Context): string[] {
  const writerItems = itemSlots(w);
  const readerItems = itemSlots(r);
  const out: string[] = [];
  const length = Math.max(writerItems.prefix.length, readerItems.prefix.length);
  for (let i = 0; i < length; i++) {
    const writerSlot = writerItems.prefix[i] ?? writerItems.rest;
    const readerSlot = readerItems.prefix[i] ?? readerItems.rest;
    out.push(...slots(writerSlot, readerSlot, `${path}/items/${i}`, ITEM, ctx));
  }
  out.push(...slots(writerItems.rest, readerItems.rest, `${path}/items`, ADDITIONAL_ITEMS, ctx));
  return out;
}

/** Tuple positions and what applies after them, for draft-07 ("items" array + "additionalItems") and 2020-12 ("prefixItems" + "items"). */
function itemSlots(loc: Loc): { prefix: Slot[]; rest: Slot } {
  const node = asObject(loc.node);
  if (Array.isArray(node.prefixItems)) {
    return { prefix: node.prefixItems.map((s) => schemaSlot(loc, s)), rest: restSlot(loc, 'items') };
  }
  if (Array.isArray(node.items)) {
    return { prefix: node.items.map((s) => schemaSlot(loc, s)), rest: restSlot(loc, 'additionalItems') };
  }
  return { prefix: [], rest: restSlot(loc, 'items') };
}

// ---------------------------------------------------------------- content models

function restSlot(loc: Loc, keyword: string): Slot {
  const value = asObject(loc.node)[keyword];
  return value === undefined ? { kind: 'open' } : schemaSlot(loc, value);
}

function schemaSlot(loc: Loc, node: unknown): Slot {
  if (node === false) return { kind: 'closed' };
  if (acceptsAll(node)) return { kind: 'open' };
  return { kind: 'schema', loc: { ...loc, node } };
}

/**
 * One position under both content models. A closed writer never produced
 * it; an open reader takes anything; a closed reader rejects what the writer
 * allowed; an open writer may have put anything there, so the reader must
 * not constrain it.
 */
function slots(writer: Slot, reader: Slot, path: string, errors: SlotErrors, ctx: Context): string[] {
  if (reader.kind === 'open' || writer.kind === 'closed') return [];
  if (reader.kind === 'closed') {
    return [incompatibility(errors.closed, `The ${ctx.roles.reader} schema does not allow what the ${ctx.roles.writer} schema allowed at path '${path}'`)];
  }
  if (writer.kind === 'open') {
    return [incompatibility(errors.open, `The ${ctx.roles.reader} schema constrains path '${path}', where the ${ctx.roles.writer} schema allowed any value`)];
  }
  return diff(writer.loc, reader.loc, path, ctx);
}

// ---------------------------------------------------------------- combinations

function combinations(w: Loc, r: Loc, path: string, ctx: Context): string[] {
  return [...sumTypes(w, r, path, ctx), ...productTypes(w, r, path, ctx), ...negations(w, r, path, ctx)];
}

/** oneOf/anyOf may gain branches, not lose them; every writer branch must be readable by a reader branch. */
function sumTypes(w: Loc, r: Loc, path: string, ctx: Context): string[] {
  const readerKind = sumKind(r);
  if (!readerKind) return [];
  const readerBranches = subschemas(r, readerKind)!;
  const writerKind = sumKind(w);
  if (!writerKind) {
    return readerBranches.some((branch) => diff(w, branch, path, ctx).length === 0)
      ? []
      : [incompatibility('COMBINED_TYPE_CHANGED', `No branch of the ${readerKind} at path '${path}' accepts the ${ctx.roles.writer} schema`)];
  }
  if (writerKind !== readerKind) {
    return [incompatibility('COMBINED_TYPE_CHANGED', `The combined type at path '${path}' changed from ${writerKind} to ${readerKind}`)];
  }
  const writerBranches = subschemas(w, writerKind)!;
  if (readerBranches.length < writerBranches.length) {
    return [incompatibility('SUM_TYPE_NARROWED', `The ${readerKind} at path '${path}' lost branches`)];
  }
  return unmatched(writerBranches, readerBranches, (writer, reader) => diff(writer, reader, path, ctx)).map((i) =>
    incompatibility('COMBINED_TYPE_SUBSCHEMAS_CHANGED', `Branch ${i} of the ${writerKind} at path '${path}' is not accepted by any branch of the ${ctx.roles.reader} schema`),
  );
}

/** allOf may lose branches, not gain them; every reader branch must be implied by a writer branch. */
function productTypes(w: Loc, r: Loc, path: string, ctx: Context): string[] {
  const readerBranches = subschemas(r, 'allOf');
  if (!readerBranches) return [];
  const writerAllOf = subschemas(w, 'allOf');
  if (writerAllOf && readerBranches.length > writerAllOf.length) {
    return [incompatibility('PRODUCT_TYPE_EXTENDED', `The allOf at path '${path}' gained branches`)];
  }
  // Without an allOf of its own, the writer schema as a whole must imply each branch.
  return unmatched(readerBranches, writerAllOf ?? [w], (reader, writer) => diff(writer, reader, path, ctx)).map((i) =>
    incompatibility('COMBINED_TYPE_SUBSCHEMAS_CHANGED', `Branch ${i} of the allOf at path '${path}' in the ${ctx.roles.reader} schema is new`),
  );
}

/** A reader "not" may only exclude what the writer's "not" already excluded. */
function negations(w: Loc, r: Loc, path: string, ctx: Context): string[] {
  const readerNot = asObject(r.node).not;
  if (readerNot === undefined) return [];
  const writerNot = asObject(w.node).not;
  const widened = writerNot === undefined || diff({ ...r, node: readerNot }, { ...w, node: writerNot }, `${path}/not`, ctx).length > 0;
  return widened ? [incompatibility('NOT_TYPE_EXTENDED', `The not at path '${path}' excludes more values`)] : [];
}

function sumKind(loc: Loc): 'oneOf' | 'anyOf' | undefined {
  const node = asObject(loc.node);
  return Array.isArray(node.oneOf) ? 'oneOf' : Array.isArray(node.anyOf) ? 'anyOf' : undefined;
}

/** Indexes of `items` for which no candidate passes `fits` (empty diff). */
function unmatched(items: Loc[], candidates: Loc[], fits: (item: Loc, candidate: Loc) => string[]): number[] {
  return items.flatMap((item, i) => (candidates.some((candidate) => fits(item, candidate).length === 0) ? [] : [i]));
}

function subschemas(loc: Loc, keyword: string): Loc[] | undefined {
  const list = asObject(loc.node)[keyword];
  return Array.isArray(list) ? list.map((node) => ({ ...loc, node })) : undefined;
}

// ---------------------------------------------------------------- references

/**
 * Follows "$ref" to its target: "#/pointer" inside the same document,
 * "name" or "name#/pointer" into a referenced document. A reference this
 * cannot follow (an "$id"-relative URL, an anchor) is read as accepting anything.
 */
function deref(loc: Loc): Loc {
  let current = loc;
  for (let hops = 0; hops < 64; hops++) {
    const node = current.node;
    if (!isJsonObject(node) || typeof node.$ref !== 'string') return current;
    const [base = '', fragment = ''] = node.$ref.split('#', 2);
    const doc = base === '' ? current.doc : current.schema.documents.get(base);
    const target = doc === undefined ? undefined : pointer(doc, fragment);
    if (target === undefined) return { ...current, node: true };
    current = { ...current, node: target, doc };
  }
  return { ...current, node: true };
}

function pointer(doc: unknown, fragment: string): unknown {
  if (fragment === '') return doc;
  if (!fragment.startsWith('/')) return undefined;
  let node = doc;
  for (const raw of fragment.slice(1).split('/')) {
    const token = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isJsonObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}

// ---------------------------------------------------------------- helpers

function acceptsAll(node: unknown): boolean {
  return node === true || (isJsonObject(node) && Object.keys(node).every((key) => ANNOTATIONS.has(key)));
}

function asObject(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

function constantCase(keyword: string): string {
  return keyword.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

function nodeId(node: unknown, ctx: Context): number {
  let id = ctx.ids.get(node);
  if (id === undefined) {
    id = ctx.ids.size;
    ctx.ids.set(node, id);
  }
  return id;
}
