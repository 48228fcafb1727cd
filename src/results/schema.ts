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
  /** How the policy was fed and its actions executed (src/runner/inference.ts); absent in rows of older runs. */
  inference?: InferenceConfig;
}

/**
 * A row's inference config: the checkpoint (manifest and model hashes), action chunking, the
 * image path from camera to tensor, control and robot profile, and the latency model. `hash`
 * covers the rest: rows with equal hashes were produced the same way. Fields a policy kind does
 * not know are left out (room for more as adapters learn them).
 */
export interface InferenceConfig {
  hash: string;
  /** Not the path or URL (the same checkpoint may be served from anywhere), as the plan hash. */
  policy: { kind: string; variant: string; manifestSha256?: string; modelSha256?: string };
  /** Chunked outputs: the chunk element(s) used, and how many are executed before the next query. */
  chunk?: { index?: number[]; execute: number };
  image?: {
    /** Rendered camera frame [h, w], and the policy's input [h, w]. */
    camera?: [number, number];
    input?: [number, number];
    resize?: string;
    layout?: string;
    channelOrder?: 'RGB' | 'BGR';
    normalise?: { scale: number; mean: number[]; std: number[] };
    /** Frames of history the policy sees. */
    window?: number;
    /** Wire encoding of a served policy's frames ("jpeg q85"). */
    encoding?: string;
  };
  control: { actionMode: string; mode: string; rateHz?: number; profile: string };
  latency: { model: 'none' | 'measured' | 'pattern'; ms?: number[] };
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
  plan?: {
    hash: string;
    policies: string[];
    episodes: number;
    shardEpisodes: number;
    /** Rows this file should hold when complete (policies × their episodes of this shard). */
    rows?: number;
    /** With `policySuites`: the plan indexes (0-based, plan order) each policy runs; absent = all. */
    policyEpisodes?: Record<string, number[]>;
  };
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
  /** Set by a sequential gate run (`gate.sequential`): its decisions, per comparison and split. */
  sequential?: SequentialRecord;
}

/**
 * A sequential gate's outcome (src/runner/sequential.ts, statistics in src/stats/sequential.ts).
 * Episodes of each split ran in a fixed, seeded order, in blocks, until decided or at the budget.
 */
export interface SequentialRecord {
  method: string;
  alpha: number;
  tolerance: number;
  /** Episodes per split per block (looks happen after each block). */
  block: number;
  /** Per-split cap on episodes (absent: the whole split of the plan). */
  maxEpisodes?: number;
  /** Seed of the episode order. */
  orderSeed: number;
  comparisons: { a: string; b: string; groups: SequentialGroupRecord[] }[];
}

export interface SequentialGroupRecord {
  /** The split (splitOf) or "probe:<name>". */
  group: string;
  decision: 'PASS' | 'REGRESSION' | 'INCONCLUSIVE';
  /** What ended this split: a decision, the budget, or the run stopping (Ctrl-C) first. */
  stoppedBy: 'decision' | 'budget' | 'interrupted';
  /** Episodes of the order this comparison used (per policy), error pairs included. */
  episodes: number;
  /** Pairs tested (neither side an error row). */
  pairs: number;
  /** The cap: min(maxEpisodes, episodes of the split in the plan). */
  budget: number;
  /** Episodes of this split a fixed-n run of the plan runs. */
  fixedN: number;
  /** Running difference success(B) − success(A) over the pairs, and the discordant counts. */
  diff: number;
  b: number;
  c: number;
  /** Largest e-values of the two one-sided tests (each rejects at 2/α). */
  eRegression: number;
  ePass: number;
  /** Anytime-valid (1 − α) confidence sequence for B − A at the stop. */
  cs: { lo: number; hi: number };
}
