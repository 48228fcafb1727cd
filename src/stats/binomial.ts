/** Binomial probabilities in log space, so n in the thousands neither overflows nor underflows. */

const logFact: number[] = [0];

/** ln(k!) from a growing table of exact sums (no Stirling error at small k). */
export function logFactorial(k: number): number {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`logFactorial: k must be a non-negative integer, got ${k}`);
  for (let i = logFact.length; i <= k; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  return logFact[k]!;
}

export function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/** P(X = k) for X ~ Bin(n, p). */
export function binomPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p <= 0) return k === 0 ? 1 : 0;
  if (p >= 1) return k === n ? 1 : 0;
  return Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X ≤ k) for X ~ Bin(n, p), summed term by term (exact up to rounding). */
export function binomCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let s = 0;
  for (let i = 0; i <= k; i++) s += binomPmf(i, n, p);
  return Math.min(1, s);
}
