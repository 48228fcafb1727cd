/**
 * Regenerates the committed scene suites under scenes/. Deterministic: the same code gives
 * byte-identical files (a test checks). Bump a suite's version whenever its scenes change — it is
 * part of every episode id. Run: npm run scenes:generate [-- --out DIR]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NOVEL_FAMILIES, inDistributionSpecs, novelSpecs, type SuiteSpec } from '../src/scene/suites';
import { generateScene } from '../src/scene/generate';
import type { SuiteInput } from '../src/scene/schema';
import { seedFrom } from '../src/util/hash';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'scenes' } } });

function build(s: SuiteSpec): SuiteInput {
  return {
    schemaVersion: 1,
    suite: s.name,
    version: s.version,
    description: s.description,
    scenes: s.scenes.map((spec) => generateScene({ ...spec, seed: seedFrom(s.name, spec.baseId ?? spec.id) })),
  };
}

const suites = [inDistributionSpecs(), novelSpecs()].map(build);
for (const s of suites) {
  const file = join(values.out!, `${s.suite}.json`);
  writeFileSync(file, formatJson(s) + '\n');
  console.log(`${file}: ${s.scenes.length} scenes`);
}
console.log(`novel families: ${NOVEL_FAMILIES.join(', ')}`);

/** Two-space JSON with short number arrays kept on one line, so diffs of scene files stay readable. */
function formatJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(/\[\s*(-?[\d.e-]+(?:,\s*-?[\d.e-]+)*)\s*\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
}
