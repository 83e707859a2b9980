// Types shared by the three schema formats and the compatibility driver.

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/**
 * Resolved references: the reference name -> the referenced schema's text
 * (and its own resolved references, recursively, already flattened by the
 * caller into this map).
 */
export type ResolvedReferences = ReadonlyMap<string, { schemaType: SchemaType; schema: string }>;

/** The schema (or one of its references) does not parse; the registry answers 42201 with the message. */
export class InvalidSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSchemaError';
  }
}

export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';

/**
 * Which side of a check is the registry's "new" schema. Every format checks
 * "can `reader` consume data written with `writer`"; BACKWARD makes the new
 * schema the reader, FORWARD the old one, and messages name them accordingly.
 */
export interface Roles {
  reader: 'new' | 'old';
  writer: 'new' | 'old';
}

export const BACKWARD_ROLES: Roles = { reader: 'new', writer: 'old' };
export const FORWARD_ROLES: Roles = { reader: 'old', writer: 'new' };

/** One incompatibility in the shape Confluent's verbose answers use. */
export function incompatibility(errorType: string, description: string, additionalInfo?: string): string {
  const info = additionalInfo === undefined ? '' : `, additionalInfo:'${additionalInfo}'`;
  return `{errorType:'${errorType}', description:'${description}'${info}}`;
}
