import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

/** Directory of three's ES builds (three.module.js imports ./three.core.js, so serve the folder). */
function threeBuildDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('three')); // .../three/build/three.cjs
}

/** The in-page ES modules live next to this file. */
export const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>simgate render</title>
<script type="importmap">{"imports":{"three":"/three/three.module.js"}}</script>
<style>html,body{margin:0;background:#000}</style>
</head><body>
<script type="module">
import { install } from '/page/main.js';
install().then(() => { window.__simgateReady = true; }, (e) => { window.__simgateError = String(e && e.stack || e); });
</script>
</body></html>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Resolve `rel` inside `root`, refusing anything that climbs out of it. */
function inside(root: string, rel: string): string | null {
  const p = normalize(join(root, rel));
  return p.startsWith(root.endsWith(sep) ? root : root + sep) ? p : null;
}

/** A loopback-only static server for the page: bound to 127.0.0.1 on a random port. */
export async function startPageServer(): Promise<PageServer> {
  const threeDir = threeBuildDir();
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    let file: string | null = null;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
      res.end(INDEX_HTML);
      return;
    }
    if (path.startsWith('/three/')) file = inside(threeDir, path.slice('/three/'.length));
    else if (path.startsWith('/page/')) file = inside(PAGE_DIR, path.slice('/page/'.length));
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      const ext = file.slice(file.lastIndexOf('.'));
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
