// The shared HTTP-mapping vectors through the real proxy: every case passes.
// Uses the contract's file when the shared/ checkout sits beside the repo
// (CI), else the copy kept in test/vectors/fixtures.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_DIR } from '../src/protos/root.js';
import { runVectorFile, type CaseResult } from './vectors/runner.js';

const shared = join(PROJECT_DIR, '..', 'shared', 'contracts', 'http-mapping');
const dir = existsSync(join(shared, 'vectors.json')) ? shared : join(PROJECT_DIR, 'test', 'vectors', 'fixtures');

describe(`HTTP-mapping vectors (${dir})`, () => {
  it('passes every case', { timeout: 120_000 }, async () => {
    const results: CaseResult[] = await runVectorFile(join(dir, 'vectors.json'), join(dir, 'vectors.proto'));
    const failures = results.filter((r) => !r.passed).map((r) => `${r.id}: ${r.reason}`);
    expect(results.length).toBeGreaterThan(150);
    expect(failures).toEqual([]);
  });
});
