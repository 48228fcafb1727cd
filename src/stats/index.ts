/** Statistics used by compare, probes and reports: one small file per method. */
export { wilson, Z95, type Interval } from './wilson';
export { mcnemarExact, type McNemarResult } from './mcnemar';
export { newcombePaired, type PairedTable, type DiffInterval } from './paired-diff';
export { newcombeUnpaired } from './unpaired-diff';
export { pairedMde, mcnemarExactPower, type MdeOptions } from './mde';
export { binomPmf, binomCdf, logChoose } from './binomial';
export { normalQuantile, zTwoSided } from './normal';
export { PairedSequentialTest, BettingEProcess, sequentialPaired, pairedConfidenceSequence, type SequentialDecision, type SequentialOptions, type SequentialState } from './sequential';
export { hierarchicalBootstrap, pairedHierarchicalBootstrap, variantSuccess, seedSpread, type Outcome, type BootstrapInterval, type BootstrapOptions } from './hierarchical-bootstrap';
