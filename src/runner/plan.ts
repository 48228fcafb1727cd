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

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(total) || total < 1 || index < 1 || index > total) {
    throw new ConfigError(`--shard ${text}: expected i/n with 1 ≤ i ≤ n (e.g. --shard 2/3)`);
  }
  return { index, total };
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
  // The manifest decides preprocessing and action scaling: hash its content, not its path.
  if (typeof d.manifest === 'string' && existsSync(d.manifest)) id.manifestSha256 = sha256(readFileSync(d.manifest));
  return id;
}

/**
 * Everything that decides the rows of a run, and nothing that does not (batch size, output
 * folder, device choice, shard, timeouts). Two runs with the same plan hash produce the same rows,
 * so resume and merge refuse to mix runs whose hashes differ.
 */
export function planDescription(config: BenchConfig, profiles: Record<string, RobotProfile>, episodes: readonly EpisodeSpec[], policies: readonly PolicyInfo[]): Record<string, unknown> {
  return {
    planVersion: 2,
    policies: policies.map(policyIdentity),
    episodesPerScene: config.episodesPerScene,
    endOnCollision: config.endOnCollision,
    traceAll: config.traceAll,
    probes: config.probes,
    // The robot of each era the plan uses, overrides applied (scene drift is in the scene hash).
    profiles,
    // An episode id is sha256(suite, version, scene id, seed, scene hash, probe): the ids in plan
    // order pin the suites' content and order.
    episodes: episodes.map((e) => e.id),
  };
}

export function planHash(description: Record<string, unknown>): string {
  return sha256(canonicalJson(description)).slice(0, 16);
}
