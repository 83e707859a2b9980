// npm run vectors -- FILE.json [--proto vectors.proto]
// Prints one PASS/FAIL line per case and a last line "N passed, M failed";
// exits non-zero when a case fails.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runVectorFile } from './runner.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { proto: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  console.error('usage: npm run vectors -- FILE.json [--proto FILE.proto]  (default proto: vectors.proto beside FILE.json)');
  process.exit(2);
}
const proto = values.proto ?? join(dirname(file), 'vectors.proto');
if (!existsSync(proto)) {
  console.error(`vectors: schema ${proto} not found; pass --proto`);
  process.exit(2);
}
const results = await runVectorFile(file, proto, (r) => console.log(r.passed ? `PASS ${r.id}` : `FAIL ${r.id}: ${r.reason}`));
const failed = results.filter((r) => !r.passed).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
