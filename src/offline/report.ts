/** Terminal tables for an offline report (stdout). Every rate with its 95% interval and n. */
import { table, getBorderCharacters } from 'table';
import type { Diff, Rate } from './rates';
import type { OfflineReport } from './run';
import { pctWithInterval } from '../util/format';

const border = { border: getBorderCharacters('norc'), drawHorizontalLine: (i: number, n: number) => i <= 1 || i === n };

/** "74% [61–84] 123/166" — n frames, with the interval that treats episodes as clusters. */
export const fmtRate = (r: Rate): string => (r.n ? `${pctWithInterval(r.rate, r.ci95)} ${r.k}/${r.n}` : '–');
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const fmtDiff = (d: Diff): string => (d.n ? `${pts(d.estimate)} pts${d.ci95 ? ` [${pts(d.ci95.lo)}, ${pts(d.ci95.hi)}]` : ''}` : '–');

export function renderOffline(r: OfflineReport): string {
  const out: string[] = [];
  const c = r.counts;
  const schemas = Object.entries(c.bySchema)
    .map(([s, v]) => `${s} ${v.files} (${v.frames} frames)`)
    .join(', ');
  out.push(`${r.policy.name} (${r.policy.kind}, ${r.policy.variant}) on ${c.files} file(s): ${c.evaluated} evaluated${schemas ? ` — ${schemas}` : ''}; ${c.unreadable} unreadable; ${c.policyErrorFiles} with policy errors${r.complete ? '' : '; INTERRUPTED'}\n`);

  const bad = r.files.filter((f) => f.status !== 'ok');
  if (bad.length) {
    const rows = [['file', 'problem', 'what to do']];
    for (const f of bad) rows.push([f.file, f.status === 'unreadable' ? f.reason : `policy error: ${f.reason}`, f.status === 'unreadable' ? f.hint : 'Check the policy (or its server) on this episode.']);
    out.push('Not evaluated:\n' + table(rows, { ...border, columns: { 1: { width: 60, wrapWord: true }, 2: { width: 40, wrapWord: true } } }));
  }
  const m = r.metrics;
  if (!m) {
    out.push('No episode could be evaluated.\n');
    return out.join('\n');
  }
  const head = ['', 'n frames (episodes)', 'PM [95% CI] k/n', 'DM', 'majority baseline PM', 'frame-index baseline PM'];
  const line = (name: string, g: { pm: Rate; dm: Rate; majority: Rate; frameIndex: Rate }) => [name, `${g.pm.n} (${g.pm.episodes})`, fmtRate(g.pm), fmtRate(g.dm), fmtRate(g.majority), fmtRate(g.frameIndex)];
  const rows = [head, line('all', m.overall), ...m.perSchema.map((s) => line(`schema ${s.schema}`, s)), ...m.perScenario.map((s) => line(s.scenario, s))];
  out.push('Per-frame match of the 8 action classes (teacher-forced; intervals treat episodes as clusters):\n' + table(rows, border));

  const maj = m.baselines.majority;
  out.push(`Majority class: ${maj.class ?? '–'} (${(100 * maj.share).toFixed(0)}% of labelled frames) — a policy that always says it scores the majority baseline PM.`);
  out.push(`Action MAE (labels' units, n=${m.mae.n}): linear_x ${m.mae.linear_x.toFixed(3)}, linear_y ${m.mae.linear_y.toFixed(3)}, angular_z ${m.mae.angular_z.toFixed(3)}, mean ${m.mae.mean.toFixed(3)}${m.policyErrors ? `; ${m.policyErrors} frames with policy errors not counted` : ''}\n`);

  const pc = [['label class', 'n frames', 'PM (recall)', 'predicted most']];
  for (const k of m.perClass) pc.push([k.class, String(k.n), fmtRate(k.pm), k.predictedMost ?? '–']);
  out.push('Per class:\n' + table(pc, border));

  const used = m.classes.map((_, i) => i).filter((i) => m.confusion[i]!.some((v) => v > 0) || m.confusion.some((row) => row[i]! > 0));
  const conf = [['label \\ predicted', ...used.map((i) => m.classes[i]!)]];
  for (const i of used) conf.push([m.classes[i]!, ...used.map((j) => String(m.confusion[i]![j]))]);
  out.push('Confusion matrix (frames):\n' + table(conf, border));

  const ch = m.checks;
  const checks = [
    ['check', 'measure', 'flag'],
    ['majority class', `says the majority class ${fmtRate(ch.majority.saysMajority)}; PM − majority-baseline PM ${fmtDiff(ch.majority.pmOverMajority)}`, `${ch.majority.flag}: ${ch.majority.why}`],
    ['frame index', `agrees with frame-index predictor ${fmtRate(ch.frameIndex.agreesWithFrameIndex)}; with labels ${fmtRate(ch.frameIndex.agreesWithLabels)}; difference ${fmtDiff(ch.frameIndex.difference)}`, `${ch.frameIndex.flag}: ${ch.frameIndex.why}`],
    ['instruction swap (left↔right)', `class changed ${fmtRate(ch.instructionSwap.classChanged)}; identical output ${fmtRate(ch.instructionSwap.identicalOutput)}; direction mirrored ${fmtRate(ch.instructionSwap.directionMirrored)}`, `${ch.instructionSwap.flag}: ${ch.instructionSwap.why}`],
    ['channel order (R↔B)', `PM as stored ${fmtRate(ch.channelOrder.asStored)}; swapped ${fmtRate(ch.channelOrder.swapped)}; difference ${fmtDiff(ch.channelOrder.difference)}${ch.channelOrder.perStoredOrder.map((s) => `; ${s.storedOrder} files ${fmtRate(s.asStored)} vs ${fmtRate(s.swapped)}`).join('')}`, `${ch.channelOrder.flag}: ${ch.channelOrder.why}`],
  ];
  out.push('Checks:\n' + table(checks, { ...border, columns: { 1: { width: 70, wrapWord: true }, 2: { width: 45, wrapWord: true } } }));
  return out.join('\n');
}
