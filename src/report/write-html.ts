import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ViewRenderer } from '../render/launch';
import type { Renderer } from '../sim/camera';
import type { RunResults } from '../results/schema';
import { exportEpisode } from '../replay/export';
import { isFailure, replaySpec, tracedRows } from '../replay/load';
import type { LoadedResults } from '../results/read';
import { artefactKey, renderHtmlReport, type FailureArtefact, type HtmlReportOptions } from './html';

export interface WriteReportOptions {
  /** Clips (GIF + filmstrip) for the first N failures of each policy (default 10; 0 = none). */
  maxGifsPerPolicy?: number;
  /** Also store the onboard frames of every failed episode as PNGs (traces/<policy>/<id>/). */
  traceFrames?: boolean;
  /** With traceFrames: frames of every traced episode, successes too (`--save-frames`). */
  allFrames?: boolean;
  /** A renderer to use (the run's, still open), else one is launched if needed. */
  renderer?: Renderer;
  launchRenderer?: () => Promise<Renderer>;
  /** Progress and warnings. */
  log?: (line: string) => void;
  /** False: export what was asked (frames) but write no report.html (`--no-report --save-frames`). Default true. */
  writeReport?: boolean;
  /** The gate's comparisons, variants and probe flags: report.html opens with them. */
  findings?: HtmlReportOptions['findings'];
}

const isViewRenderer = (r: Renderer | undefined): r is ViewRenderer => typeof (r as { topDown?: unknown } | undefined)?.topDown === 'function';

/**
 * Export clips of failed episodes (first N per policy) and write <dir>/report.html. A failure to
 * render never fails the run: the report says what is missing.
 */
export async function writeHtmlReport(dir: string, results: RunResults, o: WriteReportOptions = {}): Promise<{ file?: string; clips: number; ms: number }> {
  const t0 = performance.now();
  const loaded: LoadedResults = { dir, file: join(dir, 'results.json'), results };
  const cap = Math.max(0, o.maxGifsPerPolicy ?? 10);
  const notes: string[] = [];
  const artefacts = new Map<string, FailureArtefact>();
  const traced = tracedRows(results, { failuresOnly: !(o.traceFrames && o.allFrames) });
  const perPolicy = new Map<string, number>();
  const picked = traced.filter((r) => {
    if (!isFailure(r)) return true; // only here for its frames (--save-frames)
    const n = perPolicy.get(r.policy) ?? 0;
    perPolicy.set(r.policy, n + 1);
    return n < cap || o.traceFrames;
  });
  let renderer: Renderer | undefined = o.renderer;
  let launched: Renderer | undefined;
  if (picked.length && !isViewRenderer(renderer) && o.launchRenderer) {
    try {
      launched = renderer = await o.launchRenderer();
    } catch (e) {
      notes.push(`No renderer for camera frames (${(e as Error).message.split('\n')[0]}): clips show the top-down only.`);
    }
  }
  const viewer = isViewRenderer(renderer) ? renderer : null;
  if (picked.length && !viewer && !notes.length) notes.push('No renderer: clips show the top-down only.');
  try {
    const seen = new Map<string, number>();
    let k = 0;
    for (const row of picked) {
      const failure = isFailure(row);
      const n = seen.get(row.policy) ?? 0;
      if (failure) seen.set(row.policy, n + 1);
      const clip = failure && n < cap;
      k++;
      if (k === 1 || k % 10 === 0) o.log?.(`report: exporting failure ${k}/${picked.length}`);
      try {
        const spec = replaySpec(loaded, row);
        const e = await exportEpisode(loaded, spec, { renderer: viewer, gif: clip, filmstrip: clip, frames: Boolean(o.traceFrames) });
        if (!e.verify.ok) {
          notes.push(`REPLAY DIVERGED: ${row.policy} ${row.episodeId}: ${e.verify.message}`);
          o.log?.(`REPLAY DIVERGED: ${row.policy} ${row.episodeId}: ${e.verify.message}`);
        }
        if (clip) artefacts.set(artefactKey(row.policy, row.episodeId), { ...(e.gif ? { gif: e.gif } : {}), ...(e.filmstrip ? { filmstrip: e.filmstrip } : {}), verify: e.verify });
      } catch (e) {
        if (clip) artefacts.set(artefactKey(row.policy, row.episodeId), { error: (e as Error).message.split('\n')[0]! });
      }
    }
  } finally {
    await launched?.close();
  }
  if (o.writeReport === false) return { clips: 0, ms: performance.now() - t0 };
  const rel = relative(process.cwd(), dir) || '.';
  const html = renderHtmlReport(results, {
    artefacts,
    replayPrefix: `npx simgate replay ${/^[A-Za-z0-9_./:@+-]+$/.test(rel) ? rel : JSON.stringify(rel)}`,
    maxGifsPerPolicy: cap,
    notes: [...(results.episodes.some((r) => isFailure(r) && !r.trace) ? ['Some failed rows carry no trace (resumed from an older run?): they cannot be replayed.'] : []), ...notes],
    ...(o.findings ? { findings: o.findings } : {}),
  });
  const file = join(dir, 'report.html');
  writeFileSync(file, html);
  return { file, clips: artefacts.size, ms: performance.now() - t0 };
}
