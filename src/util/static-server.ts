import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';

/**
 * The one static file server of simgate (the render page and the replay viewer): loopback only,
 * files from mounted folders through sirv, a few in-memory routes, and one path guard that every
 * request passes before anything else sees it.
 */

export type Checked = { ok: true; path: string } | { ok: false; status: 400 | 403; why: string };
export type Resolved = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404; why: string };

/**
 * Check a request target and return its decoded path, or refuse it.
 * Refused with 403: `..` and `.` segments (also percent-encoded: %2e%2e, ..%2f, %2e%2e%5c…),
 * dotfiles (any segment starting with "."), backslashes, NUL bytes, double encoding (%252e…),
 * and absolute paths smuggled in ("//etc/passwd", "/%2Fetc", "/C:"). Refused with 400: a target
 * that is not a path (absolute-form "http://…", "*") or has bad percent-encoding. The checks run
 * on the decoded path, so no later normalisation can turn an escape into an allowed path.
 */
export function checkTarget(target: string): Checked {
  if (!target.startsWith('/')) return { ok: false, status: 400, why: 'request target must be a path' };
  const raw = target.split(/[?#]/, 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return { ok: false, status: 400, why: 'bad percent-encoding' };
  }
  if (path.includes('\0') || path.includes('\\')) return { ok: false, status: 403, why: 'forbidden character' };
  const segs = path.split('/');
  if (segs.some((seg) => seg === '..' || seg === '.')) return { ok: false, status: 403, why: 'path traversal' };
  if (segs.some((seg) => seg.startsWith('.'))) return { ok: false, status: 403, why: 'dotfile' };
  if (/%2e|%2f|%5c/i.test(path)) return { ok: false, status: 403, why: 'double-encoded path' };
  if (path.startsWith('//') || /^\/[A-Za-z]:/.test(path)) return { ok: false, status: 403, why: 'absolute path' };
  return { ok: true, path };
}

/**
 * Map an already checked, decoded path to a readable file inside `root` (an absolute real path),
 * following symlinks: anything whose real path is outside `root` is refused (sirv alone would
 * serve it).
 */
function fileInside(root: string, path: string): Resolved {
  const rel = path.replace(/^\/+/, '');
  if (isAbsolute(rel)) return { ok: false, status: 403, why: 'absolute path' };
  const abs = resolve(root, rel);
  const within = (p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
  if (!within(abs)) return { ok: false, status: 403, why: 'outside the served folder' };
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return { ok: false, status: 404, why: 'not found' };
  }
  if (!within(real)) return { ok: false, status: 403, why: 'symlink out of the served folder' };
  try {
    if (!statSync(real).isFile()) return { ok: false, status: 404, why: 'not a file' };
    // An unreadable file would fail inside sirv's stream, after the headers are out.
    accessSync(real, constants.R_OK);
  } catch {
    return { ok: false, status: 404, why: 'not found' };
  }
  return { ok: true, file: real };
}

/** Map a request target to a readable file inside `root` (an absolute, real path), or refuse it (rules of checkTarget, then symlinks). */
export function resolveInside(root: string, target: string): Resolved {
  const c = checkTarget(target);
  return c.ok ? fileInside(root, c.path) : c;
}

export interface Mount {
  /** URL prefix ending in "/" ("/" for the whole site); the longest matching prefix wins. */
  prefix: string;
  /** Folder served under the prefix. */
  root: string;
  /** Files may appear after the server starts (sirv looks each request up instead of indexing once). */
  live?: boolean;
}

export interface Reply {
  status?: number;
  type?: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface Route {
  /** Default GET (which also answers HEAD). */
  method?: 'GET' | 'POST';
  /** Exact decoded path, without the query. */
  path: string;
  handle(query: URLSearchParams, req: IncomingMessage): Reply | Promise<Reply>;
}

export interface StaticServerOptions {
  mounts: Mount[];
  /** Looked up on every request, so routes pushed onto this array after start are served too. */
  routes?: Route[];
  /** 0 (default) = a random free port. */
  port?: number;
  /** Log refused requests (default silent). */
  log?: (line: string) => void;
}

export interface StaticServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Types with a charset, and ones sirv's table lacks. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
export const JSON_TYPE = TYPES['.json']!;

const BASE_HEADERS = { 'x-content-type-options': 'nosniff' };

function send(res: ServerResponse, status: number, body: string | Uint8Array, type = TYPES['.txt']!, headers: Record<string, string> = {}): void {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  res.writeHead(status, { 'content-type': type, 'content-length': String(length), 'cache-control': 'no-store', ...BASE_HEADERS, ...headers });
  // Node drops the body of an answer to HEAD by itself.
  res.end(body);
}

/** The URL path of a real file relative to its mount's real root, as sirv looks it up. */
function sirvPath(root: string, file: string): string {
  return '/' + relative(root, file).split(sep).map(encodeURI).join('/');
}

/**
 * Start the server on 127.0.0.1. Each request: Host must be the loopback address and port (no DNS
 * rebinding from a web page), the target must pass checkTarget, then an exact route answers, or
 * the mount's guard resolves the real file and sirv sends exactly that file (no listings).
 */
export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const mounts = opts.mounts
    .map((m) => {
      if (!m.prefix.startsWith('/') || !m.prefix.endsWith('/')) throw new Error(`mount prefix must start and end with "/": ${m.prefix}`);
      const root = realpathSync(resolve(m.root));
      const serve = sirv(root, {
        dev: m.live === true,
        etag: true,
        dotfiles: false,
        extensions: [],
        setHeaders: (res, pathname) => {
          const type = TYPES[extname(pathname)];
          if (type) res.setHeader('content-type', type);
          for (const [k, v] of Object.entries(BASE_HEADERS)) res.setHeader(k, v);
        },
        onNoMatch: (_req, res) => send(res, 404, 'not found\n'),
      });
      return { prefix: m.prefix, root, serve };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const routes = opts.routes ?? [];
  let port = 0;
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, why: string) => {
    opts.log?.(`refused ${req.method} ${req.url}: ${status} ${why}`);
    send(res, status, `${why}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    const host = req.headers.host;
    if (host && host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return refuse(req, res, 403, 'forbidden host');
    const checked = checkTarget(target);
    if (!checked.ok) return refuse(req, res, checked.status, checked.why);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const route = routes.find((r) => r.path === checked.path && (r.method ?? 'GET') === method);
    if (route) {
      const q = target.indexOf('?');
      const r = await route.handle(new URLSearchParams(q < 0 ? '' : target.slice(q + 1).split('#', 1)[0]), req);
      return send(res, r.status ?? 200, r.body, r.type, r.headers);
    }
    if (routes.some((r) => r.path === checked.path)) return send(res, 405, 'method not allowed\n');
    if (method !== 'GET') return send(res, 405, 'method not allowed\n');
    const mount = mounts.find((m) => checked.path.startsWith(m.prefix));
    if (!mount) return send(res, 404, 'not found\n');
    const r = fileInside(mount.root, checked.path.slice(mount.prefix.length - 1));
    if (!r.ok) return refuse(req, res, r.status, r.why);
    // sirv sees only the path the guard resolved, so it can only send the file that was checked.
    req.url = sirvPath(mount.root, r.file);
    // The servers never did ranges, and sirv does not validate them (start > end throws).
    delete req.headers.range;
    // sirv pipes a read stream without an error handler: a file gone between the check and the
    // open must end this response, not the process.
    res.once('pipe', (src) => src.once('error', () => res.destroy()));
    mount.serve(req, res);
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
        // Keep-alive connections (a browser's) would hold close() open otherwise.
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
