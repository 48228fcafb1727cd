import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_TYPE, startStaticServer, type StaticServer } from '../util/static-server';

/** The viewer's own files (static HTML/JS/CSS), next to this module. */
export const VIEWER_DIR = fileURLToPath(new URL('./viewer/', import.meta.url));

export interface ViewerServerOptions {
  /** The results folder: the only files served besides the viewer's own. */
  root: string;
  /** 0 = random free port. */
  port?: number;
  /** Prepare (re-simulate and render) an episode on demand: returns its folder relative to root. */
  prepare?: (policy: string, episodeId: string) => Promise<{ rel: string; ok: boolean; message: string }>;
  /** Log refused requests (default: silent). */
  log?: (line: string) => void;
}

export type ViewerServer = StaticServer;

/**
 * The replay viewer's HTTP server (see util/static-server for the guard and the Host check):
 * the results folder at /, the viewer's assets at /_viewer/, its page at / and /index.html, and
 * POST /api/prepare?policy=…&episode=… to render an episode on demand.
 */
export async function startViewerServer(opts: ViewerServerOptions): Promise<ViewerServer> {
  const page = async () => ({ type: 'text/html; charset=utf-8', body: await readFile(join(VIEWER_DIR, 'index.html')) });
  const json = (status: number, v: unknown) => ({ status, type: JSON_TYPE, body: JSON.stringify(v) });
  return startStaticServer({
    mounts: [
      // Episodes are prepared while the server runs, so the results folder is looked up live.
      { prefix: '/', root: opts.root, live: true },
      { prefix: '/_viewer/', root: VIEWER_DIR },
    ],
    routes: [
      { path: '/', handle: page },
      { path: '/index.html', handle: page },
      {
        method: 'POST',
        path: '/api/prepare',
        handle: async (q) => {
          if (!opts.prepare) return { status: 404, body: 'no renderer\n' };
          const policy = q.get('policy') ?? '';
          const episode = q.get('episode') ?? '';
          if (!/^[0-9a-f]{4,64}$/.test(episode) || !policy) return { status: 400, body: 'policy and episode (hex id) required\n' };
          try {
            return json(200, await opts.prepare(policy, episode));
          } catch (e) {
            return json(500, { error: (e as Error).message });
          }
        },
      },
    ],
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}
