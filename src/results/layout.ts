import { join } from 'node:path';
import type { Shard } from './schema';

/** The files of a run's output folder. */
export interface OutputFiles {
  dir: string;
  /** One row per finished episode, appended and flushed as each finishes. */
  jsonl: string;
  /** Written at the end (also after Ctrl-C or a crash, with `complete: false`). */
  results: string;
  /** Written before the first episode: the plan hash and shard, for --resume. */
  plan: string;
}

export function outputFiles(dir: string): OutputFiles {
  return { dir, jsonl: join(dir, 'episodes.jsonl'), results: join(dir, 'results.json'), plan: join(dir, 'plan.json') };
}

/** A row's identity within a run: one row per (policy, episode id). */
export const rowKey = (policy: string, episodeId: string): string => `${policy}\u0000${episodeId}`;

/** `<out>/plan.json`: written before the first episode, so a killed run can be resumed and checked. */
export interface PlanFile {
  schemaVersion: 1;
  planHash: string;
  shard?: Shard;
  policies: string[];
  /** Episodes in the whole plan, and in this shard. */
  planEpisodes: number;
  shardEpisodes: number;
  createdAt: string;
}
