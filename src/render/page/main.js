// The page side of the renderer. Node calls window.__simgate.* through page.evaluate; onboard
// frames go back as one base64 string of QOI-coded RGB frames (qoi.js; rows top first), top-down
// views as packed RGB. Moving pixels out of Chromium is the bottleneck (CDP ≈ 10 MB/s on a 2-core
// VM), so nothing is sent as JSON numbers and onboard frames are compressed losslessly.
import * as THREE from 'three';
import { buildScene, disposeScene } from './scene.js';
import { placeCamera, stageTopDown, hideRobot } from './views.js';
import { encodeRgbaFlipped } from './qoi.js';
import { installBilinearPcf } from './shadows.js';

let renderer;
const scenes = new Map();
const targets = new Map();
let pixelBuf = new Uint8Array(0);
let outBuf = new Uint8Array(0);
// MSAA samples of the render targets. Default 0: on SwiftShader 4× MSAA roughly doubles the
// render cost (≈ 12 → 23 ms/frame at 224², batch 8, 2 cores) and blows the bench's time budget;
// 2× costs the same as 4×. Edges are stair-stepped at 224² but the trained policies see the same
// frames they are evaluated on. Node may override (ChromiumRenderer msaa / SIMGATE_MSAA).
let samples = 0;

function renderTarget(w, h) {
  const key = w + 'x' + h;
  let rt = targets.get(key);
  if (!rt) {
    // sRGB storage so readback bytes equal what a canvas would show; optional MSAA.
    rt = new THREE.WebGLRenderTarget(w, h, { colorSpace: THREE.SRGBColorSpace, samples, depthBuffer: true });
    targets.set(key, rt);
  }
  return rt;
}

function toBase64(bytes) {
  if (typeof bytes.toBase64 === 'function') return bytes.toBase64();
  let s = '';
  const CH = 0x8000;
  for (let i = 0; i < bytes.length; i += CH) s += String.fromCharCode.apply(null, bytes.subarray(i, i + CH));
  return btoa(s);
}

/**
 * Apply scene uploads and drops from Node. Building a scene with user models or photos waits for
 * them to load, so nothing is drawn before every asset is in (frames stay deterministic).
 */
async function syncScenes(payload) {
  for (const key of payload.drop ?? []) {
    const sc = scenes.get(key);
    if (sc) {
      disposeScene(sc);
      scenes.delete(key);
    }
  }
  for (const [key, json, dims] of payload.scenes ?? []) if (!scenes.has(key)) scenes.set(key, await buildScene(json, dims));
}

function getScene(key) {
  const sc = scenes.get(key);
  if (!sc) throw new Error(`simgate page: scene ${key} was not uploaded`);
  return sc;
}

function renderInto(scene, camera, rt) {
  // Shadow maps are static (the robot is hidden or casts none): render them once per scene.
  if (!scene.userData.shadowsReady) {
    renderer.shadowMap.needsUpdate = true;
    scene.userData.shadowsReady = true;
  }
  renderer.setRenderTarget(rt);
  renderer.render(scene, camera);
}

/** RGBA rows bottom-up (as GL reads them) → packed RGB rows top first, into `out` at `off`. */
function packRgb(src, w, h, out, off) {
  for (let row = 0; row < h; row++) {
    let s = (h - 1 - row) * w * 4;
    let dst = off + row * w * 3;
    for (let x = 0; x < w; x++, s += 4, dst += 3) {
      out[dst] = src[s];
      out[dst + 1] = src[s + 1];
      out[dst + 2] = src[s + 2];
    }
  }
}

/** Read `rt` and append its pixels to `out` at byte offset `off` as RGB, top row first. */
function readInto(rt, w, h, out, off) {
  const n = w * h * 4;
  if (pixelBuf.length < n) pixelBuf = new Uint8Array(n);
  renderer.readRenderTargetPixels(rt, 0, 0, w, h, pixelBuf);
  packRgb(pixelBuf, w, h, out, off);
}

/**
 * Render a batch of onboard cameras. payload: { scenes, drop, cams: [{key,x,y,yaw,qz,qw,w,h,
 * mountHeight,mountForward,pitchDeg,fov,aspect}], readback }. Returns { b64, sizes, ms }: b64 holds the
 * frames one after another, frame i taking sizes[i] bytes, QOI-coded (qoi.js) or, where that
 * would be larger, raw RGB (sizes[i] = w·h·3 exactly, a QOI frame never is: see below).
 */
async function render(payload) {
  const t0 = performance.now();
  await syncScenes(payload);
  const cams = payload.cams;
  const readback = payload.readback !== false;
  let cap = 0;
  for (const c of cams) cap += c.w * c.h * 4 + 1;
  if (readback && outBuf.length < cap) outBuf = new Uint8Array(cap);
  const sizes = [];
  let off = 0;
  let last = null;
  for (const c of cams) {
    const scene = getScene(c.key);
    hideRobot(scene);
    const rt = renderTarget(c.w, c.h);
    renderInto(scene, placeCamera(c), rt);
    last = rt;
    if (!readback) continue;
    const n = c.w * c.h * 4;
    if (pixelBuf.length < n) pixelBuf = new Uint8Array(n);
    renderer.readRenderTargetPixels(rt, 0, 0, c.w, c.h, pixelBuf);
    let end = encodeRgbaFlipped(pixelBuf, c.w, c.h, outBuf, off);
    const raw = c.w * c.h * 3;
    if (end - off >= raw) {
      // Incompressible frame (rare): send it raw. QOI is kept only when strictly shorter, so a
      // size of exactly w·h·3 always means raw.
      packRgb(pixelBuf, c.w, c.h, outBuf, off);
      end = off + raw;
    }
    sizes.push(end - off);
    off = end;
  }
  if (!readback && last) {
    // Render-only timing: one 1-pixel read waits for the GPU queue without moving the frames.
    const px = new Uint8Array(4);
    renderer.readRenderTargetPixels(last, 0, 0, 1, 1, px);
  }
  const b64 = readback ? toBase64(outBuf.subarray(0, off)) : '';
  return { b64, sizes, ms: performance.now() - t0 };
}

/**
 * Orthographic view from above (views.js stages it). payload: { scenes, drop, key, w, h, path,
 * contacts, robot, profile, goal, margin, footprint }. Returns { b64 } (packed RGB, top row first).
 */
async function topDown(payload) {
  await syncScenes(payload);
  const scene = getScene(payload.key);
  const { camera, done } = stageTopDown(scene, payload);
  const rt = renderTarget(payload.w, payload.h);
  renderInto(scene, camera, rt);
  const out = new Uint8Array(payload.w * payload.h * 3);
  readInto(rt, payload.w, payload.h, out, 0);
  done();
  return { b64: toBase64(out) };
}

function info() {
  const gl = renderer.getContext();
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    three: THREE.REVISION,
    webgl: gl.getParameter(gl.VERSION),
    glVendor: ext ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL) : gl.getParameter(gl.VENDOR),
    glRenderer: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    msaaSamples: samples,
    maxTextureSize: gl.getParameter(gl.MAX_TEXTURE_SIZE),
  };
}

export async function install() {
  installBilinearPcf();
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('webgl2', { antialias: false, alpha: false, preserveDrawingBuffer: false, powerPreference: 'high-performance' });
  if (!ctx) throw new Error('WebGL2 is not available in this browser (check the --use-angle flags)');
  renderer = new THREE.WebGLRenderer({ canvas, context: ctx });
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  renderer.shadowMap.enabled = true;
  renderer.shadowMap.type = THREE.PCFShadowMap;
  renderer.shadowMap.autoUpdate = false;
  window.__simgate = {
    render,
    topDown,
    info,
    setSamples(n) {
      samples = Math.min(n, ctx.getParameter(ctx.MAX_SAMPLES));
      for (const rt of targets.values()) rt.dispose();
      targets.clear();
    },
    sceneCount: () => scenes.size,
    // For experiments from puppeteer (timings of shadow/MSAA settings); not used by the renderer.
    debug: { THREE, renderer, scenes },
  };
}
