import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregate } from '../measures/aggregate';
import { loadPolicy, specLabel } from '../policy/load';
import type { Policy, PolicyInfo } from '../policy/types';
import type { Renderer } from '../render/types';
import { loadSuite, type LoadedSuite } from '../scene/load';
import { suiteEpisodes, type EpisodeSpec } from '../sim/episode';
import { makeProfile } from '../sim/profile';
import { VERSION } from '../version';
import type { BenchConfig } from './config';
import { runEpisodes } from './episode-loop';
import { RESULTS_SCHEMA_VERSION, type EpisodeRow, type RunResults } from './results';

export interface RunHooks {
  /** A policy is about to run `total` episodes. */
  onPolicyStart?: (info: PolicyInfo, total: number) => void;
  onEpisode?: (row: EpisodeRow) => void;
  onPolicyEnd?: (info: PolicyInfo, rows: EpisodeRow[]) => void;
  /** Start the renderer lazily (only when some policy needs frames). */
  launchRenderer?: () => Promise<Renderer>;
  shouldStop?: () => boolean;
}

export function loadSuites(files: readonly string[]): LoadedSuite[] {
  return files.map((f) => loadSuite(f));
}

export function planEpisodes(suites: readonly LoadedSuite[], episodesPerScene: number): EpisodeSpec[] {
  return suites.flatMap((s) => suiteEpisodes(s, episodesPerScene));
}

/**
 * The main job: every policy on every episode. Rows stream to `episodes.jsonl` as they finish;
 * `results.json` (config, aggregates, rows) is written at the end.
 */
export async function runBench(config: BenchConfig, hooks: RunHooks = {}): Promise<RunResults> {
  const suites = loadSuites(config.suites);
  const episodes = planEpisodes(suites, config.episodesPerScene);
  const profile = makeProfile(config.profile ?? {});
  mkdirSync(config.outputDir, { recursive: true });
  const jsonl = join(config.outputDir, 'episodes.jsonl');
  writeFileSync(jsonl, '');

  // Load every policy first: a bad manifest should fail before anything runs.
  const policies: Policy[] = [];
  try {
    for (const spec of config.policies) policies.push(await loadPolicy(spec, { device: config.device }));
    const names = new Set<string>();
    for (const [i, p] of policies.entries()) {
      if (names.has(p.info.name)) throw new Error(`policies[${i}] (${specLabel(config.policies[i]!)}): duplicate policy name "${p.info.name}"`);
      names.add(p.info.name);
    }
    let renderer: Renderer | undefined;
    const rows: EpisodeRow[] = [];
    try {
      for (const policy of policies) {
        if (policy.info.needsImage && !renderer) {
          if (!hooks.launchRenderer) throw new Error(`policy "${policy.info.name}" needs camera frames: no renderer available`);
          renderer = await hooks.launchRenderer();
        }
        hooks.onPolicyStart?.(policy.info, episodes.length);
        const got = await runEpisodes(policy, episodes, {
          profile,
          batchSize: config.batchSize,
          ...(renderer ? { renderer } : {}),
          endOnCollision: config.endOnCollision,
          traceAll: config.traceAll,
          ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
          onEpisode: (row) => {
            appendFileSync(jsonl, JSON.stringify(row) + '\n');
            hooks.onEpisode?.(row);
          },
        });
        rows.push(...got);
        hooks.onPolicyEnd?.(policy.info, got);
        if (hooks.shouldStop?.()) break;
      }
      const results: RunResults = {
        schemaVersion: RESULTS_SCHEMA_VERSION,
        tool: { name: 'simgate', version: VERSION },
        createdAt: new Date().toISOString(),
        config: { ...config, profile },
        environment: { node: process.version, platform: `${process.platform}-${process.arch}`, ...(renderer ? { renderer: renderer.describe() } : {}) },
        policies: policies.map((p) => p.info),
        suites: suites.map((s) => ({ suite: s.suite, version: s.version, file: s.file, scenes: s.scenes.length })),
        aggregates: aggregate(rows),
        episodes: rows,
      };
      writeFileSync(join(config.outputDir, 'results.json'), JSON.stringify(results, null, 1) + '\n');
      return results;
    } finally {
      await renderer?.close();
    }
  } finally {
    for (const p of policies) await p.close();
  }
}
