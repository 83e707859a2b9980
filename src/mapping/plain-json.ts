// Plain JS values (from YAML, or built in code) into the parser's JsonValue
// form, so they go through the same proto3 JSON reader as HTTP bodies.
import { JsonNumber, type JsonObject, type JsonValue } from './json-text.js';

export function plainToJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? new JsonNumber(String(value)) : String(value);
    case 'bigint':
      return new JsonNumber(value.toString());
    case 'object': {
      if (Array.isArray(value)) return value.map(plainToJsonValue);
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      const out: JsonObject = Object.create(null);
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined) out[k] = plainToJsonValue(v);
      }
      return out;
    }
    default:
      throw new TypeError(`cannot represent a ${typeof value} as JSON`);
  }
}
