import { fileURLToPath } from 'node:url';
import { loadSuite } from '../../scene/load';
import { suiteEpisodes } from '../../sim/episode';
import type { Observation } from '../../sim/observation';
import { makeProfile } from '../../sim/profile';
import { VecNavEnv } from '../../sim/vec-env';
import type { ActResult } from '../types';
import { ScriptedPolicy } from './common';
import { OraclePolicy } from './oracle';

/**
 * The oracle, but it always passes on the left whatever it is told: the lab's "frozen" model
 * that ignored the instruction, passing on one side whatever it was told. Exists to test the
 * instruction-swap probe.
 */
export class IgnoreInstructionPolicy extends ScriptedPolicy {
  private readonly oracle = new OraclePolicy(false);
  constructor() {
    super('ignore-instruction', 'oracle that always passes on the left, whatever the instruction (instruction-swap probe test)');
  }
  actOne(slot: number, obs: Observation): number[] {
    return this.oracle.actOne(slot, { ...obs, state: { ...obs.state, side: 'left' } });
  }
}

/** Where `replay` takes its memorised actions from. */
export const REPLAY_REFERENCE = { suite: '../../../scenes/nav-id-v2.json', sceneId: '1box_hori_left_medium_0', seed: 0 };

/**
 * Replays one fixed action sequence by frame index, whatever it sees: the oracle's actions on a
 * fixed reference scene (REPLAY_REFERENCE, default robot profile). The lab's models memorised
 * the action per frame index and scored well offline; this exists to test the memorisation probe.
 * After the sequence ends it stops (zero action) until the time limit.
 */
export class ReplayPolicy extends ScriptedPolicy {
  private sequence?: Promise<number[][]>;
  constructor() {
    super('replay', `replays the oracle's actions on ${REPLAY_REFERENCE.sceneId} by frame index (memorisation probe test)`);
  }
  override async act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    const seq = await (this.sequence ??= referenceActions());
    return batch.map(({ obs }) => ({ action: seq[obs.step] ?? [0, 0] }));
  }
  actOne(): number[] {
    throw new Error('replay: use act()');
  }
}

/** Run the oracle once on the reference episode and keep its actions. */
async function referenceActions(): Promise<number[][]> {
  const suite = loadSuite(fileURLToPath(new URL(REPLAY_REFERENCE.suite, import.meta.url)));
  const ep = suiteEpisodes(suite, REPLAY_REFERENCE.seed + 1).find((e) => e.scene.id === REPLAY_REFERENCE.sceneId && e.seed === REPLAY_REFERENCE.seed);
  if (!ep) throw new Error(`replay: reference scene ${REPLAY_REFERENCE.sceneId} not in ${suite.file}`);
  const oracle = new OraclePolicy(false);
  const env = new VecNavEnv(1, { profile: makeProfile({}), actionMode: oracle.info.actionMode });
  const actions: number[][] = [];
  try {
    await env.reset(0, ep);
    let [obs] = await env.observe([0]);
    while (obs) {
      const a = oracle.actOne(0, obs);
      actions.push(a);
      const [r] = await env.step([{ slot: 0, action: a }]);
      obs = r?.obs;
    }
  } finally {
    env.close();
  }
  return actions;
}
