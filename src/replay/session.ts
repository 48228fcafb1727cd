import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ViewRenderer } from '../render/launch';
import { readResults, type LoadedResults } from '../results/read';
import { findRow, isFailure, replayRel, replaySpec, tracedRows, type ReplaySpec } from './load';
import { prepareEpisode, type Prepared } from './prepare';
import { startViewerServer, type ViewerServer } from './server';

export interface ReplaySessionOptions {
  /** results.json or its folder. */
  results: string;
  /** Episode id (or unique prefix); default the first failure. */
  episode?: string;
  policy?: string;
  /** Suite files to look scenes up in (else results.suites[].file). */
  suites?: string[];
  port?: number;
  /** Render camera frames and the top-down with Chromium (default true). */
  render?: boolean;
  /** List traced successes too (runs made with --trace-all). */
  all?: boolean;
  /** A renderer owned by the caller (not closed by the session). */
  renderer?: ViewRenderer;
  /** Launch the renderer (default: the run's own, launchRunRenderer); the session closes it. */
  launchRenderer?: () => Promise<ViewRenderer>;
  log?: (line: string) => void;
}

export interface ReplaySession {
  loaded: LoadedResults;
  spec: ReplaySpec;
  prepared: Prepared;
  server: ViewerServer;
  /** URL of the viewer opened on the chosen episode. */
  url: string;
  close(): Promise<void>;
}

/** The command that replays a row, as shown in the viewer and the HTML report. */
export function replayCommand(dir: string, row: { episodeId: string; policy: string }): string {
  const q = (s: string) => (/^[A-Za-z0-9_./:@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `npx simgate replay ${q(dir)} ${row.episodeId} --policy ${q(row.policy)}`;
}

/** Write replay/index.json: the episodes the viewer can step through (failures, or all traced). */
export function writeIndex(loaded: LoadedResults, start: { policy: string; episodeId: string } | null, all = false): void {
  const rows = tracedRows(loaded.results, { failuresOnly: !all });
  const episodes = rows.map((r) => ({
    policy: r.policy,
    episodeId: r.episodeId,
    outcome: r.outcome,
    ...(typeof r.measures.failure === 'string' ? { failure: r.measures.failure } : {}),
    sceneId: r.sceneId,
    family: r.family,
    split: r.split,
    seed: r.seed,
    steps: r.trace.actions.length,
    rel: replayRel(r.policy, r.episodeId),
  }));
  mkdirSync(join(loaded.dir, 'replay'), { recursive: true });
  writeFileSync(join(loaded.dir, 'replay', 'index.json'), JSON.stringify({ results: loaded.file, createdAt: loaded.results.createdAt, start, episodes }));
}

/**
 * Re-simulate the chosen episode (the caller reports a divergence), write the viewer's data for
 * it and start the viewer server. Other episodes are prepared on demand when the viewer asks.
 */
export async function openReplay(opts: ReplaySessionOptions): Promise<ReplaySession> {
  const loaded = readResults(opts.results);
  const { row } = findRow(loaded.results, opts.episode, opts.policy);
  const spec = replaySpec(loaded, row, { suites: opts.suites });
  let renderer: ViewRenderer | null = null;
  let launching: Promise<ViewRenderer | null> | null = null;
  const getRenderer = () => {
    if (opts.render === false) return Promise.resolve(null);
    if (opts.renderer) return Promise.resolve(opts.renderer);
    launching ??= (opts.launchRenderer ?? (async () => (await import('../render/launch')).launchRunRenderer(loaded.results.environment)))().then(
      (r) => (renderer = r),
      (e) => {
        opts.log?.(`warning: no browser for camera frames (${(e as Error).message.split('\n')[0]}); showing the top-down drawn from the scene only`);
        return null;
      },
    );
    return launching;
  };
  // One preparation at a time: the renderer serialises anyway, and two requests for the same
  // episode must not write the same folder at once.
  let queue: Promise<unknown> = Promise.resolve();
  const prepare = (s: ReplaySpec, force = false) => {
    const run = queue.then(async () => prepareEpisode(loaded, s, { renderer: await getRenderer(), force, command: replayCommand(loaded.dir, s.row) }));
    queue = run.catch(() => undefined);
    return run;
  };
  const prepared = await prepare(spec, true);
  const all = opts.all || !isFailure(row);
  writeIndex(loaded, { policy: row.policy, episodeId: row.episodeId }, all);
  const server = await startViewerServer({
    root: loaded.dir,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    prepare: async (policy, episodeId) => {
      const hit = tracedRows(loaded.results).find((r) => r.policy === policy && r.episodeId === episodeId);
      if (!hit) throw new Error(`no traced episode ${episodeId} for policy ${policy}`);
      const p = await prepare(replaySpec(loaded, hit, { suites: opts.suites }));
      if (!p.data.verify.ok) opts.log?.(`REPLAY DIVERGED for ${policy} ${episodeId}: ${p.data.verify.message}`);
      return { rel: p.rel, ok: p.data.verify.ok, message: p.data.verify.message };
    },
  });
  const url = `${server.url}#${encodeURIComponent(row.policy)}/${row.episodeId}`;
  return {
    loaded,
    spec,
    prepared,
    server,
    url,
    async close() {
      await server.close();
      await queue.catch(() => undefined);
      await (renderer as ViewRenderer | null)?.close();
    },
  };
}
