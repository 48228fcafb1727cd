/**
 * The lab's offline metrics (LAB.md §3: per-frame perfect match of the 8 action classes,
 * teacher-forced), and the baselines that exposed their worst failures: FORWARD was 74% of the
 * frames (a majority-class predictor scores that), and "PM 100%" came from a model that had
 * learned the frame number (a frame-index predictor scores that). Each check is made on the same
 * frames as the policy's score.
 */
import { ACTION_CLASSES, actionClass, type ActionClass } from '../measures/action-class';
import { clusterDiff, clusterRate, type Diff, type Rate } from './rates';

export type Prediction = number[] | null;

/** One evaluated episode: labels and what the policy said per frame (null: a policy error). */
export interface EpisodeFrames {
  file: string;
  schema: string;
  scenario: string;
  storedOrder: 'RGB' | 'BGR';
  /** Ground-truth actions [lx, ly, az] of the evaluated frames. */
  labels: number[][];
  /** As read (BGR files converted to RGB), the file's instruction. */
  pred: Prediction[];
  /** Same frames, instruction with left↔right swapped (absent: no side word to swap). */
  swapInstruction?: Prediction[];
  /** Same frames with R and B swapped at the policy's input. */
  swapChannels?: Prediction[];
}

/** LEFT/FWD+L/ROT_L go left, their mirrors right: the coarse "direction" of the old DM measure. */
export type Direction = 'left' | 'right' | 'straight' | 'stop';
export function direction(c: ActionClass): Direction {
  if (c === 'LEFT' || c === 'FWD_L' || c === 'ROT_L') return 'left';
  if (c === 'RIGHT' || c === 'FWD_R' || c === 'ROT_R') return 'right';
  return c === 'STOP' ? 'stop' : 'straight';
}

const cls = (a: readonly number[]) => actionClass(a as [number, number, number]);
const NC = ACTION_CLASSES.length;
const idx = (c: ActionClass) => ACTION_CLASSES.indexOf(c);

/** Check verdicts; the collapse flag names the class (`COLLAPSES TO FORWARD`). */
export type Flag = 'MEMORISES FRAME INDEX' | 'IGNORES INSTRUCTION' | 'RESPONDS TO INSTRUCTION' | 'CHANNEL-SENSITIVE' | 'BETTER SWAPPED' | 'ROBUST' | 'OK' | 'NO SIGNAL' | `COLLAPSES TO ${string}`;

export interface GroupMetrics {
  /** Perfect match: predicted class = labelled class. */
  pm: Rate;
  /** Direction match (left / right / straight / stop). */
  dm: Rate;
  /** The baselines on the same frames. */
  majority: Rate;
  frameIndex: Rate;
}

export interface OfflineMetrics {
  classes: readonly ActionClass[];
  frames: number;
  episodes: number;
  /** Frames where the policy failed (not counted in any rate). */
  policyErrors: number;
  overall: GroupMetrics;
  /** Mean absolute error per action component, in the labels' units (the lab's ±1.15). */
  mae: { linear_x: number; linear_y: number; angular_z: number; mean: number; n: number };
  /** confusion[label][prediction], classes in `classes` order. */
  confusion: number[][];
  perScenario: ({ scenario: string } & GroupMetrics)[];
  perSchema: ({ schema: string } & GroupMetrics)[];
  /** Per labelled class: frames, recall (PM within the class), and what the policy said most. */
  perClass: { class: ActionClass; n: number; pm: Rate; predictedMost: ActionClass | null }[];
  baselines: {
    /** The most common labelled class (fitted on the other episodes): the forward-collapse score. */
    majority: { class: ActionClass | null; share: number };
    frameIndex: { note: string };
  };
  checks: {
    majority: {
      /** How often the policy says the majority class; at ≥ 80% it has collapsed onto it (the lab's forward collapse). */
      saysMajority: Rate;
      /** Policy PM − majority-baseline PM, paired over frames. */
      pmOverMajority: Diff;
      flag: Flag;
      why: string;
    };
    frameIndex: {
      /** How often the policy says what the frame-index predictor says, vs what the label says. */
      agreesWithFrameIndex: Rate;
      agreesWithLabels: Rate;
      /** agreesWithFrameIndex − agreesWithLabels, paired over frames. */
      difference: Diff;
      flag: Flag;
      why: string;
    };
    instructionSwap: {
      /** Frames run with the instruction swapped left↔right. */
      n: number;
      identicalOutput: Rate;
      classChanged: Rate;
      /** The swapped run turned left where the original turned right (or the reverse). */
      directionMirrored: Rate;
      flag: Flag;
      why: string;
    };
    channelOrder: {
      asStored: Rate;
      swapped: Rate;
      /** asStored − swapped PM, paired over frames. */
      difference: Diff;
      perStoredOrder: { storedOrder: 'RGB' | 'BGR'; asStored: Rate; swapped: Rate }[];
      flag: Flag;
      why: string;
    };
  };
}

/** Most common class of a count vector (ties: the class listed first), null when empty. */
function argmax(counts: readonly number[]): number {
  let best = -1;
  for (let c = 0; c < counts.length; c++) if (counts[c]! > 0 && (best < 0 || counts[c]! > counts[best]!)) best = c;
  return best;
}

/**
 * Leave-one-episode-out baselines: for each episode, the majority class and the per-frame-index
 * majority class of all the *other* episodes (a memoriser never sees the episode it is scored on).
 * A frame index no other episode reaches falls back to the majority class.
 */
export function baselinePredictions(labels: readonly (readonly ActionClass[])[]): { majority: number[][]; frameIndex: number[][] } {
  const total = new Array<number>(NC).fill(0);
  const atT: number[][] = [];
  for (const ep of labels) {
    ep.forEach((c, t) => {
      total[idx(c)]!++;
      (atT[t] ??= new Array<number>(NC).fill(0))[idx(c)]!++;
    });
  }
  const majority: number[][] = [];
  const frameIndex: number[][] = [];
  for (const ep of labels) {
    const own = new Array<number>(NC).fill(0);
    for (const c of ep) own[idx(c)]!++;
    const maj = argmax(total.map((v, c) => v - own[c]!));
    majority.push(ep.map(() => maj));
    frameIndex.push(
      ep.map((c, t) => {
        const counts = (atT[t] as number[]).map((v, k) => v - (k === idx(c) ? 1 : 0));
        const best = argmax(counts);
        return best >= 0 ? best : maj;
      }),
    );
  }
  return { majority, frameIndex };
}

const MIN_FRAMES = 10;

export function analyse(episodes: readonly EpisodeFrames[]): OfflineMetrics {
  const labelClasses = episodes.map((e) => e.labels.map(cls));
  const base = baselinePredictions(labelClasses);
  const confusion = ACTION_CLASSES.map(() => new Array<number>(NC).fill(0));
  const mae = { x: 0, y: 0, z: 0, n: 0 };
  let policyErrors = 0;

  interface EpCounts {
    schema: string;
    scenario: string;
    storedOrder: 'RGB' | 'BGR';
    n: number;
    pm: number;
    dm: number;
    maj: number;
    fi: number;
    agreeFi: number;
    agreeMaj: number;
    swapN: number;
    identical: number;
    changed: number;
    mirrored: number;
    chanN: number;
    chanAsStored: number;
    chanSwapped: number;
    perClass: Map<number, { n: number; pm: number }>;
  }
  const counts: EpCounts[] = [];
  const predictedBy = ACTION_CLASSES.map(() => new Array<number>(NC).fill(0));

  episodes.forEach((ep, e) => {
    const c: EpCounts = { schema: ep.schema, scenario: ep.scenario, storedOrder: ep.storedOrder, n: 0, pm: 0, dm: 0, maj: 0, fi: 0, agreeFi: 0, agreeMaj: 0, swapN: 0, identical: 0, changed: 0, mirrored: 0, chanN: 0, chanAsStored: 0, chanSwapped: 0, perClass: new Map() };
    ep.labels.forEach((label, t) => {
      const p = ep.pred[t];
      if (!p) {
        policyErrors++;
        return;
      }
      const g = labelClasses[e]![t]!;
      const pc = cls(p);
      const gi = idx(g);
      const pi = idx(pc);
      c.n++;
      confusion[gi]![pi]!++;
      predictedBy[gi]![pi]!++;
      const hit = pc === g ? 1 : 0;
      c.pm += hit;
      c.dm += direction(pc) === direction(g) ? 1 : 0;
      const pcs = c.perClass.get(gi) ?? { n: 0, pm: 0 };
      pcs.n++;
      pcs.pm += hit;
      c.perClass.set(gi, pcs);
      c.maj += base.majority[e]![t] === gi ? 1 : 0;
      c.agreeMaj += base.majority[e]![t] === pi ? 1 : 0;
      const fiClass = base.frameIndex[e]![t]!;
      c.fi += fiClass === gi ? 1 : 0;
      c.agreeFi += fiClass === pi ? 1 : 0;
      mae.x += Math.abs((p[0] ?? 0) - (label[0] ?? 0));
      mae.y += Math.abs((p[1] ?? 0) - (label[1] ?? 0));
      mae.z += Math.abs((p[2] ?? 0) - (label[2] ?? 0));
      mae.n++;
      const s = ep.swapInstruction?.[t];
      if (s) {
        c.swapN++;
        const sc = cls(s);
        if (s.length === p.length && s.every((v, k) => Math.abs(v - (p[k] ?? 0)) <= 1e-6)) c.identical++;
        if (sc !== pc) c.changed++;
        const d0 = direction(pc);
        const d1 = direction(sc);
        if ((d0 === 'left' && d1 === 'right') || (d0 === 'right' && d1 === 'left')) c.mirrored++;
      }
      const q = ep.swapChannels?.[t];
      if (q) {
        c.chanN++;
        c.chanAsStored += hit;
        c.chanSwapped += cls(q) === g ? 1 : 0;
      }
    });
    counts.push(c);
  });

  const rate = (list: EpCounts[], k: (c: EpCounts) => number, n: (c: EpCounts) => number = (c) => c.n) => clusterRate(list.map((c) => ({ k: k(c), n: n(c) })));
  const group = (list: EpCounts[]): GroupMetrics => ({ pm: rate(list, (c) => c.pm), dm: rate(list, (c) => c.dm), majority: rate(list, (c) => c.maj), frameIndex: rate(list, (c) => c.fi) });
  const by = <K extends string>(key: (c: EpCounts) => K) => {
    const m = new Map<K, EpCounts[]>();
    for (const c of counts) m.set(key(c), [...(m.get(key(c)) ?? []), c]);
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  };

  // Frame-index memorisation: does the policy side with the frame number rather than the label?
  const agreeFi = rate(counts, (c) => c.agreeFi);
  const agreeLabels = rate(counts, (c) => c.pm);
  const fiDiff = clusterDiff(counts.map((c) => ({ a: c.agreeFi, b: c.pm, n: c.n })));
  const fiBase = rate(counts, (c) => c.fi);
  // A policy that always says the majority class also agrees with the frame-index predictor
  // wherever that predicts the majority: that is collapse, not memorisation (checked below).
  const agreeMaj = rate(counts, (c) => c.agreeMaj);
  let fiFlag: Flag;
  let fiWhy: string;
  if (agreeFi.n < MIN_FRAMES || !fiDiff.ci95) {
    fiFlag = 'NO SIGNAL';
    fiWhy = `needs ≥ ${MIN_FRAMES} frames from ≥ 2 episodes`;
  } else if (fiDiff.ci95.lo > 0 && agreeFi.rate > agreeMaj.rate) {
    fiFlag = 'MEMORISES FRAME INDEX';
    fiWhy = 'the policy agrees with the frame-index predictor more often than with the labels (95% interval of the difference above 0)';
  } else if (fiDiff.ci95.lo > 0) {
    fiFlag = 'OK';
    fiWhy = 'the policy agrees with the frame-index predictor more than with the labels, but no more than with the majority class: see the majority check';
  } else {
    fiFlag = 'OK';
    fiWhy = fiBase.rate >= 0.9 ? `but the labels follow the frame index on ${(100 * fiBase.rate).toFixed(0)}% of frames: PM cannot tell skill from memorisation here` : 'the policy does not side with the frame index against the labels';
  }

  // Majority collapse: the lab's FORWARD was 74% of frames, and a collapsed model says it everywhere.
  const majDiff = clusterDiff(counts.map((c) => ({ a: c.pm, b: c.maj, n: c.n })));
  const majName = (): string => {
    const tally = new Array<number>(NC).fill(0);
    base.majority.flat().forEach((c) => tally[c]!++);
    return ACTION_CLASSES[argmax(tally)] ?? 'MAJORITY';
  };
  let majFlag: Flag;
  let majWhy: string;
  if (agreeMaj.n < MIN_FRAMES) {
    majFlag = 'NO SIGNAL';
    majWhy = `needs ≥ ${MIN_FRAMES} frames`;
  } else if (agreeMaj.rate >= 0.8) {
    majFlag = `COLLAPSES TO ${majName()}`;
    majWhy = `${(100 * agreeMaj.rate).toFixed(0)}% of its predictions are the majority class (≥ 80%, the forward_collapse rule of the closed loop)`;
  } else {
    majFlag = 'OK';
    majWhy = majDiff.ci95 && majDiff.ci95.hi <= 0 ? 'not a collapse, but PM is no better than always saying the majority class' : 'predictions are not dominated by the majority class';
  }

  // Instruction swap: identical outputs for left and right is the lab's "text ignored" (L2 = 0).
  const swapN = counts.reduce((s, c) => s + c.swapN, 0);
  const identical = rate(counts, (c) => c.identical, (c) => c.swapN);
  const changed = rate(counts, (c) => c.changed, (c) => c.swapN);
  const mirrored = rate(counts, (c) => c.mirrored, (c) => c.swapN);
  let swapFlag: Flag;
  let swapWhy: string;
  if (swapN < MIN_FRAMES) {
    swapFlag = 'NO SIGNAL';
    swapWhy = swapN === 0 ? 'no evaluated file has an instruction naming left or right' : `only ${swapN} frames with a swappable instruction (needs ≥ ${MIN_FRAMES})`;
  } else if (changed.k === 0) {
    swapFlag = 'IGNORES INSTRUCTION';
    swapWhy = identical.k === identical.n ? 'identical outputs with left and right swapped on every frame' : 'no frame changes class when left and right are swapped';
  } else {
    swapFlag = 'RESPONDS TO INSTRUCTION';
    swapWhy = `the class changes on ${changed.k}/${changed.n} frames when left and right are swapped`;
  }

  // Channel order: PM with frames as stored (BGR files converted) vs with R and B swapped.
  const asStored = rate(counts, (c) => c.chanAsStored, (c) => c.chanN);
  const swapped = rate(counts, (c) => c.chanSwapped, (c) => c.chanN);
  const chDiff = clusterDiff(counts.map((c) => ({ a: c.chanAsStored, b: c.chanSwapped, n: c.chanN })));
  let chFlag: Flag;
  let chWhy: string;
  if (asStored.n < MIN_FRAMES || !chDiff.ci95) {
    chFlag = 'NO SIGNAL';
    chWhy = asStored.n === 0 ? 'not run' : `needs ≥ ${MIN_FRAMES} frames from ≥ 2 episodes`;
  } else if (chDiff.ci95.lo > 0) {
    chFlag = 'CHANNEL-SENSITIVE';
    chWhy = 'PM drops with R and B swapped: the policy reads colour, and the stored order is the one it expects';
  } else if (chDiff.ci95.hi < 0) {
    chFlag = 'BETTER SWAPPED';
    chWhy = 'PM rises with R and B swapped: check RGB/BGR (the policy was probably trained on the other order)';
  } else {
    chFlag = 'ROBUST';
    chWhy = 'no difference in PM either way';
  }

  const majTotal = new Array<number>(NC).fill(0);
  labelClasses.flat().forEach((c) => majTotal[idx(c)]!++);
  const majClass = argmax(majTotal);
  const labelled = majTotal.reduce((a, b) => a + b, 0);

  return {
    classes: ACTION_CLASSES,
    frames: counts.reduce((s, c) => s + c.n, 0),
    episodes: counts.filter((c) => c.n > 0).length,
    policyErrors,
    overall: group(counts),
    mae: { linear_x: mae.x / mae.n, linear_y: mae.y / mae.n, angular_z: mae.z / mae.n, mean: (mae.x + mae.y + mae.z) / (3 * mae.n), n: mae.n },
    confusion,
    perScenario: by((c) => c.scenario).map(([scenario, list]) => ({ scenario, ...group(list) })),
    perSchema: by((c) => c.schema).map(([schema, list]) => ({ schema, ...group(list) })),
    perClass: ACTION_CLASSES.map((name, gi) => {
      const pm = clusterRate(counts.map((c) => ({ k: c.perClass.get(gi)?.pm ?? 0, n: c.perClass.get(gi)?.n ?? 0 })));
      const most = argmax(predictedBy[gi]!);
      return { class: name, n: pm.n, pm, predictedMost: most >= 0 ? (ACTION_CLASSES[most] as ActionClass) : null };
    }).filter((r) => r.n > 0),
    baselines: {
      majority: { class: majClass >= 0 ? (ACTION_CLASSES[majClass] as ActionClass) : null, share: labelled ? majTotal[majClass]! / labelled : NaN },
      frameIndex: { note: 'at each frame index, the most common labelled class of the other episodes' },
    },
    checks: {
      majority: { saysMajority: agreeMaj, pmOverMajority: majDiff, flag: majFlag, why: majWhy },
      frameIndex: { agreesWithFrameIndex: agreeFi, agreesWithLabels: agreeLabels, difference: fiDiff, flag: fiFlag, why: fiWhy },
      instructionSwap: { n: swapN, identicalOutput: identical, classChanged: changed, directionMirrored: mirrored, flag: swapFlag, why: swapWhy },
      channelOrder: {
        asStored,
        swapped,
        difference: chDiff,
        perStoredOrder: by((c) => c.storedOrder).map(([storedOrder, list]) => ({ storedOrder, asStored: rate(list, (c) => c.chanAsStored, (c) => c.chanN), swapped: rate(list, (c) => c.chanSwapped, (c) => c.chanN) })),
        flag: chFlag,
        why: chWhy,
      },
    },
  };
}
