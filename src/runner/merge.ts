import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { aggregate } from '../measures/aggregate';
import { ConfigError } from '../util/errors';
import { writeFileAtomic } from '../results/jsonl';
import { outputFiles, rowKey, type PlanFile } from '../results/layout';
import { readResults } from '../results/read';
import type { EpisodeRow, RunResults } from '../results/schema';

/**
 * Combine shard results (`--shard i/n` runs of one plan) into the results of the whole plan:
 * rows in plan order per policy, aggregates recomputed from them — what an unsharded run
 * writes, timing and timestamps aside. Refuses (ConfigError, exit 2) shards of different plans,
 * shards given twice, missing shards, unfinished shards and rows that do not add up.
 */
export function mergeResults(inputs: readonly string[], outDir: string): RunResults {
  if (!inputs.length) throw new ConfigError('merge: no shard folders or results files given', 'Usage: simgate merge <shard dirs or results.json…> --out <dir>');
  for (const input of inputs) {
    const dir = existsSync(input) && statSync(input).isDirectory() ? input : dirname(input);
    if (resolve(dir) === resolve(outDir)) throw new ConfigError(`merge: --out ${outDir} is one of the shards (${input})`, 'Merge into a new folder.');
  }
  const shards = inputs.map((input) => {
    const { file, results } = readResults(input, { requirePlan: true });
    return { input, file, r: results };
  });

  const byHash = new Map<string, string[]>();
  for (const s of shards) byHash.set(s.r.plan!.hash, [...(byHash.get(s.r.plan!.hash) ?? []), s.input]);
  if (byHash.size > 1) {
    const groups = [...byHash].map(([h, xs]) => `plan ${h}: ${xs.join(', ')}`).join('; ');
    throw new ConfigError(`merge: these are runs of different plans (${groups})`, 'Shards must come from the same config, policies and suites; rerun the odd ones out.');
  }
  for (const s of shards) {
    if (s.r.complete === false) {
      throw new ConfigError(`merge: ${s.input} is unfinished (${s.r.episodes.length} of ${s.r.plan!.rows ?? s.r.plan!.shardEpisodes * s.r.plan!.policies.length} rows)`, `Finish it with --resume --out ${s.input}`);
    }
  }
  const label = (s: (typeof shards)[number]) => (s.r.shard ? `${s.r.shard.index}/${s.r.shard.total}` : 'unsharded');
  const totals = new Set(shards.map((s) => s.r.shard?.total ?? 1));
  if (totals.size > 1) {
    throw new ConfigError(`merge: shards of different splits: ${shards.map((s) => `${s.input} is ${label(s)}`).join(', ')}`, 'Merge shards made with the same n in --shard i/n.');
  }
  const n = [...totals][0]!;
  const byIndex = new Map<number, (typeof shards)[number]>();
  for (const s of shards) {
    const i = s.r.shard?.index ?? 1;
    const prev = byIndex.get(i);
    if (prev) throw new ConfigError(`merge: shard ${label(s)} given twice (${prev.input} and ${s.input}): the shards overlap`, 'Give each shard once.');
    byIndex.set(i, s);
  }
  const missing = [...Array(n).keys()].map((k) => k + 1).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new ConfigError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} (have ${[...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${n}`).join(', ')})`, 'Run the missing shards (same config, --shard i/n) and merge again.');
  }

  const first = byIndex.get(1)!.r;
  const plan = first.plan!;
  const E = plan.episodes;
  // Undo the round-robin deal (plan.ts, shardEpisodes): plan episode k is row ⌊k/n⌋ of shard (k mod n)+1
  // — counting, with policySuites, only the plan episodes that policy runs.
  const all = [...Array(E).keys()];
  const indexesOf = (p: string): number[] => plan.policyEpisodes?.[p] ?? all;
  const perShard = new Map<number, Map<string, EpisodeRow[]>>();
  for (const [i, s] of byIndex) {
    const want = Math.floor((E - i) / n) + 1; // episodes k < E with k mod n = i-1
    if (s.r.plan!.shardEpisodes !== want) throw new ConfigError(`merge: ${s.input} (shard ${i}/${n}) has ${s.r.plan!.shardEpisodes} episodes, the plan gives it ${want}`);
    const wantOf = (p: string) => indexesOf(p).filter((k) => k % n === i - 1).length;
    const byPolicy = new Map<string, EpisodeRow[]>(plan.policies.map((p) => [p, []]));
    for (const row of s.r.episodes) {
      const list = byPolicy.get(row.policy);
      if (!list) throw new ConfigError(`merge: ${s.input} has rows of policy "${row.policy}", which is not in the plan (${plan.policies.join(', ')})`);
      list.push(row);
    }
    for (const [p, list] of byPolicy) {
      if (list.length !== wantOf(p)) throw new ConfigError(`merge: ${s.input} has ${list.length} rows of policy "${p}", expected ${wantOf(p)}`, 'Rerun that shard.');
    }
    perShard.set(i, byPolicy);
  }
  const rows: EpisodeRow[] = [];
  const seen = new Map<string, number>();
  for (const p of plan.policies) {
    const taken = new Map<number, number>(); // rows of p used so far, per shard
    for (const k of indexesOf(p)) {
      const i = (k % n) + 1;
      const j = taken.get(i) ?? 0;
      taken.set(i, j + 1);
      const row = perShard.get(i)!.get(p)![j]!;
      const key = rowKey(p, row.episodeId);
      const dup = seen.get(key);
      if (dup !== undefined) throw new ConfigError(`merge: episode ${row.episodeId} of policy "${p}" is in shard ${dup}/${n} and shard ${i}/${n}: the shards overlap`);
      seen.set(key, i);
      rows.push(row);
    }
  }

  const merged: RunResults = {
    schemaVersion: first.schemaVersion,
    tool: first.tool,
    createdAt: new Date().toISOString(),
    plan: { ...plan, shardEpisodes: E, rows: rows.length },
    mergedFrom: [...byIndex].sort(([a], [b]) => a - b).map(([i, s]) => ({ index: i, total: n, file: s.file })),
    complete: true,
    config: { ...first.config, outputDir: outDir },
    environment: first.environment,
    policies: first.policies,
    suites: first.suites,
    aggregates: aggregate(rows),
    episodes: rows,
  };
  const files = outputFiles(outDir);
  mkdirSync(outDir, { recursive: true });
  const planFile: PlanFile = { schemaVersion: 1, planHash: plan.hash, policies: plan.policies, planEpisodes: E, shardEpisodes: E, createdAt: merged.createdAt };
  writeFileAtomic(files.plan, JSON.stringify(planFile, null, 1) + '\n');
  writeFileAtomic(files.jsonl, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  writeFileAtomic(files.results, JSON.stringify(merged, null, 1) + '\n');
  return merged;
}
