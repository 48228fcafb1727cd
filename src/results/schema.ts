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

/** The config a run used, as recorded in results.json: the robot profile with its defaults filled in. */
export type RunConfig = BenchConfig & { profile: RobotProfile };

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
  family: string;
  side: 'left' | 'right';
  probe?: string;
  outcome: Outcome;
  reason?: string;
  measures: Record<string, MeasureValue>;
  /** Kept for failed episodes (and on request): enough to re-simulate and replay. */
  trace?: EpisodeTrace;
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
  suites: { suite: string; version: number; file: string; scenes: number }[];
  aggregates: Aggregate[];
  episodes: EpisodeRow[];
}
