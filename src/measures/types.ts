import type { EpisodeSpec } from '../sim/episode';
import type { RobotProfile } from '../sim/profile';
import type { EpisodeTrace } from '../sim/trace';

export type MeasureValue = number | boolean | string | null;

export interface MeasureContext {
  episode: EpisodeSpec;
  trace: EpisodeTrace;
  profile: RobotProfile;
}

/**
 * A measure in the Habitat-Lab sense: one small unit that may read the values of the measures it
 * declares in `deps` (computed first).
 */
export interface Measure {
  name: string;
  deps: readonly string[];
  /** What it means, for the README and reports. */
  doc: string;
  compute(ctx: MeasureContext, deps: Readonly<Record<string, MeasureValue>>): MeasureValue;
}
