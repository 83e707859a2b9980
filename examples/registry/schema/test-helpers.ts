// Shared by the schema tests: running one old -> new change under each level.
import { expect } from 'vitest';
import { checkCompatibility, type ParsedSchema } from './index.js';

/** true = compatible; a string = incompatible with (at least) that errorType. */
export type Expectation = true | string;

export interface ChangeCase {
  name: string;
  backward: Expectation;
  forward: Expectation;
}

/** Checks one change (old -> new) under BACKWARD, FORWARD and FULL against what the case expects. */
export function expectChange(oldSchema: ParsedSchema, newSchema: ParsedSchema, change: ChangeCase): void {
  expectOutcome(checkCompatibility('BACKWARD', newSchema, [oldSchema]), change.backward);
  expectOutcome(checkCompatibility('FORWARD', newSchema, [oldSchema]), change.forward);
  const full = checkCompatibility('FULL', newSchema, [oldSchema]);
  expect(full.length === 0).toBe(change.backward === true && change.forward === true);
}

export function expectOutcome(messages: string[], expected: Expectation): void {
  if (expected === true) expect(messages).toEqual([]);
  else expect(messages.join('\n')).toContain(`errorType:'${expected}'`);
}
