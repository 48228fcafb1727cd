/** How every table, report and summary writes a rate: "66%", and with its 95% interval "66% [48–80]". */
export const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** "[48–80]": a 0–1 interval in whole percentage points. */
export const pctInterval = (ci: { lo: number; hi: number }): string => `[${(100 * ci.lo).toFixed(0)}–${(100 * ci.hi).toFixed(0)}]`;

/** "66% [48–80]". */
export const pctWithInterval = (rate: number, ci: { lo: number; hi: number }): string => `${pct(rate)} ${pctInterval(ci)}`;
