import { taskOf } from '../scene/schema';
import type { Measure, MeasureContext, MeasureValue } from './types';
import { viewsOf } from './stop';

/**
 * The failure taxonomy: one primary code per failed episode, from the lab's own lists (its
 * real-robot trial logger: FORWARD_BIAS, WRONG_DIR, EARLY_STOP, DRIFT, GROUNDING_FAIL, COLLISION;
 * its benchmark design: forward_collapse, false_stop, missed_stop, overshoot, oscillation,
 * perception_miss…). Codes are checked in this order — causes before symptoms — and the first
 * that holds is primary; every other one that holds is a secondary flag.
 */
export const FAILURE_CODES = [
  'policy_error',
  'target_never_seen',
  'forward_collapse',
  'wrong_side',
  'collision',
  'overshoot',
  'false_stop',
  'missed_stop',
  'oscillation',
  'timeout',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** Thresholds of the behavioural codes. */
export const FAILURE_RULES = {
  /** forward_collapse: at least this share of the actions are FORWARD (and at least 3 actions). */
  forwardShare: 0.8,
  /** oscillation: at least this many reversals, and at least this share of the actions. */
  reversals: 3,
  reversalShare: 0.2,
} as const;

const DOC: Record<FailureCode, string> = {
  policy_error: 'the policy (or its server) failed: NaN, malformed or missing action, timeout',
  target_never_seen: "the target never entered the camera's view",
  forward_collapse: `≥ ${FAILURE_RULES.forwardShare * 100}% of the actions were FORWARD`,
  wrong_side: 'passed the obstacle(s) on the side not instructed',
  collision: 'hit a box, a wall or the target',
  overshoot: 'came closer to the target than the stop band, and did not stop in it',
  false_stop: 'stopped outside the stop band (too far, or the target off-centre)',
  missed_stop: 'stood in the stop band at some step but never stopped there',
  oscillation: `back-and-forth: ≥ ${FAILURE_RULES.reversals} direction reversals (≥ ${FAILURE_RULES.reversalShare * 100}% of the actions)`,
  timeout: 'ran out of time without reaching the goal (or, under the stop rule, without stopping)',
};
export const FAILURE_DOCS: Readonly<Record<FailureCode, string>> = DOC;

/** Every failure code that holds for an episode, in priority order (empty for a success). */
export function failureCodes(ctx: MeasureContext, d: Readonly<Record<string, MeasureValue>>): FailureCode[] {
  const { trace, episode } = ctx;
  const outcome = trace.outcome;
  if (outcome === 'success') return [];
  if (outcome === 'error' || outcome === 'policy_error') return ['policy_error'];
  const task = taskOf(episode.scene);
  const stopTask = task.rule === 'stop';
  const steps = trace.actions.length;
  const reversals = typeof d.oscillation === 'number' ? d.oscillation : 0;
  const finalGap = viewsOf(ctx).at(-1)!.gap;
  const holds: Record<FailureCode, boolean> = {
    policy_error: false,
    target_never_seen: d.target_seen === false,
    forward_collapse: steps >= 3 && typeof d.forward_share === 'number' && d.forward_share >= FAILURE_RULES.forwardShare,
    wrong_side: (d.passed_side === 'left' || d.passed_side === 'right' || d.passed_side === 'mixed') && d.passed_side !== episode.scene.instruction.side,
    collision: outcome === 'collision' || (typeof d.collisions === 'number' && d.collisions > 0),
    overshoot: stopTask && typeof d.overshoot === 'number' && d.overshoot > 0 && !(outcome === 'stopped_outside' && finalGap > task.band.max),
    false_stop: outcome === 'stopped_outside',
    missed_stop: stopTask && outcome === 'timeout' && d.in_band_ever === true,
    oscillation: reversals >= FAILURE_RULES.reversals && reversals >= FAILURE_RULES.reversalShare * steps,
    timeout: outcome === 'timeout',
  };
  return FAILURE_CODES.filter((c) => holds[c]);
}

export const failure: Measure = {
  name: 'failure',
  deps: ['target_seen', 'forward_share', 'passed_side', 'collisions', 'overshoot', 'in_band_ever', 'oscillation'],
  doc: 'failed episodes: the primary failure code (null for a success)',
  compute: (ctx, d) => failureCodes(ctx, d)[0] ?? null,
};

export const failureFlags: Measure = {
  name: 'failure_flags',
  deps: ['target_seen', 'forward_share', 'passed_side', 'collisions', 'overshoot', 'in_band_ever', 'oscillation'],
  doc: 'failed episodes: the secondary failure codes, comma-separated ("" if none)',
  compute: (ctx, d) => (ctx.trace.outcome === 'success' ? null : failureCodes(ctx, d).slice(1).join(',')),
};

export const FAILURE_MEASURES: readonly Measure[] = [failure, failureFlags];
