import { resolveBaseline, type BaselineSpec } from '../compare';
import type { BenchConfig } from '../config/config';
import { specLabel } from '../policy/load';
import { resolveProbes } from '../probes';
import { launchRenderer as launchResolved, runRenderer } from '../render/launch';
import { DEFAULT_REPORTERS, type ReportContext, type Reporter, type ReportFindings } from '../report/reporters';
import type { RunResults } from '../results/schema';
import { ConfigError } from '../util/errors';
import { loadSuites, runPlan, type RunHooks, type RunOptions } from './run';
import { attachSequential, sequentialRun } from './sequential';

/** How a run ended, as Playwright's FullResult status: the CLI maps it to an exit code. */
export type BenchStatus = 'passed' | 'regressed' | 'errors' | 'interrupted';

export interface BenchOptions extends RunOptions, RunHooks {
  /** What runs after the episodes (default: tables, report.html, probes, variants, the gate). */
  reporters?: readonly Reporter[];
  /** Where the reporters' human-readable sections go (default: nowhere; the CLI passes stdout). */
  print?: (text: string) => void;
}

export interface BenchRun {
  status: BenchStatus;
  results: RunResults;
  /** The artefacts written and what the reporters found (probe flags, comparisons). */
  found: ReportFindings;
}

/**
 * Checks done before a run starts, so a bad scene file or a typo in --baseline / --probe /
 * candidates exits 2 at once, before a browser or a model is loaded.
 */
export function checkBenchInputs(config: BenchConfig): BaselineSpec | undefined {
  loadSuites(config.suites);
  resolveProbes(config.probes);
  const names = config.policies.map(specLabel);
  for (const c of config.candidates ?? [])
    if (!names.includes(c)) throw new ConfigError(`candidates: "${c}" is not a policy of this run (${names.join(', ')})`, 'Name a policy from `policies` (or --policy).');
  for (const [p, files] of Object.entries(config.policySuites ?? {})) {
    if (!names.includes(p)) throw new ConfigError(`policySuites: "${p}" is not a policy of this run (${names.join(', ')})`, 'Key policySuites by the policies\' names.');
    for (const f of files) if (!config.suites.includes(f)) throw new ConfigError(`policySuites.${p}: "${f}" is not one of the run's suites (${config.suites.join(', ')})`, 'List files from `suites` (or --suite).');
  }
  if (config.candidates && !config.baseline) throw new ConfigError('candidates: set without a baseline', 'Add `baseline` (or --baseline) to compare the candidates against.');
  return config.baseline ? resolveBaseline(config.baseline, names) : undefined;
}

/**
 * The whole job, as `npm run bench` does it: the episodes (streamed to episodes.jsonl, then
 * results.json), then every reporter — tables, report.html, probes, variants.md/json,
 * compare.json and the gate — and a status. Interrupted runs (shouldStop) only print their tables.
 */
export async function runBench(config: BenchConfig, opts: BenchOptions = {}): Promise<BenchRun> {
  const baseline = checkBenchInputs(config);
  const launch = opts.launchRenderer ?? launchResolved;
  // The sequential gate drives the episodes in blocks and stops each split once decided.
  const seq = config.gate?.sequential ? sequentialRun(config, baseline, { ...opts, ...(opts.onNotice ? { notice: opts.onNotice } : {}) }) : undefined;
  let results = await runPlan(config, { ...opts, launchRenderer: launch }, { ...opts, ...(seq ? { drive: seq.drive } : {}) });
  const record = seq?.record();
  if (record) results = attachSequential(results, record, config.outputDir);
  const interrupted = Boolean(opts.shouldStop?.());
  const found: ReportFindings = { files: {}, probes: [], comparisons: [], skipped: [] };
  const ctx: ReportContext = {
    config,
    results,
    ...(baseline ? { baseline } : {}),
    print: opts.print ?? (() => {}),
    log: opts.onNotice ?? (() => {}),
    // Failure clips are drawn by the renderer the run used.
    launchRenderer: async () => launch(await runRenderer(results.environment, config.renderer)),
    found,
  };
  for (const r of opts.reporters ?? DEFAULT_REPORTERS) {
    if (interrupted && !r.whenInterrupted) continue;
    await r.run(ctx);
  }
  const errors = results.aggregates.filter((a) => a.family === 'all').reduce((s, a) => s + a.errors, 0);
  const status: BenchStatus = interrupted ? 'interrupted' : found.comparisons.some((c) => c.verdict === 'REGRESSION') ? 'regressed' : errors > 0 ? 'errors' : 'passed';
  return { status, results, found };
}
