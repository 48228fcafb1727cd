/**
 * Helpers for the long-run tests (resume, shard, faults): run the real CLI as a child process
 * and compare results files the way "identical" is meant — timing and timestamps aside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResults } from '../src/results/schema';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start `simgate <args>` (node + tsx, no npx wrapper: the child's pid is the run's pid). */
export function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  // No report.html: it renders failure clips, which these tests do not look at and which is slow.
  // And not the repo's bench.config.ts (it may add probes, policies…): defaults plus the flags, as
  // parseConfig gives the in-process reference runs.
  const all = args[0] === 'run' ? [...args, '--no-report', ...(args.includes('--config') ? [] : ['--config', emptyConfig()])] : args;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...all], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

const live = new Set<ChildProcess>();

let empty: string | undefined;
function emptyConfig(): string {
  if (!empty) {
    empty = join(tempDir('simgate-config-'), 'empty.config.mjs');
    writeFileSync(empty, 'export default {};\n');
  }
  return empty;
}

/** SIGKILL a child and everything it started (Chromium and its helpers), children first. */
export function killTree(c: ChildProcess): void {
  for (const d of c.pid ? descendants(c.pid) : []) {
    try {
      process.kill(d.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  c.kill('SIGKILL');
}

/** Kill children still running (a test that failed or timed out): call from afterEach. */
export function killChildren(): void {
  for (const c of live) killTree(c);
  live.clear();
}

export const cli = (args: string[], env: Record<string, string> = {}) => startCli(args, env).done;

/** Resolve once `file` has at least `n` complete lines. */
export async function waitForLines(file: string, n: number, timeoutMs = 90_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0;
    if (lines >= n) return lines;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${file}: ${lines} lines after ${timeoutMs} ms, waited for ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A temp folder with a small suite (the first `scenes` of test/helpers' 8-scene suite) in it. */
export function miniSetup(prefix: string, scenes = 8): { dir: string; suite: string } {
  const dir = tempDir(prefix);
  const s = smallSuite('mini-longrun');
  return { dir, suite: writeSuite(dir, { ...s, scenes: s.scenes.slice(0, scenes) }, 'mini.json') };
}

export const readResults = (dir: string): RunResults => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;

export const readJsonl = (dir: string) =>
  readFileSync(join(dir, 'episodes.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunResults['episodes'][number]);

/**
 * results.json without what legitimately differs between two runs of one plan: timestamps,
 * wall-clock timing, latency stats, the output folder, machine facts, shard bookkeeping.
 */
export function normalised(r: RunResults): string {
  const c = structuredClone(r) as Partial<RunResults> & Record<string, unknown>;
  delete c.createdAt;
  delete c.environment;
  delete c.shard;
  delete c.mergedFrom;
  const config = { ...(c.config as Record<string, unknown>) };
  for (const k of ['outputDir', 'batchSize']) delete config[k];
  c.config = config as unknown as RunResults['config'];
  c.plan = { ...c.plan!, shardEpisodes: c.plan!.episodes };
  for (const p of c.policies ?? []) if (p.details) delete p.details.latency;
  for (const e of c.episodes ?? []) delete e.timing;
  return JSON.stringify(c, null, 1);
}

/** Rows without timing, for comparing episodes.jsonl contents. */
export const rowsWithoutTiming = (rows: RunResults['episodes']) => rows.map(({ timing: _t, ...r }) => JSON.stringify(r));

/** Descendant pids of `pid` (from /proc), children first. */
export function descendants(pid: number): { pid: number; comm: string; ppid: number }[] {
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const comm = stat.slice(stat.indexOf('(') + 1, close);
        const ppid = Number(stat.slice(close + 2).split(' ')[1]);
        return [{ pid: Number(d), comm, ppid }];
      } catch {
        return [];
      }
    });
  const out: typeof procs = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const c of procs.filter((x) => x.ppid === p)) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}
