import type { Action } from './world';

/**
 * How an episode ended. `stopped_outside`: the policy said STOP (stop task) outside the stop band
 * or with the target off-centre; `timeout`: the time limit came first (under the stop rule: it
 * never stopped).
 */
export type Outcome = 'success' | 'collision' | 'timeout' | 'stopped_outside' | 'policy_error' | 'error';

export interface TraceEvent {
  step: number;
  type: 'collision' | 'success' | 'timeout' | 'stopped_outside' | 'stop' | 'policy_error' | 'error';
  /** What was hit (collision), where it stopped (stop), or the reason (errors). */
  detail?: string;
}

/**
 * Everything needed to re-simulate and explain an episode, without frames: actions, poses
 * (x, y, yaw after each step; index 0 = start), events and the exact-state hash per step.
 */
export interface EpisodeTrace {
  episodeId: string;
  actions: number[][];
  poses: [number, number, number][];
  hashes: string[];
  /** Objects touched during each step (index = step - 1). */
  contacts: string[][];
  events: TraceEvent[];
  outcome: Outcome;
  reason?: string;
  /** Steps the robot held its last command (or coasted) while the policy computed (index = step - 1). */
  held?: boolean[];
  /** What the policy (a server) said besides the action at each step it was asked (index = step - 1). */
  info?: (Record<string, unknown> | null)[];
  start: { x: number; y: number; yaw: number };
}

export const cloneAction = (a: Action): number[] => Array.from(a);
