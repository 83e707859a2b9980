import { describe, expect, it } from 'vitest';
import { GrpcCode, codeFromName, codeName } from './codes.js';

describe('status codes', () => {
  it('maps every code to its name and back', () => {
    for (const [name, code] of Object.entries(GrpcCode)) {
      expect(codeName(code)).toBe(name);
      expect(codeFromName(name)).toBe(code);
    }
  });

  it('knows no names for non-standard codes and no codes for other names', () => {
    expect(codeName(17)).toBeUndefined();
    expect(codeName(-1)).toBeUndefined();
    expect(codeName(1.5)).toBeUndefined();
    expect(codeFromName('not_found')).toBeUndefined();
    expect(codeFromName('toString')).toBeUndefined();
  });
});
