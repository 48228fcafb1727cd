import type { MeasureValue } from '../measures/types';
import type { PolicyInfo } from '../policy/types';
import type { Split } from '../scene/schema';
import type { EpisodeTrace, Outcome } from '../sim/trace';
import type { RobotProfile } from '../sim/profile';
import type { BenchConfig } from '../config/config';

export const RESULTS_SCHEMA_VERSION = 1;

/** One slice of the episode plan: shard `index` of `total` (1-based, as Playwright's `--shard 2/3`). */
export interface Shard {
  index: number;
  total: number;
}

/**
 * The config a run used, as recorded in results.json, with the robot profile each era's
 * episodes ran with (the suite's era profile with the config's `profile` overrides on top;
 * a scene's own drift comes on top of that).
 */
export type RunConfig = BenchConfig & { profiles: Record<string, RobotProfile> };

/**
 * The split a row is reported under: "in-distribution" / "novel" for reach tasks, and
 * "in-distribution (stop)" / "novel (stop)" for stop tasks, so a run that mixes the seed era's
 * suites with the current task's never pools two different tasks into one success rate.
 */
export const splitOf = (row: Pick<EpisodeRow, 'split' | 'task'>): string => (row.task === 'stop' ? `${row.split} (stop)` : row.split);

/** One finished episode of one policy. Everything but `timing` is deterministic. */
export interface EpisodeRow {
  episodeId: string;
  policy: string;
  variant: string;
  suite: string;
  suiteVersion: number;
  sceneId: string;
  sceneHash: string;
  seed: number;
  split: Split;
  /** Set for episodes of a `stop` task (absent: `reach`, the seed era's task). */
  task?: 'stop';
  family: string;
  side: 'left' | 'right';
  probe?: string;
  outcome: Outcome;
  reason?: string;
  measures: Record<string, MeasureValue>;
  /** Kept for failed episodes (and on request): enough to re-simulate and replay. */
  trace?: EpisodeTrace;
  /** The policy's latency counted in robot time was measured (wall clock): this row is not reproducible bit for bit. */
  measuredLatency?: boolean;
  /** Wall-clock facts; excluded from determinism checks. */
  timing?: { wallMs: number; policyMs: number };
}

export interface Aggregate {
  policy: string;
  variant: string;
  split: string;
  family: string;
  probe?: string;
  n: number;
  successes: number;
  success: number;
  ci95: { lo: number; hi: number };
  spl: number;
  softSpl: number;
  collisionsPerEpisode: number;
  /** Share of episodes passing the obstacles on the instructed side. */
  instructionFollowed: number;
  errors: number;
  meanSteps: number;
  /** Failed episodes by primary failure code (src/measures/failure.ts), error rows as policy_error. */
  failures: Record<string, number>;
}

export interface RunResults {
  schemaVersion: number;
  tool: { name: 'simgate'; version: string };
  createdAt: string;
  /**
   * The episode plan: `hash` covers policies, suites' content, seeds and everything else that
   * decides rows (src/runner/plan.ts). Resume and merge refuse runs whose hashes differ.
   */
  plan?: { hash: string; policies: string[]; episodes: number; shardEpisodes: number };
  /** Set when this file holds one shard of the plan (`--shard i/n`). */
  shard?: Shard;
  /** Shards this file was merged from (`simgate merge`). */
  mergedFrom?: { index: number; total: number; file: string }[];
  /** False when the run stopped early (Ctrl-C, crash): `--resume` finishes it. */
  complete?: boolean;
  config: RunConfig;
  environment: Record<string, unknown>;
  policies: PolicyInfo[];
  suites: { suite: string; version: number; file: string; scenes: number; profile?: string }[];
  aggregates: Aggregate[];
  episodes: EpisodeRow[];
}
