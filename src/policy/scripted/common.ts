import type { Observation } from '../../sim/observation';
import type { ActResult, Policy, PolicyInfo } from '../types';
import type { EpisodeSpec } from '../../sim/episode';
import type { V2 } from '../../util/vec2';

/** World-frame direction → robot-frame pulse action [lx, ly] (unit length). */
export function towards(obs: Observation, dir: V2): number[] {
  const { yaw } = obs.state.pose;
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  const lx = c * dir.x + s * dir.y;
  const ly = -s * dir.x + c * dir.y;
  const m = Math.hypot(lx, ly);
  return m > 0 ? [lx / m, ly / m] : [0, 0];
}

/** A scripted baseline: acts on privileged state, one episode at a time. */
export abstract class ScriptedPolicy implements Policy {
  readonly info: PolicyInfo;
  constructor(name: string, description: string) {
    this.info = { name, kind: 'scripted', variant: 'scripted', actionMode: 'pulse', needsImage: false, details: { description } };
  }
  begin(_slot: number, _episode: EpisodeSpec): void {}
  abstract actOne(slot: number, obs: Observation): number[];
  async act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    return batch.map(({ slot, obs }) => ({ action: this.actOne(slot, obs) }));
  }
  async close(): Promise<void> {}
}
