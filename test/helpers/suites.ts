import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateScene, LAYOUTS, type SceneSpec } from '../../src/scene/generate';
import { parseSuite, type LoadedSuite } from '../../src/scene/load';
import type { SuiteInput } from '../../src/scene/schema';

/** A small suite: every layout on both sides at medium distance (8 scenes). */
export function smallSuite(name = 'test-small', extra: Partial<SceneSpec> = {}): LoadedSuite {
  const scenes = LAYOUTS.flatMap((layout, i) =>
    (['left', 'right'] as const).map((side, j) =>
      generateScene({ id: `${layout}_${side}`, layout, side, distance: 'medium', split: 'in-distribution', seed: 100 + 2 * i + j, ...extra }),
    ),
  );
  const raw: SuiteInput = { schemaVersion: 1, suite: name, version: 1, scenes };
  return parseSuite(JSON.parse(JSON.stringify(raw)), `${name}.json`);
}

export function tempDir(prefix = 'simgate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write a suite to a temp file and return its path. */
export function writeSuite(dir: string, suite: LoadedSuite | SuiteInput, file = 'suite.json'): string {
  const { file: _f, sceneHashes: _h, ...raw } = suite as LoadedSuite;
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(raw));
  return path;
}
