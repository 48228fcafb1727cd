import type { EpisodeSpec } from '../sim/episode';
import type { Observation } from '../sim/observation';
import type { ActionMode } from '../sim/world';

export type ActResult = { action: number[] } | { error: string };

export interface PolicyInfo {
  name: string;
  kind: 'scripted' | 'onnx' | 'remote';
  /** Grouping label for reports: "scripted", "frozen", "finetuned", or any label from a manifest. */
  variant: string;
  actionMode: ActionMode;
  /** Needs camera frames (the env renders only when some policy does). */
  needsImage: boolean;
  /** Control budget per action (ms); latency above it is flagged. */
  budgetMs?: number;
  /** Anything worth recording: provider actually used, model hash, URL… */
  details?: Record<string, unknown>;
}

/**
 * A policy acts for a batch of episodes stepped in lockstep. `slot` identifies an episode's
 * place in the batch: per-episode memory (frame history, recurrent state) lives by slot and is
 * cleared by `begin`. A policy must give each episode the same actions whatever else is in the
 * batch — that is what makes results independent of batch size.
 */
export interface Policy {
  readonly info: PolicyInfo;
  begin(slot: number, episode: EpisodeSpec): void;
  act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]>;
  close(): Promise<void>;
}
