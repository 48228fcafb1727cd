import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config';
import { runPlan } from '../src/runner/run';
import { cli, descendants, killChildren, miniSetup, normalised, readJsonl, readResults, startCli, waitForLines } from './runner-helpers';

afterEach(killChildren);

describe('Ctrl-C', () => {
  it('writes results.json of the rows so far (complete: false), exits 130; --resume finishes the same run', async () => {
    const { dir, suite } = miniSetup('simgate-sigint-');
    const args = (out: string) => ['run', '--policy', 'oracle', '--policy', 'straight', '--suite', suite, '--episodes-per-scene', '2', '--batch', '2', '--out', out];
    const out = join(dir, 'out');
    const run = startCli(args(out), { SIMGATE_SLOW_MS: '150' });
    const clean = join(dir, 'clean');
    await runPlan(parseConfig({ policies: ['oracle', 'straight'], suites: [suite], episodesPerScene: 2, outputDir: clean, report: false }, 'test'));
    await waitForLines(join(out, 'episodes.jsonl'), 3);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/Interrupted: finishing the episodes in flight/);
    expect(r.stdout).toMatch(/Incomplete: \d+ of 32 episode rows; finish with --resume/);
    const partial = readResults(out);
    expect(partial.complete).toBe(false);
    const rows = readJsonl(out);
    expect(rows.length).toBeLessThan(32);
    // results.json holds exactly the rows on disk, in plan order, with aggregates from them.
    expect(partial.episodes.map((e) => e.episodeId).sort()).toEqual(rows.map((e) => e.episodeId).sort());
    expect(partial.aggregates.filter((a) => a.family === 'all').reduce((s, a) => s + a.n + a.errors, 0)).toBe(rows.length);

    const resumed = await cli([...args(out), '--resume', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readResults(out).complete).toBe(true);
    expect(normalised(readResults(out))).toBe(normalised(readResults(clean)));
  }, 120_000);
});

describe('policy faults become error rows, never successes or failures', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    // A policy server that accepts requests and never answers.
    server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('a hanging policy server gives policy_error rows; --episode-timeout gives error rows; both counted as errors, outside n', async () => {
    const { dir, suite } = miniSetup('simgate-hang-', 2);
    const configFile = (name: string, timeoutMs: number) => {
      const file = join(dir, `${name}.config.mjs`);
      writeFileSync(file, `export default ${JSON.stringify({ policies: [{ remote: url, name, timeoutMs, retries: 0 }], suites: [suite], episodesPerScene: 2, batchSize: 2 })};\n`);
      return file;
    };
    // The client's own timeout (300 ms) ends the episodes; and a client that would wait 8 s is
    // cut off by the episode's wall-clock limit (3 s; on a very busy machine the limit may already
    // pass while the first frames render: the row is the same error either way).
    const [a, b] = await Promise.all([
      cli(['run', '--config', configFile('hang-client-timeout', 300), '--out', join(dir, 'a')]),
      // (8 s, not more: HttpPolicy.close() does not abort requests in flight yet, so the process
      // waits for the abandoned request's own timeout before it exits.)
      cli(['run', '--config', configFile('hang-wall-clock', 8000), '--episode-timeout', '3', '--out', join(dir, 'b')]),
    ]);
    for (const [r, out, name] of [[a, 'a', 'hang-client-timeout'], [b, 'b', 'hang-wall-clock']] as const) {
      expect(r.code, r.stderr).toBe(1); // errors → exit 1
      const res = readResults(join(dir, out));
      expect(res.episodes, r.stderr).toHaveLength(4); // stderr says why, should a run crash
      for (const e of res.episodes) {
        if (name === 'hang-client-timeout') {
          expect(e.outcome).toBe('policy_error');
          expect(e.reason).toMatch(/remote_error: .*no response within 300 ms/);
        } else {
          expect(e.outcome).toBe('error');
          expect(e.reason).toMatch(/episode wall-clock timeout \(over 3 s\)/);
        }
      }
      // Never a success or a failure: n = 0, errors = 4, and the table says so.
      const all = res.aggregates.filter((x) => x.family === 'all');
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ n: 0, successes: 0, errors: 4 });
      expect(r.stdout).toMatch(new RegExp(`${name}\\s*│\\s*remote\\s*│\\s*in-distribution\\s*│\\s*0\\s*│.*│\\s*4\\s*│`));
    }
  }, 120_000);
});

describe('renderer crash', () => {
  it('the browser killed mid-run is restarted and the episodes in flight redone: same results as a clean run', async () => {
    const { dir, suite } = miniSetup('simgate-crash-');
    // Chromium: a browser process to kill (the WebGPU renderer's lost device: render-webgpu.test.ts).
    const args = (out: string) => ['run', '--policy', 'policies/demo-simple-finetuned', '--suite', suite, '--episodes-per-scene', '1', '--batch', '2', '--renderer', 'chromium', '--out', out];
    const clean = join(dir, 'clean');
    const crashed = join(dir, 'crashed');
    const run = startCli(args(crashed), { SIMGATE_SLOW_MS: '300' });
    const ref = cli([...args(clean), '--quiet']);
    await waitForLines(join(crashed, 'episodes.jsonl'), 2, 90_000);
    // The browser's main process: a Chromium whose parent is the run itself.
    const browser = descendants(run.child.pid!).find((p) => p.ppid === run.child.pid && /chrom/i.test(p.comm));
    expect(browser, 'no Chromium child found').toBeDefined();
    process.kill(browser!.pid, 'SIGKILL');
    const [r, c] = await Promise.all([run.done, ref]);
    expect(c.code, c.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/renderer crashed .*restarted it; redoing \d+ episode\(s\) in flight/);
    expect(readResults(crashed).environment.renderer).toMatchObject({ restarts: 1 });
    expect(normalised(readResults(crashed))).toBe(normalised(readResults(clean)));
    expect(readJsonl(crashed)).toHaveLength(8);
  }, 180_000);
});
