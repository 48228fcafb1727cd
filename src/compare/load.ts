import { existsSync, readFileSync } from 'node:fs';
import type { PolicyInfo } from '../policy/types';
import type { EpisodeRow, RunResults } from '../runner/results';
import { ConfigError } from '../util/errors';

/** What compare needs from a results file (results.json, a stored baseline, or episodes.jsonl). */
export interface LoadedResults {
  file: string;
  policies: PolicyInfo[];
  episodes: EpisodeRow[];
  /** Tolerance the run was configured with, when recorded. */
  tolerance?: number;
}

/** Read a results.json / baseline JSON / episodes.jsonl; exit 2 (ConfigError) on anything else. */
export function loadResults(file: string): LoadedResults {
  if (!existsSync(file)) throw new ConfigError(`Results file not found: ${file}`, 'Give a results.json written by `simgate run`, or a file under benchmarks/baselines/.');
  const text = readFileSync(file, 'utf8');
  let episodes: EpisodeRow[];
  let policies: PolicyInfo[] | undefined;
  let tolerance: number | undefined;
  try {
    if (file.endsWith('.jsonl')) {
      episodes = text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as EpisodeRow);
    } else {
      const raw = JSON.parse(text) as Partial<RunResults>;
      if (!Array.isArray(raw.episodes)) throw new Error('no "episodes" array');
      episodes = raw.episodes;
      policies = raw.policies;
      const t = (raw.config as { tolerance?: unknown } | undefined)?.tolerance;
      if (typeof t === 'number') tolerance = t;
    }
  } catch (e) {
    throw new ConfigError(`${file}: not a simgate results file: ${(e as Error).message}`, 'Give the results.json that `simgate run` wrote (or its episodes.jsonl).');
  }
  for (const [i, r] of episodes.entries()) {
    if (typeof r?.episodeId !== 'string' || typeof r.policy !== 'string' || typeof r.measures !== 'object') {
      throw new ConfigError(`${file}: episodes[${i}]: not an episode row (needs episodeId, policy, measures)`);
    }
  }
  // Old files or JSONL: infer the policy list from the rows.
  if (!policies?.length) {
    const seen = new Map<string, PolicyInfo>();
    for (const r of episodes) if (!seen.has(r.policy)) seen.set(r.policy, { name: r.policy, kind: 'scripted', variant: r.variant, actionMode: 'pulse', needsImage: false });
    policies = [...seen.values()];
  }
  return { file, policies, episodes, ...(tolerance !== undefined ? { tolerance } : {}) };
}

/**
 * The rows of one policy. Without a name the file must hold exactly one policy, so a
 * comparison never silently picks the wrong one.
 */
export function policyRows(res: LoadedResults, name: string | undefined, flag: string): { policy: PolicyInfo; rows: EpisodeRow[] } {
  const names = [...new Set(res.episodes.map((r) => r.policy))];
  if (name === undefined) {
    if (names.length !== 1) {
      throw new ConfigError(`${res.file} holds ${names.length} policies (${names.join(', ') || 'none'}): say which with ${flag}`);
    }
    name = names[0]!;
  }
  const rows = res.episodes.filter((r) => r.policy === name);
  if (!rows.length) throw new ConfigError(`${res.file}: no episodes of policy "${name}" (it has: ${names.join(', ') || 'none'})`);
  const policy = res.policies.find((p) => p.name === name) ?? { name, kind: 'scripted', variant: rows[0]!.variant, actionMode: 'pulse', needsImage: false };
  return { policy, rows };
}
