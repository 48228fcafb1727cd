import type { EpisodeSpec } from '../sim/episode';
import type { Observation } from '../sim/observation';
import type { ActionMode } from '../sim/world';

/**
 * A policy's answer for one episode's frame:
 * - `action`: one action, [linear_x, linear_y(, angular_z)];
 * - `actions`: a chunk (horizon × dims, openpi's `actions`, the MoNa-pi server's `actions`): the
 *   loop executes the first `PolicyInfo.chunk.execute` of them before asking again (openpi calls
 *   it replan_steps);
 * - `stop: true`: the policy declares STOP whatever the numbers (a server's latched STOP);
 * - `info`: what the server said besides the action (predicted_label, stop_latched, bbox,
 *   latency_ms…), kept per step in the trace and shown in the viewer;
 * - `error`: this episode ends as `policy_error` with the reason.
 */
export type ActResult =
  | { action: number[]; stop?: boolean; info?: Record<string, unknown> }
  | { actions: number[][]; stop?: boolean; info?: Record<string, unknown> }
  | { error: string };

export interface PolicyInfo {
  name: string;
  kind: 'scripted' | 'onnx' | 'remote' | 'openpi';
  /** Grouping label for reports: "scripted", "frozen", "finetuned", or any label from a manifest. */
  variant: string;
  actionMode: ActionMode;
  /** Needs camera frames (the env renders only when some policy does). */
  needsImage: boolean;
  /** Control budget per action (ms); latency above it is flagged. */
  budgetMs?: number;
  /**
   * At most this many episodes in flight at once (a stateful server pool: one episode per
   * server). The loop caps its batch at it; rows do not depend on it.
   */
  maxConcurrent?: number;
  /** Chunked policies: how many actions of each chunk are executed before the next query (default: all). */
  chunk?: { execute: number };
  /**
   * The policy's own compute time counts in robot time (`held` control: the robot keeps executing
   * the last action meanwhile). Non-deterministic: flagged in results.
   */
  measuredLatency?: boolean;
  /** Anything worth recording: provider actually used, model hash, URL, the server's /health… */
  details?: Record<string, unknown>;
}

/**
 * A policy acts for a batch of episodes stepped in lockstep. `slot` identifies an episode's
 * place in the batch: per-episode memory (frame history, recurrent state, the server a slot
 * talks to) lives by slot and is cleared by `begin` — which may be async (a stateful server's
 * POST /reset). A policy must give each episode the same actions whatever else is in the batch —
 * that is what makes results independent of batch size.
 */
export interface Policy {
  readonly info: PolicyInfo;
  begin(slot: number, episode: EpisodeSpec): void | Promise<void>;
  act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]>;
  close(): Promise<void>;
}
