import { existsSync } from 'node:fs';
import type { RunResults } from '../results/schema';
import { ConfigError } from '../util/errors';
import { baselinePath, listBaselines } from './baselines';
import { compareRows, type Comparison } from './compare';
import { readRows } from '../results/read';
import { policyRows } from './load';

export type BaselineSpec = { kind: 'policy'; name: string } | { kind: 'file'; file: string };

/**
 * What `--baseline X` means, checked before anything runs: an existing file; else a policy of
 * this run; else a stored baseline benchmarks/baselines/X.json. Anything else is exit 2.
 */
export function resolveBaseline(spec: string, policyNames: readonly string[]): BaselineSpec {
  if (existsSync(spec) && spec.endsWith('.json')) return { kind: 'file', file: spec };
  if (policyNames.includes(spec)) return { kind: 'policy', name: spec };
  if (/^[A-Za-z0-9_.-]+$/.test(spec) && existsSync(baselinePath(spec))) return { kind: 'file', file: baselinePath(spec) };
  const stored = listBaselines();
  throw new ConfigError(
    `--baseline "${spec}": not a results file, not a policy of this run (${policyNames.join(', ')}), and no stored baseline of that name`,
    `Stored baselines: ${stored.join(', ') || 'none'} (benchmarks/baselines/). Add one with \`simgate baseline update <name> <results.json>\`.`,
  );
}

/**
 * The comparisons of a run against its baseline. A policy baseline: every other policy vs it.
 * A file with one policy: every policy of the run vs it. A file with several: each policy vs
 * its namesake in the file (a previous run); policies missing there are listed in `skipped`.
 */
export function benchComparisons(
  results: RunResults,
  spec: BaselineSpec,
  tolerance: number,
  candidates?: readonly string[],
): { comparisons: Comparison[]; skipped: string[] } {
  // Scripted reference policies can share a run with the gate: only candidates are judged.
  const names = results.policies.map((p) => p.name).filter((n) => !candidates || candidates.includes(n));
  const rowsOf = (n: string) => results.episodes.filter((r) => r.policy === n);
  const side = (n: string, source: string) => ({ policy: n, variant: results.policies.find((p) => p.name === n)?.variant ?? '', source, rows: rowsOf(n) });
  if (spec.kind === 'policy') {
    const a = side(spec.name, 'this run');
    return { comparisons: names.filter((n) => n !== spec.name).map((n) => compareRows(a, side(n, 'this run'), tolerance)), skipped: [] };
  }
  const base = readRows(spec.file);
  const inFile = [...new Set(base.episodes.map((r) => r.policy))];
  const fromFile = (n?: string) => {
    const { policy, rows } = policyRows(base, n, '--baseline');
    return { policy: policy.name, variant: policy.variant, source: spec.file, rows };
  };
  if (inFile.length === 1) {
    const a = fromFile();
    return { comparisons: names.map((n) => compareRows(a, side(n, 'this run'), tolerance)), skipped: [] };
  }
  return {
    comparisons: names.filter((n) => inFile.includes(n)).map((n) => compareRows(fromFile(n), side(n, 'this run'), tolerance)),
    skipped: names.filter((n) => !inFile.includes(n)),
  };
}
