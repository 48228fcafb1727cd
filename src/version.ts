/** Recorded in every results file. */
export const VERSION = '0.1.0';
