import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BenchConfig } from '../config/config';
import { specLabel } from '../policy/load';
import type { Policy } from '../policy/types';
import type { EpisodeRow } from '../results/schema';
import type { LoopOptions } from '../runner/episode-loop';
import { allPlanEpisodes, loadSuites, type EpisodeExecutor } from '../runner/run';
import type { EpisodeSpec } from '../sim/episode';
import { EXIT, SimgateError } from '../util/errors';
import { connectRedis, queueNameOf, redactUrl, watchConnection } from './connection';
import { cutUnits, failureError, UNIT_JOB, unitJobId, type UnitData, type UnitResult } from './jobs';

export interface QueueExecutorOptions {
  /** redis://host:port of the queue. */
  url: string;
  queueName?: string;
  /**
   * Episodes per job. Default: twice the batch size. That is enough for a worker's batch to
   * refill as episodes end, and small enough to spread a run over many workers and to lose
   * little work when a worker dies.
   */
  unitSize?: number;
  /** --resume: take rows of units that workers finished while no coordinator was there. */
  resume?: boolean;
  /** Tries per job before the run fails (a killed worker's job comes back through stalled-job detection). */
  attempts?: number;
  /** How long the run waits for a lost Redis to come back before it gives up (default 60 s). */
  redisLostMs?: number;
  onNotice?: (message: string) => void;
}

interface Unit {
  id: string;
  /** Index into config.policies, and that policy's name. */
  policyIndex: number;
  policy: string;
  episodes: string[];
  /** The unit's rows have been taken (or the job withdrawn): later news of it is ignored. */
  taken?: boolean;
  /** Rows of it not yet handed to runPlan: the job leaves Redis when this reaches 0. */
  left?: number;
}

interface Waiter {
  policy: string;
  /** Episode ids still to come. */
  want: Set<string>;
  loop: LoopOptions;
  rows: Map<string, EpisodeRow>;
  resolve: () => void;
  reject: (e: Error) => void;
}

// Finished jobs stay in Redis for a week at most (BullMQ evicts by age as other jobs finish): long
// enough for a --resume after a coordinator crash, and the coordinator removes each job itself
// once its rows are on disk.
const KEEP: JobsOptions['removeOnComplete'] = { age: 7 * 24 * 3600 };
const SWEEP_MS = 3000;
const IDLE_NOTICE_MS = 30_000;

/**
 * The coordinator's executor (`simgate run --queue redis://…`): runPlan with BullMQ in place of
 * the local loop. `begin` puts every policy's units into the queue at once (job ids from plan
 * hash + policy + episode ids, so a second coordinator or a --resume re-adds nothing); `run`
 * then reports a policy's rows through the loop's `onEpisode` as workers finish units, so
 * episodes.jsonl, results.json, resume and progress are those of a local run.
 *
 * Completions come from BullMQ's queue events (a Redis stream), with a sweep of job states every
 * few seconds for anything the stream did not bring. A unit that fails for good stops the run:
 * a worker's config problem (bad manifest, another plan) with exit 2, as locally.
 */
export class QueueExecutor implements EpisodeExecutor {
  readonly local = false;
  private readonly units = new Map<string, Unit>();
  /** Rows of policies runPlan has not asked for yet (their units finished early), by policy. */
  private readonly early = new Map<string, { row: EpisodeRow; unit: Unit }[]>();
  private waiter: Waiter | undefined;
  private failure: Error | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private delivering: Promise<void> = Promise.resolve();
  private readonly watch: ReturnType<typeof watchConnection>;
  private readonly label: string;
  private stopping = false;
  /** When a unit last finished (or the run began), to say so when nothing moves. */
  private lastNews = Date.now();
  private lastNag = 0;
  private lastSweep = 0;
  /** Each policy's episodes still to do when the run began, minus those delivered since. */
  private readonly todo = new Map<string, Set<string>>();

  private constructor(
    private readonly opts: QueueExecutorOptions,
    private readonly client: Redis,
    readonly queue: Queue,
    private readonly events: QueueEvents,
  ) {
    this.watch = watchConnection(client);
    this.label = `${redactUrl(opts.url)} (queue "${queue.name}")`;
  }

  /** Connect (a clear error naming the URL when Redis cannot be reached) and subscribe to the queue's events. */
  static async connect(opts: QueueExecutorOptions): Promise<QueueExecutor> {
    const client = await connectRedis(opts.url);
    const name = queueNameOf(opts.queueName);
    // Completed events carry the rows: keep the stream short (its default is 10,000 events).
    const queue = new Queue(name, { connection: client, streams: { events: { maxLen: 2000 } } });
    queue.on('error', () => undefined); // connection trouble: watched through the client
    await queue.waitUntilReady();
    // Read events from the stream's current end, fixed before any job is added, so none is missed.
    const last = await client.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
    const events = new QueueEvents(name, { connection: client, lastEventId: last[0]?.[0] ?? '0-0', autorun: false });
    events.on('error', () => undefined);
    const ex = new QueueExecutor(opts, client, queue, events);
    events.on('completed', ({ jobId, returnvalue }) => ex.completed(jobId, returnvalue as unknown));
    events.on('failed', ({ jobId, failedReason }) => void ex.failed(jobId, failedReason));
    events.on('stalled', ({ jobId }) => {
      const u = ex.units.get(jobId);
      if (u && !u.taken) opts.onNotice?.(`queue: a worker stopped answering on ${u.policy}'s unit ${jobId} (${u.episodes.length} episodes): it is back in the queue`);
    });
    void events.run().catch(() => undefined);
    await events.waitUntilReady();
    return ex;
  }

  async begin(plan: { hash: string; config: BenchConfig; episodes: readonly EpisodeSpec[]; work: { policy: { name: string }; episodes: readonly EpisodeSpec[] }[] }): Promise<void> {
    const size = this.opts.unitSize ?? Math.max(1, 2 * plan.config.batchSize);
    // For a worker's message should its plan differ: the whole plan's size (not this shard's) and the policies.
    const expect = { episodes: allPlanEpisodes(plan.config, loadSuites(plan.config.suites)).length, policies: plan.config.policies.map(specLabel) };
    const jobs: { name: string; data: UnitData; opts: JobsOptions }[] = [];
    let reused = 0;
    const all: Unit[] = [];
    for (const [policyIndex, w] of plan.work.entries()) {
      const todo = new Set(w.episodes.map((e) => e.id));
      this.todo.set(w.policy.name, todo);
      if (!todo.size) continue;
      for (const block of cutUnits(plan.episodes, size)) {
        if (!block.some((e) => todo.has(e.id))) continue;
        const ids = block.map((e) => e.id);
        const unit: Unit = { id: unitJobId(plan.hash, policyIndex, w.policy.name, ids), policyIndex, policy: w.policy.name, episodes: ids };
        this.units.set(unit.id, unit);
        all.push(unit);
      }
    }
    // What Redis already holds under these ids: a previous coordinator's jobs.
    const states = await mapLimit(all, 64, (u) => this.queue.getJobState(u.id));
    for (const [k, unit] of all.entries()) {
      const state = states[k]!;
      if (state === 'completed' && this.opts.resume) {
        const job = await this.queue.getJob(unit.id);
        if (job?.returnvalue) {
          reused++;
          this.completed(unit.id, job.returnvalue);
          continue;
        }
      }
      if (state === 'completed' || state === 'failed') {
        // A fresh run computes its rows afresh (and a failed unit gets its tries back).
        await this.queue.remove(unit.id).catch(() => undefined);
      } else if (state !== 'unknown') continue; // waiting or active: a worker will finish it
      const data: UnitData = { v: 1, planHash: plan.hash, config: plan.config as unknown as Record<string, unknown>, policyIndex: unit.policyIndex, policy: unit.policy, episodes: unit.episodes, expect };
      jobs.push({ name: UNIT_JOB, data, opts: { jobId: unit.id, attempts: this.opts.attempts ?? 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: KEEP, removeOnFail: KEEP } });
    }
    for (let k = 0; k < jobs.length; k += 500) await this.queue.addBulk(jobs.slice(k, k + 500));
    const episodes = all.reduce((s, u) => s + u.episodes.length, 0);
    this.opts.onNotice?.(
      `queue ${this.label}: plan ${plan.hash}, ${all.length} job(s) of up to ${size} episodes (${episodes} episode runs)` +
        `${jobs.length < all.length ? `; ${all.length - jobs.length} already in Redis${reused ? ` (${reused} finished)` : ''}` : ''}. Start workers with: simgate worker --queue ${redactUrl(this.opts.url)}${this.queue.name !== 'simgate' ? ` --queue-name ${this.queue.name}` : ''}`,
    );
    this.sweeper = setInterval(() => void this.sweep(false), SWEEP_MS);
  }

  run(policy: Policy, episodes: readonly EpisodeSpec[], loop: LoopOptions): Promise<EpisodeRow[]> {
    if (this.failure) return Promise.reject(this.failure);
    const w: Waiter = { policy: policy.info.name, want: new Set(episodes.map((e) => e.id)), loop, rows: new Map(), resolve: () => undefined, reject: () => undefined };
    const finished = new Promise<void>((resolve, reject) => Object.assign(w, { resolve, reject }));
    this.waiter = w;
    const early = this.early.get(w.policy) ?? [];
    this.early.delete(w.policy);
    for (const { row, unit } of early) this.deliver(row, unit);
    const tick = setInterval(() => {
      const down = this.watch.downForMs();
      if (down > (this.opts.redisLostMs ?? 60_000)) {
        this.fail(new SimgateError(`lost Redis at ${redactUrl(this.opts.url)} for ${Math.round(down / 1000)} s (${this.watch.lastError() ?? 'connection closed'})`, 'Bring Redis back and rerun with --resume: rows on disk are kept, and units workers finished meanwhile are taken from Redis.', EXIT.failure));
      }
      if (loop.shouldStop?.() && !this.stopping) void this.stop();
      if (Date.now() - Math.max(this.lastNews, this.lastNag) > IDLE_NOTICE_MS) void this.nag();
    }, 200);
    this.settle();
    return finished
      .finally(() => {
        clearInterval(tick);
        this.waiter = undefined;
      })
      .then(() => episodes.flatMap((e) => w.rows.get(e.id) ?? []));
  }

  /** Close the queue's connections (the jobs stay in Redis: workers may still be finishing some). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.delivering.catch(() => undefined);
    // A graceful close waits on Redis; with Redis gone it would wait forever, so cut it short.
    const graceful = Promise.all([this.events.close(), this.queue.close()]).then(() => true, () => false);
    if (!(await Promise.race([graceful, sleep(2000).then(() => false)]))) {
      const cut = Promise.all([this.events.disconnect(), this.queue.disconnect()]).catch(() => undefined);
      await Promise.race([cut, sleep(1000)]);
    }
    this.client.disconnect();
  }

  private completed(jobId: string, value: unknown): void {
    const unit = this.units.get(jobId);
    if (!unit || unit.taken || this.failure) return;
    let result: UnitResult | null = null;
    try {
      result = (typeof value === 'string' ? JSON.parse(value) : value) as UnitResult | null;
    } catch {
      /* reported below */
    }
    const rows = result?.rows;
    const ids = new Set(unit.episodes);
    if (!Array.isArray(rows) || rows.length !== unit.episodes.length || rows.some((r) => r.policy !== unit.policy || !ids.has(r.episodeId))) {
      this.fail(new SimgateError(`queue job ${jobId}: a worker returned rows that are not this unit's (${unit.policy} on ${unit.episodes.length} episodes)`, 'Are the workers running the same simgate version as the coordinator?', EXIT.failure));
      return;
    }
    unit.taken = true;
    unit.left = rows.length;
    this.lastNews = Date.now();
    for (const row of rows) {
      if (this.waiter?.policy === unit.policy) this.deliver(row, unit);
      else {
        const list = this.early.get(unit.policy) ?? [];
        list.push({ row, unit });
        this.early.set(unit.policy, list);
      }
    }
    // After the whole unit is queued for delivery: a run that ends now (all rows in, or Ctrl-C) ends after them.
    this.settle();
  }

  /**
   * One row to runPlan's onEpisode (episodes.jsonl, progress), in arrival order, each awaited. Once
   * all of a unit's rows are through, its job leaves Redis: until then a --resume can still take it.
   */
  private deliver(row: EpisodeRow, unit: Unit): void {
    const w = this.waiter!;
    const wanted = w.want.delete(row.episodeId);
    const todo = this.todo.get(unit.policy);
    if (!wanted && todo?.has(row.episodeId)) {
      // Still to do, but not asked for in this call (runPlan asks for a policy's episodes in parts): keep it.
      const list = this.early.get(unit.policy) ?? [];
      list.push({ row, unit });
      this.early.set(unit.policy, list);
      return;
    }
    // Not wanted and not to do: done before (--resume), as a unit may hold a few.
    todo?.delete(row.episodeId);
    this.delivering = this.delivering.then(async () => {
      if (wanted) {
        w.rows.set(row.episodeId, row);
        await w.loop.onEpisode?.(row);
      }
      if (--unit.left! === 0) await this.queue.remove(unit.id).catch(() => undefined);
    });
  }

  private settle(): void {
    const w = this.waiter;
    if (!w) return;
    const stopped = this.stopping && ![...this.units.values()].some((u) => !u.taken && u.policy === w.policy && u.episodes.some((id) => w.want.has(id)));
    if (w.want.size && !stopped) return;
    void this.delivering.then(
      () => w.resolve(),
      (e: Error) => w.reject(e),
    );
  }

  /** Nothing finished for a while: say how many workers the queue has, so a run without any is not a silent wait. */
  private async nag(): Promise<void> {
    this.lastNag = Date.now();
    const n = await this.queue.getWorkersCount().catch(() => undefined);
    const since = Math.round((Date.now() - this.lastNews) / 1000);
    this.opts.onNotice?.(
      `queue: no unit finished in ${since} s; ${n ?? 'an unknown number of'} worker(s) on queue "${this.queue.name}"` +
        (n === 0 ? `: start some with: simgate worker --queue ${redactUrl(this.opts.url)}${this.queue.name !== 'simgate' ? ` --queue-name ${this.queue.name}` : ''}` : ''),
    );
  }

  private async failed(jobId: string, failedReason: string | undefined): Promise<void> {
    const unit = this.units.get(jobId);
    if (!unit || unit.taken || this.failure) return;
    this.fail(failureError(failedReason, jobId));
  }

  /** Stop the run with this error, once: the run's jobs still waiting are taken out of the queue. */
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    void this.withdraw();
    this.waiter?.reject(e);
  }

  /** Ctrl-C: take the waiting jobs out of the queue; units already on a worker finish, and their rows are kept. */
  private async stop(): Promise<void> {
    this.stopping = true;
    await this.withdraw();
    await this.sweep(true);
    this.settle();
  }

  private async withdraw(): Promise<void> {
    const open = [...this.units.values()].filter((u) => !u.taken);
    await mapLimit(open, 64, async (u) => {
      // BullMQ refuses to remove a job a worker holds (locked): that one finishes.
      const removed = await this.queue.remove(u.id).catch(() => 0);
      if (removed) {
        u.taken = true;
      }
    });
  }

  /**
   * Look at the jobs no event told about (a missed event, or a job removed from Redis meanwhile).
   * While units keep finishing, only once a minute: each look is one Redis call per open unit.
   */
  private async sweep(force: boolean): Promise<void> {
    if (this.failure) return;
    const now = Date.now();
    if (!force && now - this.lastNews < 10_000 && now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    const open = [...this.units.values()].filter((u) => !u.taken);
    const states = await mapLimit(open, 64, (u) => this.queue.getJobState(u.id).catch(() => 'unreachable' as const));
    for (const [k, u] of open.entries()) {
      const s = states[k];
      if (u.taken) continue;
      if (s === 'completed') {
        const job: Job | undefined = await this.queue.getJob(u.id).catch(() => undefined);
        if (job?.returnvalue) this.completed(u.id, job.returnvalue);
      } else if (s === 'failed') {
        const job = await this.queue.getJob(u.id).catch(() => undefined);
        await this.failed(u.id, job?.failedReason);
      } else if (s === 'unknown' && !this.stopping) {
        this.fail(new SimgateError(`queue job ${u.id} (${u.policy}, ${u.episodes.length} episodes) vanished from Redis before it finished`, 'Was the queue obliterated or Redis flushed? Rerun with --resume.', EXIT.failure));
      }
    }
    if (this.stopping) {
      for (const [k, u] of open.entries()) if (states[k] === 'unknown') u.taken = true; // withdrawn
      this.settle();
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Map with at most `limit` calls in flight (Redis round trips are pipelined by ioredis). */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await f(items[k]!);
      }
    }),
  );
  return out;
}
