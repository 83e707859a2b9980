// Validation of the names and values a caller passes to the registry.
import { invalidCompatibilityLevel, invalidMode, invalidSubject, invalidVersion } from './errors.js';
import type { CompatibilityLevel } from './schema/index.js';

export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
];

/** READONLY_OVERRIDE is READONLY set globally that subject-level modes cannot lift. */
export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof MODES)[number];

/** `latest` and `-1` in a version id. */
export const LATEST = 'latest';
export type VersionId = number | typeof LATEST;

const MAX_VERSION = 2 ** 31 - 1;
// Confluent keeps its own settings under these names.
const RESERVED_SUBJECTS = new Set(['__GLOBAL', '__EMPTY']);
// Java's Character.isISOControl, which Confluent applies to subject names.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

export function requireValidSubject(subject: string): void {
  if (subject === '' || RESERVED_SUBJECTS.has(subject) || CONTROL_CHARACTER.test(subject)) {
    throw invalidSubject(JSON.stringify(subject).slice(1, -1));
  }
}

/** A version id: 1..2^31-1, or `latest` (any case, spaces around ignored) or -1. */
export function parseVersionId(text: string): VersionId {
  if (text.trim().toLowerCase() === LATEST) return LATEST;
  if (!/^[+-]?\d+$/.test(text)) throw invalidVersion(text);
  const version = Number(text);
  if (version === -1) return LATEST;
  if (version < 1 || version > MAX_VERSION) throw invalidVersion(text);
  return version;
}

export function parseCompatibilityLevel(text: string): CompatibilityLevel {
  const level = COMPATIBILITY_LEVELS.find((candidate) => candidate === text.toUpperCase());
  if (!level) throw invalidCompatibilityLevel(text);
  return level;
}

export function parseMode(text: string): Mode {
  const mode = MODES.find((candidate) => candidate === text.toUpperCase());
  if (!mode) throw invalidMode(text);
  return mode;
}

export interface Page {
  offset?: number;
  /** 0 or less: no limit (proto cannot tell an absent limit from 0). */
  limit?: number;
}

export function paginate<T>(items: readonly T[], page: Page): T[] {
  const start = Math.max(0, page.offset ?? 0);
  const limit = page.limit ?? 0;
  return items.slice(start, limit > 0 ? start + limit : undefined);
}
