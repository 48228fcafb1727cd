/**
 * Renders onboard-camera frames and top-down views with three.js's WebGPURenderer inside Node
 * (Dawn, see dawn.ts): no browser, no page, no pixels through DevTools. It builds the very same
 * scenes as the Chromium page (src/render/page/scene.js, views.js — one home for what a scene
 * looks like); only the drawing backend differs, so frames are close to Chromium's but not equal
 * (the plan hash records which renderer drew them).
 */
import * as THREE from 'three/webgpu';
import { TARGET_HEIGHT, TARGET_RADIUS } from '../../scene/geometry';
import type { Scene } from '../../scene/schema';
import { assetRefs } from '../../scene/assets';
import type { CameraRequest, Renderer } from '../../sim/camera';
import type { Frame } from '../../image/frame';
import { AssetHost } from '../assets';
import { RendererCrashedError } from '../errors';
import { SimgateError } from '../../util/errors';
import { applyRequestNoise } from '../noise';
import { startPageServer, type PageServer } from '../server';
import { topDownRequest, type TopDownOptions } from '../top-down';
import { sceneKeyOf } from '../scene-key';
import { cameraPose } from '../camera-pose';
import { buildScene, disposeScene } from '../page/scene.js';
import { hideRobot, placeCamera, stageTopDown } from '../page/views.js';
import { setLoaderHooks } from '../page/assets.js';
import { openDawn, offscreenCanvas, type DawnDevice, type DawnDriverKind } from './dawn';
import { bilinearPcfFilter } from './shadow-filter';
import { decodeImage, fetchBytes, gltfImageLoader, photoTexture } from './images';

export interface WebGpuRendererOptions {
  /** Only this Vulkan driver kind (default: the best that works). */
  driver?: DawnDriverKind;
  /** Scenes kept built; the least recently used beyond this are freed. Default 64. */
  sceneCacheSize?: number;
  /** Apply `scene.appearance.sensorNoise` to frames (default true). */
  sensorNoise?: boolean;
}

let hooksSet = false;
/** Image loading for the shared page modules, the Node way (images.ts). */
function installLoaderHooks(): void {
  if (hooksSet) return;
  hooksSet = true;
  // three's FileLoader reports download progress with ProgressEvent, which Node 20 lacks.
  const g = globalThis as { ProgressEvent?: unknown };
  g.ProgressEvent ??= class ProgressEvent extends Event {
    readonly lengthComputable: boolean;
    readonly loaded: number;
    readonly total: number;
    constructor(type: string, init: { lengthComputable?: boolean; loaded?: number; total?: number } = {}) {
      super(type);
      this.lengthComputable = init.lengthComputable ?? false;
      this.loaded = init.loaded ?? 0;
      this.total = init.total ?? 0;
    }
  };
  setLoaderHooks({
    imageTexture: async (url: string) => photoTexture(decodeImage(await fetchBytes(url), url)),
    configureGltf: (loader: { register(p: (parser: { textureLoader: unknown }) => { name: string }): void }) =>
      loader.register((parser) => {
        parser.textureLoader = gltfImageLoader;
        return { name: 'SIMGATE_node_images' };
      }),
    // DRACOLoader decodes in Web Workers, which Node does not have.
    dracoPath: null,
  });
}

/** Frames of the same size share a render target per position in the batch (so reads overlap). */
interface Target {
  rt: THREE.RenderTarget;
}

export class WebGpuRenderer implements Renderer {
  private renderer!: THREE.WebGPURenderer;
  private dawn!: DawnDevice;
  private readonly scenes = new Map<string, THREE.Scene>();
  private readonly building = new Map<string, Promise<THREE.Scene>>();
  private readonly targets = new Map<string, Target>();
  private server: PageServer | undefined;
  /** Reused for readbacks (grown when a batch needs more). */
  private readBuffer: GPUBuffer | undefined;
  private assets: AssetHost | undefined;
  private lost: string | null = null;
  /** Devices we destroyed ourselves (close, restart): their loss is not a crash. */
  private readonly retired = new WeakSet<GPUDevice>();
  private closed = false;
  private restarts = 0;
  /** One call at a time: scenes and targets are shared between calls. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: WebGpuRendererOptions) {}

  static async launch(opts: WebGpuRendererOptions = {}): Promise<WebGpuRenderer> {
    const r = new WebGpuRenderer(opts);
    await r.start();
    return r;
  }

  private async start(): Promise<void> {
    installLoaderHooks();
    this.dawn = await openDawn(this.opts.driver ? { driver: this.opts.driver } : {});
    this.lost = null;
    const renderer = new THREE.WebGPURenderer({ canvas: offscreenCanvas() as HTMLCanvasElement, device: this.dawn.device, antialias: false, alpha: false });
    await renderer.init();
    const backend = (renderer as unknown as { backend: { isWebGPUBackend?: boolean } }).backend;
    if (!backend.isWebGPUBackend) throw new Error('three.js fell back from WebGPU to WebGL; the webgpu renderer needs Dawn');
    renderer.outputColorSpace = THREE.SRGBColorSpace;
    renderer.shadowMap.enabled = true;
    renderer.shadowMap.type = THREE.PCFShadowMap;
    // A lost device (driver reset, out of memory) makes the next call a RendererCrashedError, which
    // the episode loop answers with restart(); our own destroy() on close/restart is not a loss.
    const device = this.dawn.device;
    (renderer as unknown as { onDeviceLost: (info: { message?: string; reason?: string }) => void }).onDeviceLost = (info) => {
      if (!this.closed && !this.retired.has(device)) this.lost ??= `the WebGPU device was lost (${info.message || info.reason || 'unknown reason'})`;
    };
    this.renderer = renderer;
  }

  describe(): Record<string, unknown> {
    return {
      renderer: 'webgpu/three.js',
      kind: 'webgpu',
      driver: this.dawn.driver,
      adapter: this.dawn.description,
      dawn: `webgpu ${this.dawn.dawn}`,
      three: THREE.REVISION,
      restarts: this.restarts,
    };
  }

  /** The device's driver kind (gpu, lavapipe, swiftshader). */
  get driver(): DawnDriverKind {
    return this.dawn.driver;
  }

  private dropAll(): void {
    this.readBuffer?.destroy();
    this.readBuffer = undefined;
    for (const sc of this.scenes.values()) disposeScene(sc);
    this.scenes.clear();
    this.building.clear();
    for (const t of this.targets.values()) t.rt.dispose();
    this.targets.clear();
  }

  private teardown(): void {
    this.dropAll();
    this.renderer?.dispose();
    if (this.dawn) {
      this.retired.add(this.dawn.device);
      this.dawn.device.destroy();
    }
  }

  /** Destroy the device as a driver reset would (tests: the next call fails, restart() recovers). */
  loseDevice(): void {
    this.dawn.device.destroy();
  }

  /** A fresh device and renderer (after a lost device); scenes are rebuilt on demand. */
  async restart(): Promise<void> {
    if (this.closed) throw new Error('WebGpuRenderer.restart: renderer is closed');
    this.teardown();
    this.restarts++;
    await this.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.teardown();
    // dawn.node keeps the process alive while its GPU object is referenced (webgpu's README, "Lifetime").
    (this as unknown as { dawn?: DawnDevice }).dawn = undefined;
    await this.server?.close();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new Error('WebGpuRenderer: render() after close()');
      if (this.lost) throw new RendererCrashedError(`WebGPU renderer is down: ${this.lost}. Call restart().`);
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async assetHost(): Promise<AssetHost> {
    if (!this.assets) {
      // Models and photos are served on loopback as for the page; Node fetches them by absolute URL.
      const server = await startPageServer();
      this.server = server;
      const base = server.url.replace(/\/$/, '');
      this.assets = new AssetHost({ ...server, addAsset: (sha, ext, bytes) => base + server.addAsset(sha, ext, bytes) });
    }
    return this.assets;
  }

  private async scene(key: string, scene: Scene): Promise<THREE.Scene> {
    const hit = this.scenes.get(key);
    if (hit) {
      this.scenes.delete(key); // most recently used last
      this.scenes.set(key, hit);
      return hit;
    }
    let p = this.building.get(key);
    if (!p) {
      p = (async () => {
        // The page server starts only for a scene that names assets.
        const assets = assetRefs(scene).length ? (await this.assetHost()).forScene(scene) : undefined;
        const built = (await buildScene(scene, { targetRadius: TARGET_RADIUS[scene.target.kind], targetHeight: TARGET_HEIGHT[scene.target.kind], ...(assets ? { assets } : {}) })) as THREE.Scene;
        built.traverse((o) => {
          const light = o as THREE.DirectionalLight;
          if (light.isDirectionalLight && light.castShadow) {
            (light.shadow as unknown as { filterNode: unknown }).filterNode = bilinearPcfFilter;
            // Static shadows: drawn at the first frame of the scene, then kept (as the page does).
            light.shadow.autoUpdate = false;
            light.shadow.needsUpdate = true;
          }
        });
        return built;
      })();
      this.building.set(key, p);
    }
    try {
      const built = await p;
      this.scenes.set(key, built);
      this.evict();
      return built;
    } finally {
      this.building.delete(key);
    }
  }

  private evict(): void {
    const cap = Math.max(1, this.opts.sceneCacheSize ?? 64);
    for (const [k, sc] of this.scenes) {
      if (this.scenes.size <= cap) break;
      disposeScene(sc);
      this.scenes.delete(k);
    }
  }

  private target(i: number, w: number, h: number): THREE.RenderTarget {
    const key = `${i}:${w}x${h}`;
    let t = this.targets.get(key);
    if (!t) {
      // sRGB storage, no MSAA: as the Chromium page's targets (main.js says why no MSAA).
      t = { rt: new THREE.RenderTarget(w, h, { colorSpace: THREE.SRGBColorSpace, depthBuffer: true, samples: 0 }) };
      this.targets.set(key, t);
    }
    return t.rt;
  }

  /**
   * Read render targets back as packed RGB frames (rows top first): every texture is copied into
   * one mapped buffer by one command buffer, and mapped once. three's readRenderTargetPixelsAsync
   * makes a buffer, a submit and a map per target, which at batch 32 costs more than the drawing.
   */
  private async readAll(rts: readonly { rt: THREE.RenderTarget; w: number; h: number }[]): Promise<Uint8Array[]> {
    const device = this.dawn.device;
    const backend = (this.renderer as unknown as { backend: { get(o: object): { texture: GPUTexture } } }).backend;
    const layout = rts.map((t) => ({ stride: Math.ceil((t.w * 4) / 256) * 256, ...t }));
    const offsets: number[] = [];
    let size = 0;
    for (const l of layout) {
      offsets.push(size);
      size += l.stride * l.h;
    }
    if (!this.readBuffer || this.readBuffer.size < size) {
      this.readBuffer?.destroy();
      this.readBuffer = device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    }
    const buffer = this.readBuffer;
    const enc = device.createCommandEncoder();
    layout.forEach((l, i) => enc.copyTextureToBuffer({ texture: backend.get(l.rt.texture).texture }, { buffer, offset: offsets[i]!, bytesPerRow: l.stride }, { width: l.w, height: l.h }));
    device.queue.submit([enc.finish()]);
    await buffer.mapAsync(GPUMapMode.READ, 0, size);
    try {
      const px = new Uint8Array(buffer.getMappedRange(0, size));
      return layout.map((l, i) => {
        const out = new Uint8Array(l.w * l.h * 3);
        for (let y = 0; y < l.h; y++) {
          let s = offsets[i]! + y * l.stride;
          let d = y * l.w * 3;
          for (let x = 0; x < l.w; x++, s += 4, d += 3) {
            out[d] = px[s]!;
            out[d + 1] = px[s + 1]!;
            out[d + 2] = px[s + 2]!;
          }
        }
        return out;
      });
    } finally {
      buffer.unmap();
    }
  }

  private guard<T>(p: Promise<T>): Promise<T> {
    return p.catch(async (e: unknown) => {
      if (e instanceof SimgateError) throw e; // ours (a bad scene file, a crash already named)
      // A call that failed because the device went away may fail before `lost` resolves: give it a moment.
      const device = this.dawn?.device;
      if (!this.lost && device) await Promise.race([device.lost, new Promise((r) => setTimeout(r, 1000))]);
      if (this.lost) throw new RendererCrashedError(`WebGPU renderer crashed while rendering: ${this.lost}`, e);
      throw e;
    });
  }

  async render(requests: readonly CameraRequest[]): Promise<Frame[]> {
    return (await this.renderTimed(requests)).frames;
  }

  /** render(), also returning the milliseconds spent drawing and reading back. */
  renderTimed(requests: readonly CameraRequest[], readback = true): Promise<{ frames: Frame[]; pageMs: number }> {
    return this.guard(
      this.serial(async () => {
        if (requests.length === 0) return { frames: [], pageMs: 0 };
        const built: THREE.Scene[] = [];
        for (const r of requests) built.push(await this.scene(r.sceneKey, r.scene));
        const t0 = performance.now();
        // Draw every camera into its own target, then read them all: the reads overlap the draws.
        const rts = requests.map((r, i) => {
          const p = cameraPose(r);
          const sc = built[i]!;
          hideRobot(sc);
          const cam = placeCamera(p);
          const rt = this.target(i, p.w, p.h);
          this.renderer.setRenderTarget(rt);
          this.renderer.render(sc, cam);
          return { rt, w: p.w, h: p.h };
        });
        this.renderer.setRenderTarget(null);
        if (!readback) {
          const last = rts[rts.length - 1]!;
          await this.renderer.readRenderTargetPixelsAsync(last.rt, 0, 0, 1, 1); // waits for the queue
          return { frames: [], pageMs: performance.now() - t0 };
        }
        const data = await this.readAll(rts);
        const frames: Frame[] = data.map((d, i) => ({ width: rts[i]!.w, height: rts[i]!.h, data: d }));
        const pageMs = performance.now() - t0;
        if (this.opts.sensorNoise !== false) applyRequestNoise(frames, requests);
        return { frames, pageMs };
      }),
    );
  }

  /** Draw without reading pixels back (GPU time alone); ms. */
  async renderOnly(requests: readonly CameraRequest[]): Promise<number> {
    return (await this.renderTimed(requests, false)).pageMs;
  }

  /** The replay's overhead view (see ChromiumRenderer.topDown; the same staging, views.js). */
  topDown(scene: Scene, path: readonly { x: number; y: number }[], opts: TopDownOptions = {}): Promise<Frame> {
    return this.guard(
      this.serial(async () => {
        const req = topDownRequest(scene, opts.sceneKey ?? sceneKeyOf(scene), path, opts);
        const sc = await this.scene(req.key, scene);
        const { camera, done } = stageTopDown(sc, req);
        try {
          const rt = this.target(-1, req.w, req.h);
          this.renderer.setRenderTarget(rt);
          this.renderer.render(sc, camera);
          this.renderer.setRenderTarget(null);
          return { width: req.w, height: req.h, data: (await this.readAll([{ rt, w: req.w, h: req.h }]))[0]! };
        } finally {
          done();
        }
      }),
    );
  }
}
