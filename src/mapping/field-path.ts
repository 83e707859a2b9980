// Dotted field paths ("book.id") resolved against a message type once, at
// compile time, and the small setters the request binder runs per request.
import type protobuf from 'protobufjs';
import { jsonName } from './proto-json.js';

export interface FieldStep {
  field: protobuf.Field;
  /** The step's message type when the field is a message (not for maps/repeated). */
  messageType?: protobuf.Type;
}

export class FieldPathError extends Error {
  constructor(
    message: string,
    /** 'unknown': a name matches no field; 'structure': the path crosses a field it cannot (repeated, map, scalar). */
    readonly kind: 'syntax' | 'unknown' | 'structure',
  ) {
    super(message);
  }
}

/** protobufjs resolves field types lazily; the resolved message type, if any. */
export function messageTypeOf(field: protobuf.Field): protobuf.Type | undefined {
  field.resolve();
  const t = field.resolvedType;
  return t && 'fields' in t ? (t as protobuf.Type) : undefined;
}

/** Looks a field up by proto name, or also by JSON name when allowed. */
export function findField(type: protobuf.Type, name: string, acceptJsonName: boolean): protobuf.Field | undefined {
  const byProto = type.fields[name];
  if (byProto) return byProto;
  if (!acceptJsonName) return undefined;
  for (const field of type.fieldsArray) if (jsonName(field) === name) return field;
  return undefined;
}

/**
 * Resolves "a.b.c" in `type`: every step but the last must be a singular
 * message field. Throws FieldPathError naming the step that fails.
 */
export function resolveFieldPath(type: protobuf.Type, path: string, acceptJsonName = false): FieldStep[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) {
    throw new FieldPathError(`'${path}' is not a field path`, 'syntax');
  }
  const steps: FieldStep[] = [];
  let current: protobuf.Type | undefined = type;
  const names = path.split('.');
  names.forEach((name, i) => {
    if (!current) throw new FieldPathError(`'${names.slice(0, i).join('.')}' is not a message field`, 'structure');
    const field = findField(current, name, acceptJsonName);
    if (!field) throw new FieldPathError(`no field '${name}' in ${current.fullName.replace(/^\./, '')}`, 'unknown');
    const messageType = field.repeated || field.map ? undefined : messageTypeOf(field);
    if (i < names.length - 1 && (field.repeated || field.map)) {
      throw new FieldPathError(`'${names.slice(0, i + 1).join('.')}' is a ${field.map ? 'map' : 'repeated'} field`, 'structure');
    }
    steps.push({ field, messageType });
    current = messageType;
  });
  return steps;
}

/** The canonical (proto-name) form of a resolved path. */
export function canonicalPath(steps: readonly FieldStep[]): string {
  return steps.map((s) => s.field.name).join('.');
}

/** The object that holds the last step, creating intermediate messages. */
export function parentFor(message: Record<string, unknown>, steps: readonly FieldStep[]): Record<string, unknown> {
  let obj = message;
  for (let i = 0; i < steps.length - 1; i++) {
    const name = steps[i].field.name;
    let next = obj[name] as Record<string, unknown> | undefined | null;
    if (next === undefined || next === null) {
      next = {};
      obj[name] = next;
    }
    obj = next;
  }
  return obj;
}

/** The value at a path, or undefined when any step is unset. */
export function valueAt(message: Record<string, unknown> | undefined, steps: readonly FieldStep[]): unknown {
  let obj: unknown = message;
  for (const step of steps) {
    if (obj === undefined || obj === null) return undefined;
    obj = (obj as Record<string, unknown>)[step.field.name];
  }
  return obj;
}

export function setAt(message: Record<string, unknown>, steps: readonly FieldStep[], value: unknown): void {
  parentFor(message, steps)[steps[steps.length - 1].field.name] = value;
}
