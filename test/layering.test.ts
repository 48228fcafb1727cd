/**
 * Import rules between src/ folders, in the spirit of Playwright's per-folder DEPS.list: the
 * pipeline's lower layers (scene → sim → policy → measures, and results/ as shared ground) never
 * reach up into the run, the CLI or the reports; the simulator never depends on a renderer (it
 * owns the camera port that renderers implement); and the runtime never imports dev-only code
 * (dev/: training, the ONNX graph writer) or test helpers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** Folder (under src/) → folders it must never import. '*' rules apply to every src/ folder. */
const FORBIDDEN: Record<string, readonly string[]> = {
  '*': ['../dev', '../test', '../scripts', '../benchmarks'],
  util: ['*'],
  image: ['*', '!util'],
  stats: ['*', '!util'],
  scene: ['runner', 'cli', 'report', 'compare', 'replay', 'render', 'policy', 'queue', 'offline', 'real'],
  sim: ['runner', 'cli', 'report', 'compare', 'replay', 'render', 'policy', 'queue', 'offline', 'real'],
  measures: ['runner', 'cli', 'report', 'compare', 'replay', 'render', 'queue', 'offline', 'real'],
  policy: ['runner', 'cli', 'report', 'compare', 'replay', 'render', 'queue', 'offline', 'real'],
  results: ['runner', 'cli', 'report', 'compare', 'replay', 'render', 'queue', 'offline', 'real'],
  render: ['runner', 'cli', 'report', 'compare', 'replay', 'policy', 'queue', 'offline', 'real'],
  runner: ['cli', 'offline', 'real'],
  report: ['cli'],
  compare: ['cli', 'runner', 'report', 'replay'],
  replay: ['cli', 'runner', 'report'],
  // Offline evaluation and the sim-to-real ledger read results; they never drive a run.
  offline: ['cli', 'runner', 'report', 'compare', 'queue'],
  real: ['cli', 'runner', 'report', 'compare', 'queue', 'replay'],
  // The queue is an executor of the runner's plan: nothing below the runner knows it exists.
  queue: ['cli', 'report', 'compare'],
};

export interface Violation {
  file: string;
  spec: string;
  target: string;
  rule: string;
}

/** Every module specifier of a TS/JS source: static imports, re-exports, dynamic import(). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The top folder under src/ of an absolute path ('../dev' style for paths outside src/). */
function area(abs: string): string {
  const rel = relative(SRC, abs);
  if (rel.startsWith('..')) return '../' + relative(ROOT, abs).split(sep)[0];
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0]! : '(root)';
}

/** Rule violations of one file's imports, given its path and source. */
export function violations(file: string, source: string): Violation[] {
  const from = area(file);
  const rules = [...(FORBIDDEN['*'] ?? []), ...(FORBIDDEN[from] ?? [])];
  const out: Violation[] = [];
  for (const spec of importsOf(source)) {
    if (!spec.startsWith('.')) continue; // packages
    const target = area(resolve(dirname(file), spec));
    if (target === from) continue;
    const allowed = rules.includes(`!${target}`);
    const hit = rules.find((r) => r === target || (r === '*' && !target.startsWith('../')));
    if (hit && !allowed) out.push({ file: relative(ROOT, file), spec, target, rule: `${from} must not import ${hit === '*' ? 'other src/ folders' : hit}` });
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|js|mjs)$/.test(f) ? [p] : [];
  });
}

describe('layering: src/ folders import only downwards', () => {
  it('finds the imports of a file, multi-line and dynamic ones included', () => {
    const src = `import { a } from './a';\nimport {\n  b,\n  c,\n} from '../b/c';\nexport { d } from "./d";\nimport type { E } from '../e';\nimport './side-effect';\nconst f = await import('../f/g');\n`;
    expect(importsOf(src)).toEqual(['./a', '../b/c', './d', '../e', './side-effect', '../f/g']);
  });

  it('flags a forbidden import (so this test can fail)', () => {
    const v = violations(join(SRC, 'sim', 'x.ts'), `import type { Renderer } from '../render/types';\nimport { runPlan } from '../runner/run';\nimport { sha256 } from '../util/hash';\n`);
    expect(v.map((x) => x.target)).toEqual(['render', 'runner']);
    expect(violations(join(SRC, 'policy', 'x.ts'), `import { trainAll } from '../../dev/train/train';`)[0]?.rule).toBe('policy must not import ../dev');
    expect(violations(join(SRC, 'image', 'x.ts'), `import { sha256 } from '../util/hash';`)).toEqual([]);
    expect(violations(join(SRC, 'image', 'x.ts'), `import { loadSuite } from '../scene/load';`)).toHaveLength(1);
  });

  it('holds for every file in src/', () => {
    const all = sources(SRC).flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    expect(all.map((v) => `${v.file}: ${v.spec} (${v.rule})`)).toEqual([]);
  });
});
