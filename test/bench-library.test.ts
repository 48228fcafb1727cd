/**
 * The library owns the whole run (as Playwright's runner owns its reporters): runBench from code
 * writes every artefact `npm run bench` writes and returns a status the CLI maps to an exit code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBenchInputs, DEFAULT_REPORTERS, parseConfig, runBench, tablesReporter, type BenchRun } from '../src/index';
import { ConfigError } from '../src/util/errors';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';

const dir = tempDir('simgate-lib-');
const suiteFile = writeSuite(dir, smallSuite('lib-test'), 'suite.json');
const config = (out: string, extra: Record<string, unknown> = {}) =>
  parseConfig({ policies: ['oracle', 'straight'], suites: [suiteFile], episodesPerScene: 1, outputDir: join(dir, out), baseline: 'oracle', reportGifs: 1, ...extra }, 'test');

describe('runBench from code', () => {
  it('writes results, report.html (clips rendered by the default renderer), variants and compare.json, and says the gate regressed', async () => {
    let printed = '';
    const run: BenchRun = await runBench(config('full'), { print: (s) => (printed += s) });
    const out = join(dir, 'full');
    for (const f of ['results.json', 'episodes.jsonl', 'plan.json', 'failure_summary.json', 'report.html', 'variants.md', 'variants.json', 'compare.json', 'leaderboard.jsonl']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(run.found.files).toMatchObject({ report: join(out, 'report.html'), compare: join(out, 'compare.json'), variants: join(out, 'variants.md'), leaderboard: join(out, 'leaderboard.jsonl') });
    // straight drives into the boxes: a regression against the oracle, so the run is not a pass.
    expect(run.status).toBe('regressed');
    expect(run.found.comparisons.map((c) => c.verdict)).toContain('REGRESSION');
    expect(JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')).comparisons.length).toBe(1);
    // The sections the CLI prints, in its order (report.html last: it opens with the others' findings).
    const order = ['Results: ', 'By-variant report: ', 'Against baseline policy "oracle"', 'Comparison: ', 'Leaderboard rows: ', 'Report: '].map((s) => printed.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The failure clip's camera half came from Chromium (the default renderer), not the fallback.
    expect(readFileSync(join(out, 'report.html'), 'utf8')).not.toMatch(/clips show the top-down only/);
    expect(run.results.environment.renderer).toBeUndefined(); // scripted policies: no camera during the run
    // report.html opens with the gate's verdict.
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.indexOf('id="verdict"')).toBeGreaterThan(0);
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('<h2>Failures</h2>'));
    // Every row carries its inference config; one leaderboard line per policy × split.
    expect(run.results.episodes.every((r) => r.inference && /^[0-9a-f]{16}$/.test(r.inference.hash) && r.inference.control.profile === 'seed-pulse')).toBe(true);
    const board = readFileSync(join(out, 'leaderboard.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(board.map((l) => `${l.policy}|${l.split}`)).toEqual(['oracle|in-distribution', 'straight|in-distribution']);
    expect(board[1]).toMatchObject({ policy: 'straight', n: 8, success: 0, errors: 0, gate: { baseline: 'oracle', verdict: expect.any(String) }, inference: { control: { mode: 'pulse' } } });
    expect(board[0].gate).toBeUndefined();
  }, 120_000);

  it('an interrupted run prints its tables and writes no reports', async () => {
    let printed = '';
    const run = await runBench(config('stopped'), { shouldStop: () => true, print: (s) => (printed += s) });
    expect(run.status).toBe('interrupted');
    expect(run.results.complete).toBe(false);
    expect(printed).toMatch(/Incomplete: 0 of 16 episode rows/);
    expect(existsSync(join(dir, 'stopped', 'report.html'))).toBe(false);
    expect(existsSync(join(dir, 'stopped', 'compare.json'))).toBe(false);
  });

  it('passes with errors-free rows and no gate; reporters can be chosen', async () => {
    const run = await runBench(config('tables-only', { policies: ['oracle'], baseline: undefined }), { reporters: [tablesReporter] });
    expect(run.status).toBe('passed');
    expect(existsSync(join(dir, 'tables-only', 'report.html'))).toBe(false);
    expect(DEFAULT_REPORTERS.map((r) => r.name)).toEqual(['tables', 'failures', 'probes', 'variants', 'gate', 'leaderboard', 'html']);
  });

  it('refuses bad input before anything runs (exit 2 errors)', () => {
    expect(() => checkBenchInputs(config('x', { candidates: ['nope'] }))).toThrow(ConfigError);
    expect(() => checkBenchInputs(config('x', { baseline: 'no-such-policy-or-file' }))).toThrow(/--baseline "no-such-policy-or-file"/);
    expect(() => checkBenchInputs(config('x', { suites: [join(dir, 'missing.json')] }))).toThrow(ConfigError);
  });
});
