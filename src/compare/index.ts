/** Paired checkpoint comparison: pair rows by episode id, test, and gate (see verdict.ts). */
export { compareRows, groupOf, METHODS, type Comparison, type CompareGroup, type EpisodeRef, type SideStats, type UnpairedEpisode } from './compare';
export { pairRows, type Pairing } from './pair';
export { verdict, overall, ALPHA, type Verdict } from './verdict';
export { policyRows } from './load';
export { compareTable, compareJson, verdictLine, fmtE, pval } from './render';
export { sequentialOrder, sequentialGate, withSequential, sequentialLine, rowsById, SEQUENTIAL_METHOD, DEFAULT_BLOCK, DEFAULT_ORDER_SEED, type OrderItem, type GroupState, type SequentialGateOptions } from './sequential';
export { BASELINE_DIR, baselinePath, updateBaseline, listBaselines } from './baselines';
export { resolveBaseline, benchComparisons, type BaselineSpec } from './bench';
