import type { Policy } from '../types';
import { OraclePolicy } from './oracle';
import { ForwardPolicy, RandomPolicy, StraightPolicy } from './simple';
import { IgnoreInstructionPolicy, ReplayPolicy } from './probe-baselines';

export const SCRIPTED = {
  oracle: () => new OraclePolicy(false),
  mirror: () => new OraclePolicy(true),
  straight: () => new StraightPolicy(),
  random: () => new RandomPolicy(),
  forward: () => new ForwardPolicy(),
  // Deliberately broken baselines that the probes must catch (src/probes).
  'ignore-instruction': () => new IgnoreInstructionPolicy(),
  replay: () => new ReplayPolicy(),
} satisfies Record<string, () => Policy>;

export type ScriptedName = keyof typeof SCRIPTED;
export const isScripted = (name: string): name is ScriptedName => Object.hasOwn(SCRIPTED, name);

export { OraclePolicy, RandomPolicy, StraightPolicy, ForwardPolicy, IgnoreInstructionPolicy, ReplayPolicy };
