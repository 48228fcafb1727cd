import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer, type Route, type StaticServer } from '../util/static-server';

/** Directory of three's ES builds (three.module.js imports ./three.core.js, so serve the folder). */
function threeBuildDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('three')); // .../three/build/three.cjs
}

/** three's add-ons (GLTFLoader and the Draco/meshopt decoders it uses for user models). */
function threeAddonsDir(): string {
  return join(threeBuildDir(), '..', 'examples', 'jsm');
}

/** The in-page ES modules live next to this file. */
export const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>simgate render</title>
<script type="importmap">{"imports":{"three":"/three/three.module.js","three/addons/":"/addons/"}}</script>
<style>html,body{margin:0;background:#000}</style>
</head><body>
<script type="module">
import { install } from '/page/main.js';
install().then(() => { window.__simgateReady = true; }, (e) => { window.__simgateError = String(e && e.stack || e); });
</script>
</body></html>`;

const ASSET_TYPES: Record<string, string> = {
  glb: 'model/gltf-binary',
  gltf: 'model/gltf+json',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

export interface PageServer extends Pick<StaticServer, 'url' | 'close'> {
  /**
   * Serve these bytes at `/assets/<sha256>.<ext>` and return that path. Only files the renderer
   * was given through a scene are ever served (from memory, so the bytes are the ones hashed);
   * there is no route from a URL to the file system.
   */
  addAsset(sha256: string, ext: string, bytes: Uint8Array): string;
}

/** A loopback-only static server for the page: bound to 127.0.0.1 on a random port. */
export async function startPageServer(): Promise<PageServer> {
  const page = { type: 'text/html; charset=utf-8', body: INDEX_HTML };
  // The static server looks routes up in this array on every request, so assets added later are found.
  const routes: Route[] = [
    { path: '/', handle: () => page },
    { path: '/index.html', handle: () => page },
  ];
  const served = new Set<string>();
  const server = await startStaticServer({
    mounts: [
      { prefix: '/three/', root: threeBuildDir() },
      { prefix: '/addons/', root: threeAddonsDir() },
      { prefix: '/page/', root: PAGE_DIR },
    ],
    routes,
  });
  return {
    url: server.url,
    close: () => server.close(),
    addAsset(sha256, ext, bytes) {
      if (!/^[0-9a-f]{64}$/.test(sha256) || !/^[a-z0-9]{1,8}$/.test(ext)) throw new Error(`bad asset name ${sha256}.${ext}`);
      const path = `/assets/${sha256}.${ext}`;
      if (!served.has(path)) {
        served.add(path);
        const reply = { type: ASSET_TYPES[ext] ?? 'application/octet-stream', body: bytes };
        routes.push({ path, handle: () => reply });
      }
      return path;
    },
  };
}
