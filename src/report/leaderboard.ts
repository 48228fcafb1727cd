/**
 * leaderboard.jsonl: one line per policy × split, self-contained, so lines from many runs can be
 * concatenated into one leaderboard (the lab's benchmark design doc asks for leaderboard rows).
 * Each line says what was measured (success with its interval over n, error rows apart), on what
 * (suites, plan hash, seeds per scene), with what (the checkpoint's hashes and the inference
 * config of its rows) and, for a gate candidate, what the gate said on that split.
 */
import type { Comparison } from '../compare';
import { splitOf, type InferenceConfig, type RunResults } from '../results/schema';

export const LEADERBOARD_SCHEMA_VERSION = 1;

export interface LeaderboardLine {
  schemaVersion: number;
  policy: string;
  variant: string;
  kind: string;
  split: string;
  /** Episodes counted (error rows are outside n). */
  n: number;
  successes: number;
  /** null when n = 0 (every row an error): there is no rate. */
  success: number | null;
  ci95: { lo: number; hi: number } | null;
  errors: number;
  spl: number | null;
  collisionsPerEpisode: number | null;
  instructionFollowed: number | null;
  latencyMs: { p50: number; p95: number } | null;
  checkpoint: { modelSha256?: string; manifestSha256?: string };
  /** The inference config of this policy × split's rows (the first one's if several: then `inferenceHashes` lists them all). */
  inference: InferenceConfig | null;
  inferenceHashes?: string[];
  /** For a gate candidate: its verdict on this split against the baseline. */
  gate?: { baseline: string; verdict: string; diff: number; sequential?: { episodes: number; fixedN: number } };
  run: { createdAt: string; tool: string; planHash: string | null; suites: string[]; episodesPerScene: number; complete: boolean };
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

export function leaderboardLines(results: RunResults, comparisons: readonly Comparison[] = []): LeaderboardLine[] {
  const run: LeaderboardLine['run'] = {
    createdAt: results.createdAt,
    tool: `${results.tool?.name ?? 'simgate'} ${results.tool?.version ?? ''}`.trim(),
    planHash: results.plan?.hash ?? null,
    suites: results.suites.map((s) => `${s.suite}@${s.version}`),
    episodesPerScene: results.config.episodesPerScene,
    complete: results.complete !== false,
  };
  return results.aggregates
    .filter((a) => a.family === 'all' && !a.probe)
    .map((a) => {
      const info = results.policies.find((p) => p.name === a.policy);
      const rows = results.episodes.filter((r) => r.policy === a.policy && !r.probe && splitOf(r) === a.split);
      const inf = rows.find((r) => r.inference)?.inference ?? null;
      const hashes = [...new Set(rows.flatMap((r) => (r.inference ? [r.inference.hash] : [])))];
      const lat = info?.details?.latency as { p50?: unknown; p95?: unknown } | undefined;
      const cmp = comparisons.find((c) => c.b.policy === a.policy);
      const g = cmp?.groups.find((x) => x.family === 'all' && x.group === a.split);
      return {
        schemaVersion: LEADERBOARD_SCHEMA_VERSION,
        policy: a.policy,
        variant: a.variant,
        kind: info?.kind ?? 'unknown',
        split: a.split,
        n: a.n,
        successes: a.successes,
        success: a.n ? a.success : null,
        ci95: a.n ? a.ci95 : null,
        errors: a.errors,
        spl: a.n ? a.spl : null,
        collisionsPerEpisode: a.n ? a.collisionsPerEpisode : null,
        instructionFollowed: a.n ? finite(a.instructionFollowed) : null,
        latencyMs: typeof lat?.p50 === 'number' && typeof lat.p95 === 'number' && Number.isFinite(lat.p50) ? { p50: lat.p50, p95: lat.p95 } : null,
        checkpoint: { ...(inf?.policy.modelSha256 ? { modelSha256: inf.policy.modelSha256 } : {}), ...(inf?.policy.manifestSha256 ? { manifestSha256: inf.policy.manifestSha256 } : {}) },
        inference: inf,
        ...(hashes.length > 1 ? { inferenceHashes: hashes } : {}),
        ...(cmp && g?.verdict
          ? { gate: { baseline: cmp.a.policy, verdict: g.verdict, diff: g.sequential?.diff ?? g.diff.diff, ...(g.sequential ? { sequential: { episodes: g.sequential.episodes, fixedN: g.sequential.fixedN } } : {}) } }
          : {}),
        run,
      };
    });
}
