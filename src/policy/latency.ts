/**
 * Per-call inference latency. Stats are "batch 1 semantics": each row of a call is charged
 * callMs / rows, which is the call time itself when B = 1. At B > 1 that is amortised throughput,
 * not what one robot would wait — compare B = 1 runs against a control budget.
 */
export interface LatencyStats {
  /** Median per-row ms (nearest rank). */
  p50: number;
  p95: number;
  /** Rows recorded. */
  n: number;
}

export class LatencyRecorder {
  private samples: number[] = [];
  private calls = 0;
  private callMsTotal = 0;

  /** One call that served `rows` rows in `callMs`. */
  record(callMs: number, rows = 1): void {
    if (rows <= 0 || !Number.isFinite(callMs)) return;
    this.calls++;
    this.callMsTotal += callMs;
    const per = callMs / rows;
    for (let i = 0; i < rows; i++) this.samples.push(per);
  }

  stats(): LatencyStats {
    return { p50: percentile(this.samples, 50), p95: percentile(this.samples, 95), n: this.samples.length };
  }

  /** Calls recorded and their mean duration (ms). */
  callSummary(): { calls: number; meanMs: number } {
    return { calls: this.calls, meanMs: this.calls ? this.callMsTotal / this.calls : 0 };
  }

  reset(): void {
    this.samples = [];
    this.calls = 0;
    this.callMsTotal = 0;
  }
}

/** Nearest-rank percentile; NaN for no samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** A policy that reports its inference latency. */
export interface LatencyReporting {
  latencyStats(): LatencyStats;
}

export function hasLatencyStats(p: unknown): p is LatencyReporting {
  return !!p && typeof (p as LatencyReporting).latencyStats === 'function';
}

export function nowMs(): number {
  return performance.now();
}
