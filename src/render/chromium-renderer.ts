import type { Page } from 'puppeteer';
import type { Scene } from '../scene/schema';
import { TARGET_HEIGHT, TARGET_RADIUS } from '../scene/geometry';
import { ConfigError } from '../util/errors';
import { sceneKeyOf } from './scene-key';
import { cameraPose } from './camera-pose';
import { launchBrowser, type BrowserHost, type BrowserOptions } from './browser';
import { RendererCrashedError } from './errors';
import { applyRequestNoise } from './noise';
import { decodeQoiRgb } from './qoi';
import { startPageServer, type PageServer } from './server';
import { AssetHost, type PageAssets } from './assets';
import { topDownFrame, topDownRequest, type TopDownOptions } from './top-down';
import type { CameraRequest, Renderer } from '../sim/camera';
import type { Frame } from '../image/frame';

export interface ChromiumRendererOptions extends BrowserOptions {
  /**
   * Pages (each its own WebGL context) that split a large batch between them. Moving pixels out
   * of Chromium is the bottleneck and pages overlap it (measured on 2 cores: 2 pages ≈ +35% steps/s).
   */
  pages?: number;
  /** After a crash, relaunch on the next render() instead of throwing again. */
  autoRestart?: boolean;
  /**
   * MSAA samples of the render targets (0 = none). Default env SIMGATE_MSAA, else the page's
   * default, 0 (src/render/page/main.js says why: 4× doubles the render cost on SwiftShader).
   * The trained policies were trained on frames rendered with the default.
   */
  msaa?: number;
  /** Scenes kept built per page; the least recently used beyond this are freed. Default 64. */
  sceneCacheSize?: number;
  /** Apply `scene.appearance.sensorNoise` to frames (default true). */
  sensorNoise?: boolean;
  /** Max time to load the page (three.js + modules), ms. */
  pageTimeoutMs?: number;
}


interface PageState {
  page: Page;
  /** Scene keys built in this page, least recently used first (Map keeps insertion order). */
  known: Map<string, true>;
  /** Serialises calls on the page so scene uploads and drops cannot interleave. */
  queue: Promise<unknown>;
}


/** A scene for the page: key, JSON, and what Node knows that the page needs (collider dimensions, asset URLs). */
type SceneUpload = [string, Scene, { targetRadius: number; targetHeight: number; assets?: PageAssets }];

declare global {
  interface Window {
    __simgate: {
      render(p: unknown): Promise<{ b64: string; sizes: number[]; ms: number }>;
      topDown(p: unknown): Promise<{ b64: string }>;
      info(): Record<string, unknown>;
      setSamples(n: number): void;
      sceneCount(): number;
    };
    __simgateReady?: boolean;
    __simgateError?: string;
  }
}

const CRASH_RE = /target closed|session closed|connection closed|browser has disconnected|protocol error|detached|crashed|not connected/i;

export { sceneKeyOf } from './scene-key';

/** Renders onboard-camera frames with three.js in headless Chromium (SwiftShader by default). */
export class ChromiumRenderer implements Renderer {
  private host!: BrowserHost;
  private pages: PageState[] = [];
  private info: Record<string, unknown> = {};
  private browserVersion = '';
  private crashed: string | null = null;
  private closed = false;
  private restarts = 0;
  private readonly assets: AssetHost;

  private constructor(
    private readonly opts: ChromiumRendererOptions,
    private readonly server: PageServer,
  ) {
    this.assets = new AssetHost(server);
  }

  static async launch(opts: ChromiumRendererOptions = {}): Promise<ChromiumRenderer> {
    const server = await startPageServer();
    const r = new ChromiumRenderer(opts, server);
    try {
      await r.start();
    } catch (e) {
      await r.host?.close();
      await server.close();
      throw e;
    }
    return r;
  }

  private async start(): Promise<void> {
    this.host = await launchBrowser(this.opts);
    this.crashed = null;
    this.host.browser.on('disconnected', () => {
      if (!this.closed) this.crashed ??= 'the browser disconnected';
    });
    this.browserVersion = await this.host.browser.version();
    const n = Math.max(1, Math.floor(this.opts.pages ?? 1));
    this.pages = [];
    // Reuse the tab the browser starts with for the first page (one renderer process fewer).
    const initial = (await this.host.browser.pages())[0];
    for (let i = 0; i < n; i++) this.pages.push(await this.openPage(i === 0 ? initial : undefined));
    this.info = await this.pages[0]!.page.evaluate(() => window.__simgate.info());
    const gl = String(this.info.glRenderer ?? '');
    if (this.host.gl !== 'swiftshader' && /swiftshader/i.test(gl)) {
      // Asked for a GPU but got the CPU fallback: say so rather than silently benchmarking on CPU.
      process.emitWarning(`simgate: SIMGATE_GL=${this.host.gl} requested but WebGL runs on ${gl}`);
    }
  }

  private async openPage(reuse?: Page): Promise<PageState> {
    const page = reuse ?? (await this.host.browser.newPage());
    page.on('error', (e) => {
      this.crashed ??= `the page crashed (${e.message})`;
    });
    await page.goto(this.server.url, { waitUntil: 'load', timeout: this.opts.pageTimeoutMs ?? 30_000 });
    await page.waitForFunction(() => window.__simgateReady === true || typeof window.__simgateError === 'string', {
      timeout: this.opts.pageTimeoutMs ?? 30_000,
    });
    const err = await page.evaluate(() => window.__simgateError ?? null);
    if (err) {
      throw new ConfigError(
        `The render page failed to start in ${this.host.executablePath} (gl=${this.host.gl}): ${err}`,
        this.host.gl === 'swiftshader'
          ? 'WebGL2 needs --use-angle=swiftshader --enable-unsafe-swiftshader; a very old Chromium may lack it (apt-get install -y chromium).'
          : 'GPU mode found no usable GPU here; unset SIMGATE_GL to use SwiftShader.',
      );
    }
    const msaa = this.opts.msaa ?? (process.env.SIMGATE_MSAA ? Number(process.env.SIMGATE_MSAA) : undefined);
    if (msaa !== undefined) {
      if (!(Number.isInteger(msaa) && msaa >= 0 && msaa <= 16)) throw new ConfigError(`MSAA samples must be an integer 0..16, got ${msaa}`, 'Set msaa / SIMGATE_MSAA to 0, 2 or 4.');
      await page.evaluate((n) => window.__simgate.setSamples(n), msaa);
    }
    return { page, known: new Map(), queue: Promise.resolve() };
  }

  /** Relaunch the browser (after a crash, or to start clean). Built scenes are rebuilt on demand. */
  async restart(): Promise<void> {
    if (this.closed) throw new Error('ChromiumRenderer.restart: renderer is closed');
    await this.host.close().catch(() => undefined);
    this.restarts++;
    await this.start();
  }

  describe(): Record<string, unknown> {
    return {
      renderer: 'chromium/three.js',
      kind: 'chromium',
      driver: this.host?.gl,
      browser: this.browserVersion,
      executable: this.host?.executablePath,
      glMode: this.host?.gl,
      ...this.info,
      pages: this.pages.length,
      restarts: this.restarts,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.host?.close().catch(() => undefined);
    await this.server.close();
  }

  /** False once the browser has died (until restart()). */
  get healthy(): boolean {
    return !this.closed && !this.crashed && this.host.browser.connected;
  }

  private async ready(): Promise<void> {
    if (this.closed) throw new Error('ChromiumRenderer: render() after close()');
    if (!this.crashed && !this.host.browser.connected) this.crashed = 'the browser disconnected';
    if (this.crashed) {
      if (this.opts.autoRestart) await this.restart();
      else throw new RendererCrashedError(`Chromium renderer is down: ${this.crashed}. Call restart() (or launch with autoRestart).`);
    }
  }

  /** Run `fn` on a page, one call at a time, turning a dead browser into RendererCrashedError. */
  private onPage<T>(ps: PageState, fn: () => Promise<T>): Promise<T> {
    const run = ps.queue.then(async () => {
      try {
        return await fn();
      } catch (e) {
        const msg = (e as Error)?.message ?? String(e);
        if (this.crashed || !this.host.browser.connected || CRASH_RE.test(msg)) {
          this.crashed ??= msg.split('\n')[0] ?? 'unknown';
          throw new RendererCrashedError(`Chromium renderer crashed while rendering: ${this.crashed}`, e);
        }
        throw e;
      }
    });
    ps.queue = run.catch(() => undefined);
    return run;
  }

  /** Which scenes to upload / drop so that `keys` are built in the page. Commit after success. */
  private plan(ps: PageState, scenes: Map<string, Scene>): { upload: SceneUpload[]; drop: string[]; commit: () => void } {
    const upload: SceneUpload[] = [];
    for (const [key, scene] of scenes) {
      if (ps.known.has(key)) continue;
      const assets = this.assets.forScene(scene);
      upload.push([key, scene, { targetRadius: TARGET_RADIUS[scene.target.kind], targetHeight: TARGET_HEIGHT[scene.target.kind], ...(assets ? { assets } : {}) }]);
    }
    const cap = Math.max(1, this.opts.sceneCacheSize ?? 64);
    const drop: string[] = [];
    let size = ps.known.size + upload.length;
    for (const key of ps.known.keys()) {
      if (size <= cap) break;
      if (scenes.has(key)) continue;
      drop.push(key);
      size--;
    }
    const commit = () => {
      for (const k of drop) ps.known.delete(k);
      for (const k of scenes.keys()) {
        ps.known.delete(k); // re-insert: most recently used last
        ps.known.set(k, true);
      }
    };
    return { upload, drop, commit };
  }

  private async runBatch(ps: PageState, reqs: readonly CameraRequest[], readback: boolean): Promise<{ frames: Frame[]; pageMs: number }> {
    const scenes = new Map<string, Scene>();
    for (const r of reqs) if (!scenes.has(r.sceneKey)) scenes.set(r.sceneKey, r.scene);
    const cams = reqs.map(cameraPose);
    return this.onPage(ps, async () => {
      const { upload, drop, commit } = this.plan(ps, scenes);
      const res = await ps.page.evaluate((p) => window.__simgate.render(p), { scenes: upload, drop, cams, readback });
      commit();
      if (!readback) return { frames: [], pageMs: res.ms };
      const buf = Buffer.from(res.b64, 'base64');
      const sent = res.sizes.reduce((a, b) => a + b, 0);
      if (res.sizes.length !== cams.length || buf.length !== sent) throw new Error(`render page returned ${buf.length} bytes in ${res.sizes.length} frames, expected ${sent} in ${cams.length}`);
      const frames: Frame[] = [];
      let off = 0;
      cams.forEach((c, i) => {
        const n = res.sizes[i]!;
        const src = new Uint8Array(buf.buffer, buf.byteOffset + off, n);
        // Exactly w·h·3 bytes means raw RGB (the page keeps QOI only when strictly shorter).
        frames.push({ width: c.w, height: c.h, data: n === c.w * c.h * 3 ? src : decodeQoiRgb(src, c.w, c.h) });
        off += n;
      });
      return { frames, pageMs: res.ms };
    });
  }

  /** Split a batch into contiguous chunks, one per page. */
  private chunks(requests: readonly CameraRequest[]): { ps: PageState; reqs: readonly CameraRequest[] }[] {
    const n = Math.min(this.pages.length, requests.length);
    const per = Math.ceil(requests.length / n);
    const out = [];
    for (let i = 0; i < n; i++) out.push({ ps: this.pages[i]!, reqs: requests.slice(i * per, (i + 1) * per) });
    return out.filter((c) => c.reqs.length > 0);
  }

  async render(requests: readonly CameraRequest[]): Promise<Frame[]> {
    return (await this.renderTimed(requests)).frames;
  }

  /** render(), also returning the in-page milliseconds of the slowest page. */
  async renderTimed(requests: readonly CameraRequest[]): Promise<{ frames: Frame[]; pageMs: number }> {
    await this.ready();
    if (requests.length === 0) return { frames: [], pageMs: 0 };
    const parts = await Promise.all(this.chunks(requests).map((c) => this.runBatch(c.ps, c.reqs, true)));
    const frames = parts.flatMap((p) => p.frames);
    if (this.opts.sensorNoise !== false) applyRequestNoise(frames, requests);
    return { frames, pageMs: Math.max(...parts.map((p) => p.pageMs)) };
  }

  /**
   * Render without reading pixels back (for timing the GPU side alone). Returns the in-page
   * milliseconds of the slowest page.
   */
  async renderOnly(requests: readonly CameraRequest[]): Promise<number> {
    await this.ready();
    if (requests.length === 0) return 0;
    const parts = await Promise.all(this.chunks(requests).map((c) => this.runBatch(c.ps, c.reqs, false)));
    return Math.max(...parts.map((p) => p.pageMs));
  }

  /**
   * Orthographic view of the scene from above (x right, y up): the path as a blue line, the robot
   * at the last pose, contacts as red dots, the goal as a green ring. top-down.ts builds the page
   * request and reads the answer; this only runs it on the first page.
   */
  async topDown(scene: Scene, path: readonly { x: number; y: number }[], opts: TopDownOptions = {}): Promise<Frame> {
    await this.ready();
    const req = topDownRequest(scene, opts.sceneKey ?? sceneKeyOf(scene), path, opts);
    const ps = this.pages[0]!;
    const res = await this.onPage(ps, async () => {
      const { upload, drop, commit } = this.plan(ps, new Map([[req.key, scene]]));
      const r = await ps.page.evaluate((p) => window.__simgate.topDown(p), { scenes: upload, drop, ...req });
      commit();
      return r;
    });
    return topDownFrame(res.b64, req.w, req.h);
  }

  /** The browser's process id (for tests that simulate a crash). */
  pid(): number | undefined {
    return this.host.browser.process()?.pid;
  }
}
