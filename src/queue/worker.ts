import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { parseConfig, type BenchConfig } from '../config/config';
import { loadPolicy, specLabel } from '../policy/load';
import type { Policy } from '../policy/types';
import { launchRenderer, type ResolvedRenderer } from '../render/launch';
import type { EpisodeRow } from '../results/schema';
import { runEpisodes, type LoopOptions } from '../runner/episode-loop';
import { allPlanEpisodes, identifyPlan, loadSuites, planLoopOptions, planProfiles } from '../runner/run';
import type { Renderer } from '../sim/camera';
import type { EpisodeSpec } from '../sim/episode';
import { canonicalJson } from '../util/hash';
import { ConfigError, SimgateError } from '../util/errors';
import { connectRedis, queueNameOf, redactUrl, watchConnection } from './connection';
import { configFailure, UnitData, type UnitResult } from './jobs';

export interface WorkerOptions {
  /** redis://host:port of the queue. */
  url: string;
  queueName?: string;
  /** Episodes stepped in lockstep here (default: the run's batch size). */
  batchSize?: number;
  /** onnxruntime execution provider here (default `auto`: CUDA where this machine has it, whatever the coordinator's machine has). */
  device?: BenchConfig['device'];
  /** Exit after this long without a job (default: serve until stopped). */
  idleExitMs?: number;
  /** BullMQ's job lock: a worker silent this long (killed, frozen) loses its job to another (default 30 s). */
  lockDurationMs?: number;
  /** How often this worker looks for other workers' stalled jobs (default 30 s). */
  stalledIntervalMs?: number;
  /** Worker name in logs and in each job's record (default host:pid). */
  name?: string;
  log?: (message: string) => void;
  launchRenderer?: (r: ResolvedRenderer) => Promise<Renderer>;
  /** Testing hook: sleep this long after each episode (see the CLI's SIMGATE_SLOW_MS). */
  slowMs?: number;
}

export interface RunningWorker {
  name: string;
  /** Finish the unit in hand, then stop taking jobs; resolves when the worker is down. */
  stop: () => Promise<void>;
  /** Resolves when the worker is down (stopped, or idle past idleExitMs): units done, units failed. */
  done: Promise<{ units: number; failed: number }>;
}

/** A plan as this worker rebuilt it from a job: its own suites, policies and loop. */
interface LocalPlan {
  key: string;
  hash: string;
  byId: Map<string, EpisodeSpec>;
  policies: Policy[];
  loop: LoopOptions;
  /** The renderer the run resolved (its kind comes in the job's config), driver as found here. */
  render?: ResolvedRenderer;
}

/**
 * `simgate worker`: takes units from the queue until stopped (or idle for `idleExitMs`), one at a
 * time. Each unit runs here exactly as a local run would run those episodes — same loop options
 * (planLoopOptions), own renderer (the kind the run resolved, started at the first image policy), own policy
 * runtime (CUDA where present) — and its rows, traces of failures included, go back as the job's
 * result. A worker whose own suites or policies give another plan hash refuses the job (no
 * retry): rows from a different plan must never mix into a run.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const client = await connectRedis(opts.url);
  const queueName = queueNameOf(opts.queueName);
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const log = opts.log ?? (() => undefined);
  const watch = watchConnection(client);
  let plan: LocalPlan | undefined;
  let renderer: Renderer | undefined;
  let units = 0;
  let failed = 0;
  let busy = false;
  let lastActive = Date.now();

  const processor = async (job: Job): Promise<UnitResult> => {
    const parsed = UnitData.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: not a simgate unit (${parsed.error.issues[0]?.message ?? 'bad data'}): is this worker's simgate version the coordinator's?`);
    const data = parsed.data;
    const t0 = performance.now();
    let local: LocalPlan;
    try {
      local = await planFor(data);
    } catch (e) {
      // A problem of this machine's files (or of the run): no retry, the run stops with exit 2.
      if (e instanceof SimgateError) throw new UnrecoverableError(configFailure(name, e));
      throw e;
    }
    const policy = local.policies[data.policyIndex];
    if (!policy || policy.info.name !== data.policy) throw new UnrecoverableError(configFailure(name, new ConfigError(`policy ${data.policyIndex} is "${policy?.info.name}" here, "${data.policy}" in the run`)));
    const episodes = data.episodes.map((id) => {
      const e = local.byId.get(id);
      if (!e) throw new UnrecoverableError(configFailure(name, new ConfigError(`episode ${id} is not in this worker's plan`)));
      return e;
    });
    log(`took ${job.id}: ${policy.info.name} on ${episodes.length} episode(s) (plan ${data.planHash}, attempt ${job.attemptsStarted})`);
    if (policy.info.needsImage && !renderer) renderer = await (opts.launchRenderer ?? launchRenderer)(local.render!);
    const rows: EpisodeRow[] = await runEpisodes(policy, episodes, {
      ...local.loop,
      ...(renderer ? { renderer } : {}),
      onRendererRestart: ({ error, redo }) => log(`renderer crashed (${error.message.split('\n')[0]}): restarted it; redoing ${redo.length} episode(s) in flight`),
      onEpisode: async () => {
        // Between episodes, give BullMQ's lock renewal its turn: a scripted policy's loop never waits on I/O.
        await new Promise((r) => setImmediate(r));
        if (opts.slowMs) await new Promise((r) => setTimeout(r, opts.slowMs));
      },
    });
    const ok = rows.filter((r) => r.outcome === 'success').length;
    log(`done ${job.id}: ${rows.length} row(s), ${ok} success(es), in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { rows, worker: name };
  };

  /** The job's plan, rebuilt here (cached: a worker usually serves one run's units in a row). */
  const planFor = async (data: UnitData): Promise<LocalPlan> => {
    const key = `${data.planHash}:${canonicalJson({ ...data.config, outputDir: null })}`;
    if (plan?.key === key) return plan;
    if (plan) {
      for (const p of plan.policies) await p.close();
      plan = undefined;
    }
    const config = parseConfig(
      { ...data.config, device: opts.device ?? 'auto', ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) },
      `the config of queued plan ${data.planHash}`,
    );
    const suites = loadSuites(config.suites);
    const episodes = allPlanEpisodes(config, suites);
    const { eras, profiles, profileFor } = planProfiles(config, suites);
    const policies: Policy[] = [];
    let render: ResolvedRenderer | undefined;
    try {
      for (const spec of config.policies) policies.push(await loadPolicy(spec, { device: config.device }));
      const id = await identifyPlan(config, suites, episodes, policies);
      const hash = id.hash;
      render = id.render;
      if (hash !== data.planHash) {
        const here = `${episodes.length} episodes from ${config.suites.join(', ')}; policies ${policies.map((p) => p.info.name).join(', ')}`;
        const there = `${data.expect.episodes} episodes; policies ${data.expect.policies.join(', ')}`;
        throw new ConfigError(
          `its plan hash is ${hash} (${here}${render ? `; renderer ${render.kind} on ${render.driver}` : ''}), the run's is ${data.planHash} (${there}): the suites, policy manifests, models or renderer drivers differ between this machine and the coordinator's`,
          `Run workers from the same checkout and files as the coordinator (paths are relative to ${process.cwd()} here).`,
        );
      }
    } catch (e) {
      for (const p of policies) await p.close().catch(() => undefined);
      throw e;
    }
    plan = { key, hash: data.planHash, byId: new Map(episodes.map((e) => [e.id, e])), policies, loop: planLoopOptions(config, profiles[eras[0]!]!, profileFor), ...(render ? { render } : {}) };
    log(`loaded plan ${data.planHash}: ${config.policies.map(specLabel).join(', ')} on ${episodes.length} episodes`);
    return plan;
  };

  const worker = new Worker(queueName, processor, {
    connection: client,
    name,
    concurrency: 1,
    autorun: false,
    // A killed worker's unit goes back to the queue once its lock runs out (BullMQ stalled jobs:
    // docs.bullmq.io/guide/workers/stalled-jobs); a unit may stall a few times (a worker node
    // drained, a pod evicted) before it counts as failed.
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: 3,
  });
  worker.on('error', (e) => log(`queue error: ${e.message}`));
  worker.on('active', () => {
    busy = true;
  });
  worker.on('completed', () => {
    units++;
    busy = false;
    lastActive = Date.now();
  });
  worker.on('failed', (job, e) => {
    failed++;
    busy = false;
    lastActive = Date.now();
    log(`failed ${job?.id ?? '?'}: ${e.message.split('\n')[0]}`);
  });
  let lost = false;
  const ticker = setInterval(() => {
    const down = watch.downForMs();
    if (down > 5000 && !lost) log(`lost Redis at ${redactUrl(opts.url)} (${watch.lastError() ?? 'connection closed'}); reconnecting…`);
    if (down === 0 && lost) log(`Redis at ${redactUrl(opts.url)} is back`);
    lost = down > 5000;
    if (opts.idleExitMs !== undefined && !busy && Date.now() - lastActive > opts.idleExitMs) {
      log(`no job for ${Math.round(opts.idleExitMs / 1000)} s: exiting`);
      void stop();
    }
  }, 250);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(ticker);
      await worker.close();
    })());

  log(`worker ${name}: taking jobs from ${redactUrl(opts.url)} (queue "${queueName}")`);
  const done = (async () => {
    try {
      await worker.run();
    } finally {
      clearInterval(ticker);
      await stop().catch(() => undefined);
      for (const p of plan?.policies ?? []) await p.close().catch(() => undefined);
      await renderer?.close().catch(() => undefined);
      client.disconnect();
    }
    return { units, failed };
  })();
  return { name, stop, done };
}
