import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchComparisons, compareJson, compareTable, resolveBaseline, type BaselineSpec } from '../compare';
import { specLabel } from '../policy/load';
import { resolveProbes } from '../probes';
import { probeResults, probeTable } from '../probes/report';
import { variantsReport, variantsSummary, writeVariants } from '../report/variants';
import type { BenchConfig } from '../runner/config';
import type { RunResults } from '../runner/results';
import { ConfigError, EXIT } from '../util/errors';

/** Checks done before a run starts, so a typo in --baseline / --probe exits 2 at once. */
export function checkBenchInputs(config: BenchConfig): BaselineSpec | undefined {
  resolveProbes(config.probes);
  const names = config.policies.map(specLabel);
  for (const c of config.candidates ?? [])
    if (!names.includes(c)) throw new ConfigError(`candidates: "${c}" is not a policy of this run (${names.join(', ')})`, 'Name a policy from `policies` (or --policy).');
  if (config.candidates && !config.baseline) throw new ConfigError('candidates: set without a baseline', 'Add `baseline` (or --baseline) to compare the candidates against.');
  return config.baseline ? resolveBaseline(config.baseline, config.policies.map(specLabel)) : undefined;
}

/**
 * After the main tables: probe results, the by-variant report (variants.md/json), and the
 * baseline comparison (compare.json). Returns EXIT.failure when some comparison regressed.
 */
export function benchReports(results: RunResults, config: BenchConfig, baseline: BaselineSpec | undefined, opts: { json?: boolean }): number {
  const say = (s: string) => {
    if (!opts.json) process.stdout.write(s);
  };
  const probes = probeResults(results.episodes, results.policies, config.tolerance);
  if (probes.length) say(`Probes (each against the same policy's base episodes):\n${probeTable(probes)}`);
  const variants = variantsReport(results, probes);
  const files = writeVariants(config.outputDir, variants);
  say(variantsSummary(variants) + `By-variant report: ${files.md}\n`);
  if (!baseline) return EXIT.ok;
  const { comparisons, skipped } = benchComparisons(results, baseline, config.tolerance, config.candidates);
  const file = join(config.outputDir, 'compare.json');
  writeFileSync(file, JSON.stringify({ ...compareJson(comparisons), probes }, null, 1) + '\n');
  say(`\nAgainst baseline ${baseline.kind === 'policy' ? `policy "${baseline.name}"` : baseline.file}:\n`);
  // Splits only here (families and every discordant id are in compare.json / `simgate compare`).
  for (const c of comparisons) say('\n' + compareTable(c, { families: false, maxIds: 4 }));
  if (skipped.length) say(`Not compared (not in the baseline file): ${skipped.join(', ')}\n`);
  say(`Comparison: ${file}\n`);
  return comparisons.some((c) => c.verdict === 'REGRESSION') ? EXIT.failure : EXIT.ok;
}
