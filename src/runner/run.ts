import { aggregate } from '../measures/aggregate';
import { loadPolicy, specLabel } from '../policy/load';
import type { Policy, PolicyInfo } from '../policy/types';
import type { Renderer } from '../sim/camera';
import { loadSuite, type LoadedSuite } from '../scene/load';
import { suiteEpisodes, type EpisodeSpec } from '../sim/episode';
import { episodeProfile, namedProfile, type RobotProfile, type RobotProfileInput } from '../sim/profile';
import { VERSION } from '../version';
import { ConfigError } from '../util/errors';
import { probeEpisodes, probeImageTransform } from '../probes';
import type { BenchConfig, RendererChoice } from '../config/config';
import { resolveRenderer, type ResolvedRenderer } from '../render/launch';
import { runEpisodes, type LoopOptions } from './episode-loop';
import { writeFileAtomic } from '../results/jsonl';
import { planDescription, planHash, shardEpisodes, type Shard } from './plan';
import { prepareOutput } from './resume';
import { inferenceConfigs } from './inference';
import { rowKey, type PlanFile } from '../results/layout';
import { RESULTS_SCHEMA_VERSION, type EpisodeRow, type RunResults } from '../results/schema';

export interface RunHooks {
  /** A policy is about to run: `total` episodes in all, `already` of them done (resume). */
  onPolicyStart?: (info: PolicyInfo, total: number, already: readonly EpisodeRow[]) => void;
  /** Awaited: a slow hook slows the run (tests use that to kill a run part-way). */
  onEpisode?: (row: EpisodeRow) => void | Promise<void>;
  onPolicyEnd?: (info: PolicyInfo, rows: EpisodeRow[]) => void;
  /** Start the renderer lazily (only when some policy needs frames), of the kind the plan resolved. */
  launchRenderer?: (r: ResolvedRenderer) => Promise<Renderer>;
  /** Resolve `config.renderer` (default: src/render/launch.ts, which probes WebGPU for `auto`). */
  resolveRenderer?: (choice: RendererChoice) => Promise<ResolvedRenderer>;
  shouldStop?: () => boolean;
  /** Things worth telling the user (resuming, a renderer restart, a moved file). */
  onNotice?: (message: string) => void;
}

export function loadSuites(files: readonly string[]): LoadedSuite[] {
  return files.map((f) => loadSuite(f));
}

export function planEpisodes(suites: readonly LoadedSuite[], episodesPerScene: number): EpisodeSpec[] {
  return suites.flatMap((s) => suiteEpisodes(s, episodesPerScene));
}

export interface RunOptions {
  /** Continue the run in `config.outputDir`: skip (policy, episode) pairs already in episodes.jsonl. */
  resume?: boolean;
  /** Run one slice of the episode plan (see shardEpisodes for the rule). */
  shard?: Shard;
  /** Who runs the episodes (default: this process, runEpisodes). */
  executor?: EpisodeExecutor;
  /**
   * Which policy runs which episodes, when (default: every policy on every episode, one policy
   * after the other). The sequential gate (src/runner/sequential.ts) runs blocks and stops early.
   */
  drive?: Drive;
}

/**
 * A drive calls `run` as it likes (rows already there are skipped, as on resume) and resolves
 * with whether the run finished as it meant to (results.json `complete`).
 */
export type Drive = (ctx: {
  policies: readonly PolicyInfo[];
  /** The plan's episodes (this shard's), in plan order. */
  episodes: readonly EpisodeSpec[];
  /** Every row so far (resumed ones included), by rowKey; live. */
  rows: ReadonlyMap<string, EpisodeRow>;
  run: (policy: string, episodes: readonly EpisodeSpec[]) => Promise<void>;
}) => Promise<boolean>;

/**
 * Who runs a policy's episodes. The default runs them here; the queue coordinator
 * (src/queue/coordinator.ts) hands them to workers and reports their rows through the same
 * `loop.onEpisode`, so episodes.jsonl, resume and progress work unchanged.
 */
export interface EpisodeExecutor {
  /** False: the episodes run elsewhere, so no renderer is started here. */
  readonly local: boolean;
  /** Once, before the first policy runs: the run's episodes (this shard's), and each policy's still to do (config order). */
  begin?: (plan: { hash: string; config: BenchConfig; shard?: Shard; episodes: readonly EpisodeSpec[]; work: { policy: PolicyInfo; episodes: readonly EpisodeSpec[] }[] }) => Promise<void>;
  /** One policy's episodes; resolves with their rows in episode order, as runEpisodes does. */
  run: (policy: Policy, episodes: readonly EpisodeSpec[], loop: LoopOptions) => Promise<EpisodeRow[]>;
}

export const localExecutor: EpisodeExecutor = { local: true, run: runEpisodes };

/**
 * The episodes of the plan: every policy on every episode (of this shard). Rows stream to `episodes.jsonl`
 * as they finish, flushed to disk one by one; `results.json` (plan, config, aggregates, rows in
 * plan order) is written at the end — also after Ctrl-C or a crash, then with `complete: false`.
 * With `resume`, pairs already on disk are not run again and the final results.json is the one
 * an uninterrupted run would have written (timing and timestamps aside).
 */
export async function runPlan(config: BenchConfig, hooks: RunHooks = {}, opts: RunOptions = {}): Promise<RunResults> {
  const suites = loadSuites(config.suites);
  // Probe episodes (src/probes) follow the base plan; their ids carry the probe name.
  const allEpisodes = allPlanEpisodes(config, suites);
  const episodes = shardEpisodes(allEpisodes, opts.shard);
  const { eras, profiles, profileFor } = planProfiles(config, suites);
  const executor = opts.executor ?? localExecutor;

  // Load every policy first: a bad manifest should fail before anything runs.
  const policies: Policy[] = [];
  try {
    for (const spec of config.policies) policies.push(await loadPolicy(spec, { device: config.device }));
    const names = new Set<string>();
    for (const [i, p] of policies.entries()) {
      if (names.has(p.info.name)) throw new Error(`policies[${i}] (${specLabel(config.policies[i]!)}): duplicate policy name "${p.info.name}"`);
      names.add(p.info.name);
    }
    const { runs, policyEpisodes, render, hash } = await identifyPlan(config, suites, allEpisodes, policies, hooks);
    const episodesOf = new Map(policies.map((p) => [p.info.name, episodes.filter((e) => runs(p.info.name, e))]));
    const planFile: PlanFile = {
      schemaVersion: 1,
      planHash: hash,
      ...(opts.shard ? { shard: opts.shard } : {}),
      policies: policies.map((p) => p.info.name),
      planEpisodes: allEpisodes.length,
      shardEpisodes: episodes.length,
      createdAt: new Date().toISOString(),
    };
    const planned = new Set(policies.flatMap((p) => episodesOf.get(p.info.name)!.map((e) => rowKey(p.info.name, e.id))));
    const out = prepareOutput({ dir: config.outputDir, resume: Boolean(opts.resume), plan: planFile, planned, ...(hooks.onNotice ? { notice: hooks.onNotice } : {}) });
    if (opts.resume && out.done.size) hooks.onNotice?.(`Resuming: ${out.done.size} of ${planned.size} episode rows already done in ${out.files.jsonl}`);

    let renderer: Renderer | undefined;
    // Every row carries the inference config it was produced with (src/runner/inference.ts).
    const inferenceOf = inferenceConfigs(config, profileFor);
    const specOf = new Map(episodes.map((e) => [e.id, e]));
    // Rows on disk (resumed) and rows of this run, by rowKey; results list them in plan order.
    const have = new Map(out.done);
    const write = (complete: boolean): RunResults => {
      const rows = policies.flatMap((p) => episodesOf.get(p.info.name)!.flatMap((e) => have.get(rowKey(p.info.name, e.id)) ?? []));
      const results: RunResults = {
        schemaVersion: RESULTS_SCHEMA_VERSION,
        tool: { name: 'simgate', version: VERSION },
        createdAt: new Date().toISOString(),
        plan: { hash, policies: planFile.policies, episodes: allEpisodes.length, shardEpisodes: episodes.length, rows: planned.size, ...(policyEpisodes ? { policyEpisodes } : {}) },
        ...(opts.shard ? { shard: opts.shard } : {}),
        complete,
        config: { ...config, profiles },
        environment: {
          node: process.version,
          platform: `${process.platform}-${process.arch}`,
          // Run elsewhere (queue workers): the kind and driver the plan resolved, which every worker matched.
          ...(renderer ? { renderer: renderer.describe() } : render ? { renderer: { kind: render.kind, driver: render.driver, ranOn: 'workers' } } : {}),
        },
        policies: policies.map((p) => p.info),
        suites: suites.map((s) => ({ suite: s.suite, version: s.version, file: s.file, scenes: s.scenes.length, ...(s.profile ? { profile: s.profile } : {}) })),
        aggregates: aggregate(rows),
        episodes: rows,
      };
      writeFileAtomic(out.files.results, JSON.stringify(results, null, 1) + '\n');
      return results;
    };
    let finished = false;
    try {
      const todoOf = (name: string) => (hooks.shouldStop?.() ? [] : episodesOf.get(name)!.filter((e) => !out.done.has(rowKey(name, e.id))));
      // Workers start the renderer the plan resolved (not their own `auto`).
      await executor.begin?.({ hash, config: render ? { ...config, renderer: render.kind } : config, ...(opts.shard ? { shard: opts.shard } : {}), episodes, work: policies.map((p) => ({ policy: p.info, episodes: todoOf(p.info.name) })) });
      // One policy on the plan's episodes, or on those a drive picks (rows already there skipped).
      const runPolicy = async (policy: Policy, wanted?: readonly EpisodeSpec[]) => {
        // A drive may pick any episodes; a policy still runs only its own suites' episodes.
        const list = wanted ? wanted.filter((e) => runs(policy.info.name, e)) : episodesOf.get(policy.info.name)!;
        const name = policy.info.name;
        const already = list.flatMap((e) => have.get(rowKey(name, e.id)) ?? []);
        const todo = !wanted ? todoOf(name) : hooks.shouldStop?.() ? [] : list.filter((e) => !have.has(rowKey(name, e.id)));
        if (todo.length) {
          if (policy.info.needsImage && !renderer && executor.local) {
            if (!hooks.launchRenderer) throw new Error(`policy "${name}" needs camera frames: no renderer available`);
            renderer = await hooks.launchRenderer(render!);
          }
          hooks.onPolicyStart?.(policy.info, list.length, already);
          const got = await executor.run(policy, todo, {
            ...planLoopOptions(config, profiles[eras[0]!]!, profileFor),
            ...(renderer ? { renderer } : {}),
            ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
            onRendererRestart: ({ error, redo }) => hooks.onNotice?.(`renderer crashed (${error.message.split('\n')[0]}): restarted it; redoing ${redo.length} episode(s) in flight`),
            onEpisode: async (row) => {
              const ep = specOf.get(row.episodeId);
              if (ep) row.inference = inferenceOf(policy.info, ep);
              out.writer.append(row);
              have.set(rowKey(row.policy, row.episodeId), row);
              await hooks.onEpisode?.(row);
            },
          });
          hooks.onPolicyEnd?.(policy.info, got);
        }
      };
      const byName = new Map(policies.map((p) => [p.info.name, p]));
      const driven = opts.drive ? await opts.drive({ policies: policies.map((p) => p.info), episodes, rows: have, run: (name, list) => runPolicy(byName.get(name)!, list) }) : undefined;
      if (!opts.drive) for (const policy of policies) await runPolicy(policy);
      const results = write(driven ?? [...planned].every((k) => have.has(k)));
      finished = true;
      return results;
    } finally {
      out.writer.close();
      // A crash mid-run still leaves a results.json of the rows so far (all of them are in the JSONL too).
      if (!finished) {
        try {
          write(false);
        } catch {
          /* the original error matters more */
        }
      }
      out.release();
      await renderer?.close();
    }
  } finally {
    for (const p of policies) await p.close();
  }
}

/**
 * What identifies a plan: which suites each policy runs (config `policySuites`, as Playwright's
 * per-project testMatch), the renderer when some policy sees frames (resolved here: frames differ
 * between renderers), and the hash of it all. The coordinator and every queue worker call this,
 * so they agree on the hash exactly when they would produce the same rows.
 */
export async function identifyPlan(
  config: BenchConfig,
  suites: readonly LoadedSuite[],
  allEpisodes: readonly EpisodeSpec[],
  policies: readonly Policy[],
  hooks: Pick<RunHooks, 'resolveRenderer' | 'onNotice'> = {},
): Promise<{ runs: (name: string, e: EpisodeSpec) => boolean; policyEpisodes?: Record<string, number[]>; render?: ResolvedRenderer; hash: string }> {
  const { profiles } = planProfiles(config, suites);
  const suiteNames = new Map(config.suites.map((f, i) => [f, suites[i]!.suite]));
  const allowed = new Map(Object.entries(config.policySuites ?? {}).map(([p, files]) => [p, new Set(files.map((f) => suiteNames.get(f)))]));
  const runs = (name: string, e: EpisodeSpec) => allowed.get(name)?.has(e.suite) ?? true;
  const policyEpisodes = allowed.size ? Object.fromEntries(policies.map((p) => [p.info.name, allEpisodes.flatMap((e, k) => (runs(p.info.name, e) ? [k] : []))])) : undefined;
  const needsFrames = policies.some((p) => p.info.needsImage && allEpisodes.some((e) => runs(p.info.name, e)));
  const render = needsFrames ? await (hooks.resolveRenderer ?? resolveRenderer)(config.renderer) : undefined;
  if (render?.fallback) hooks.onNotice?.(render.fallback);
  const hash = planHash({ ...planDescription(config, profiles, allEpisodes, policies.map((p) => p.info), render), ...(policyEpisodes ? { policyEpisodes } : {}) });
  return { runs, ...(policyEpisodes ? { policyEpisodes } : {}), ...(render ? { render } : {}), hash };
}

/** The episodes of the whole plan, in plan order: the base plan, then the probes' (their ids carry the probe name). */
export function allPlanEpisodes(config: BenchConfig, suites: readonly LoadedSuite[]): EpisodeSpec[] {
  return [...planEpisodes(suites, config.episodesPerScene), ...probeEpisodes(config.probes, suites, config.episodesPerScene)];
}

/** The robot of each era the suites use (overrides applied), and each episode's own (its scene's drift). */
export function planProfiles(config: BenchConfig, suites: readonly LoadedSuite[]): { eras: string[]; profiles: Record<string, RobotProfile>; profileFor: (episode: EpisodeSpec) => RobotProfile } {
  const overrides = (config.profile ?? {}) as RobotProfileInput;
  const eras = [...new Set(suites.map((s) => s.profile ?? 'seed-pulse'))];
  const profiles: Record<string, RobotProfile> = {};
  for (const era of eras) {
    try {
      profiles[era] = namedProfile(era, overrides);
    } catch (e) {
      const s = suites.find((x) => (x.profile ?? 'seed-pulse') === era)!;
      throw new ConfigError(`${s.file}: profile: ${(e as Error).message}`, 'Name one of the robot profiles in README "The robot", or leave `profile` out.');
    }
  }
  return { eras, profiles, profileFor: episodeProfiles(overrides) };
}

/**
 * The loop options that follow from the config: everything the rows depend on besides the plan.
 * Queue workers (src/queue/worker.ts) build their loop with this same function, so an option
 * added here reaches them too and queued rows stay those of a local run.
 */
export function planLoopOptions(config: BenchConfig, profile: RobotProfile, profileFor: (episode: EpisodeSpec) => RobotProfile): LoopOptions {
  return {
    profile,
    profileFor,
    ...(config.latency !== undefined ? { latency: config.latency } : {}),
    batchSize: config.batchSize,
    endOnCollision: config.endOnCollision,
    traceAll: config.traceAll,
    ...(config.probes.length ? { imageTransform: probeImageTransform } : {}),
    ...(config.episodeTimeout ? { episodeTimeoutMs: config.episodeTimeout * 1000 } : {}),
    ...(config.pipeline ? { pipeline: config.pipeline } : {}),
  };
}

/**
 * Each episode's robot: its suite's era, the run's overrides, the scene's drift. Memoised: a few
 * eras × drifts in a run, thousands of episodes.
 */
export function episodeProfiles(overrides: RobotProfileInput): (episode: EpisodeSpec) => RobotProfile {
  const memo = new Map<string, RobotProfile>();
  return (episode) => {
    const key = `${episode.profile ?? 'seed-pulse'}|${episode.scene.robot.driftDeg ?? ''}`;
    let p = memo.get(key);
    if (!p) memo.set(key, (p = episodeProfile(episode.profile, episode.scene, overrides)));
    return p;
  };
}
