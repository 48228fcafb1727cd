/**
 * Regenerates the committed scene suites under scenes/. Deterministic: the same code gives
 * byte-identical files. Bump a suite's version whenever its scenes change (it is part of every
 * episode id). Run: npm run scenes:generate
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateScene, type SceneSpec } from '../src/scene/generate';
import type { SuiteInput } from '../src/scene/schema';
import { seedFrom } from '../src/util/hash';

function suite(name: string, version: number, description: string, specs: Omit<SceneSpec, 'seed'>[]): SuiteInput {
  return {
    schemaVersion: 1,
    suite: name,
    version,
    description,
    scenes: specs.map((s) => generateScene({ ...s, seed: seedFrom(name, s.id) })),
  };
}

const sides = ['left', 'right'] as const;

// In distribution: the lab's recordings — mostly one box across the path at medium distance.
const id: Omit<SceneSpec, 'seed'>[] = [];
for (const side of sides) {
  const add = (layout: SceneSpec['layout'], distance: SceneSpec['distance'], k: number) =>
    id.push({ id: `${layout}_${side}_${distance}_${k}`, layout, side, distance, split: 'in-distribution' });
  add('1box_hori', 'close', 0);
  for (const k of [0, 1, 2]) add('1box_hori', 'medium', k);
  add('1box_hori', 'far', 0);
  add('1box_vert', 'medium', 0);
  add('2box_hori', 'medium', 0);
  add('2box_vert', 'medium', 0);
}

// Novel: what the lab never recorded, one family per shift.
const novel: Omit<SceneSpec, 'seed'>[] = [];
for (const side of sides) {
  for (const [layout, distance] of [['2box_vert', 'far'], ['2box_hori', 'close'], ['1box_vert', 'far']] as const)
    novel.push({ id: `layout_${layout}_${side}_${distance}`, family: 'layout', layout, side, distance, split: 'novel' });
  for (const target of ['cup', 'basket', 'pot'] as const)
    novel.push({ id: `target_${target}_${side}`, family: 'target', layout: '1box_hori', side, distance: 'medium', target, split: 'novel' });
  for (const off of [-0.15, 0.15])
    novel.push({ id: `lateral_${off > 0 ? 'pos' : 'neg'}_${side}`, family: 'lateral', layout: '1box_hori', side, distance: 'medium', lateralOffset: off, split: 'novel' });
}

const { values } = parseArgs({ options: { out: { type: 'string', default: 'scenes' } } });

const suites = [
  suite('nav-id-v1', 1, "In distribution: the lab's taxonomy in its proportions (mostly 1box_hori, medium distance), soda bottle, lab instruction.", id),
  suite('nav-novel-v1', 1, 'Novel: unseen layouts, other targets, lateral offsets.', novel),
];
for (const s of suites) {
  const file = join(values.out!, `${s.suite}.json`);
  writeFileSync(file, formatJson(s) + '\n');
  console.log(`${file}: ${s.scenes.length} scenes`);
}

/** Two-space JSON with short number arrays kept on one line, so diffs of scene files stay readable. */
function formatJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(/\[\s*(-?[\d.e-]+(?:,\s*-?[\d.e-]+)*)\s*\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
}
