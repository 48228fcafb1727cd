import { getBorderCharacters, table } from 'table';
import type { PolicyInfo } from '../policy/types';
import type { EpisodeRow } from '../results/schema';
import { mcnemarExact } from '../stats/mcnemar';
import { newcombePaired, type DiffInterval, type PairedTable } from '../stats/paired-diff';
import { wilson, type Interval } from '../stats/wilson';
import { baseSceneId, isProbeName } from './index';
import type { ProbeName } from './types';
import { pct, pctWithInterval } from '../util/format';

export interface Rate {
  k: number;
  n: number;
  rate: number;
  ci95: Interval;
}

export interface InstructionSwapStats {
  /** Episodes of complete (base, swapped) pairs. */
  episodes: number;
  /** Of those, episodes that got past the obstacle(s) on some side: the ones that show a choice. */
  passed: number;
  /** Instruction-following among the passed episodes (≈ 50% when the instruction is ignored). */
  followed: Rate;
  /** Pairs where both episodes passed, and those that passed on different sides (as told). */
  pairsBothPassed: number;
  pairsSwitchedSide: number;
}

export interface ProbeResult {
  probe: ProbeName;
  policy: string;
  variant: string;
  status: 'ok' | 'n/a';
  note?: string;
  /** (base episode, probe episode) pairs: same suite, base scene and seed. */
  pairs: number;
  base: Rate;
  probed: Rate;
  /** success(probe) − success(base), Newcombe paired interval. */
  change: DiffInterval;
  /** Exact McNemar p of the change. */
  p: number;
  flag: string;
  instruction?: InstructionSwapStats;
}

export const PROBE_RULES = {
  'instruction-swap':
    'over complete (base, swapped) pairs, episodes that got past the obstacles: FOLLOWS if the Wilson 95% lower bound of instruction-following > 0.6; REVERSED if the upper bound < 0.4; otherwise IGNORES INSTRUCTION; NO SIGNAL with fewer than 10 such episodes',
  memorisation: 'paired success change probe − base: COLLAPSES if < −tolerance with exact McNemar p < 0.05; HOLDS if the 95% lower bound ≥ −tolerance; else INCONCLUSIVE',
  'channel-order':
    'paired success change probe − base: CHANNEL-SENSITIVE if < −tolerance with p < 0.05; BETTER SWAPPED (check RGB/BGR) if > +tolerance with p < 0.05; ROBUST if the 95% interval lies within ±tolerance; else INCONCLUSIVE; n/a for policies that ignore images',
  rotation:
    'paired success change probe − base: ROTATION-SENSITIVE if < −tolerance with p < 0.05; BETTER ROTATED (check the camera mounting) if > +tolerance with p < 0.05; ROBUST if the 95% interval lies within ±tolerance; else INCONCLUSIVE; n/a for policies that ignore images',
} satisfies Record<ProbeName, string>;

const ok = (r: EpisodeRow) => r.measures.success === true;
const rate = (k: number, n: number): Rate => ({ k, n, rate: n ? k / n : 0, ci95: wilson(k, n) });
const key = (r: EpisodeRow) => `${r.suite}\u0000${baseSceneId(r.sceneId, r.probe)}\u0000${r.seed}`;

/** Per policy × probe present in the rows: base vs probe success and the probe's flag. */
export function probeResults(rows: readonly EpisodeRow[], policies: readonly PolicyInfo[], tolerance: number): ProbeResult[] {
  const out: ProbeResult[] = [];
  const names = [...new Set(rows.map((r) => r.policy))];
  for (const policy of names) {
    const mine = rows.filter((r) => r.policy === policy);
    const base = new Map(mine.filter((r) => !r.probe).map((r) => [key(r), r]));
    const info = policies.find((p) => p.name === policy);
    const probes = [...new Set(mine.flatMap((r) => (r.probe && isProbeName(r.probe) ? [r.probe] : [])))];
    for (const probe of probes) {
      const pairs = mine.filter((r) => r.probe === probe).flatMap((r) => (base.has(key(r)) ? [{ base: base.get(key(r))!, probed: r }] : []));
      out.push(oneProbe(probe, policy, mine[0]!.variant, info, pairs, tolerance));
    }
  }
  return out;
}

function oneProbe(probe: ProbeName, policy: string, variant: string, info: PolicyInfo | undefined, pairs: { base: EpisodeRow; probed: EpisodeRow }[], tol: number): ProbeResult {
  const t: PairedTable = { a: 0, b: 0, c: 0, d: 0 };
  for (const { base, probed } of pairs) {
    if (ok(base) && ok(probed)) t.a++;
    else if (ok(base)) t.b++;
    else if (ok(probed)) t.c++;
    else t.d++;
  }
  const n = pairs.length;
  const change = newcombePaired(t);
  const { p } = mcnemarExact(t.b, t.c);
  const res: ProbeResult = {
    probe,
    policy,
    variant,
    status: 'ok',
    pairs: n,
    base: rate(t.a + t.b, n),
    probed: rate(t.a + t.c, n),
    change,
    p,
    flag: '',
  };
  if (n === 0) return { ...res, status: 'n/a', note: 'no base episodes to pair with (run the in-distribution suite too)', flag: 'n/a' };
  if (probe === 'channel-order' || probe === 'rotation') {
    if (info && !info.needsImage) return { ...res, status: 'n/a', note: 'policy ignores camera frames', flag: 'n/a' };
    const [worse, better] = probe === 'channel-order' ? ['CHANNEL-SENSITIVE', 'BETTER SWAPPED (check RGB/BGR)'] : ['ROTATION-SENSITIVE', 'BETTER ROTATED (check the camera mounting)'];
    res.flag = change.diff < -tol && p < 0.05 ? worse : change.diff > tol && p < 0.05 ? better : change.lo >= -tol && change.hi <= tol ? 'ROBUST' : 'INCONCLUSIVE';
  } else if (probe === 'memorisation') {
    res.flag = change.diff < -tol && p < 0.05 ? 'COLLAPSES' : change.lo >= -tol ? 'HOLDS' : 'INCONCLUSIVE';
  } else {
    res.instruction = instructionStats(pairs);
    const f = res.instruction.followed;
    res.flag = res.instruction.passed < 10 ? 'NO SIGNAL' : f.ci95.lo > 0.6 ? 'FOLLOWS' : f.ci95.hi < 0.4 ? 'REVERSED' : 'IGNORES INSTRUCTION';
  }
  return res;
}

function instructionStats(pairs: { base: EpisodeRow; probed: EpisodeRow }[]): InstructionSwapStats {
  const passed = (r: EpisodeRow) => r.measures.passed_side === 'left' || r.measures.passed_side === 'right' || r.measures.passed_side === 'mixed';
  const eps = pairs.flatMap((x) => [x.base, x.probed]);
  const through = eps.filter(passed);
  const both = pairs.filter((x) => passed(x.base) && passed(x.probed));
  return {
    episodes: eps.length,
    passed: through.length,
    followed: rate(through.filter((r) => r.measures.instruction_followed === true).length, through.length),
    pairsBothPassed: both.length,
    pairsSwitchedSide: both.filter((x) => x.base.measures.passed_side !== x.probed.measures.passed_side).length,
  };
}

const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/** Terminal table: one row per policy × probe. */
export function probeTable(results: readonly ProbeResult[]): string {
  const rows: string[][] = [['probe', 'policy', 'pairs', 'base success', 'probe success', 'change pts [95% CI]', 'p', 'instr-followed (swap pairs)', 'flag']];
  for (const r of results) {
    const na = r.status === 'n/a';
    rows.push([
      r.probe,
      r.policy,
      String(r.pairs),
      na ? '–' : pct(r.base.rate),
      na ? '–' : pct(r.probed.rate),
      na ? '–' : `${pts(r.change.diff)} [${pts(r.change.lo)}, ${pts(r.change.hi)}]`,
      na ? '–' : r.p < 0.0001 ? '<0.0001' : r.p.toFixed(4),
      r.instruction ? `${pctWithInterval(r.instruction.followed.rate, r.instruction.followed.ci95)} of ${r.instruction.passed}` : '',
      na ? `n/a (${r.note})` : r.flag,
    ]);
  }
  return table(rows, { border: getBorderCharacters('norc'), drawHorizontalLine: (i, n) => i <= 1 || i === n });
}

