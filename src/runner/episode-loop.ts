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
  /**
   * Called as each episode finishes (stream it to disk, update progress), once its step's render
   * went through (the slot has already taken the next episode, rendered in that same call);
   * awaited before its lane steps again.
   */
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
   * Pipelined loop: the batch is split into lanes (`true`: DEFAULT_PIPELINE_LANES; a number: that
   * many, at most one per slot; 1 or false: the serial loop) that step on their own, so one lane's
   * physics + render overlaps another's policy call (a step costs about max(render, inference)
   * instead of their sum). Once no episode is left to start, lanes even out the episodes still
   * running. Policy calls stay one at a time; rows are those of the serial loop, only the order
   * in which `onEpisode` sees them may differ. Needs batch ≥ 2.
   */
  pipeline?: boolean | number;
}

/**
 * Lanes of `pipeline: true`. Measured with benchmarks/perf.ts (inference costing what a render
 * does, batch 32): two lanes leave each lane's physics on the critical path, since every lane
 * waits for both the renderer and the policy in turn; a third lane hides it; a fourth only adds
 * calls (smaller batches) without gaining.
 */
export const DEFAULT_PIPELINE_LANES = 3;

/** How many lanes a batch of `batch` slots runs in (1: the serial loop). */
export function pipelineLanes(pipeline: LoopOptions['pipeline'], batch: number): number {
  if (pipeline === undefined || pipeline === false) return 1;
  const k = pipeline === true ? DEFAULT_PIPELINE_LANES : pipeline;
  if (!Number.isInteger(k) || k < 1) throw new Error(`pipeline: expected true, false or a whole number of lanes ≥ 1, got ${pipeline}`);
  return Math.max(1, Math.min(k, batch));
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
  /** Which episode (plan index) each busy slot holds, from reset until its episode ends. */
  const inFlight = new Map<number, number>();
  /** Episodes (plan indexes) that ended but whose rows wait for their step's render: a crash there redoes them. */
  const unreported = new Set<number>();
  const started = new Map<number, { t0: number; policyMs: number }>();
  const control = new Map<number, SlotControl>();
  const active = new Map<number, Awaited<ReturnType<VecNavEnv['observe']>>[number]>();
  /** Slots reset since the lane's last policy call: `policy.begin` runs at the start of its next one. */
  const toBegin = new Map<number, EpisodeSpec>();
  const beginErrors = new Map<number, string>();

  // Serial: one lane of all slots. Pipelined: k lanes of contiguous slots, each in lockstep.
  const laneCount = pipelineLanes(opts.pipeline, B);
  const pipelined = laneCount > 1;
  /** The lane that steps each slot: lane i of k holds slots ⌊iB/k⌋ … ⌊(i+1)B/k⌋ − 1 until `rebalance` moves some. */
  const owner: number[] = [];
  const resetOwners = () => {
    for (let lane = 0; lane < laneCount; lane++) {
      for (let slot = Math.floor((lane * B) / laneCount); slot < Math.floor(((lane + 1) * B) / laneCount); slot++) owner[slot] = lane;
    }
  };
  resetOwners();
  const laneSlots = (lane: number) => owner.flatMap((l, slot) => (l === lane ? [slot] : []));
  /** No episode is left to start (until a renderer crash brings some back). */
  const draining = () => !redo.length && (next >= episodes.length || opts.shouldStop?.() === true);
  /** Wakes the lanes parked with nothing to step (episodes handed to them, the run over, an abort). */
  let bell: { rung: Promise<void>; ring: () => void };
  const newBell = () => {
    let ring!: () => void;
    const rung = new Promise<void>((r) => (ring = r));
    bell = { rung, ring };
  };
  newBell();
  const ring = () => {
    const b = bell;
    newBell();
    b.ring();
  };
  /**
   * Once no episode is left to start, `lane` (between its steps, so all its episodes wait for
   * their next policy call) hands running episodes to the emptiest lanes while it holds two more
   * than they do. Otherwise the run's tail steps in one or two lanes, each waiting for its own
   * render and then its own policy call, with nothing to overlap.
   */
  const rebalance = (lane: number) => {
    if (!pipelined || !draining()) return;
    const load = Array.from({ length: laneCount }, (_, l) => laneSlots(l).filter((slot) => inFlight.has(slot)).length);
    const mine = laneSlots(lane).filter((slot) => active.has(slot));
    let moved = false;
    for (;;) {
      let low = -1;
      for (let l = 0; l < laneCount; l++) if (l !== lane && (low < 0 || load[l]! < load[low]!)) low = l;
      if (low < 0 || load[lane]! - load[low]! < 2 || !mine.length) break;
      owner[mine.pop()!] = low;
      load[lane]!--;
      load[low]!++;
      moved = true;
    }
    if (moved) ring();
  };
  // One policy call at a time even when pipelined: policies need not be re-entrant, and the lanes
  // then fall into a rotation (some render while one infers) by themselves. A finished call hands
  // the policy to the next lane waiting before its own lane goes on (physics, render requests are
  // main-thread work): the next call starts at once instead of after them.
  const waiting: (() => void)[] = [];
  let policyBusy = false;
  const release = () => {
    const start = waiting.shift();
    if (start) start();
    else policyBusy = false;
  };
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    if (!pipelined) return fn();
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        policyBusy = true;
        let run: Promise<T>;
        try {
          run = fn();
        } catch (e) {
          run = Promise.reject(e);
        }
        run.then(
          (v) => (release(), resolve(v)),
          (e: unknown) => (release(), reject(e)),
        );
      };
      if (policyBusy) waiting.push(start);
      else start();
    });
  };
  /** Set when a lane fails: the others stop at their next await and report nothing more. */
  interface Epoch {
    aborted: boolean;
  }

  /** Start the next episodes (redone ones first) in the lane's free slots; returns those slots, not yet rendered. */
  const fill = async (lane: readonly number[], epoch: Epoch): Promise<number[]> => {
    const filled: number[] = [];
    for (const slot of lane) {
      if (epoch.aborted) return filled;
      if (inFlight.has(slot) || opts.shouldStop?.()) continue;
      const k = redo.length ? redo.shift()! : next < episodes.length ? next++ : undefined;
      if (k === undefined) break;
      const ep = episodes[k] as EpisodeSpec;
      inFlight.set(slot, k);
      await env.reset(slot, ep);
      started.set(slot, { t0: performance.now(), policyMs: 0 });
      control.set(slot, new SlotControl(env.profile(slot), latencyModel(ep.scene.cadence, opts.latency), policy.info.chunk?.execute));
      toBegin.set(slot, ep);
      filled.push(slot);
    }
    return filled;
  };

  /** Render `slots` (one batched call) and make them the lane's active slots. False when aborted meanwhile. */
  const observe = async (slots: readonly number[], epoch: Epoch): Promise<boolean> => {
    if (epoch.aborted) return false;
    if (!slots.length) return true;
    const obs = await env.observe(slots);
    if (epoch.aborted) return false;
    slots.forEach((slot, k) => active.set(slot, obs[k]!));
    return true;
  };

  const stepOnce = async (lane: readonly number[], epoch: Epoch) => {
    const all = lane.filter((slot) => active.has(slot)).map((slot) => ({ slot, obs: active.get(slot)! }));
    let expired = new Set<number>();
    /** Which episodes ran past their wall-clock limit, and which of the others ask the policy this tick. */
    const decide = () => {
      const now = performance.now();
      expired = new Set(limitMs ? all.filter(({ slot }) => now - started.get(slot)!.t0 > limitMs).map((b) => b.slot) : []);
      // Only slots with nothing queued and no answer pending ask the policy this tick (chunks, latency).
      return all.filter(({ slot }) => !expired.has(slot) && !beginErrors.has(slot) && control.get(slot)!.wantsQuery());
    };
    const begins = lane.filter((slot) => toBegin.has(slot));
    const acts = new Map<number, ActResult>();
    let callMs = 0;
    if (decide().length || begins.length) {
      // The whole call, begins and timeout race included, holds the policy: an abandoned (hung) call frees it.
      const res = await exclusive(async (): Promise<{ batch: ReturnType<typeof decide>; got: ActResult[] | typeof TIMED_OUT; dt: number } | undefined> => {
        for (const slot of begins) {
          const ep = toBegin.get(slot)!;
          toBegin.delete(slot);
          try {
            // Awaited only when async: an await here would let the lane that just handed over the
            // policy run its physics before this call starts.
            const r = policy.begin(slot, ep);
            if (r) await r;
          } catch (e) {
            // A server that fails its /reset ends this episode as a policy error, like a failed call.
            beginErrors.set(slot, `policy_error: ${policy.info.name}: ${(e as Error).message}`);
          }
        }
        // Decided again once the policy is ours: a slow begin (a server's /reset) or the wait for
        // another lane's call may have taken an episode past its limit.
        const batch = decide();
        if (!batch.length) return undefined;
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
        return { batch, got, dt: performance.now() - t0 };
      });
      if (epoch.aborted) return 0;
      if (res) {
        const { batch, got, dt } = res;
        callMs = dt;
        for (const { slot } of batch) started.get(slot)!.policyMs += dt / batch.length;
        batch.forEach(({ slot }, k) => {
          const a = got === TIMED_OUT ? { error: `${timeoutReason()}: the policy call did not return` } : got[k];
          acts.set(slot, a && ('action' in a || 'actions' in a) ? a : { error: (a as { error?: string } | undefined)?.error ?? 'policy_error: no result for this row' });
        });
      }
    }
    for (const slot of expired) acts.set(slot, { error: timeoutReason() });
    for (const slot of lane) {
      const reason = beginErrors.get(slot);
      if (reason !== undefined && active.has(slot)) acts.set(slot, { error: reason });
    }
    const order = all.map(({ slot }) => slot);
    // Physics only: the render comes below, in one call with the slots refilled meanwhile.
    const results = env.applyActions(
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
    const alive: number[] = [];
    const finished: { k: number; row: EpisodeRow }[] = [];
    for (const [j, r] of results.entries()) {
      const slot = order[j]!;
      if (!r.terminated && !r.truncated) {
        alive.push(slot);
        continue;
      }
      // The row is made before the slot is refilled (a reset replaces the slot's episode and trace).
      const k = inFlight.get(slot)!;
      finished.push({ k, row: makeRow(env, slot, policy, opts, started.get(slot)!) });
      unreported.add(k);
      active.delete(slot);
      inFlight.delete(slot);
      started.delete(slot);
      control.delete(slot);
      beginErrors.delete(slot);
    }
    // Refill the freed slots now, so that the next frames of the running episodes and the first
    // frames of the new ones come in one render call (a second call would queue behind the other
    // lanes' renders).
    const fresh = finished.length ? await fill(lane, epoch) : [];
    if (epoch.aborted) return 0;
    if (!(await observe([...alive, ...fresh], epoch))) return 0;
    // Rows are reported only once the whole step (physics and the next frames) went through:
    // a renderer crash in that render redoes every episode in flight (of every lane), these too.
    // No abort check from here on: a row once reported must never be redone (no duplicates).
    for (const { k, row } of finished) {
      unreported.delete(k);
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
        const runLane = async (lane: number) => {
          if (!(await observe(await fill(laneSlots(lane), epoch), epoch))) return;
          for (;;) {
            if (laneSlots(lane).some((slot) => active.has(slot))) {
              rebalance(lane);
              if ((await stepOnce(laneSlots(lane), epoch)) > 0) crashesInARow = 0;
              if (epoch.aborted) return;
              continue;
            }
            // Nothing of its own to step: wait for episodes handed over by another lane, unless
            // none is left running anywhere (then wake the parked lanes to finish too).
            if (!pipelined || !draining() || !inFlight.size) return ring();
            await bell.rung;
            if (epoch.aborted) return;
          }
        };
        // The first lane to fail stops the others; once all have settled, its error is handled
        // below exactly as the serial loop's (a renderer crash redoes every episode in flight).
        let failed: { error: unknown } | undefined;
        await Promise.all(
          Array.from({ length: laneCount }, (_, lane) =>
            runLane(lane).catch((error: unknown) => {
              failed ??= { error };
              epoch.aborted = true;
              ring();
            }),
          ),
        );
        if (failed) throw failed.error;
        break;
      } catch (e) {
        if (!isRendererCrash(e) || !canRestart(opts.renderer)) throw e;
        if (++crashesInARow > (opts.maxRendererRestarts ?? 3)) throw e;
        const lost = [...inFlight.values(), ...unreported];
        redo.push(...lost);
        redo.sort((a, b) => a - b);
        inFlight.clear();
        unreported.clear();
        active.clear();
        started.clear();
        control.clear();
        toBegin.clear();
        beginErrors.clear();
        resetOwners();
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
