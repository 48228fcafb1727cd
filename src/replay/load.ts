import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { LoadedResults } from '../results/read';
import type { EpisodeRow, RunResults } from '../results/schema';
import { loadSuite, type LoadedSuite } from '../scene/load';
import type { Scene } from '../scene/schema';
import { makeEpisode, type EpisodeSpec } from '../sim/episode';
import { isProbeName, probeEpisodes, probeImageTransform } from '../probes';
import type { Frame } from '../image/frame';
import { episodeProfile, type RobotProfile, type RobotProfileInput } from '../sim/profile';
import type { EpisodeTrace } from '../sim/trace';
import type { ActionMode } from '../sim/world';
import { ConfigError } from '../util/errors';

/**
 * Everything needed to re-simulate (and re-render) one recorded episode: the row and its trace,
 * the scene (from the suite file, hash-checked), the robot profile and the policy's action mode.
 */
export interface ReplaySpec {
  row: EpisodeRow & { trace: EpisodeTrace };
  trace: EpisodeTrace;
  /** The episode as the run planned it (probe episodes derived again). */
  episode: EpisodeSpec;
  scene: Scene;
  sceneHash: string;
  suiteFile: string;
  profile: RobotProfile;
  actionMode: ActionMode;
  /** Policy name made safe for file names. */
  policySlug: string;
  /** The probe's frame transform, for probe episodes: frames are re-rendered as the policy saw them. */
  imageTransform?: (frame: Frame, episode: EpisodeSpec, step: number) => Frame;
}

/** File-name-safe policy name ("policies/x y" → "policies_x_y"). */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '_') || '_';
}

export const isFailure = (row: EpisodeRow): boolean => row.outcome !== 'success';

/** Rows that carry a trace (failed episodes, or all with --trace-all), in results order. */
export function tracedRows(results: RunResults, opts: { failuresOnly?: boolean } = {}): (EpisodeRow & { trace: EpisodeTrace })[] {
  return results.episodes.filter((r): r is EpisodeRow & { trace: EpisodeTrace } => Boolean(r.trace) && (!opts.failuresOnly || isFailure(r)));
}

/**
 * Find the row to replay. `id` may be a full episode id or a unique prefix (like a git hash);
 * an episode id is shared by every policy, so `policy` picks one when several failed it.
 * Without an id: the first failed episode.
 */
export function findRow(results: RunResults, id?: string, policy?: string): { row: EpisodeRow & { trace: EpisodeTrace }; others: EpisodeRow[] } {
  let rows = tracedRows(results);
  if (policy) {
    rows = rows.filter((r) => r.policy === policy);
    if (!rows.length) {
      const names = [...new Set(results.episodes.map((r) => r.policy))].join(', ');
      throw new ConfigError(`No traced episodes for policy "${policy}"`, `Policies in these results: ${names}.`);
    }
  }
  if (!id) {
    const failed = rows.filter(isFailure);
    const row = failed[0] ?? rows[0];
    if (!row) throw new ConfigError('These results have no traced episodes to replay (no failures, and the run was not made with --trace-all).');
    return { row, others: [] };
  }
  const hits = rows.filter((r) => r.episodeId === id || r.episodeId.startsWith(id));
  if (!hits.length) {
    const untraced = results.episodes.find((r) => r.episodeId.startsWith(id) && (!policy || r.policy === policy));
    if (untraced) throw new ConfigError(`Episode ${untraced.episodeId} (${untraced.policy}) has no trace: it succeeded and the run kept traces of failures only.`, 'Rerun with --trace-all to keep every trace.');
    throw new ConfigError(`No episode ${id}${policy ? ` for policy "${policy}"` : ''} in these results.`, 'List the replayable episodes with `simgate replay <results> --list`.');
  }
  const ids = new Set(hits.map((r) => r.episodeId));
  if (ids.size > 1) throw new ConfigError(`Episode id prefix "${id}" is ambiguous: ${[...ids].slice(0, 5).join(', ')}…`, 'Give more characters of the id.');
  const sorted = [...hits.filter(isFailure), ...hits.filter((r) => !isFailure(r))];
  return { row: sorted[0]!, others: sorted.slice(1) };
}

const suiteCache = new Map<string, LoadedSuite>();

/** The suite file that holds `row`'s scene: results.suites[].file (relative to cwd, then to the results folder), or `override`. */
function findSuite(loaded: LoadedResults, row: EpisodeRow, override?: string[]): LoadedSuite {
  const candidates: string[] = [];
  for (const f of override ?? []) candidates.push(resolve(f));
  for (const s of loaded.results.suites) {
    if (s.suite !== row.suite || s.version !== row.suiteVersion) continue;
    if (isAbsolute(s.file)) candidates.push(s.file);
    else candidates.push(resolve(s.file), resolve(loaded.dir, s.file), resolve(loaded.dir, '..', s.file));
  }
  const tried: string[] = [];
  for (const file of candidates) {
    if (tried.includes(file) || !existsSync(file)) continue;
    tried.push(file);
    let suite = suiteCache.get(file);
    if (!suite) suiteCache.set(file, (suite = loadSuite(file)));
    if (suite.suite === row.suite && suite.version === row.suiteVersion && suite.sceneHashes[row.sceneId]) return suite;
  }
  throw new ConfigError(
    `Cannot find suite ${row.suite} v${row.suiteVersion} (scene ${row.sceneId}) for episode ${row.episodeId}${tried.length ? ` (looked in ${tried.join(', ')})` : ''}.`,
    'Run from the folder the benchmark ran in, or pass the suite file with --suite.',
  );
}

/**
 * Build the replay spec of a row: the episode is rebuilt from the suite file (probe episodes are
 * derived again by their probe), and its scene hash and id must match the recording.
 */
export function replaySpec(loaded: LoadedResults, row: EpisodeRow & { trace: EpisodeTrace }, opts: { suites?: string[] } = {}): ReplaySpec {
  const suite = findSuite(loaded, row, opts.suites);
  let episode: EpisodeSpec | undefined;
  if (row.probe) {
    if (!isProbeName(row.probe)) throw new ConfigError(`Episode ${row.episodeId}: unknown probe "${row.probe}" (results from another simgate version?)`);
    const perScene = Math.max(row.seed + 1, Number(loaded.results.config?.episodesPerScene ?? 0));
    episode = probeEpisodes([row.probe], [suite], perScene).find((e) => e.id === row.episodeId);
    if (!episode) throw new ConfigError(`Probe episode ${row.episodeId} (${row.probe}, ${row.sceneId} seed ${row.seed}) cannot be derived again from ${suite.file}: the suite or the probe has changed since the run.`);
  } else {
    const scene = suite.scenes.find((s) => s.id === row.sceneId);
    const hash = suite.sceneHashes[row.sceneId];
    if (scene && hash) {
      episode = makeEpisode(suite, scene, hash, row.seed);
    }
  }
  if (!episode) throw new ConfigError(`Scene ${row.sceneId} is not in ${suite.file}.`);
  if (episode.sceneHash !== row.sceneHash) {
    throw new ConfigError(
      `Scene ${row.sceneId} in ${suite.file} has changed since the run (hash ${episode.sceneHash.slice(0, 12)}…, the run used ${row.sceneHash.slice(0, 12)}…): a replay would not be the same episode.`,
      'Check out the suite file the run used (git log scenes/), or pass it with --suite.',
    );
  }
  if (episode.id !== row.episodeId) throw new ConfigError(`Episode ${row.episodeId}: its id does not match suite/scene/seed/hash (${episode.id}); the results file was edited or is from another version.`);
  // The episode's robot as the run built it: its suite's era, the run's overrides, the scene's drift.
  // (Older results recorded a whole profile under `profile`; as overrides it gives the same robot.)
  const profile = episodeProfile(episode.profile, episode.scene, (loaded.results.config?.profile ?? {}) as RobotProfileInput);
  const info = loaded.results.policies?.find((p) => p.name === row.policy);
  if (!info) throw new ConfigError(`Policy "${row.policy}" of episode ${row.episodeId} is not in results.policies: cannot tell its action mode.`);
  return {
    row,
    trace: row.trace,
    episode,
    scene: episode.scene,
    sceneHash: episode.sceneHash,
    suiteFile: suite.file,
    profile,
    actionMode: info.actionMode,
    policySlug: slug(row.policy),
    ...(row.probe ? { imageTransform: probeImageTransform } : {}),
  };
}

/** Folder of one episode's replay artefacts, relative to the results folder. */
export const replayRel = (policy: string, episodeId: string): string => `replay/${slug(policy)}/${episodeId}`;
/** Folder of one episode's stored frames (--trace-frames), relative to the results folder. */
export const tracesRel = (policy: string, episodeId: string): string => `traces/${slug(policy)}/${episodeId}`;
