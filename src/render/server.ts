import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer, type StaticServer } from '../util/static-server';

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

export type PageServer = Pick<StaticServer, 'url' | 'close'>;

/** A loopback-only static server for the page: bound to 127.0.0.1 on a random port. */
export async function startPageServer(): Promise<PageServer> {
  const page = { type: 'text/html; charset=utf-8', body: INDEX_HTML };
  return startStaticServer({
    mounts: [
      { prefix: '/three/', root: threeBuildDir() },
      { prefix: '/page/', root: PAGE_DIR },
    ],
    routes: [
      { path: '/', handle: () => page },
      { path: '/index.html', handle: () => page },
    ],
  });
}
