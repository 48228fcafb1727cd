import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../util/errors';
import { dropPartialTail, JsonlWriter, readJsonlRows, writeFileAtomic } from '../results/jsonl';
import { shardLabel } from './plan';
import { outputFiles, rowKey, type OutputFiles, type PlanFile } from '../results/layout';
import type { EpisodeRow, RunResults } from '../results/schema';

export interface PreparedOutput {
  files: OutputFiles;
  /** Release the folder's lock (call when the run ends). */
  release: () => void;
  /** Rows already on disk (resume), by rowKey. */
  done: Map<string, EpisodeRow>;
  writer: JsonlWriter;
}

function readPlanFile(file: string): PlanFile {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PlanFile;
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the plan of the run to resume: ${(e as Error).message}`);
  }
}

/** Did a run in `files.dir` stop before writing a complete results.json? */
function unfinished(files: OutputFiles): boolean {
  if (!existsSync(files.jsonl) || readFileSync(files.jsonl).length === 0) return false;
  if (!existsSync(files.results)) return true;
  try {
    return (JSON.parse(readFileSync(files.results, 'utf8')) as RunResults).complete === false;
  } catch {
    return true;
  }
}

/**
 * Get the output folder ready. Fresh run: write plan.json and an empty episodes.jsonl (an
 * unfinished earlier run's rows are kept as episodes.jsonl.prev, never silently lost).
 * Resume: check plan.json against this plan (hash and shard), read the rows done so far —
 * ignoring a cut-off last line — and keep appending to the same file.
 *
 * Resume rule: a (policy, episode id) pair with a row on disk is done, whatever its outcome
 * (error rows included: a rerun would not be the same run). Everything else in the plan runs.
 */
export function prepareOutput(opts: {
  dir: string;
  resume: boolean;
  plan: PlanFile;
  /** Pairs this run (shard) is meant to produce, by rowKey. */
  planned: ReadonlySet<string>;
  notice?: (msg: string) => void;
}): PreparedOutput {
  const files = outputFiles(opts.dir);
  mkdirSync(files.dir, { recursive: true });
  const release = lockDir(files.dir);
  try {
    return prepare(files, opts, release);
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * One run per output folder: `<dir>/.simgate.lock` holds the writer's pid. A lock whose process
 * is gone (the run was killed) is taken over.
 */
export function lockDir(dir: string): () => void {
  const file = join(dir, '.simgate.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new ConfigError(`${dir} is in use by another simgate run (pid ${pid})`, 'Wait for it to finish, stop it, or use another --out.');
      }
      rmSync(file, { force: true }); // stale: its run was killed
    }
  }
  throw new ConfigError(`${dir}: cannot take the folder's lock (${file})`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function prepare(files: OutputFiles, opts: Parameters<typeof prepareOutput>[0], release: () => void): PreparedOutput {
  const done = new Map<string, EpisodeRow>();
  const hasRows = existsSync(files.jsonl) && readFileSync(files.jsonl).length > 0;
  if (opts.resume && (existsSync(files.plan) || hasRows)) {
    if (!existsSync(files.plan)) {
      throw new ConfigError(
        `--resume: ${files.jsonl} has rows but ${files.plan} is missing, so the plan they belong to cannot be checked.`,
        'Rerun without --resume (into a new --out folder to keep these rows).',
      );
    }
    const prev = readPlanFile(files.plan);
    if (prev.planHash !== opts.plan.planHash) {
      throw new ConfigError(
        `--resume: ${files.dir} holds a run of a different plan (plan ${prev.planHash}: ${prev.policies.join(', ')} on ${prev.planEpisodes} episodes; ` +
          `this run is plan ${opts.plan.planHash}: ${opts.plan.policies.join(', ')} on ${opts.plan.planEpisodes} episodes).`,
        'Resume with the same config, policies and suites, or run without --resume / with another --out.',
      );
    }
    if (shardLabel(prev.shard) !== shardLabel(opts.plan.shard)) {
      throw new ConfigError(`--resume: ${files.dir} holds shard ${shardLabel(prev.shard)}, this run is shard ${shardLabel(opts.plan.shard)}.`, 'Pass the same --shard as the run being resumed.');
    }
    const read = readJsonlRows(files.jsonl);
    if (read.partialTail) opts.notice?.(`${files.jsonl}: dropped a cut-off last line (the run was killed while writing it)`);
    dropPartialTail(files.jsonl, read);
    for (const row of read.rows) {
      const key = rowKey(row.policy, row.episodeId);
      if (!opts.planned.has(key)) {
        throw new ConfigError(`--resume: ${files.jsonl} has a row (policy "${row.policy}", episode ${row.episodeId}) that is not in this plan.`, 'The file does not belong to this run; run without --resume.');
      }
      if (!done.has(key)) done.set(key, row);
    }
    // Keep plan.json's createdAt: it dates the run's start.
    return { files, release, done, writer: new JsonlWriter(files.jsonl) };
  }
  if (!opts.resume && unfinished(files)) {
    renameSync(files.jsonl, `${files.jsonl}.prev`);
    opts.notice?.(`${files.dir} held an unfinished run: its rows were moved to episodes.jsonl.prev (use --resume to continue a run instead)`);
  }
  rmSync(files.results, { force: true }); // never leave an older run's results beside this run's rows
  writeFileAtomic(files.plan, JSON.stringify(opts.plan, null, 1) + '\n');
  return { files, release, done, writer: new JsonlWriter(files.jsonl, { truncate: true }) };
}
