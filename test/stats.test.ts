import { describe, expect, it } from 'vitest';
import { mcnemarExact, mcnemarExactPower, newcombePaired, newcombeUnpaired, normalQuantile, pairedMde, wilson } from '../src/stats';

describe('exact McNemar', () => {
  it('matches hand-computed binomial tails', () => {
    // b=10, c=2: 2·(C(12,0)+C(12,1)+C(12,2))/2^12 = 2·79/4096
    expect(mcnemarExact(10, 2).p).toBeCloseTo(0.0386, 4);
    expect(mcnemarExact(10, 2).p).toBeCloseTo((2 * 79) / 4096, 12);
    expect(mcnemarExact(2, 10).p).toBe(mcnemarExact(10, 2).p);
    expect(mcnemarExact(0, 0).p).toBe(1);
    expect(mcnemarExact(5, 5).p).toBe(1);
    // Fagerland et al. (2017) ch. 8, Cavo et al. discordant pairs 6 vs 16: exact conditional p = 0.052
    expect(mcnemarExact(6, 16).p).toBeCloseTo(0.0525, 4);
    // all-one-way: 2·0.5^k
    expect(mcnemarExact(6, 0).p).toBeCloseTo(2 / 64, 12);
    expect(mcnemarExact(5, 0).p).toBeCloseTo(2 / 32, 12);
  });
  it('rejects bad counts', () => {
    expect(() => mcnemarExact(-1, 2)).toThrow();
    expect(() => mcnemarExact(1.5, 2)).toThrow();
  });
  it('stays finite for large n', () => {
    const p = mcnemarExact(400, 520).p;
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(0.001);
  });
});

describe('Wilson interval (Newcombe 1998a, Table I)', () => {
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [5, 10, 0.2366, 0.7634],
  ])('%i/%i', (k, n, lo, hi) => {
    const ci = wilson(k, n);
    expect(ci.lo).toBeCloseTo(lo, 4);
    expect(ci.hi).toBeCloseTo(hi, 4);
  });
  it('n = 0 is uninformative', () => expect(wilson(0, 0)).toEqual({ lo: 0, hi: 1 }));
});

describe('Newcombe intervals for differences', () => {
  it('paired method 10 matches Fagerland et al. (2017) Cavo example', () => {
    // 59 both, 6 only B… as printed: estimate −0.0621 (95% CI −0.1186 to −0.0046)
    const d = newcombePaired({ a: 59, b: 16, c: 6, d: 80 });
    expect(d.diff).toBeCloseTo(-0.0621, 4);
    expect(d.lo).toBeCloseTo(-0.1186, 4);
    expect(d.hi).toBeCloseTo(-0.0046, 4);
  });
  it('paired: identical outcomes give a symmetric interval around 0 that narrows with n', () => {
    const small = newcombePaired({ a: 48, b: 0, c: 0, d: 0 });
    const big = newcombePaired({ a: 200, b: 0, c: 0, d: 0 });
    expect(small.diff).toBe(0);
    expect(small.hi).toBeCloseTo(-small.lo, 12);
    expect(small.lo).toBeCloseTo(-3.8415 / (48 + 3.8415), 3);
    expect(big.lo).toBeGreaterThan(small.lo);
  });
  it('unpaired hybrid score matches Newcombe (1998b) examples', () => {
    const a = newcombeUnpaired(56, 70, 48, 80);
    expect(a.diff).toBeCloseTo(0.2, 10);
    expect(a.lo).toBeCloseTo(0.0524, 4);
    expect(a.hi).toBeCloseTo(0.3339, 4);
    const b = newcombeUnpaired(9, 10, 3, 10);
    expect(b.lo).toBeCloseTo(0.1705, 4);
    expect(b.hi).toBeCloseTo(0.809, 4);
  });
});

describe('minimum detectable effect (paired)', () => {
  it('inverts Connor (1987): n = 155 pairs at ψ = 0.2 detect δ = 0.10', () => {
    // n = (1.96·√0.2 + 0.8416·√(0.2 − 0.01))² / 0.01 = 154.6
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 6);
    expect(pairedMde(155, 0.2)).toBeCloseTo(0.1, 3);
  });
  it('has roughly the promised exact power', () => {
    const d = pairedMde(155, 0.2)!;
    const power = mcnemarExactPower(155, (0.2 + d) / 2, (0.2 - d) / 2);
    expect(power).toBeGreaterThan(0.72); // the exact test is a little conservative
    expect(power).toBeLessThan(0.88);
  });
  it('is defined with no discordance, shrinks with n, and is null when nothing is detectable', () => {
    const a = pairedMde(48, 0)!;
    const b = pairedMde(480, 0)!;
    expect(a).toBeGreaterThan(0);
    expect(b).toBeLessThan(a);
    expect(pairedMde(3, 0)).toBeNull();
  });
});
