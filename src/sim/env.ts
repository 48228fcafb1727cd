import type { LoadedSuite } from '../scene/load';
import { makeEpisode, type EpisodeSpec } from './episode';
import type { Observation } from './observation';
import { VecNavEnv, type EnvOptions, type StepResult } from './vec-env';
import type { Action } from './world';

/**
 * The Gymnasium-style single env over one scene of a suite: `reset({ seed })` → { obs, info },
 * `step(action)` → { obs, reward, terminated, truncated, info }. The vector env does the work.
 */
export class NavEnv {
  private readonly vec: VecNavEnv;
  private current?: EpisodeSpec;

  constructor(
    private readonly suite: LoadedSuite,
    private readonly sceneId: string,
    opts: EnvOptions,
  ) {
    if (!suite.scenes.some((s) => s.id === sceneId)) throw new Error(`${suite.file}: no scene "${sceneId}"`);
    this.vec = new VecNavEnv(1, opts);
  }

  async reset({ seed = 0 }: { seed?: number } = {}): Promise<{ obs: Observation; info: { episode: EpisodeSpec } }> {
    const scene = this.suite.scenes.find((s) => s.id === this.sceneId)!;
    const hash = this.suite.sceneHashes[scene.id] as string;
    this.current = makeEpisode(this.suite, scene, hash, seed);
    await this.vec.reset(0, this.current);
    const [obs] = await this.vec.observe([0]);
    return { obs: obs!, info: { episode: this.current } };
  }

  async step(action: Action): Promise<StepResult> {
    if (!this.current) throw new Error('step() before reset()');
    const [r] = await this.vec.step([{ slot: 0, action }]);
    return r!;
  }

  trace() {
    return this.vec.trace(0);
  }

  close(): void {
    this.vec.close();
  }
}
