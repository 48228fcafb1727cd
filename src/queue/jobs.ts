import { z } from 'zod';
import { sha256 } from '../util/hash';
import { ConfigError, EXIT, SimgateError } from '../util/errors';
import type { EpisodeRow } from '../results/schema';

/** BullMQ job name of a unit (one policy on some episodes of one plan). */
export const UNIT_JOB = 'episodes';

/**
 * What a job carries: the plan's config and hash (the worker rebuilds the plan from its own copy of
 * the suites and policies and refuses when its hash differs), which policy, and which episodes, by
 * id. Never frames: the worker renders its own.
 */
export const UnitData = z.object({
  v: z.literal(1),
  planHash: z.string().min(1),
  /** The run's BenchConfig as the coordinator parsed it (the worker parses it again). */
  config: z.record(z.string(), z.unknown()),
  /** Index into config.policies, and the policy's name there (checked by the worker). */
  policyIndex: z.number().int().min(0),
  policy: z.string().min(1),
  episodes: z.array(z.string().min(1)).min(1),
  /** What the coordinator's plan holds, to name the difference when a worker's hash does not match. */
  expect: z.object({ episodes: z.number().int(), policies: z.array(z.string()) }),
});
export type UnitData = z.infer<typeof UnitData>;

/** A finished unit: its rows (traces of failures included), in the unit's episode order. */
export interface UnitResult {
  rows: EpisodeRow[];
  worker: string;
}

/**
 * Units: the plan's episodes (of this shard) cut into fixed blocks of `size` in plan order, per
 * policy. The blocks do not depend on what is already done, so a coordinator restarted with
 * --resume asks for the very same jobs and finds those its workers finished meanwhile.
 */
export function cutUnits<T extends { id: string }>(episodes: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let k = 0; k < episodes.length; k += n) out.push(episodes.slice(k, k + n));
  return out;
}

/**
 * A unit's job id, from the plan hash, the policy and the unit's episode ids: adding the same unit
 * twice is a no-op in BullMQ (a job id exists once), which makes enqueueing idempotent. (BullMQ
 * refuses ':' in custom ids and integer-looking ids; this is neither.)
 */
export function unitJobId(planHash: string, policyIndex: number, policy: string, episodeIds: readonly string[]): string {
  return `${planHash}.p${policyIndex}.${sha256(JSON.stringify([policy, episodeIds])).slice(0, 16)}`;
}

const CONFIG_PREFIX = 'config error on worker ';

/**
 * A problem the user must fix on a worker (a manifest it cannot load, a plan that differs): the
 * job fails without retries, and the coordinator stops the run with exit 2, as a local run
 * would. Carried in the job's failedReason as two plain lines, readable in any BullMQ dashboard.
 */
export function configFailure(worker: string, e: ConfigError | SimgateError): string {
  return `${CONFIG_PREFIX}${worker}: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`;
}

/** The error a failed unit stops the run with: ConfigError (exit 2) for a worker's config problem, else exit 1. */
export function failureError(failedReason: string | undefined, jobId: string): SimgateError {
  const reason = failedReason?.trim() || 'no reason given';
  if (reason.startsWith(CONFIG_PREFIX)) {
    const [first, ...rest] = reason.split('\n');
    const hint = rest.find((l) => l.startsWith('hint: '))?.slice(6);
    return new ConfigError(`worker ${first!.slice(CONFIG_PREFIX.length)}`, hint);
  }
  return new SimgateError(`queue job ${jobId} failed on its last attempt: ${reason}`, 'The workers\' logs say more; fix the cause and rerun with --resume.', EXIT.failure);
}
