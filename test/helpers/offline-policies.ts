/**
 * Synthetic policies for the offline tests: each has a known answer on a constructed dataset.
 * Frames are solid colours that encode the labelled class (PALETTE), so a policy that "reads the
 * image" can be exactly right, and one that reads it with R and B swapped exactly wrong on turns.
 */
import type { ActResult, Policy, PolicyInfo } from '../../src/policy/types';
import type { EpisodeSpec } from '../../src/sim/episode';
import type { Observation } from '../../src/sim/observation';

export type Cls = 'STOP' | 'FORWARD' | 'FWD_L' | 'FWD_R';

/** Label colours (RGB). R↔B swaps FWD_L and FWD_R and leaves STOP and FORWARD alone. */
export const PALETTE: Record<Cls, [number, number, number]> = { STOP: [128, 128, 128], FORWARD: [30, 200, 30], FWD_L: [220, 30, 30], FWD_R: [30, 30, 220] };
export const ACTION: Record<Cls, number[]> = { STOP: [0, 0, 0], FORWARD: [1.15, 0, 0], FWD_L: [1.15, 1.15, 0], FWD_R: [1.15, -1.15, 0] };

/** The class whose palette colour is nearest the frame's mean colour. */
export function readColour(obs: Observation, bgr = false): Cls {
  const f = obs.image!;
  const n = f.width * f.height;
  const m = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) m[c]! += f.data[i * 3 + c]!;
  let [r, g, b] = m.map((v) => v / n) as [number, number, number];
  if (bgr) [r, b] = [b, r];
  let best: Cls = 'STOP';
  let bestD = Infinity;
  for (const [k, [pr, pg, pb]] of Object.entries(PALETTE) as [Cls, [number, number, number]][]) {
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

abstract class Synthetic implements Policy {
  readonly info: PolicyInfo;
  readonly begun: string[] = [];
  /** (episode id, step) per call, in order. */
  readonly seen: [string, number][] = [];
  constructor(name: string) {
    // Synthetic policies keep per-slot memory like an ONNX policy: the three passes may overlap.
    this.info = { name, kind: 'remote', variant: 'synthetic', actionMode: 'pulse', needsImage: true, maxConcurrent: 8 };
  }
  begin(_slot: number, episode: EpisodeSpec): void {
    this.begun.push(episode.id);
  }
  async act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    return batch.map(({ obs }) => {
      this.seen.push([obs.episodeId, obs.step]);
      return { action: ACTION[this.decide(obs)] };
    });
  }
  abstract decide(obs: Observation): Cls;
  async close(): Promise<void> {}
}

/** Reads the label off the image: right on every frame when the frames are the colours they are. */
export class ReaderPolicy extends Synthetic {
  constructor() {
    super('reader');
  }
  decide(obs: Observation): Cls {
    return readColour(obs);
  }
}

/** Trained on BGR frames fed as RGB (the lab's legacy loader): reads red as blue. */
export class BgrReaderPolicy extends Synthetic {
  constructor() {
    super('bgr-reader');
  }
  decide(obs: Observation): Cls {
    return readColour(obs, true);
  }
}

/** Learned the frame number: STOP at the first and last frame of a 6-frame episode, FORWARD between. */
export class MemoriserPolicy extends Synthetic {
  constructor() {
    super('memoriser');
  }
  decide(obs: Observation): Cls {
    return obs.step === 0 || obs.step === 5 ? 'STOP' : 'FORWARD';
  }
}

/** Forward collapse: FORWARD whatever it sees. */
export class ForwardPolicy extends Synthetic {
  constructor() {
    super('forward');
  }
  decide(): Cls {
    return 'FORWARD';
  }
}

/** Goes the way the instruction says, ignoring the image. */
export class InstructionPolicy extends Synthetic {
  constructor() {
    super('instruction');
  }
  decide(obs: Observation): Cls {
    return /\bleft\b|왼쪽/i.test(obs.instruction) ? 'FWD_L' : 'FWD_R';
  }
}
