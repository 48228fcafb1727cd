import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PolicyInfo } from '../policy/types';
import { ConfigError } from '../util/errors';
import { readJsonlRows } from './jsonl';
import { outputFiles } from './layout';
import type { EpisodeRow, RunResults } from './schema';

/** A whole run's results.json, and the folder it lives in (replays and reports are written there). */
export interface LoadedResults {
  file: string;
  /** Absolute folder of `file`. */
  dir: string;
  results: RunResults;
}

/**
 * Rows to compare: from a results.json, a stored baseline (benchmarks/baselines/*.json, rows of
 * one policy and the tolerance) or an episodes.jsonl (rows only; a cut-off last line is dropped).
 */
export interface LoadedRows {
  file: string;
  dir: string;
  policies: PolicyInfo[];
  episodes: EpisodeRow[];
  /** Tolerance the run was configured with, when recorded. */
  tolerance?: number;
}

const HINT = 'Pass the --out folder of a `simgate run` (default simgate-results) or its results.json.';

/** results.json inside a run folder, or the file itself. A folder without one names why. */
export function resultsFileOf(input: string): string {
  if (existsSync(input) && statSync(input).isDirectory()) {
    const f = outputFiles(input).results;
    if (!existsSync(f)) {
      const unfinished = existsSync(outputFiles(input).plan);
      throw new ConfigError(`${input}: no results.json${unfinished ? ' (the run there did not finish)' : ''}`, unfinished ? `Finish it: rerun the same command with --resume --out ${input}` : HINT);
    }
    return f;
  }
  if (!existsSync(input)) throw new ConfigError(`${input}: no such results file or folder`, HINT);
  return input;
}

function parseJson(file: string): Partial<RunResults> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON: ${(e as Error).message}`, HINT);
  }
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as RunResults).episodes)) throw new ConfigError(`${file}: not a simgate results file (no "episodes" array)`, HINT);
  const r = raw as Partial<RunResults>;
  checkRows(file, r.episodes!);
  return r;
}

function checkRows(file: string, rows: readonly EpisodeRow[]): void {
  for (const [i, r] of rows.entries()) {
    if (typeof r?.episodeId !== 'string' || typeof r.policy !== 'string' || typeof r.measures !== 'object') {
      throw new ConfigError(`${file}: episodes[${i}]: not an episode row (needs episodeId, policy, measures)`);
    }
  }
}

/**
 * The results of a whole run (replay, report, merge). `requirePlan`: refuse files without a plan
 * hash (written before shards and resume existed), which merge cannot check.
 */
export function readResults(input: string, opts: { requirePlan?: boolean } = {}): LoadedResults {
  const file = resolve(resultsFileOf(input));
  const r = parseJson(file);
  if (!Array.isArray(r.suites) || !r.config) throw new ConfigError(`${file}: not the results.json of a run (no suites/config: a stored baseline or an older file?)`, HINT);
  if (opts.requirePlan && !r.plan?.hash) throw new ConfigError(`${file}: not a simgate results.json with a plan hash (written by an older simgate?)`, 'Rerun the shard with this version.');
  return { file, dir: dirname(file), results: r as RunResults };
}

/** Episode rows and their policies from a results.json, a stored baseline or an episodes.jsonl. */
export function readRows(input: string): LoadedRows {
  const file = resolve(existsSync(input) && statSync(input).isDirectory() ? join(input, 'results.json') : input);
  if (!existsSync(file)) throw new ConfigError(`Results file not found: ${input}`, 'Give a results.json written by `simgate run`, or a file under benchmarks/baselines/.');
  let episodes: EpisodeRow[];
  let policies: PolicyInfo[] | undefined;
  let tolerance: number | undefined;
  if (file.endsWith('.jsonl')) {
    episodes = readJsonlRows(file).rows;
    checkRows(file, episodes);
  } else {
    const r = parseJson(file);
    episodes = r.episodes!;
    policies = r.policies;
    if (typeof r.config?.tolerance === 'number') tolerance = r.config.tolerance;
  }
  // JSONL or an old file: the policy list from the rows.
  if (!policies?.length) {
    const seen = new Map<string, PolicyInfo>();
    for (const r of episodes) if (!seen.has(r.policy)) seen.set(r.policy, { name: r.policy, kind: 'scripted', variant: r.variant, actionMode: 'pulse', needsImage: false });
    policies = [...seen.values()];
  }
  return { file, dir: dirname(file), policies, episodes, ...(tolerance !== undefined ? { tolerance } : {}) };
}
