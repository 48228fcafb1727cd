import type { EpisodeSpec } from '../../sim/episode';
import type { Observation } from '../../sim/observation';
import { seedFrom } from '../../util/hash';
import { Rng } from '../../util/rng';
import { sub } from '../../util/vec2';
import { ScriptedPolicy, towards } from './common';

/** Drives straight at the goal, ignoring obstacles: fails wherever a box is in the way. */
export class StraightPolicy extends ScriptedPolicy {
  constructor() {
    super('straight', 'drives straight at the goal');
  }
  actOne(_slot: number, obs: Observation): number[] {
    const { scene, pose } = obs.state;
    return towards(obs, sub(scene.goal, pose));
  }
}

/**
 * Always forward, whatever it sees: the lab's "forward collapse" (FORWARD was 74% of their
 * frames, and a collapsed model predicts it everywhere). Exists to exhibit that failure code.
 */
export class ForwardPolicy extends ScriptedPolicy {
  constructor() {
    super('forward', 'always drives forward (forward collapse)');
  }
  actOne(): number[] {
    return [1, 0, 0];
  }
}

/** Uniformly random pulse directions, seeded by the episode id (so reproducible per episode). */
export class RandomPolicy extends ScriptedPolicy {
  private readonly rngs = new Map<number, Rng>();
  constructor() {
    super('random', 'random direction each step, seeded per episode');
  }
  override begin(slot: number, episode: EpisodeSpec): void {
    this.rngs.set(slot, new Rng(seedFrom('random-policy', episode.id)));
  }
  actOne(slot: number, _obs: Observation): number[] {
    const rng = this.rngs.get(slot);
    if (!rng) throw new Error(`random: begin() was not called for slot ${slot}`);
    return [rng.uniform(-1, 1), rng.uniform(-1, 1)];
  }
}
