import { existsSync, readFileSync } from 'node:fs';
import type { PolicyInfo } from '../policy/types';
import type { EpisodeSpec } from '../sim/episode';
import type { RobotProfile } from '../sim/profile';
import { canonicalJson, sha256 } from '../util/hash';
import { ConfigError } from '../util/errors';
import type { BenchConfig } from '../config/config';
import type { Shard } from '../results/schema';

export type { Shard };

export const shardLabel = (s: Shard | undefined): string => (s ? `${s.index}/${s.total}` : 'unsharded');

export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (text.trim() === 'auto') return shardFromEnv(env);
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(total) || total < 1 || index < 1 || index > total) {
    throw new ConfigError(`--shard ${text}: expected i/n with 1 ≤ i ≤ n (e.g. --shard 2/3)`);
  }
  return { index, total };
}

/**
 * `--shard auto`: i/n from the cluster's array-job variables.
 * - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (0-based, set by the Job controller) and
 *   `JOB_COMPLETIONS`, which the manifest sets to `spec.completions` (Kubernetes does not pass the
 *   count to pods: kubernetes.io/docs/tasks/job/indexed-parallel-processing-static).
 * - SLURM job array: `SLURM_ARRAY_TASK_ID` within `SLURM_ARRAY_TASK_MIN`…`MAX`, and
 *   `SLURM_ARRAY_TASK_COUNT` (slurm.schedmd.com/job_array.html). The array must be one contiguous
 *   range (`--array=0-7` or `1-8`, any `%` limit): task MIN is shard 1.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv): Shard {
  const int = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v.trim())) throw new ConfigError(`--shard auto: ${name}=${v} is not a whole number`);
    return Number(v);
  };
  const k8sIndex = int('JOB_COMPLETION_INDEX');
  if (k8sIndex !== undefined) {
    const total = int('JOB_COMPLETIONS');
    if (total === undefined) {
      throw new ConfigError('--shard auto: JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but JOB_COMPLETIONS is not', 'Set env JOB_COMPLETIONS to the Job\'s spec.completions in the pod template (Kubernetes does not pass it), or use --shard i/n.');
    }
    return checked({ index: k8sIndex + 1, total }, `JOB_COMPLETION_INDEX=${k8sIndex}, JOB_COMPLETIONS=${total}`);
  }
  const task = int('SLURM_ARRAY_TASK_ID');
  if (task !== undefined) {
    const count = int('SLURM_ARRAY_TASK_COUNT');
    const min = int('SLURM_ARRAY_TASK_MIN');
    const max = int('SLURM_ARRAY_TASK_MAX');
    const step = int('SLURM_ARRAY_TASK_STEP') ?? 1;
    const facts = `SLURM_ARRAY_TASK_ID=${task}, MIN=${min}, MAX=${max}, COUNT=${count}${step !== 1 ? `, STEP=${step}` : ''}`;
    if (count === undefined || min === undefined || max === undefined) throw new ConfigError(`--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT/MIN/MAX (${facts})`, 'Run it as a job array (sbatch --array=1-N), or use --shard i/n.');
    // A sparse array (--array=1,3,7 or a step) has no i/n reading: the missing shards would never run.
    if (step !== 1 || max - min + 1 !== count) throw new ConfigError(`--shard auto: the job array is not one contiguous range (${facts})`, 'Submit --array=1-N (N shards), or rerun a single shard with --shard i/N.');
    return checked({ index: task - min + 1, total: count }, facts);
  }
  throw new ConfigError('--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (SLURM job array) is set', 'Use --shard i/n outside a cluster array job.');
}

function checked(s: Shard, facts: string): Shard {
  if (s.total < 1 || s.index < 1 || s.index > s.total) throw new ConfigError(`--shard auto: ${facts} gives shard ${s.index}/${s.total}, outside 1…${s.total}`);
  return s;
}

/**
 * The shard rule: episodes are dealt round-robin in plan order — plan episode k (0-based) belongs
 * to shard (k mod n) + 1. Every shard runs every policy on its episodes. Shard sizes differ by at
 * most one, and each shard gets a mix of suites, families and difficulties (contiguous blocks
 * would give one shard all the long, novel episodes). The rule depends only on the plan, which
 * merge checks through the plan hash.
 */
export function shardEpisodes<T>(episodes: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.total === 1) return [...episodes];
  return episodes.filter((_, k) => k % shard.total === shard.index - 1);
}

/** What identifies a policy for the plan: not its path or URL (shards may run on other machines). */
export function policyIdentity(info: PolicyInfo): Record<string, unknown> {
  const d = info.details ?? {};
  const id: Record<string, unknown> = {
    name: info.name,
    kind: info.kind,
    variant: info.variant,
    actionMode: info.actionMode,
    needsImage: info.needsImage,
  };
  if (typeof d.modelSha256 === 'string') id.modelSha256 = d.modelSha256;
  // Chunk execution decides the actions taken, hence the rows.
  if (info.chunk) id.chunk = info.chunk;
  // The manifest decides preprocessing and action scaling: hash its content, not its path.
  if (typeof d.manifest === 'string' && existsSync(d.manifest)) id.manifestSha256 = sha256(readFileSync(d.manifest));
  return id;
}

/**
 * Everything that decides the rows of a run, and nothing that does not (batch size, output
 * folder, device choice, shard, timeouts). Two runs with the same plan hash produce the same rows,
 * so resume and merge refuse to mix runs whose hashes differ.
 */
export function planDescription(
  config: BenchConfig,
  profiles: Record<string, RobotProfile>,
  episodes: readonly EpisodeSpec[],
  policies: readonly PolicyInfo[],
  render?: { kind: string; driver: string },
): Record<string, unknown> {
  return {
    planVersion: 3,
    // Who drew the frames (when a policy sees any): renderers and their drivers differ slightly.
    renderer: render ? { kind: render.kind, driver: render.driver } : null,
    policies: policies.map(policyIdentity),
    episodesPerScene: config.episodesPerScene,
    endOnCollision: config.endOnCollision,
    traceAll: config.traceAll,
    probes: config.probes,
    // The robot of each era the plan uses, overrides applied (scene drift is in the scene hash).
    profiles,
    latency: config.latency ?? null,
    // An episode id is sha256(suite, version, scene id, seed, scene hash, probe): the ids in plan
    // order pin the suites' content and order.
    episodes: episodes.map((e) => e.id),
  };
}

export function planHash(description: Record<string, unknown>): string {
  return sha256(canonicalJson(description)).slice(0, 16);
}
