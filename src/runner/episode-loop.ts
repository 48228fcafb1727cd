import { computeMeasures } from '../measures/compute';
import type { ActResult, Policy } from '../policy/types';
import { latencyModel, SlotControl } from './control';
import type { Renderer } from '../sim/camera';
import type { Frame } from '../image/frame';
import type { EpisodeSpec } from '../sim/episode';
import type { RobotProfile } from '../sim/profile';
import { VecNavEnv } from '../sim/vec-env';
import { RendererCrashedError } from '../render/errors';
import type { EpisodeRow } from '../results/schema';
import { taskOf } from '../scene/schema';

export interface LoopOptions {
  /** The robot, unless `profileFor` gives each episode its own (its suite's era). */
  profile: RobotProfile;
  profileFor?: (episode: EpisodeSpec) => RobotProfile;
  batchSize: number;
  renderer?: Renderer;
  endOnCollision?: boolean;
  /** Keep traces of every episode, not only failed ones. */
  traceAll?: boolean;
  imageTransform?: (frame: Frame, episode: EpisodeSpec, step: number) => Frame;
  /** Called as each episode finishes (stream it to disk, update progress); awaited before the slot is refilled. */
  onEpisode?: (row: EpisodeRow) => void | Promise<void>;
  /** Checked between steps; true stops early (Ctrl-C): no new episode starts, those in flight finish. */
  shouldStop?: () => boolean;
  /**
   * Wall-clock limit per episode (ms). An episode past it ends as `error` with reason
   * "episode wall-clock timeout …" — checked between steps, and a policy call that hangs past the
   * earliest deadline of its batch is abandoned (its episodes end the same way).
   */
  episodeTimeoutMs?: number;
  /**
   * After a renderer crash (RendererCrashedError) the renderer is restarted (it must offer
   * `restart()`) and the episodes in flight are redone from reset; episodes are deterministic,
   * so the redo gives the rows an uninterrupted run would. This many crashes in a row without a
   * finished episode give up (default 3).
   */
  maxRendererRestarts?: number;
  onRendererRestart?: (info: { error: Error; redo: string[]; restarts: number }) => void;
  /** Robot-time latency of the policy's answers (held control), unless a scene's `cadence` says otherwise. */
  latency?: number | readonly number[] | 'measured';
  /**
   * Pipelined loop: the batch is split into two fixed halves that step on their own, so one half's
   * physics + render overlaps the other half's policy call (a step costs about max(render,
   * inference) instead of their sum). Policy calls stay one at a time; rows are those of the
   * serial loop, only the order in which `onEpisode` sees them may differ. Needs batch ≥ 2.
   */
  pipeline?: boolean;
}

type RestartableRenderer = Renderer & Required<Pick<Renderer, 'restart'>>;
const canRestart = (r: Renderer | undefined): r is RestartableRenderer => typeof r?.restart === 'function';
export const isRendererCrash = (e: unknown): e is Error => e instanceof RendererCrashedError || (e as Error | undefined)?.name === 'RendererCrashedError';

const TIMED_OUT = Symbol('timed out');

/**
 * Run `episodes` with one policy, `batchSize` at a time in lockstep. A finished slot is refilled
 * at once with the next episode. Rows come back in episode order, whatever order they finished in.
 */
export async function runEpisodes(policy: Policy, episodes: readonly EpisodeSpec[], opts: LoopOptions): Promise<EpisodeRow[]> {
  // A stateful server pool takes one episode per server: never more in flight than it has.
  const B = Math.max(1, Math.min(opts.batchSize, episodes.length || 1, policy.info.maxConcurrent ?? Infinity));
  const needsImage = policy.info.needsImage;
  if (needsImage && !opts.renderer) throw new Error(`policy "${policy.info.name}" needs camera frames but no renderer was started`);
  const makeEnv = () =>
    new VecNavEnv(B, {
      profile: opts.profile,
      ...(opts.profileFor ? { profileFor: opts.profileFor } : {}),
      actionMode: policy.info.actionMode,
      ...(needsImage && opts.renderer ? { renderer: opts.renderer } : {}),
      ...(opts.imageTransform ? { imageTransform: opts.imageTransform } : {}),
      endOnCollision: opts.endOnCollision ?? true,
    });
  let env = makeEnv();
  const limitMs = opts.episodeTimeoutMs && opts.episodeTimeoutMs > 0 ? opts.episodeTimeoutMs : undefined;
  const timeoutReason = () => `error: episode wall-clock timeout (over ${(limitMs! / 1000).toFixed(limitMs! % 1000 ? 1 : 0)} s)`;
  const rows = new Map<string, EpisodeRow>();
  let next = 0;
  /** Episodes to redo after a renderer crash (plan indexes), before any new one. */
  const redo: number[] = [];
  /** Which episode (plan index) each busy slot holds, from reset until its row is made. */
  const inFlight = new Map<number, number>();
  const started = new Map<number, { t0: number; policyMs: number }>();
  const control = new Map<number, SlotControl>();
  const active = new Map<number, Awaited<ReturnType<VecNavEnv['observe']>>[number]>();

  // Serial: one lane of all slots. Pipelined: two fixed halves (first / second), each in lockstep.
  const slotRange = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);
  const pipelined = opts.pipeline === true && B >= 2;
  const lanes = pipelined ? [slotRange(0, Math.ceil(B / 2)), slotRange(Math.ceil(B / 2), B)] : [slotRange(0, B)];
  // One policy call at a time even when pipelined: policies need not be re-entrant, and the halves
  // then fall into alternation (one renders while the other infers) by themselves.
  let policyTail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    if (!pipelined) return fn();
    const run = policyTail.then(fn);
    policyTail = run.catch(() => undefined);
    return run;
  };
  /** Set when a lane fails: the other lane stops at its next await and reports nothing more. */
  interface Epoch {
    aborted: boolean;
  }

  const fill = async (lane: readonly number[], epoch: Epoch) => {
    const filled: number[] = [];
    for (const slot of lane) {
      if (epoch.aborted) return;
      if (inFlight.has(slot) || opts.shouldStop?.()) continue;
      const k = redo.length ? redo.shift()! : next < episodes.length ? next++ : undefined;
      if (k === undefined) break;
      const ep = episodes[k] as EpisodeSpec;
      inFlight.set(slot, k);
      await env.reset(slot, ep);
      started.set(slot, { t0: performance.now(), policyMs: 0 });
      control.set(slot, new SlotControl(env.profile(slot), latencyModel(ep.scene.cadence, opts.latency), policy.info.chunk?.execute));
      try {
        await exclusive(async () => policy.begin(slot, ep));
      } catch (e) {
        // A server that fails its /reset ends this episode as a policy error, like a failed call.
        beginErrors.set(slot, `policy_error: ${policy.info.name}: ${(e as Error).message}`);
      }
      filled.push(slot);
    }
    if (!filled.length || epoch.aborted) return;
    const obs = await env.observe(filled);
    if (epoch.aborted) return;
    filled.forEach((slot, k) => active.set(slot, obs[k]!));
  };

  const beginErrors = new Map<number, string>();

  const stepOnce = async (lane: readonly number[], epoch: Epoch) => {
    const now = performance.now();
    const all = lane.filter((slot) => active.has(slot)).map((slot) => ({ slot, obs: active.get(slot)! }));
    const expired = new Set(limitMs ? all.filter(({ slot }) => now - started.get(slot)!.t0 > limitMs).map((b) => b.slot) : []);
    // Only slots with nothing queued and no answer pending ask the policy this tick (chunks, latency).
    const batch = all.filter(({ slot }) => !expired.has(slot) && !beginErrors.has(slot) && control.get(slot)!.wantsQuery());
    const acts = new Map<number, ActResult>();
    let callMs = 0;
    if (batch.length) {
      // The whole call, timeout race included, holds the policy: an abandoned (hung) call frees it.
      const { got, dt } = await exclusive(async (): Promise<{ got: ActResult[] | typeof TIMED_OUT; dt: number }> => {
        const t0 = performance.now();
        let got: Awaited<ReturnType<Policy['act']>> | typeof TIMED_OUT;
        try {
          const call = policy.act(batch);
          if (limitMs) {
            call.catch(() => undefined); // an abandoned call may still fail later
            const deadline = Math.min(...batch.map(({ slot }) => started.get(slot)!.t0 + limitMs));
            let timer: NodeJS.Timeout | undefined;
            got = await Promise.race([call, new Promise<typeof TIMED_OUT>((r) => (timer = setTimeout(() => r(TIMED_OUT), Math.max(0, deadline - performance.now()))))]);
            clearTimeout(timer);
          } else got = await call;
        } catch (e) {
          // A crash inside the policy (e.g. the runtime) ends these episodes as errors, not failures.
          const msg = `error: policy "${policy.info.name}" threw: ${(e as Error).message}`;
          got = batch.map(() => ({ error: msg }));
        }
        return { got, dt: performance.now() - t0 };
      });
      if (epoch.aborted) return 0;
      callMs = dt;
      for (const { slot } of batch) started.get(slot)!.policyMs += dt / batch.length;
      batch.forEach(({ slot }, k) => {
        const a = got === TIMED_OUT ? { error: `${timeoutReason()}: the policy call did not return` } : got[k];
        acts.set(slot, a && ('action' in a || 'actions' in a) ? a : { error: (a as { error?: string } | undefined)?.error ?? 'policy_error: no result for this row' });
      });
    }
    for (const slot of expired) acts.set(slot, { error: timeoutReason() });
    for (const [slot, reason] of beginErrors) acts.set(slot, { error: reason });
    const order = all.map(({ slot }) => slot);
    const results = await env.step(
      order.map((slot) => {
        const a = acts.get(slot);
        if (a && 'error' in a) return { slot, error: a.error };
        const ctl = control.get(slot)!;
        if (a) {
          const bad = 'actions' in a && !a.actions.length ? 'policy_error: empty action chunk' : undefined;
          if (bad) return { slot, error: bad };
          ctl.receive(a, callMs);
        }
        const c = ctl.next();
        const info = c.info && stableInfo(c.info);
        return { slot, action: c.action, ...(c.hold ? { hold: true } : {}), ...(info ? { info } : {}) };
      }),
    );
    // The other lane crashed meanwhile: report nothing, every episode in flight is redone.
    if (epoch.aborted) return 0;
    const finished: { slot: number; row: EpisodeRow }[] = [];
    for (const [k, r] of results.entries()) {
      const slot = order[k]!;
      if (r.obs) {
        active.set(slot, r.obs);
        continue;
      }
      finished.push({ slot, row: makeRow(env, slot, policy, opts, started.get(slot)!) });
    }
    // Rows are reported only once the whole step (physics and the next frames) went through:
    // a renderer crash inside env.step redoes every episode of the batch (of both lanes).
    // No abort check from here on: a row once reported must never be redone (no duplicates).
    for (const { slot, row } of finished) {
      active.delete(slot);
      inFlight.delete(slot);
      started.delete(slot);
      control.delete(slot);
      beginErrors.delete(slot);
      rows.set(row.episodeId, row);
      await opts.onEpisode?.(row);
    }
    return finished.length;
  };

  let crashesInARow = 0;
  try {
    for (;;) {
      try {
        const epoch: Epoch = { aborted: false };
        const runLane = async (lane: readonly number[]) => {
          for (;;) {
            await fill(lane, epoch);
            if (epoch.aborted || !lane.some((slot) => active.has(slot))) return;
            if ((await stepOnce(lane, epoch)) > 0) crashesInARow = 0;
            if (epoch.aborted) return;
          }
        };
        // The first lane to fail stops the other; once both have settled, its error is handled
        // below exactly as the serial loop's (a renderer crash redoes every episode in flight).
        let failed: { error: unknown } | undefined;
        await Promise.all(
          lanes.map((lane) =>
            runLane(lane).catch((error: unknown) => {
              failed ??= { error };
              epoch.aborted = true;
            }),
          ),
        );
        if (failed) throw failed.error;
        break;
      } catch (e) {
        if (!isRendererCrash(e) || !canRestart(opts.renderer)) throw e;
        if (++crashesInARow > (opts.maxRendererRestarts ?? 3)) throw e;
        const lost = [...inFlight.values()];
        redo.push(...lost);
        redo.sort((a, b) => a - b);
        inFlight.clear();
        active.clear();
        started.clear();
        control.clear();
        beginErrors.clear();
        env.close();
        await opts.renderer.restart();
        env = makeEnv();
        opts.onRendererRestart?.({ error: e, redo: lost.map((k) => episodes[k]!.id), restarts: crashesInARow });
      }
    }
  } finally {
    env.close();
  }
  return episodes.filter((e) => rows.has(e.id)).map((e) => rows.get(e.id)!);
}

function makeRow(env: VecNavEnv, slot: number, policy: Policy, opts: LoopOptions, t: { t0: number; policyMs: number }): EpisodeRow {
  const ep = env.episode(slot);
  const trace = env.trace(slot);
  const measures = computeMeasures({ episode: ep, trace, profile: opts.profileFor?.(ep) ?? opts.profile });
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
    ...(taskOf(ep.scene).rule === 'stop' ? { task: 'stop' as const } : {}),
    family: ep.family,
    side: ep.scene.instruction.side,
    ...(ep.probe ? { probe: ep.probe } : {}),
    outcome: trace.outcome,
    ...(trace.reason ? { reason: trace.reason } : {}),
    measures,
    ...(keepTrace ? { trace: structuredClone(trace) } : {}),
    ...(opts.latency === 'measured' && !ep.scene.cadence ? { measuredLatency: true } : {}),
    timing: { wallMs: performance.now() - t.t0, policyMs: t.policyMs },
  };
}

/**
 * A server's fields as kept in the trace: its timings (latency_ms, server_timing, …) are wall-clock
 * facts that differ run to run, so they stay out of the rows (the latency tables have them).
 */
function stableInfo(info: Record<string, unknown>): Record<string, unknown> | undefined {
  const kept = Object.entries(info).filter(([k]) => !/latency|timing/i.test(k));
  return kept.length ? Object.fromEntries(kept) : undefined;
}
