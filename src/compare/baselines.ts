import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../version';
import { ConfigError } from '../util/errors';
import { readRows } from '../results/read';
import { policyRows } from './load';

/** Stored baselines: one policy's episode rows, committed so CI can compare against them. */
export const BASELINE_DIR = join('benchmarks', 'baselines');

export function baselinePath(name: string, dir = BASELINE_DIR): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new ConfigError(`Bad baseline name "${name}"`, 'Use letters, digits, "_", "-" or "." (it becomes a file name).');
  return join(dir, `${name}.json`);
}

/**
 * Store one policy of a results file as baseline `name`. Traces and wall-clock timing are
 * dropped (they are large and not compared); rows keep their episode ids and measures.
 */
export function updateBaseline(name: string, resultsFile: string, policy?: string, dir = BASELINE_DIR): { file: string; policy: string; episodes: number } {
  const res = readRows(resultsFile);
  const { policy: info, rows } = policyRows(res, policy, '--policy');
  const file = baselinePath(name, dir);
  mkdirSync(dir, { recursive: true });
  const stored = {
    schemaVersion: 1,
    baseline: { name, policy: info.name, from: resultsFile, updatedAt: new Date().toISOString(), tool: `simgate ${VERSION}` },
    policies: [info],
    ...(res.tolerance !== undefined ? { config: { tolerance: res.tolerance } } : {}),
    episodes: rows.map(({ trace: _t, timing: _x, ...r }) => r),
  };
  writeFileSync(file, JSON.stringify(stored, null, 1) + '\n');
  return { file, policy: info.name, episodes: rows.length };
}

export function listBaselines(dir = BASELINE_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}
