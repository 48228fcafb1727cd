import type { Action } from './world';

export type Outcome = 'success' | 'collision' | 'timeout' | 'policy_error' | 'error';

export interface TraceEvent {
  step: number;
  type: 'collision' | 'success' | 'timeout' | 'policy_error' | 'error';
  /** What was hit (collision), or the reason (errors). */
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
  start: { x: number; y: number; yaw: number };
}

export const cloneAction = (a: Action): number[] => Array.from(a);
