import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

/** The viewer's own files (static HTML/JS/CSS), next to this module. */
export const VIEWER_DIR = fileURLToPath(new URL('./viewer/', import.meta.url));
const VIEWER_FILES = new Set(['index.html', 'viewer.js', 'viewer.css']);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.txt': 'text/plain; charset=utf-8',
};

export type Resolved = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404; why: string };

/**
 * Map a request target to a file inside `root` (an absolute, real path), or refuse it.
 * Refused with 403: `..` segments (also percent-encoded: %2e%2e, ..%2f, %2e%2e%5c…), backslashes,
 * NUL bytes, absolute paths smuggled in ("//etc/passwd", "/%2Fetc", "C:"), and anything whose
 * real path (after following symlinks) is outside `root`. The raw target is checked before and
 * after decoding, so no normalisation can turn an escape into an allowed path.
 */
export function resolveInside(root: string, target: string): Resolved {
  if (!target.startsWith('/')) return { ok: false, status: 400, why: 'request target must be a path' };
  const raw = target.split(/[?#]/, 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return { ok: false, status: 400, why: 'bad percent-encoding' };
  }
  if (path.includes('\0') || path.includes('\\')) return { ok: false, status: 403, why: 'forbidden character' };
  if (path.split('/').some((seg) => seg === '..' || seg === '.')) return { ok: false, status: 403, why: 'path traversal' };
  if (/%2e|%2f|%5c/i.test(path)) return { ok: false, status: 403, why: 'double-encoded path' };
  if (path.startsWith('//') || /^\/[A-Za-z]:/.test(path)) return { ok: false, status: 403, why: 'absolute path' };
  const rel = path.replace(/^\/+/, '');
  if (isAbsolute(rel)) return { ok: false, status: 403, why: 'absolute path' };
  const abs = resolve(root, rel);
  const within = (p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
  if (!within(abs)) return { ok: false, status: 403, why: 'outside the results folder' };
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return { ok: false, status: 404, why: 'not found' };
  }
  if (!within(real)) return { ok: false, status: 403, why: 'symlink out of the results folder' };
  try {
    if (!statSync(real).isFile()) return { ok: false, status: 404, why: 'not a file' };
  } catch {
    return { ok: false, status: 404, why: 'not found' };
  }
  return { ok: true, file: real };
}

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

export interface ViewerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/**
 * The replay viewer's HTTP server: 127.0.0.1 only, GET/HEAD for files of the results folder and
 * the viewer's assets, POST /api/prepare to render an episode on demand. Requests whose Host is
 * not the loopback address are refused (no DNS rebinding from a web page).
 */
export async function startViewerServer(opts: ViewerServerOptions): Promise<ViewerServer> {
  const root = realpathSync(resolve(opts.root));
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    if (req.headers.host && !allowedHosts().has(req.headers.host)) return send(res, 403, 'forbidden host\n');
    if (req.method === 'POST' && target.startsWith('/api/prepare?')) {
      if (!opts.prepare) return send(res, 404, 'no renderer\n');
      const q = new URLSearchParams(target.slice('/api/prepare?'.length));
      const policy = q.get('policy') ?? '';
      const episode = q.get('episode') ?? '';
      if (!/^[0-9a-f]{4,64}$/.test(episode) || !policy) return send(res, 400, 'policy and episode (hex id) required\n');
      try {
        const r = await opts.prepare(policy, episode);
        return send(res, 200, JSON.stringify(r), TYPES['.json']);
      } catch (e) {
        return send(res, 500, JSON.stringify({ error: (e as Error).message }), TYPES['.json']);
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    const path = target.split(/[?#]/, 1)[0]!;
    let file: string;
    if (path === '/' || path === '/index.html') file = join(VIEWER_DIR, 'index.html');
    else if (path.startsWith('/_viewer/')) {
      const name = path.slice('/_viewer/'.length);
      if (!VIEWER_FILES.has(name)) return send(res, 404, 'not found\n');
      file = join(VIEWER_DIR, name);
    } else {
      const r = resolveInside(root, target);
      if (!r.ok) {
        opts.log?.(`refused ${req.method} ${target}: ${r.status} ${r.why}`);
        return send(res, r.status, `${r.why}\n`);
      }
      file = r.file;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, `${(e as Error).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
