/**
 * The sim-to-real ledger: the lab's real trial log imported as it is (../shared/lab-data, never
 * copied into the repo), and the statistics checked against worked examples.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addToLedger, readLedger } from '../src/real/ledger';
import { mapPosition } from '../src/real/positions';
import { sim2realSvg } from '../src/real/plot';
import { sim2real, type Sim2RealReport } from '../src/real/sim2real';
import { bootstrapAcross, mmrv, pearson, ppiMean, ppiStratified } from '../src/real/stats';
import { parseTrialLog, summarise, type RealTrial } from '../src/real/trials';
import type { EpisodeRow } from '../src/results/schema';
import { Rng } from '../src/util/rng';
import { ROOT, killChildren, startCli } from './runner-helpers';
import { tempDir } from './helpers/suites';

const LAB_LOG = resolve(ROOT, '../shared/lab-data/episode_log.csv');
const haveLog = existsSync(LAB_LOG);
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

afterEach(() => killChildren());

describe('SimplerEnv measures, worked by hand', () => {
  // Three checkpoints: sim 30/80/60%, real 20/50/90%. Pairs (0,1) and (0,2) are ordered alike;
  // (1,2) is not (sim 80 > 60, real 50 < 90): a violation of |50 − 90| = 0.4 for both 1 and 2.
  // MMRV = (0 + 0.4 + 0.4) / 3.
  const sim = [0.3, 0.8, 0.6];
  const real = [0.2, 0.5, 0.9];

  it('MMRV on 3 checkpoints', () => {
    expect(mmrv(sim, real)).toBeCloseTo(0.8 / 3, 12);
    expect(mmrv([0.1, 0.5, 0.9], [0.2, 0.4, 0.6])).toBe(0); // same ranking
    // Reversed ranking: each checkpoint's worst violation is its distance to the farthest real rate.
    expect(mmrv([0.9, 0.5, 0.1], [0.2, 0.4, 0.6])).toBeCloseTo((0.4 + 0.2 + 0.4) / 3, 12);
    // SimplerEnv compares strictly: (0.5 > 0.5) is false, so a sim tie violates only for the
    // checkpoint the robot ranks higher (0.6 > 0.2): (0 + 0.4) / 2.
    expect(mmrv([0.5, 0.5], [0.2, 0.6])).toBeCloseTo(0.2, 12);
    expect(mmrv([0.5], [0.5])).toBeNull();
  });

  it('Pearson r', () => {
    // Deviations from the means (×30): real −10, −1, 11; sim −8, 7, 1 → Σ = 84/900,
    // Σreal² = 222/900, Σsim² = 114/900: r = 84 / √(222·114) ≈ 0.528.
    expect(pearson(sim, real)).toBeCloseTo(84 / Math.sqrt(222 * 114), 12);
    expect(pearson([0.1, 0.2, 0.3], [0.3, 0.5, 0.7])).toBeCloseTo(1, 12);
    expect(pearson([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])).toBeNull(); // undefined, not 0
  });

  it('bootstrap intervals: reproducible, around the estimate, wider with fewer trials', () => {
    const counts = (rates: number[], n: number) => rates.map((r) => ({ k: Math.round(r * n), n }));
    const a = bootstrapAcross(counts(sim, 20), counts(real, 20), mmrv, { draws: 1000 });
    const b = bootstrapAcross(counts(sim, 20), counts(real, 20), mmrv, { draws: 1000 });
    expect(a).toEqual(b);
    expect(a.estimate).toBeCloseTo(0.8 / 3, 12);
    expect(a.ci95!.lo).toBeLessThanOrEqual(a.estimate!);
    expect(a.ci95!.hi).toBeGreaterThanOrEqual(a.estimate!);
    const r20 = bootstrapAcross(counts(sim, 20), counts(real, 20), pearson, { draws: 1000 });
    const r200 = bootstrapAcross(counts(sim, 200), counts(real, 200), pearson, { draws: 1000 });
    expect(r200.ci95!.hi - r200.ci95!.lo).toBeLessThan(r20.ci95!.hi - r20.ci95!.lo);
  });
});

describe('prediction-powered inference (PPI / PPI++)', () => {
  it('a worked example with λ = 1', () => {
    // Real trials with the sim outcome of the same scenario: (y, f) = (1,1) (1,1) (0,0) (1,0);
    // 8 more sim-only outcomes 1 1 0 1 0 1 1 0 (mean 5/8).
    // θ = 5/8 + mean(y − f) = 0.625 + 0.25 = 0.875;
    // se² = Var(f_unlabeled)/8 + Var(y − f)/4 = (1.875/7)/8 + (0.75/3)/4.
    const r = ppiMean({ pairs: [{ y: 1, f: 1 }, { y: 1, f: 1 }, { y: 0, f: 0 }, { y: 1, f: 0 }], unlabeled: [1, 1, 0, 1, 0, 1, 1, 0] }, { lambda: 1 });
    expect(r.estimate).toBeCloseTo(0.875, 12);
    expect(r.se).toBeCloseTo(Math.sqrt(1.875 / 7 / 8 + 0.25 / 4), 12);
    expect(r.classical.estimate).toBe(0.75);
  });

  it('λ = 0 when the prediction does not vary: the real trials alone', () => {
    const r = ppiMean({ pairs: [1, 0, 1, 1, 0].map((y) => ({ y, f: 0.7 })), unlabeled: [1, 1, 0, 1, 1, 1, 0, 1, 1, 0] });
    expect(r.lambda).toBe(0);
    expect(r.estimate).toBeCloseTo(0.6, 12);
  });

  /** y ~ Bernoulli(0.6); the sim agrees with the real outcome 90% of the time. */
  function draw(rng: Rng, n: number): { y: number; f: number }[] {
    return Array.from({ length: n }, () => {
      const y = rng.next() < 0.6 ? 1 : 0;
      return { y, f: rng.next() < 0.9 ? y : 1 - y };
    });
  }

  it('the interval shrinks as real n grows, and is narrower than the real trials alone', () => {
    const rng = new Rng(7);
    const unlabeled = draw(rng, 2000).map((p) => p.f);
    const widths: number[] = [];
    for (const n of [10, 40, 160, 640]) {
      const r = ppiMean({ pairs: draw(rng, n), unlabeled });
      widths.push(r.ci95.hi - r.ci95.lo);
      // λ* = Cov(y, f) / ((1 + n/N)·Var(f)) = 0.192 / 0.2436 ≈ 0.79 for this process.
      expect(r.lambda).toBeGreaterThan(0);
      if (n >= 160) expect(r.lambda).toBeCloseTo(0.79, 0);
      if (n >= 40) expect(r.ci95.hi - r.ci95.lo).toBeLessThan(r.classical.ci95.hi - r.classical.ci95.lo);
      expect(r.ci95.lo).toBeLessThan(0.6 + 0.15);
      expect(r.ci95.hi).toBeGreaterThan(0.6 - 0.15);
    }
    for (let i = 1; i < widths.length; i++) expect(widths[i]).toBeLessThan(widths[i - 1]!);
  });

  it('stratified over positions with equal weights', () => {
    const r = ppiStratified([
      { name: 'a', weight: 1, pairs: [1, 1, 1, 0].map((y) => ({ y, f: 0.8 })), unlabeled: [1, 1, 1, 1, 0] },
      { name: 'b', weight: 1, pairs: [0, 0, 1, 0].map((y) => ({ y, f: 0.2 })), unlabeled: [0, 0, 0, 0, 1] },
    ]);
    expect(r.estimate).toBeCloseTo((0.75 + 0.25) / 2, 12);
    expect(r.classical.estimate).toBeCloseTo(0.5, 12);
    expect(r.strata.map((s) => s.weight)).toEqual([0.5, 0.5]);
  });
});

describe.skipIf(!haveLog)('the lab\'s real trial log, imported as it is', () => {
  const text = haveLog ? readFileSync(LAB_LOG, 'utf8') : '';

  it('145 trials: 성공/실패 read, 1 unusable row flagged, nothing dropped', () => {
    const trials = parseTrialLog(LAB_LOG, text, sha(text), { checkpoint: 'all', importedAt: 'T' });
    const s = summarise(trials);
    expect(s).toMatchObject({ rows: 145, counted: 144, successes: 70, failures: 74, unusable: 1, duplicates: 0 });
    expect(s.flags['info:no_session_id']).toBe(63);
    const t113 = trials.find((t) => t.trial === '113')!;
    expect(t113).toMatchObject({ result: 'success', resultRaw: '성공', steps: 0, topAction: null, counted: false, sessionId: null });
    expect(t113.flags).toEqual(expect.arrayContaining(['unusable:zero_steps', 'unusable:note_says_delete']));
    // Quoted notes with commas stay one field.
    expect(trials.find((t) => t.trial === '41')!.note).toContain('도리, 크게');
    expect(trials.find((t) => t.trial === '41')!.date).toBe('2026-06-30 22:33');
    expect(trials.find((t) => t.trial === '145')).toMatchObject({ path: 'trackA_strong_left', position: 'strong_left', positionMatch: 'exact', sessionId: '20260723_102541', fpe: 0 });
    expect(trials.find((t) => t.trial === '40')!.flags).toContain('info:operator_unsure');
  });

  it('picks one checkpoint\'s rows: the 2026-07-23 screening is 7/21 (LAB.md §3)', () => {
    const trials = parseTrialLog(LAB_LOG, text, sha(text), { checkpoint: 'exp73', rows: [125, 145] });
    expect(summarise(trials)).toMatchObject({ rows: 21, counted: 21, successes: 7 });
    const byPos = (p: string) => trials.filter((t) => t.position === p);
    expect(byPos('strong_left').filter((t) => t.result === 'success').length).toBe(0);
    expect(byPos('strong_right').filter((t) => t.result === 'success').length).toBe(3);
    expect(byPos('center').length).toBe(3);
    expect(parseTrialLog(LAB_LOG, text, sha(text), { checkpoint: 'x', from: '2026-07-23', to: '2026-07-23' }).length).toBe(21);
  });

  it('flags duplicated trials (same session id): conflicting results count neither, repeats count once', () => {
    const lines = text.trimEnd().split(/\r\n/);
    const last = lines[lines.length - 1]!; // #145, 실패, session 20260723_102541
    const prev = lines[lines.length - 2]!; // #144, 실패, session 20260723_102453
    const extra = [last.replace(/^145,/, '146,').replace(',실패,', ',성공,'), prev.replace(/^144,/, '147,'), '148,obj_left,??,5,1.0,FORWARD,1,0,0.5,N,0,,2026-07-24 10:00,20260724_100000'];
    const edited = [...lines, ...extra].join('\r\n') + '\r\n';
    const trials = parseTrialLog('edited.csv', edited, sha(edited), { checkpoint: 'x' });
    const s = summarise(trials);
    expect(s).toMatchObject({ rows: 148, counted: 143, duplicates: 3, unusable: 2 });
    expect(trials.find((t) => t.trial === '145')!.flags).toContain('duplicate:conflict');
    expect(trials.find((t) => t.trial === '146')!.flags).toContain('duplicate:conflict');
    expect(trials.find((t) => t.trial === '144')!.counted).toBe(true);
    expect(trials.find((t) => t.trial === '147')!.flags).toContain('duplicate:repeat');
    expect(trials.find((t) => t.trial === '148')!.flags).toContain('unusable:no_result');
  });

  it('the ledger: append, refuse a second import of the same log, --replace, sessions counted once across imports', () => {
    const ledger = join(tempDir('simgate-ledger-'), 'real', 'ledger.jsonl');
    const a = parseTrialLog(LAB_LOG, text, sha(text), { checkpoint: 'exp73', rows: [125, 145] });
    addToLedger(ledger, a);
    expect(readLedger(ledger)).toHaveLength(21);
    expect(() => addToLedger(ledger, parseTrialLog(LAB_LOG, text, sha(text), { checkpoint: 'exp73', rows: [125, 145] }))).toThrow(/already imported/);
    const again = addToLedger(ledger, parseTrialLog(LAB_LOG, text, sha(text), { checkpoint: 'exp73', rows: [140, 145] }), { replace: true });
    expect(again.replaced).toBe(21);
    expect(readLedger(ledger)).toHaveLength(6);
    // The same sessions under another checkpoint name are not counted twice.
    const other = addToLedger(ledger, parseTrialLog(LAB_LOG, text, sha(text), { checkpoint: 'exp73-copy', rows: [144, 145] }));
    expect(other.added.every((t) => !t.counted && t.flags.includes('duplicate:already_in_ledger'))).toBe(true);
  });

  it('simgate real import (CLI) on the real CSV', async () => {
    const ledger = join(tempDir('simgate-ledger-'), 'ledger.jsonl');
    const r = await startCli(['real', 'import', LAB_LOG, '--checkpoint', 'lab-log', '--ledger', ledger]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/145 trials read: 144 counted \(70 성공 success, 74 실패 failure\), 1 unusable, 0 duplicates/);
    expect(r.stdout).toMatch(/unusable:zero_steps/);
    expect(readLedger(ledger)).toHaveLength(145);
    const again = await startCli(['real', 'import', LAB_LOG, '--checkpoint', 'lab-log', '--ledger', ledger]).done;
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already imported/);
  }, 60_000);
});

describe('positions: the lab\'s names → simgate families', () => {
  it('maps the names in the log', () => {
    expect(mapPosition('trackA_weak_left')).toMatchObject({ family: 'weak_left', match: 'exact' });
    expect(mapPosition('trackF_center_straight')).toMatchObject({ family: 'center', match: 'exact' });
    expect(mapPosition('strong_right_left_curve')).toMatchObject({ family: 'strong_right', match: 'exact' });
    expect(mapPosition('obj_right')).toMatchObject({ family: 'strong_right', match: 'approximate' });
    expect(mapPosition('obj_center')).toMatchObject({ family: 'center', match: 'exact' });
    expect(mapPosition('right_left')).toMatchObject({ family: 'weak_right', match: 'approximate' });
    expect(mapPosition('dist_far')).toBeNull();
    expect(mapPosition('dist_far', { dist_far: 'center' })).toMatchObject({ family: 'center' });
  });
});

describe('sim2real', () => {
  /** Sim rows of a policy: k of n successes at each listed position. */
  function simRows(policy: string, perPos: Record<string, [number, number]>): EpisodeRow[] {
    const rows: EpisodeRow[] = [];
    for (const [family, [k, n]] of Object.entries(perPos)) {
      for (let i = 0; i < n; i++) {
        rows.push({ episodeId: `${policy}-${family}-${i}`, policy, variant: 'x', suite: 'lab-basket-v1', suiteVersion: 1, sceneId: `${family}_1.5m`, sceneHash: 'h', seed: i, split: 'in-distribution', task: 'stop', family, side: 'left', outcome: i < k ? 'success' : 'timeout', measures: {} });
      }
    }
    return rows;
  }
  function realTrials(checkpoint: string, perPos: Record<string, [number, number]>): RealTrial[] {
    const csv = ['#,경로,결과,steps,session_id'];
    let i = 1;
    for (const [pos, [k, n]] of Object.entries(perPos)) for (let j = 0; j < n; j++, i++) csv.push(`${i},trackA_${pos},${j < k ? '성공' : '실패'},10,${checkpoint}_${i}`);
    const text = csv.join('\n');
    return parseTrialLog(`${checkpoint}.csv`, text, sha(text), { checkpoint });
  }

  function report(): Sim2RealReport {
    const trials = [...realTrials('a', { center: [18, 20], weak_left: [15, 20] }), ...realTrials('b', { center: [10, 20], weak_left: [6, 20] }), ...realTrials('c', { center: [4, 20], weak_left: [2, 20] }), ...realTrials('real-only', { center: [1, 2] })];
    const sim = [...simRows('a', { center: [9, 10], weak_left: [8, 10] }), ...simRows('b', { center: [6, 10], weak_left: [4, 10] }), ...simRows('sim-c', { center: [2, 10], weak_left: [1, 10] }), ...simRows('sim-only', { center: [5, 10] })];
    return sim2real({ ledgerFile: 'l.jsonl', trials, simFiles: ['r.json'], simRows: sim, match: { c: 'sim-c' }, bootstrapDraws: 500 });
  }

  it('per checkpoint and position, SimplerEnv measures across checkpoints, and PPI', () => {
    const r = report();
    const a = r.checkpoints.find((c) => c.checkpoint === 'a')!;
    expect(a.sim).toMatchObject({ k: 17, n: 20 });
    expect(a.real).toMatchObject({ k: 33, n: 40 });
    expect(a.positions.find((p) => p.position === 'center')).toMatchObject({ sim: { k: 9, n: 10 }, real: { k: 18, n: 20 } });
    expect(a.compared).toMatchObject({ positions: ['weak_left', 'center'] });
    expect(a.compared!.sim).toBeCloseTo(0.85, 12);
    expect(a.compared!.real).toBeCloseTo(0.825, 12);
    expect(r.checkpoints.find((c) => c.checkpoint === 'c')!.simPolicy).toBe('sim-c');
    // Same ranking in both worlds: MMRV 0, r close to 1.
    expect(r.across!.checkpoints).toEqual(['a', 'b', 'c']);
    expect(r.across!.mmrv.estimate).toBe(0);
    expect(r.across!.pearson.estimate).toBeGreaterThan(0.95);
    expect(r.across!.pearson.ci95).not.toBeNull();
    // Paired by position only, sim cannot say which real trial succeeds: λ = 0, the stratified real estimate.
    expect(a.ppi!.estimate).toBeCloseTo(0.825, 12);
    expect(a.ppi!.note).toMatch(/λ = 0/);
    expect(r.realOnly).toEqual(['real-only']);
    expect(r.simOnly).toEqual(['sim-only']);
  });

  it('draws sim vs real per checkpoint as an inline SVG', () => {
    const svg = sim2realSvg(report());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('MMRV 0.00');
    expect(svg).not.toMatch(/<script/);
  });

  it.skipIf(!haveLog)('simgate sim2real (CLI): the lab\'s screening against a sim run', async () => {
    const d = tempDir('simgate-s2r-');
    const ledger = join(d, 'ledger.jsonl');
    expect((await startCli(['real', 'import', LAB_LOG, '--checkpoint', 'exp73', '--rows', '125-145', '--ledger', ledger]).done).code).toBe(0);
    const results = join(d, 'results.json');
    writeFileSync(results, JSON.stringify({ episodes: simRows('exp73-sim', { strong_left: [3, 10], weak_left: [4, 10], center: [9, 10], weak_right: [5, 10], strong_right: [8, 10] }) }));
    const html = join(d, 'sim2real.html');
    const r = await startCli(['sim2real', '--sim', results, '--ledger', ledger, '--match', 'exp73=exp73-sim', '--html', html]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/exp73 +│ exp73-sim/);
    expect(r.stdout).toMatch(/7\/21/);
    expect(r.stdout).toMatch(/strong_left +│ 30% \[11–60\] 3\/10 │ 0% \[0–43\] 0\/5/);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  }, 60_000);
});
