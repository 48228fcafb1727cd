import { computeMeasures } from '../measures/compute';
import type { Policy } from '../policy/types';
import type { Frame, Renderer } from '../render/types';
import type { EpisodeSpec } from '../sim/episode';
import type { RobotProfile } from '../sim/profile';
import { VecNavEnv } from '../sim/vec-env';
import type { EpisodeRow } from './results';

export interface LoopOptions {
  profile: RobotProfile;
  batchSize: number;
  renderer?: Renderer;
  endOnCollision?: boolean;
  /** Keep traces of every episode, not only failed ones. */
  traceAll?: boolean;
  imageTransform?: (frame: Frame, episode: EpisodeSpec, step: number) => Frame;
  /** Called as each episode finishes (stream it to disk, update progress). */
  onEpisode?: (row: EpisodeRow) => void | Promise<void>;
  /** Checked between steps; true stops early (Ctrl-C). */
  shouldStop?: () => boolean;
}

/**
 * Run `episodes` with one policy, `batchSize` at a time in lockstep. A finished slot is refilled
 * at once with the next episode. Rows come back in episode order, whatever order they finished in.
 */
export async function runEpisodes(policy: Policy, episodes: readonly EpisodeSpec[], opts: LoopOptions): Promise<EpisodeRow[]> {
  const B = Math.max(1, Math.min(opts.batchSize, episodes.length || 1));
  const needsImage = policy.info.needsImage;
  if (needsImage && !opts.renderer) throw new Error(`policy "${policy.info.name}" needs camera frames but no renderer was started`);
  const env = new VecNavEnv(B, {
    profile: opts.profile,
    actionMode: policy.info.actionMode,
    ...(needsImage && opts.renderer ? { renderer: opts.renderer } : {}),
    ...(opts.imageTransform ? { imageTransform: opts.imageTransform } : {}),
    endOnCollision: opts.endOnCollision ?? true,
  });
  const rows = new Map<string, EpisodeRow>();
  let next = 0;
  const started = new Map<number, { t0: number; policyMs: number }>();
  const active = new Map<number, Awaited<ReturnType<VecNavEnv['observe']>>[number]>();

  const fill = async (slots: number[]) => {
    const filled: number[] = [];
    for (const slot of slots) {
      if (next >= episodes.length || opts.shouldStop?.()) continue;
      const ep = episodes[next++] as EpisodeSpec;
      await env.reset(slot, ep);
      policy.begin(slot, ep);
      started.set(slot, { t0: performance.now(), policyMs: 0 });
      filled.push(slot);
    }
    if (!filled.length) return;
    const obs = await env.observe(filled);
    filled.forEach((slot, k) => active.set(slot, obs[k]!));
  };

  try {
    await fill([...Array(B).keys()]);
    while (active.size) {
      const batch = [...active.entries()].map(([slot, obs]) => ({ slot, obs }));
      const t0 = performance.now();
      let acts;
      try {
        acts = await policy.act(batch);
      } catch (e) {
        // A crash inside the policy (e.g. the runtime) ends these episodes as errors, not failures.
        const msg = `error: policy "${policy.info.name}" threw: ${(e as Error).message}`;
        acts = batch.map(() => ({ error: msg }));
      }
      const dt = performance.now() - t0;
      for (const { slot } of batch) started.get(slot)!.policyMs += dt / batch.length;
      const results = await env.step(
        batch.map(({ slot }, k) => {
          const a = acts[k];
          return a && 'action' in a ? { slot, action: a.action } : { slot, error: a?.error ?? 'policy_error: no result for this row' };
        }),
      );
      const freed: number[] = [];
      for (const [k, r] of results.entries()) {
        const slot = batch[k]!.slot;
        if (r.obs) {
          active.set(slot, r.obs);
          continue;
        }
        active.delete(slot);
        freed.push(slot);
        const row = makeRow(env, slot, policy, opts, started.get(slot)!);
        rows.set(row.episodeId, row);
        await opts.onEpisode?.(row);
      }
      if (freed.length) await fill(freed);
    }
  } finally {
    env.close();
  }
  return episodes.filter((e) => rows.has(e.id)).map((e) => rows.get(e.id)!);
}

function makeRow(env: VecNavEnv, slot: number, policy: Policy, opts: LoopOptions, t: { t0: number; policyMs: number }): EpisodeRow {
  const ep = env.episode(slot);
  const trace = env.trace(slot);
  const measures = computeMeasures({ episode: ep, trace, profile: opts.profile });
  const keepTrace = opts.traceAll || trace.outcome !== 'success';
  return {
    episodeId: ep.id,
    policy: policy.info.name,
    variant: policy.info.variant,
    suite: ep.suite,
    suiteVersion: ep.suiteVersion,
    sceneId: ep.scene.id,
    sceneHash: ep.sceneHash,
    seed: ep.seed,
    split: ep.split,
    family: ep.family,
    side: ep.scene.instruction.side,
    ...(ep.probe ? { probe: ep.probe } : {}),
    outcome: trace.outcome,
    ...(trace.reason ? { reason: trace.reason } : {}),
    measures,
    ...(keepTrace ? { trace: structuredClone(trace) } : {}),
    timing: { wallMs: performance.now() - t.t0, policyMs: t.policyMs },
  };
}
