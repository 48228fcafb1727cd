import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchComparisons, compareJson, compareTable, withSequential, type BaselineSpec, type Comparison } from '../compare';
import type { BenchConfig } from '../config/config';
import { probeResults, probeTable, type ProbeResult } from '../probes/report';
import type { Renderer } from '../sim/camera';
import type { RunResults } from '../results/schema';
import { FAILURE_DOCS, FAILURE_RULES } from '../measures/failure';
import { familyTable, summaryTable } from './table';
import { variantsReport, variantsSummary, writeVariants, type VariantsReport } from './variants';
import { leaderboardLines } from './leaderboard';

/**
 * What the reporters of one run share and fill in. Like Playwright's reporters, each one reads
 * the finished run, writes its artefacts, prints its section, and records what it found.
 */
export interface ReportContext {
  config: BenchConfig;
  results: RunResults;
  baseline?: BaselineSpec;
  /** Human-readable sections (tables, verdicts), in order; a no-op under --json. */
  print: (text: string) => void;
  /** Notices between sections (what is being rendered, what is missing). */
  log: (line: string) => void;
  /** For clips of failures (report.html): the run's renderer launcher. */
  launchRenderer?: () => Promise<Renderer>;
  /** Filled in by the reporters. */
  found: ReportFindings;
}

export interface ReportFindings {
  files: Record<string, string>;
  probes: ProbeResult[];
  variants?: VariantsReport;
  comparisons: Comparison[];
  /** Policies not compared (absent from the baseline file). */
  skipped: string[];
}

export interface Reporter {
  name: string;
  /** Also run after Ctrl-C (the tables of the rows so far); the others need a finished run. */
  whenInterrupted?: boolean;
  run(ctx: ReportContext): Promise<void> | void;
}

/** Per policy × split, then per family, then where the files are. */
export const tablesReporter: Reporter = {
  name: 'tables',
  whenInterrupted: true,
  run({ results, config, print, found }) {
    print(summaryTable(results));
    print(familyTable(results));
    found.files.results = join(config.outputDir, 'results.json');
    print(`Results: ${found.files.results}${results.shard ? ` (shard ${results.shard.index}/${results.shard.total}: combine with \`simgate merge\`)` : ''}\n`);
    if (!results.complete) print(`Incomplete: ${results.episodes.length} of ${results.plan!.rows ?? results.plan!.shardEpisodes * results.policies.length} episode rows; finish with --resume --out ${config.outputDir}\n`);
  },
};

/**
 * failure_summary.json: failed episodes by primary failure code per policy × split × family
 * (and "all" families), with the codes' meanings.
 */
export const failuresReporter: Reporter = {
  name: 'failures',
  run({ results, config, found }) {
    const summary: Record<string, Record<string, Record<string, Record<string, number>>>> = {};
    for (const a of results.aggregates.filter((x) => !x.probe)) {
      ((summary[a.policy] ??= {})[a.split] ??= {})[a.family] = a.failures ?? {};
    }
    const file = join(config.outputDir, 'failure_summary.json');
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, codes: FAILURE_DOCS, rules: FAILURE_RULES, failures: summary }, null, 1) + '\n');
    found.files.failures = file;
  },
};

/**
 * report.html, opening with what the other reporters found (the verdict, variants, probe flags:
 * so it runs after them), then the tables and the failure clips. With traceFrames, the onboard
 * frames of failures as PNGs — and only those under `report: false` (--no-report --save-frames).
 */
export const htmlReporter: Reporter = {
  name: 'html',
  async run({ results, config, print, log, launchRenderer, found }) {
    if (!config.report && !config.traceFrames) return;
    const { writeHtmlReport } = await import('./write-html');
    const rep = await writeHtmlReport(config.outputDir, results, {
      maxGifsPerPolicy: config.report ? config.reportGifs : 0,
      traceFrames: config.traceFrames,
      allFrames: config.saveAllFrames,
      ...(launchRenderer ? { launchRenderer } : {}),
      log,
      writeReport: config.report,
      findings: { comparisons: found.comparisons, ...(found.variants ? { variants: found.variants } : {}), probes: found.probes, ...(await sim2realFigure(results, config)) },
    });
    if (!rep.file) return;
    found.files.report = rep.file;
    print(`Report: ${rep.file} (${rep.clips} failure clips, ${(rep.ms / 1000).toFixed(1)} s)\n`);
  },
};

/** Probe flags, each probe against the same policy's base episodes. */
export const probesReporter: Reporter = {
  name: 'probes',
  run({ results, config, print, found }) {
    found.probes = probeResults(results.episodes, results.policies, config.tolerance);
    if (found.probes.length) print(`Probes (each against the same policy's base episodes):\n${probeTable(found.probes)}`);
  },
};

/** variants.md / variants.json: policies grouped by variant (frozen vs fine-tuned). */
export const variantsReporter: Reporter = {
  name: 'variants',
  run({ results, config, print, found }) {
    found.variants = variantsReport(results, found.probes, { ...(config.baseline ? { baseline: config.baseline } : {}), ...(config.candidates ? { candidates: config.candidates } : {}) });
    const files = writeVariants(config.outputDir, found.variants);
    found.files.variants = files.md;
    print(variantsSummary(found.variants) + `By-variant report: ${files.md}\n`);
  },
};

/** The gate: candidates against the baseline, paired by episode, into compare.json. */
export const gateReporter: Reporter = {
  name: 'gate',
  run({ results, config, baseline, print, found }) {
    if (!baseline) return;
    const batch = benchComparisons(results, baseline, config.tolerance, config.candidates);
    // A sequential run's verdicts are its anytime-valid decisions (the batch p is not valid after an early stop).
    const seq = results.sequential;
    const comparisons = seq ? batch.comparisons.map((c) => withSequential(c, seq)) : batch.comparisons;
    const skipped = batch.skipped;
    found.comparisons = comparisons;
    found.skipped = skipped;
    const file = join(config.outputDir, 'compare.json');
    writeFileSync(file, JSON.stringify({ ...compareJson(comparisons), ...(seq ? { sequential: seq } : {}), probes: found.probes }, null, 1) + '\n');
    found.files.compare = file;
    print(`\nAgainst baseline ${baseline.kind === 'policy' ? `policy "${baseline.name}"` : baseline.file}:\n`);
    // Splits only here (families and every discordant id are in compare.json / `simgate compare`).
    for (const c of comparisons) print('\n' + compareTable(c, { families: false, maxIds: 4 }));
    if (skipped.length) print(`Not compared (not in the baseline file): ${skipped.join(', ')}\n`);
    print(`Comparison: ${file}\n`);
  },
};

/**
 * leaderboard.jsonl: one line per policy × split (success with its interval, errors apart, the
 * inference config of its rows, the checkpoint's hashes, the gate's verdict for candidates), to
 * append to a lab-wide leaderboard. Runs after the gate.
 */
export const leaderboardReporter: Reporter = {
  name: 'leaderboard',
  run({ results, config, print, found }) {
    const file = join(config.outputDir, 'leaderboard.jsonl');
    const lines = leaderboardLines(results, found.comparisons);
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''));
    found.files.leaderboard = file;
    print(`Leaderboard rows: ${file} (${lines.length})\n`);
  },
};

/** Everything `npm run bench` writes, in the order it prints; report.html last, as it opens with the others' findings. */
export const DEFAULT_REPORTERS: readonly Reporter[] = [tablesReporter, failuresReporter, probesReporter, variantsReporter, gateReporter, leaderboardReporter, htmlReporter];

/**
 * The sim-vs-real plot, when the repository has a real-robot ledger with trials of a policy of
 * this run (src/real). Never fails the report: a broken ledger is a line in the log.
 */
async function sim2realFigure(results: RunResults, config: BenchConfig): Promise<{ sim2real?: string }> {
  const { DEFAULT_LEDGER, readLedger } = await import('../real/ledger');
  if (!existsSync(DEFAULT_LEDGER)) return {};
  try {
    const { sim2real } = await import('../real/sim2real');
    const { sim2realSvg } = await import('../real/plot');
    const trials = readLedger(DEFAULT_LEDGER);
    const names = new Set(results.policies.map((p) => p.name));
    if (!trials.some((t) => names.has(t.checkpoint))) return {};
    const rep = sim2real({ ledgerFile: DEFAULT_LEDGER, trials, simFiles: [join(config.outputDir, 'results.json')], simRows: results.episodes });
    return { sim2real: sim2realSvg(rep) };
  } catch {
    return {};
  }
}
