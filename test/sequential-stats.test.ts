/**
 * The sequential gate's statistics alone (no rendering, no episodes): error control under
 * repeated looks, and fewer episodes than a fixed-n test when the gap is real.
 */
import { describe, expect, it } from 'vitest';
import { sequentialGate, sequentialOrder } from '../src/compare/sequential';
import type { EpisodeRow } from '../src/results/schema';
import { mcnemarExactPower } from '../src/stats/mde';
import { normalQuantile } from '../src/stats/normal';
import { BettingEProcess, PairedSequentialTest, pairedConfidenceSequence, sequentialPaired } from '../src/stats/sequential';
import { Rng } from '../src/util/rng';

const ALPHA = 0.05;
const TOL = 0.05;

/** One pair's D = success(B) − success(A): −1 with p10, +1 with p01, else 0. */
const pairDiff = (rng: Rng, p10: number, p01: number) => {
  const u = rng.next();
  return u < p10 ? -1 : u < p10 + p01 ? 1 : 0;
};

/** Looks after every block of 8 pairs, and at the budget. */
const looks = (budget: number, block = 8) => {
  const out: number[] = [];
  for (let k = block; k < budget; k += block) out.push(k);
  return [...out, budget];
};

function simulate(p10: number, p01: number, budget: number, reps: number, seed: number) {
  const rng = new Rng(seed);
  const count = { PASS: 0, REGRESSION: 0, INCONCLUSIVE: 0 };
  let used = 0;
  const at = looks(budget);
  for (let r = 0; r < reps; r++) {
    const ds = Array.from({ length: budget }, () => pairDiff(rng, p10, p01));
    const s = sequentialPaired(ds, at, { tolerance: TOL, alpha: ALPHA });
    count[s.decision]++;
    used += s.decidedAt ?? budget;
  }
  return { ...count, meanEpisodes: used / reps };
}

/** Pairs a fixed-n paired test needs for a drop of δ at discordance ψ (Connor 1987), α 0.05, power 0.8. */
const connorN = (delta: number, psi: number) => Math.ceil((normalQuantile(0.975) * Math.sqrt(psi) + normalQuantile(0.8) * Math.sqrt(psi - delta * delta)) ** 2 / (delta * delta));

describe('sequential paired gate: α under repeated looks (A/A)', () => {
  // Identical policies: each pair's two outcomes are exchangeable, discordance from none to high.
  it.each([
    [0.05, 0.05],
    [0.1, 0.1],
    [0.25, 0.25],
  ])('false-REGRESSION rate ≤ α over 4000 A/A runs looked at every 8 pairs up to 200 (p10 = p01 = %s)', (p10, p01) => {
    const r = simulate(p10, p01, 200, 4000, 1000 + 100 * p10);
    console.log(`A/A p10 = p01 = ${p10}: false REGRESSION ${r.REGRESSION}/4000 = ${((100 * r.REGRESSION) / 4000).toFixed(2)}%`);
    // Ville: ≤ α/2 for the one-sided REGRESSION test (the other α/2 guards PASS).
    expect(r.REGRESSION / 4000).toBeLessThanOrEqual(ALPHA);
    expect(r.REGRESSION / 4000).toBeLessThanOrEqual(ALPHA / 2 + 0.01);
  });

  it('identical outcomes PASS (no discordance), never REGRESSION', () => {
    const r = simulate(0, 0, 300, 200, 7);
    expect(r.PASS).toBe(200);
    // Batch Newcombe needs ≈ 77 pairs at 100% for a 5-point interval; the anytime-valid test pays for peeking.
    expect(r.meanEpisodes).toBeLessThan(150);
  });

  it('false-PASS rate ≤ α when B is worse by more than the tolerance (d = −10 points)', () => {
    const r = simulate(0.2, 0.1, 200, 2000, 11);
    console.log(`B worse by 10 points: false PASS ${r.PASS}/2000, REGRESSION ${r.REGRESSION}/2000`);
    expect(r.PASS / 2000).toBeLessThanOrEqual(ALPHA / 2 + 0.01);
  });
});

describe('sequential paired gate: a real gap is decided early (A/B)', () => {
  it('a 25-point drop is a REGRESSION in far fewer episodes than the fixed-n run sized for a 15-point drop', () => {
    // The fixed-n run is sized in advance for the smallest drop worth catching (15 points at 30% discordance).
    const fixedN = connorN(0.15, 0.3);
    expect(mcnemarExactPower(fixedN, 0.225, 0.075)).toBeGreaterThan(0.72);
    // The true gap is larger: A 80% vs B 55%, p10 = 0.30, p01 = 0.05.
    const r = simulate(0.3, 0.05, fixedN, 2000, 21);
    expect(r.REGRESSION / 2000).toBeGreaterThan(0.9);
    expect(r.PASS).toBe(0);
    expect(r.meanEpisodes).toBeLessThan(0.65 * fixedN);
    console.log(`A/B 25-point drop: fixed-n ${fixedN} pairs; sequential REGRESSION ${((100 * r.REGRESSION) / 2000).toFixed(1)}%, mean ${r.meanEpisodes.toFixed(1)} pairs (${(100 * (1 - r.meanEpisodes / fixedN)).toFixed(0)}% fewer)`);
  });

  it('a clear gain PASSes early; the bench-like novel drop (−20 points, 80 pairs) mostly stops before 80', () => {
    const gain = simulate(0.02, 0.3, 80, 1000, 31);
    expect(gain.PASS / 1000).toBeGreaterThan(0.95);
    expect(gain.meanEpisodes).toBeLessThan(40);
    const drop = simulate(0.26, 0.06, 80, 1000, 41);
    expect(drop.PASS).toBe(0);
    expect(drop.REGRESSION / 1000).toBeGreaterThan(0.6);
    console.log(`gain (+28 pts): PASS ${((100 * gain.PASS) / 1000).toFixed(1)}%, mean ${gain.meanEpisodes.toFixed(1)} of 80; novel-like drop (−20 pts): REGRESSION ${((100 * drop.REGRESSION) / 1000).toFixed(1)}% within 80, mean ${drop.meanEpisodes.toFixed(1)} pairs`);
  });
});

describe('betting e-process and confidence sequence', () => {
  it('stakes nothing without an edge, and its capital stays ≥ 0', () => {
    const e = new BettingEProcess(0);
    expect(e.bet()).toBe(0); // the prior says "no difference"
    for (const x of [1, 1, 1, -1, 1, 1, 1, 1]) e.push(x);
    expect(e.capital).toBeGreaterThan(1);
    expect(e.maxCapital).toBeGreaterThanOrEqual(e.capital);
    const f = new BettingEProcess(0);
    for (let i = 0; i < 50; i++) f.push(-1);
    expect(f.capital).toBeGreaterThan(0);
    expect(f.capital).toBeLessThanOrEqual(1);
  });

  it('the first decision is final', () => {
    const t = new PairedSequentialTest({ tolerance: TOL });
    for (let i = 0; i < 30; i++) t.push(true, false);
    const s = t.look();
    expect(s.decision).toBe('REGRESSION');
    t.push(false, true);
    expect(t.look()).toEqual(s);
  });

  it('covers the true difference at every look in ≥ 95% of runs', () => {
    const rng = new Rng(5);
    let missed = 0;
    const reps = 150;
    for (let r = 0; r < reps; r++) {
      const ds = Array.from({ length: 80 }, () => pairDiff(rng, 0.2, 0.1)); // d = −0.1
      // time-uniform: the running intersection must hold the truth at every prefix
      const cs = pairedConfidenceSequence(ds, ALPHA, 0.02);
      if (!(cs.lo <= -0.1 && -0.1 <= cs.hi)) missed++;
    }
    expect(missed / reps).toBeLessThanOrEqual(ALPHA);
  });
});

describe('the episode order and the gate over rows', () => {
  const items = [
    ...Array.from({ length: 16 }, (_, i) => ({ id: `L${i}`, family: 'layout', group: 'novel' })),
    ...Array.from({ length: 8 }, (_, i) => ({ id: `T${i}`, family: 'target', group: 'novel' })),
    ...Array.from({ length: 8 }, (_, i) => ({ id: `D${i}`, family: 'distractors', group: 'novel' })),
    ...Array.from({ length: 6 }, (_, i) => ({ id: `I${i}`, family: 'a', group: 'in-distribution' })),
  ];

  it('is seeded, independent of input order, and keeps every prefix near the family mix', () => {
    const o = sequentialOrder(items, 17);
    expect([...o.keys()]).toEqual(['novel', 'in-distribution']);
    const again = sequentialOrder([...items].reverse(), 17).get('novel')!.map((x) => x.id);
    // families first-seen order differs when reversed, ranks within a family do not
    expect(new Set(again)).toEqual(new Set(o.get('novel')!.map((x) => x.id)));
    const novel = o.get('novel')!;
    const first8 = novel.slice(0, 8).map((x) => x.family);
    expect(first8.filter((f) => f === 'layout').length).toBe(4);
    expect(first8.filter((f) => f === 'target').length).toBe(2);
    expect(sequentialOrder(items, 18).get('novel')!.map((x) => x.id)).not.toEqual(novel.map((x) => x.id));
  });

  it('replays the decisions from rows: stops at the first missing block, skips error pairs, stops at the budget', () => {
    const order = sequentialOrder(items, 17);
    const row = (id: string, ok: boolean, outcome = ok ? 'success' : 'collision') => ({ episodeId: id, outcome, measures: { success: ok } }) as unknown as EpisodeRow;
    const a = new Map(items.map((it) => [it.id, row(it.id, true)]));
    // B fails everything: a REGRESSION once the evidence is in.
    const b = new Map(items.map((it) => [it.id, row(it.id, false)]));
    const g = sequentialGate(order, a, b, { tolerance: TOL, block: 4 });
    const novel = g.find((x) => x.group === 'novel')!;
    expect(novel).toMatchObject({ decision: 'REGRESSION', stoppedBy: 'decision', final: true, fixedN: 32 });
    expect(novel.episodes % 4).toBe(0);
    expect(novel.episodes).toBeLessThan(32);
    // in-distribution (6 episodes) cannot decide: budget
    expect(g.find((x) => x.group === 'in-distribution')).toMatchObject({ decision: 'INCONCLUSIVE', stoppedBy: 'budget', episodes: 6, final: true });
    // Only the first block of B ran: not final, nothing decided yet.
    const firstBlock = new Map(order.get('novel')!.slice(0, 4).map((it) => [it.id, b.get(it.id)!]));
    const partial = sequentialGate(order, a, firstBlock, { tolerance: TOL, block: 4 }).find((x) => x.group === 'novel')!;
    expect(partial).toMatchObject({ final: false, episodes: 4, pairs: 4, decision: 'INCONCLUSIVE' });
    // Error rows are out of the pairs but use their episode.
    const withErrors = new Map(b);
    for (const it of order.get('novel')!.slice(0, 4)) withErrors.set(it.id, row(it.id, false, 'policy_error'));
    const e = sequentialGate(order, a, withErrors, { tolerance: TOL, block: 4 }).find((x) => x.group === 'novel')!;
    expect(e.pairs).toBe(e.episodes - 4);
    // maxEpisodes caps the split.
    const capped = sequentialGate(order, a, a, { tolerance: TOL, block: 4, maxEpisodes: 12 }).find((x) => x.group === 'novel')!;
    expect(capped).toMatchObject({ budget: 12, episodes: 12, stoppedBy: 'budget', decision: 'INCONCLUSIVE' });
  });
});
