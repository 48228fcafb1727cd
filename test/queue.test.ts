/**
 * `simgate run --queue` + `simgate worker`: a real redis-server and real worker processes. Each
 * test has its own queue name, so nothing one leaves in Redis reaches another.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config';
import { launchDefaultRenderer } from '../src/render/launch';
import { runPlan } from '../src/runner/run';
import { QueueExecutor } from '../src/queue/coordinator';
import { freePort, killAll, simgate, startRedis, until, type RedisServer } from './queue-helpers';
import { miniSetup, normalised, readJsonl, readResults, ROOT, rowsWithoutTiming } from './runner-helpers';
import { smallSuite, writeSuite } from './helpers/suites';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await killAll();
  await redis?.stop();
});
afterEach(killAll);

const POLICIES = ['oracle', 'straight', 'random'];
// Short locks so a killed worker's unit is back in the queue within seconds (BullMQ's default is
// 30 s). Not shorter: between two finished episodes a scripted unit holds the event loop for up
// to ~1.5 s (more on a busy machine), and a lock that cannot be renewed meanwhile is lost.
const FAST_STALL = ['--lock-duration', '5000', '--stalled-interval', '1000'];

function emptyConfig(dir: string): string {
  const f = join(dir, 'empty.config.mjs');
  writeFileSync(f, 'export default {};\n');
  return f;
}

/** The coordinator: the run command with --queue (no report, not the repo's bench.config.ts). */
const coordinator = (dir: string, queue: string, extra: string[], env: Record<string, string> = {}, cwd?: string) =>
  simgate(['run', '--config', emptyConfig(dir), '--no-report', '--queue', redis.url, '--queue-name', queue, ...extra], { env, ...(cwd ? { cwd } : {}) });

const worker = (queue: string, extra: string[] = [], opts: { env?: Record<string, string>; cwd?: string } = {}) => simgate(['worker', '--queue', redis.url, '--queue-name', queue, ...extra], opts);

/** Units a worker finished, from its log: job id → rows. */
const doneUnits = (log: string) => [...log.matchAll(/done (\S+): (\d+) row/g)].map((m) => ({ id: m[1]!, rows: Number(m[2]) }));

describe('simgate run --queue with simgate worker', () => {
  it('2 workers, one killed with SIGKILL mid-unit: its unit is run again and the rows are a local run\'s', async () => {
    const { dir, suite } = miniSetup('simgate-queue-kill-');
    const out = join(dir, 'queued');
    const local = join(dir, 'local');
    // 8 scenes × 2 seeds × 3 policies = 48 rows, in 12 units of 4 episodes.
    const args = [...POLICIES.flatMap((p) => ['--policy', p]), '--suite', suite, '--episodes-per-scene', '2', '--batch', '2', '--unit', '4', '--out', out];
    // Each episode 150 ms slower on the workers, so the kill lands inside a unit.
    const a = worker('kill', FAST_STALL, { env: { SIMGATE_SLOW_MS: '150' } });
    const b = worker('kill', FAST_STALL, { env: { SIMGATE_SLOW_MS: '150' } });
    const run = coordinator(dir, 'kill', args);
    // The reference, meanwhile, in this process (the CLI's run command calls the same runPlan).
    const reference = runPlan(parseConfig({ policies: POLICIES, suites: [suite], episodesPerScene: 2, batchSize: 3, outputDir: local, report: false }, 'test'));
    await until(() => /took (\S+):/.test(a.err()), 'worker A to take a unit').catch((e: Error) => {
      throw new Error(`${e.message}\nA: ${a.err()}\nB: ${b.err()}\ncoordinator: ${run.err()}`);
    });
    const held = /took (\S+):/.exec(a.err())![1]!;
    a.child.kill('SIGKILL');
    const r = await run.done;
    await reference;
    expect(r.code, r.stderr).toBe(0);
    expect((await a.done).signal).toBe('SIGKILL');
    // Stalled-job detection gave A's unit back to the queue, and B ran it.
    expect(r.stderr).toMatch(new RegExp(`a worker stopped answering on \\w+'s unit ${held.replace(/\./g, '\\.')}`));
    expect(doneUnits(b.err()).map((u) => u.id)).toContain(held);
    expect(doneUnits(a.err()).map((u) => u.id)).not.toContain(held);

    expect(normalised(readResults(out))).toBe(normalised(readResults(local)));
    const rows = readJsonl(out);
    expect(rows).toHaveLength(48);
    expect(new Set(rows.map((x) => `${x.policy}/${x.episodeId}`)).size).toBe(48);
    expect(rowsWithoutTiming(rows).sort()).toEqual(rowsWithoutTiming(readResults(local).episodes).sort());
    // Failures come back with their traces (no frames: the trace is enough to replay them).
    const failed = rows.filter((x) => x.outcome !== 'success');
    expect(failed.length).toBeGreaterThan(0);
    for (const x of failed) expect(x.trace?.actions.length).toBeGreaterThan(0);
  }, 120_000);

  it('the coordinator killed and restarted with --resume finishes the run; no finished row is run again', async () => {
    const { dir, suite } = miniSetup('simgate-queue-resume-');
    const out = join(dir, 'queued');
    const local = join(dir, 'local');
    const args = [...POLICIES.flatMap((p) => ['--policy', p]), '--suite', suite, '--episodes-per-scene', '2', '--batch', '2', '--unit', '4', '--out', out];
    const workers = [worker('resume'), worker('resume')];
    // The coordinator writes rows slowly (100 ms each), so it dies with most rows not yet on disk;
    // the workers go on with the queue meanwhile.
    const first = coordinator(dir, 'resume', args, { SIMGATE_SLOW_MS: '100' });
    await runPlan(parseConfig({ policies: POLICIES, suites: [suite], episodesPerScene: 2, batchSize: 4, outputDir: local, report: false }, 'test'));
    await until(() => readJsonlCount(out) >= 6, '6 rows on disk');
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const before = readJsonlCount(out);
    expect(before).toBeLessThan(48);
    // Let the workers finish every unit while no coordinator is there.
    await until(() => workers.reduce((s, w) => s + doneUnits(w.err()).length, 0) === 12, 'the workers to finish the 12 units');

    const second = coordinator(dir, 'resume', [...args, '--resume']);
    const r = await second.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`Resuming: ${before} of 48`));
    expect(r.stderr).toMatch(/already in Redis \(\d+ finished\)/);
    expect(normalised(readResults(out))).toBe(normalised(readResults(local)));
    const rows = readJsonl(out);
    expect(rows).toHaveLength(48);
    expect(new Set(rows.map((x) => `${x.policy}/${x.episodeId}`)).size).toBe(48);
    // Every unit ran exactly once: the restarted coordinator took the finished ones from Redis.
    const units = workers.flatMap((w) => doneUnits(w.err()));
    expect(units).toHaveLength(12);
    expect(new Set(units.map((u) => u.id)).size).toBe(12);
    expect(units.reduce((s, u) => s + u.rows, 0)).toBe(48);
  }, 120_000);

  it('a worker that cannot load a policy fails the run once, with the reason, exit 2', async () => {
    const { dir, suite } = miniSetup('simgate-queue-manifest-');
    // The coordinator's machine has the policy; the workers' "machine" (another folder) has a
    // manifest naming a model file that is not there.
    const here = join(dir, 'coordinator');
    const there = join(dir, 'workers');
    for (const d of [here, there]) cpSync(join(ROOT, 'policies/demo-simple-finetuned'), join(d, 'pol'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(there, 'pol/policy.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(there, 'pol/policy.json'), JSON.stringify({ ...manifest, model: 'missing.onnx' }));
    const workers = [worker('manifest', [], { cwd: there }), worker('manifest', [], { cwd: there })];
    const run = coordinator(dir, 'manifest', ['--policy', 'pol', '--suite', suite, '--episodes-per-scene', '1', '--unit', '2', '--out', join(dir, 'out')], {}, here);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error: worker [^:]+:\d+: .*missing\.onnx/);
    // Once, however many units failed.
    expect(r.stderr.match(/Cannot read ONNX model/g)).toHaveLength(1);
    expect(readResults(join(dir, 'out')).complete).toBe(false);
    // The workers said why too, and are still up for other runs.
    await until(() => workers.some((w) => /failed \S+: config error on worker/.test(w.err())), 'a worker to log the failure', 10_000);
    for (const w of workers) expect(w.child.exitCode).toBeNull();
  }, 120_000);

  it('a worker whose suites differ (another plan hash) refuses the run\'s units: exit 2 naming both hashes', async () => {
    const { dir } = miniSetup('simgate-queue-plan-');
    // Same relative path, different content: 8 scenes for the coordinator, 7 for the worker.
    const here = join(dir, 'coordinator');
    const there = join(dir, 'worker');
    mkdirSync(here);
    mkdirSync(there);
    const s = smallSuite('mini-queue');
    writeSuite(here, s, 'suite.json');
    writeSuite(there, { ...s, scenes: s.scenes.slice(0, 7) }, 'suite.json');
    worker('plan', [], { cwd: there });
    const r = await coordinator(dir, 'plan', ['--policy', 'oracle', '--suite', 'suite.json', '--episodes-per-scene', '1', '--out', join(dir, 'out')], {}, here).done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/its plan hash is [0-9a-f]{16} \(7 episodes from suite\.json; policies oracle\), the run's is [0-9a-f]{16} \(8 episodes; policies oracle\)/);
    expect(r.stderr).toMatch(/hint: Run workers from the same checkout/);
  }, 120_000);

  it('an image policy: the workers render their own frames, with the renderer the run resolved; rows identical to a local run', async () => {
    const { dir, suite } = miniSetup('simgate-queue-image-', 4);
    const policies = ['policies/demo-simple-finetuned', 'oracle'];
    const out = join(dir, 'queued');
    const local = join(dir, 'local');
    worker('image', ['--batch', '2']);
    const run = coordinator(dir, 'image', [...policies.flatMap((p) => ['--policy', p]), '--suite', suite, '--episodes-per-scene', '1', '--batch', '4', '--unit', '2', '--out', out]);
    const reference = runPlan(parseConfig({ policies, suites: [suite], episodesPerScene: 1, batchSize: 1, outputDir: local, report: false }, 'test'), { launchRenderer: launchDefaultRenderer });
    const r = await run.done;
    await reference;
    expect(r.code === 0 || r.code === 1, r.stderr).toBe(true); // 1: errored episodes, which the local run must then have too
    expect(normalised(readResults(out))).toBe(normalised(readResults(local)));
    // The coordinator started no renderer: its results name the kind and driver the plan resolved
    // (part of the plan hash every worker matched), which the local run used too.
    const localRenderer = readResults(local).environment.renderer as { kind: string; driver: string };
    expect(readResults(out).environment.renderer).toEqual({ kind: localRenderer.kind, driver: localRenderer.driver, ranOn: 'workers' });
  }, 180_000);

  it('Redis unreachable: run --queue and worker exit 2 with an error naming the URL', async () => {
    const port = await freePort(); // nothing listens there
    const { dir, suite } = miniSetup('simgate-queue-down-', 1);
    const url = `redis://127.0.0.1:${port}`;
    const [r, w] = await Promise.all([
      simgate(['run', '--config', emptyConfig(dir), '--no-report', '--policy', 'oracle', '--suite', suite, '--out', join(dir, 'out'), '--queue', url]).done,
      simgate(['worker', '--queue', url]).done,
    ]);
    for (const x of [r, w]) {
      expect(x.code, x.stderr).toBe(2);
      expect(x.stderr).toMatch(new RegExp(`error: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(--queue\\): .*ECONNREFUSED`));
      expect(x.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
    }
    const bad = await simgate(['worker', '--queue', 'http://127.0.0.1:1']).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--queue http:\/\/127\.0\.0\.1:1: expected a redis:\/\/ or rediss:\/\/ URL/);
  }, 60_000);

  it('Redis lost mid-run: the coordinator gives up after its grace time, naming the URL; rows so far stay on disk', async () => {
    const own = await startRedis();
    try {
      const { dir, suite } = miniSetup('simgate-queue-lost-', 2);
      const ex = await QueueExecutor.connect({ url: own.url, queueName: 'lost', redisLostMs: 1500 });
      const out = join(dir, 'out');
      // No worker: the run waits on the queue until Redis goes away.
      const run = runPlan(parseConfig({ policies: ['oracle'], suites: [suite], episodesPerScene: 1, outputDir: out, report: false }, 'test'), {}, { executor: ex });
      const failed = run.then(() => undefined, (e: Error) => e);
      await new Promise((r) => setTimeout(r, 500));
      await own.stop();
      const e = await failed;
      expect(e?.message).toMatch(new RegExp(`lost Redis at redis://127\\.0\\.0\\.1:${own.port} for \\d+ s \\(.*ECONNREFUSED`));
      expect(readResults(out).complete).toBe(false);
      const t0 = Date.now();
      await ex.close(); // bounded, although Redis is gone
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await own.stop();
    }
  }, 60_000);
});

function readJsonlCount(dir: string): number {
  try {
    return readFileSync(join(dir, 'episodes.jsonl'), 'utf8').split('\n').length - 1;
  } catch {
    return 0;
  }
}
