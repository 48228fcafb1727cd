// The page side of the renderer. Node calls window.__simgate.* through page.evaluate; onboard
// frames go back as one base64 string of QOI-coded RGB frames (qoi.js; rows top first), top-down
// views as packed RGB. Moving pixels out of Chromium is the bottleneck (CDP ≈ 10 MB/s on a 2-core
// VM), so nothing is sent as JSON numbers and onboard frames are compressed losslessly.
import * as THREE from 'three';
import { buildScene, disposeScene } from './scene.js';
import { makeRobot } from './objects.js';
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

const cameras = new Map();
function perspective(fov, aspect) {
  const key = fov + ':' + aspect;
  let c = cameras.get(key);
  if (!c) {
    c = new THREE.PerspectiveCamera(fov, aspect, 0.02, 60);
    c.up.set(0, 0, 1);
    cameras.set(key, c);
  }
  return c;
}

/**
 * Onboard camera: at the robot's mount point, looking along its heading, pitched down.
 * Heading comes from the Rapier quaternion when present (cos = qw²-qz², sin = 2·qw·qz), so the
 * picture follows the exact physics state rather than a re-derived angle. The projection has the
 * lens's aspect (c.aspect, e.g. 16/9) and is drawn straight into the w×h target: a 16:9 view
 * squashed to 224², as cv2.resize of a 1280×720 frame gives; without it, the target's aspect.
 */
function placeCamera(c) {
  const cam = perspective(c.fov, c.aspect ?? c.w / c.h);
  let co, si;
  const q2 = c.qw * c.qw + c.qz * c.qz;
  if (Number.isFinite(q2) && q2 > 0.5) {
    co = (c.qw * c.qw - c.qz * c.qz) / q2;
    si = (2 * c.qw * c.qz) / q2;
  } else {
    co = Math.cos(c.yaw);
    si = Math.sin(c.yaw);
  }
  const px = c.x + co * c.mountForward;
  const py = c.y + si * c.mountForward;
  const pz = c.mountHeight;
  const p = (c.pitchDeg * Math.PI) / 180;
  const cp = Math.cos(p), sp = Math.sin(p);
  cam.position.set(px, py, pz);
  cam.lookAt(px + co * cp, py + si * cp, pz - sp);
  cam.updateMatrixWorld(true);
  return cam;
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
    if (scene.userData.robot) scene.userData.robot.visible = false;
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

/** A flat ribbon along a polyline (WebGL lines are 1 px wide whatever linewidth says). */
function ribbon(points, width, z, colour, depthTest = false) {
  const pos = [];
  const idx = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i], b = points[i + 1];
    const dx = b.x - a.x, dy = b.y - a.y;
    const len = Math.hypot(dx, dy);
    if (len < 1e-9) continue;
    const nx = (-dy / len) * width / 2, ny = (dx / len) * width / 2;
    const base = pos.length / 3;
    pos.push(a.x + nx, a.y + ny, z, a.x - nx, a.y - ny, z, b.x + nx, b.y + ny, z, b.x - nx, b.y - ny, z);
    idx.push(base, base + 1, base + 2, base + 1, base + 3, base + 2);
  }
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(pos, 3));
  g.setIndex(idx);
  const m = new THREE.MeshBasicMaterial({ color: colour, depthTest, side: THREE.DoubleSide });
  const mesh = new THREE.Mesh(g, m);
  mesh.renderOrder = 10;
  return mesh;
}

function disc(x, y, r, z, colour, order = 11, depthTest = false) {
  const m = new THREE.Mesh(new THREE.CircleGeometry(r, 20), new THREE.MeshBasicMaterial({ color: colour, depthTest }));
  m.position.set(x, y, z);
  m.renderOrder = order;
  return m;
}

/** A closed outline (polygon) as ribbons, each side lengthened by half the width so corners close. */
function outline(points, width, z, colour) {
  const g = new THREE.Group();
  for (let i = 0; i < points.length; i++) {
    const a = points[i], b = points[(i + 1) % points.length];
    const L = Math.hypot(b.x - a.x, b.y - a.y);
    if (L < 1e-9) continue;
    const ex = ((b.x - a.x) / L) * width / 2, ey = ((b.y - a.y) / L) * width / 2;
    g.add(ribbon([{ x: a.x - ex, y: a.y - ey }, { x: b.x + ex, y: b.y + ey }], width, z, colour));
  }
  return g;
}

/** The target's footprint outline: a rotated rectangle, or a circle. */
function footprintOutline(f, width, colour) {
  if (f.shape === 'rect') {
    const c = Math.cos(f.yaw), s = Math.sin(f.yaw);
    const pts = [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([u, v]) => ({ x: f.x + c * u * f.hx - s * v * f.hy, y: f.y + s * u * f.hx + c * v * f.hy }));
    return outline(pts, width, 0.72, colour);
  }
  const m = new THREE.Mesh(new THREE.RingGeometry(f.r - width / 2, f.r + width / 2, 48), new THREE.MeshBasicMaterial({ color: colour, depthTest: false }));
  m.position.set(f.x, f.y, 0.72);
  m.renderOrder = 10;
  return m;
}

function ring(x, y, r, w, z, colour) {
  const m = new THREE.Mesh(new THREE.RingGeometry(r - w, r, 40), new THREE.MeshBasicMaterial({ color: colour, depthTest: false }));
  m.position.set(x, y, z);
  m.renderOrder = 9;
  return m;
}

/**
 * Orthographic view from above: x to the right, y up. payload: { scenes, drop, key, w, h, path,
 * contacts, robot: {x,y,qz,qw,yaw}, profile, goal, margin, footprint }. Returns { b64 }.
 */
async function topDown(payload) {
  await syncScenes(payload);
  const scene = getScene(payload.key);
  const { x0, y0, x1, y1 } = scene.userData.bounds;
  const w = payload.w, h = payload.h;
  const m = payload.margin ?? 0.15;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  let hw = (x1 - x0) / 2 + m, hh = (y1 - y0) / 2 + m;
  // Keep metres square in pixels: grow the shorter side to the image's aspect.
  if (hw / hh > w / h) hh = (hw * h) / w;
  else hw = (hh * w) / h;
  const cam = new THREE.OrthographicCamera(-hw, hw, hh, -hh, 0.1, 50);
  cam.position.set(cx, cy, 20);
  cam.up.set(0, 1, 0);
  cam.lookAt(cx, cy, 0);
  cam.updateMatrixWorld(true);

  const overlay = new THREE.Group();
  const s = Math.max(hw, hh) / 160; // ≈ 1 px at 320 px
  // The target's collider outline (sky blue, the replay viewer's target colour).
  if (payload.footprint) overlay.add(footprintOutline(payload.footprint, Math.max(0.008, 2 * s), '#38bdf8'));
  if (payload.goal) overlay.add(ring(payload.goal.x, payload.goal.y, payload.goal.radius, Math.max(0.01, 2 * s), 0.7, '#22c55e'));
  const path = payload.path ?? [];
  // The path lies on the floor (depth-tested) so the robot at its end is drawn over it.
  if (path.length >= 2) overlay.add(ribbon(path, Math.max(0.012, 3 * s), 0.004, '#1e6cff', true));
  if (path.length >= 1) overlay.add(disc(path[0].x, path[0].y, Math.max(0.015, 4 * s), 0.005, '#1e6cff', 11, true));
  for (const c of payload.contacts ?? []) overlay.add(disc(c.x, c.y, Math.max(0.018, 5 * s), 0.74, '#ff1a1a', 12));
  scene.add(overlay);

  // The robot, built for this profile and kept with the scene.
  let robot = null;
  if (payload.robot) {
    const rkey = JSON.stringify(payload.profile);
    if (scene.userData.robotKey !== rkey) {
      if (scene.userData.robot) {
        scene.remove(scene.userData.robot);
        disposeScene(scene.userData.robot);
      }
      scene.userData.robot = makeRobot(payload.profile);
      scene.userData.robotKey = rkey;
      scene.add(scene.userData.robot);
    }
    robot = scene.userData.robot;
    const r = payload.robot;
    const q2 = r.qw * r.qw + r.qz * r.qz;
    const yaw = Number.isFinite(q2) && q2 > 0.5 ? Math.atan2(2 * r.qw * r.qz, r.qw * r.qw - r.qz * r.qz) : r.yaw;
    robot.position.set(r.x, r.y, 0);
    robot.rotation.set(0, 0, yaw);
    robot.visible = true;
  }
  const rt = renderTarget(w, h);
  scene.userData.ceiling.visible = false; // looking in from above
  renderInto(scene, cam, rt);
  scene.userData.ceiling.visible = true;
  const out = new Uint8Array(w * h * 3);
  readInto(rt, w, h, out, 0);
  scene.remove(overlay);
  disposeScene(overlay);
  if (robot) robot.visible = false;
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
