/**
 * Regenerates the committed scene suites under scenes/. Deterministic: the same code gives
 * byte-identical files (a test checks). Bump a suite's version whenever its scenes change — it is
 * part of every episode id. Run: npm run scenes:generate [-- --out DIR]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NOVEL_FAMILIES, inDistributionSpecs, novelSpecs, type SuiteSpec } from '../src/scene/suites';
import { ERA_V1, ERA_V2, generateScene } from '../src/scene/generate';
import { basketNovelSuite, basketSuite } from '../src/scene/basket';
import type { SuiteInput } from '../src/scene/schema';
import { seedFrom } from '../src/util/hash';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'scenes' } } });

function build(s: SuiteSpec): SuiteInput {
  return {
    schemaVersion: 1,
    suite: s.name,
    version: s.version,
    description: s.description,
    // The v1 files predate the suite-level profile: written without it they stay byte-identical.
    ...(s.profile ? { profile: s.profile } : {}),
    scenes: s.scenes.map((spec) => generateScene({ ...spec, seed: seedFrom(s.name, spec.baseId ?? spec.id), ...(s.era ? { era: s.era } : {}) })),
  };
}

const suites = [
  // The seed era as first generated (0.2 m per action): kept reproducible, byte for byte.
  ...[inDistributionSpecs(ERA_V1), novelSpecs(ERA_V1)].map(build),
  // The seed era for the recalibrated base: 12.5 cm per action, the lab's 17-action episodes.
  ...[inDistributionSpecs(ERA_V2), novelSpecs(ERA_V2)].map(build),
  // The deployed task: stop in front of the gray basket (v6-held).
  basketSuite(),
  basketNovelSuite(),
];
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
