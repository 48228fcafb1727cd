/**
 * User assets end to end: a hand-written GLB (and a .gltf with its .bin beside it) and a PNG floor
 * photo next to a suite file; loading measures the model (bounds → collider size) and hashes the
 * files; the renderer serves exactly those files, draws the model where the collider is, and gives
 * the same bytes every time. Also: the camera's lens aspect, and the procedural targets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite } from '../src/scene/load';
import { gltfJson, modelPlacement } from '../src/scene/assets';
import { Scene, type SceneInput } from '../src/scene/schema';
import { DEFAULT_PROFILE, makeProfile, namedProfile, type RobotProfile } from '../src/sim/profile';
import type { RobotPose } from '../src/sim/world';
import { ConfigError } from '../src/util/errors';
import { canonicalJson, sha256 } from '../src/util/hash';
import { encodePng } from '../src/image/png';
import { ChromiumRenderer, sceneKeyOf } from '../src/render/chromium-renderer';
import { WebGpuRenderer } from '../src/render/webgpu/renderer';
import { probeWebGpu, type ViewRenderer } from '../src/render/launch';
import { startPageServer } from '../src/render/server';
import { contactPoint } from '../src/replay/geometry';
import type { Frame } from '../src/image/frame';

type Rgb = [number, number, number];

/** A 0.2 m cube (glTF y up) in one emissive colour, under a node with the given transform. */
function boxGltf(colour: Rgb, node: Record<string, unknown>, bufferUri?: string): { json: Record<string, unknown>; bin: Buffer } {
  const pos = new Float32Array(24);
  for (let i = 0; i < 8; i++) for (let a = 0; a < 3; a++) pos[i * 3 + a] = i & (1 << a) ? 0.1 : -0.1;
  const idx: number[] = [];
  for (let a = 0; a < 3; a++) {
    const b = (a + 1) % 3;
    const c = (a + 2) % 3;
    for (const s of [0, 1]) {
      // Corners of the face in (b, c) order, counter-clockwise seen from outside (e_b × e_c = e_a).
      const q = [[0, 0], [1, 0], [1, 1], [0, 1]].map(([u, v]) => (s << a) | (u! << b) | (v! << c));
      if (!s) q.reverse();
      idx.push(q[0]!, q[1]!, q[2]!, q[0]!, q[2]!, q[3]!);
    }
  }
  const bin = Buffer.concat([Buffer.from(pos.buffer), Buffer.from(new Uint16Array(idx).buffer)]);
  const json = {
    asset: { version: '2.0', generator: 'simgate test' },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ mesh: 0, ...node }],
    meshes: [{ primitives: [{ attributes: { POSITION: 0 }, indices: 1, material: 0 }] }],
    materials: [{ pbrMetallicRoughness: { baseColorFactor: [...colour, 1], metallicFactor: 0 }, emissiveFactor: colour }],
    buffers: [{ byteLength: bin.length, ...(bufferUri ? { uri: bufferUri } : {}) }],
    bufferViews: [
      { buffer: 0, byteOffset: 0, byteLength: 96, target: 34962 },
      { buffer: 0, byteOffset: 96, byteLength: 72, target: 34963 },
    ],
    accessors: [
      { bufferView: 0, componentType: 5126, count: 8, type: 'VEC3', min: [-0.1, -0.1, -0.1], max: [0.1, 0.1, 0.1] },
      { bufferView: 1, componentType: 5123, count: 36, type: 'SCALAR' },
    ],
  };
  return { json, bin };
}

/** A binary glTF: 12-byte header, JSON chunk (space-padded), BIN chunk (zero-padded). */
function glb(json: unknown, bin: Buffer): Buffer {
  const pad = (b: Buffer, fill: number) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4, fill)]);
  const j = pad(Buffer.from(JSON.stringify(json)), 0x20);
  const b = pad(bin, 0);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(0x46546c67, 0);
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(12 + 8 + j.length + 8 + b.length, 8);
  const chunk = (type: number, data: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt32LE(data.length, 0);
    h.writeUInt32LE(type, 4);
    return Buffer.concat([h, data]);
  };
  return Buffer.concat([head, chunk(0x4e4f534a, j), chunk(0x004e4942, b)]);
}

const MAGENTA: Rgb = [1, 0, 1];
const CYAN: Rgb = [0, 1, 1];
// The GLB's node stretches the cube to 0.2 × 0.4 (up) × 0.3 and moves it off its origin, so both
// the bounds and the centring are exercised.
const TARGET_NODE = { translation: [0.5, 0.3, -0.3], scale: [1, 2, 1.5] };

function baseScene(id: string, extra: Partial<SceneInput> = {}): SceneInput {
  return {
    id,
    family: 'assets',
    split: 'novel',
    room: { min: [-0.5, -1.5], max: [3, 1.5] },
    robot: { start: { x: 0, y: 0, yaw: 0 } },
    obstacles: [],
    target: { kind: 'basket', pose: { x: 1.5, y: 0, yaw: 0 } },
    instruction: { text: 'go to the basket', side: 'left' },
    goal: { x: 1.0, y: 0, radius: 0.15 },
    timeLimit: 20,
    ...extra,
  };
}

function writeAssets(dir: string): void {
  const t = boxGltf(MAGENTA, TARGET_NODE);
  writeFileSync(join(dir, 'box.glb'), glb(t.json, t.bin));
  const o = boxGltf(CYAN, {}, 'box.bin');
  writeFileSync(join(dir, 'box.gltf'), JSON.stringify(o.json));
  writeFileSync(join(dir, 'box.bin'), o.bin);
  // An orange and cream checkerboard, 8 × 8 px: the floor photo.
  const data = new Uint8Array(8 * 8 * 3);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) data.set((x >> 2) ^ (y >> 2) ? [220, 120, 30] : [240, 225, 200], (y * 8 + x) * 3);
  writeFileSync(join(dir, 'floor.png'), encodePng({ width: 8, height: 8, data }));
}

/** The white cube with UVs and an embedded PNG (green) as its base colour texture: a GLB. */
function texturedBoxGlb(): Buffer {
  const { json, bin } = boxGltf([1, 1, 1], {});
  const j = json as { bufferViews: object[]; accessors: object[]; meshes: { primitives: { attributes: Record<string, number> }[] }[]; materials: object[]; buffers: { byteLength: number }[]; images?: object[]; textures?: object[] };
  const data = new Uint8Array(4 * 4 * 3);
  for (let i = 0; i < 16; i++) data.set([20, 200, 40], i * 3);
  const png = encodePng({ width: 4, height: 4, data });
  const uv = Buffer.from(new Float32Array(16).fill(0.5).buffer);
  const uvOff = bin.length; // 168: 4-byte aligned
  const imgOff = uvOff + uv.length;
  const all = Buffer.concat([bin, uv, png, Buffer.alloc((4 - (png.length % 4)) % 4)]);
  j.bufferViews.push({ buffer: 0, byteOffset: uvOff, byteLength: uv.length, target: 34962 }, { buffer: 0, byteOffset: imgOff, byteLength: png.length });
  j.accessors.push({ bufferView: 2, componentType: 5126, count: 8, type: 'VEC2' });
  j.meshes[0]!.primitives[0]!.attributes.TEXCOORD_0 = 2;
  j.images = [{ bufferView: 3, mimeType: 'image/png' }];
  j.textures = [{ source: 0 }];
  j.materials[0] = { pbrMetallicRoughness: { baseColorFactor: [1, 1, 1, 1], metallicFactor: 0, baseColorTexture: { index: 0 } } };
  j.buffers[0]!.byteLength = all.length;
  return glb(json, all);
}

function writeSuiteFile(dir: string, scenes: SceneInput[], name = 'suite.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ schemaVersion: 1, suite: 'assets', version: 1, scenes }));
  return file;
}

const withAssets = baseScene('with_assets', {
  target: { kind: 'basket', pose: { x: 1.5, y: 0, yaw: 0 }, model: { file: 'box.glb', scale: 1.5, yaw: Math.PI / 2 } },
  obstacles: [{ id: 'scan', kind: 'box', size: [0.3, 0.3, 0.3], pose: { x: 1.0, y: 0.75, yaw: 0 }, model: { file: 'box.gltf', scale: 1.5, yaw: 0 } }],
  appearance: { floor: { image: 'floor.png', tile: 0.5 }, walls: { image: 'floor.png' } },
});
const plain = baseScene('plain');

const pose = (x: number, y: number, yaw: number): RobotPose => ({ x, y, yaw, qz: Math.sin(yaw / 2), qw: Math.cos(yaw / 2) });

function sameBytes(a: Frame, b: Frame): boolean {
  return a.width === b.width && a.height === b.height && Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0;
}

/** Bounding box (columns, rows) of pixels passing `test`, and their count. */
function pixels(f: Frame, test: (r: number, g: number, b: number) => boolean) {
  let n = 0;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let p = 0; p < f.width * f.height; p++) {
    if (!test(f.data[3 * p]!, f.data[3 * p + 1]!, f.data[3 * p + 2]!)) continue;
    n++;
    const x = p % f.width, y = Math.floor(p / f.width);
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return { n, x0, x1, y0, y1 };
}
const isMagenta = (r: number, g: number, b: number) => r > 150 && b > 150 && g < 90;
const isCyan = (r: number, g: number, b: number) => g > 150 && b > 150 && r < 90;
const isRed = (r: number, g: number, b: number) => r > 90 && r > 2.2 * g && r > 2.2 * b;

/** Where the onboard camera (src/render/page/main.js placeCamera) projects the corners of a box. */
function projectedBox(profile: RobotProfile, p: RobotPose, centre: [number, number], size: [number, number, number]) {
  const c = profile.camera;
  const aspect = c.aspect ?? c.width / c.height;
  const pitch = (c.pitchDeg * Math.PI) / 180;
  const cam = [p.x + Math.cos(p.yaw) * c.mountForward, p.y + Math.sin(p.yaw) * c.mountForward, c.mountHeight];
  const fwd = [Math.cos(p.yaw) * Math.cos(pitch), Math.sin(p.yaw) * Math.cos(pitch), -Math.sin(pitch)];
  const up = [Math.cos(p.yaw) * Math.sin(pitch), Math.sin(p.yaw) * Math.sin(pitch), Math.cos(pitch)];
  const right = [Math.sin(p.yaw), -Math.cos(p.yaw), 0];
  const t = Math.tan((c.fovDeg * Math.PI) / 360);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let k = 0; k < 8; k++) {
    const q = [centre[0] + (k & 1 ? 0.5 : -0.5) * size[0], centre[1] + (k & 2 ? 0.5 : -0.5) * size[1], k & 4 ? size[2] : 0];
    const d = q.map((v, i) => v - cam[i]!);
    const dot = (a: number[]) => a[0]! * d[0]! + a[1]! * d[1]! + a[2]! * d[2]!;
    const col = ((dot(right) / dot(fwd) / (t * aspect) + 1) / 2) * c.width;
    const row = ((1 - dot(up) / dot(fwd) / t) / 2) * c.height;
    x0 = Math.min(x0, col);
    x1 = Math.max(x1, col);
    y0 = Math.min(y0, row);
    y1 = Math.max(y1, row);
  }
  return { x0, x1, y0, y1 };
}

describe('scene assets: loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simgate-assets-'));
  writeAssets(dir);
  const file = writeSuiteFile(dir, [withAssets, plain]);

  it('measures a model (node transform, scale, yaw) and fills the target size; resolves paths', () => {
    const suite = loadSuite(file);
    const s = suite.scenes[0]!;
    // glTF extents 0.2 (x) × 0.4 (y, up) × 0.3 (z) → z-up 0.2 × 0.3 × 0.4, × 1.5, turned 90°: x ↔ y.
    const size = s.target.size!;
    expect(size[0]).toBeCloseTo(0.45, 6);
    expect(size[1]).toBeCloseTo(0.3, 6);
    expect(size[2]).toBeCloseTo(0.6, 6);
    expect(s.target.model!.file).toBe(join(dir, 'box.glb'));
    expect(s.obstacles[0]!.model!.file).toBe(join(dir, 'box.gltf'));
    expect(s.obstacles[0]!.size).toEqual([0.3, 0.3, 0.3]); // obstacles keep their own collider
    expect(s.appearance.floor.image).toBe(join(dir, 'floor.png'));
    // Where the page must move it: node offset (0.5, 0.3, −0.3) → z-up (0.5, 0.3 (x −0.3 → y 0.3), up 0.3),
    // ×1.5 and turned 90°: bounds x −0.675…−0.225, y 0.6…0.9, z 0.15…0.75.
    const t = boxGltf(MAGENTA, TARGET_NODE);
    const pl = modelPlacement(gltfJson(new Uint8Array(glb(t.json, t.bin))), 1.5, Math.PI / 2);
    expect(pl.centre[0]).toBeCloseTo(-0.45, 6);
    expect(pl.centre[1]).toBeCloseTo(0.75, 6);
    expect(pl.minZ).toBeCloseTo(0.15, 6);
  });

  it('hashes scenes without assets as before, and scenes with assets by their files', () => {
    const a = loadSuite(file);
    const raw = Scene.parse(plain);
    expect(a.sceneHashes.plain).toBe(sha256(canonicalJson(raw)));
    // A different scan under the same name is a different scene (hence episode id).
    const o = boxGltf(CYAN, {}, 'box.bin');
    const changed = Buffer.from(o.bin);
    changed.writeFloatLE(0.11, 0);
    writeFileSync(join(dir, 'box.bin'), changed);
    const b = loadSuite(file);
    writeFileSync(join(dir, 'box.bin'), o.bin);
    const c = loadSuite(file);
    expect(b.sceneHashes.with_assets).not.toBe(a.sceneHashes.with_assets);
    expect(c.sceneHashes.with_assets).toBe(a.sceneHashes.with_assets);
    expect(b.sceneHashes.plain).toBe(a.sceneHashes.plain);
  });

  it('a missing file is a ConfigError (exit 2) naming the suite file and the field', () => {
    const bad = writeSuiteFile(dir, [plain, baseScene('missing', { target: { kind: 'basket', pose: { x: 1.5, y: 0, yaw: 0 }, model: { file: 'nope.glb', scale: 1, yaw: 0 } } })], 'bad.json');
    const err = (() => {
      try {
        loadSuite(bad);
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`${bad}: scenes[1].target.model.file: no such file ${join(dir, 'nope.glb')}`);
    const badImg = writeSuiteFile(dir, [baseScene('img', { appearance: { walls: { image: 'walls.jpg' } } })], 'bad-img.json');
    expect(() => loadSuite(badImg)).toThrow(/bad-img\.json: scenes\[0\]\.appearance\.walls\.image: no such file/);
    const notModel = writeSuiteFile(dir, [baseScene('nm', { target: { kind: 'basket', pose: { x: 1.5, y: 0, yaw: 0 }, model: { file: 'floor.png', scale: 1, yaw: 0 } } })], 'nm.json');
    expect(() => loadSuite(notModel)).toThrow(/scenes\[0\]\.target\.model\.file: not a glTF/);
  });
});

// Both renderers draw user assets (the WebGPU one decodes photos and glTF images in Node).
const webgpu = 'driver' in (await probeWebGpu());
const RENDERERS: [string, (o?: { pages?: number }) => Promise<ViewRenderer>][] = [
  ['Chromium', (o) => ChromiumRenderer.launch(o ?? {})],
  ...(webgpu || process.env.SIMGATE_REQUIRE_WEBGPU === '1' ? [['WebGPU', () => WebGpuRenderer.launch()] as [string, () => Promise<ViewRenderer>]] : []),
];

describe.each(RENDERERS)('scene assets: rendering (%s)', (_name, launch) => {
  const dir = mkdtempSync(join(tmpdir(), 'simgate-assets-'));
  writeAssets(dir);
  const suite = loadSuite(writeSuiteFile(dir, [withAssets, plain]));
  const scene = suite.scenes[0]!;
  const key = suite.sceneHashes.with_assets!;
  const req = (p: RobotPose, profile: RobotProfile = DEFAULT_PROFILE) => ({ scene, sceneKey: key, pose: p, profile });
  let r: ViewRenderer;
  let first: Frame;

  beforeAll(async () => {
    r = await launch();
  }, 120_000);
  afterAll(async () => {
    await r?.close();
  });

  it('draws the model where its collider is, bottom on the floor, and the obstacle scan beside it', async () => {
    first = (await r.render([req(pose(0, 0, 0))]))[0]!;
    const m = pixels(first, isMagenta);
    const want = projectedBox(DEFAULT_PROFILE, pose(0, 0, 0), [1.5, 0], scene.target.size!);
    expect(m.n).toBeGreaterThan(500);
    for (const k of ['x0', 'x1', 'y0', 'y1'] as const) expect(Math.abs(m[k] - want[k])).toBeLessThan(3);
    // The .gltf (+ .bin) obstacle: cyan, on the robot's left.
    const c = pixels(first, isCyan);
    expect(c.n).toBeGreaterThan(100);
    expect(c.x1).toBeLessThan(224 * 0.45);
    // The floor photo (orange checkerboard) instead of concrete.
    const floor = pixels(first, (r, g, b) => r > g + 30 && g > b + 30);
    expect(floor.n).toBeGreaterThan(2000);
  });

  it('gives the same bytes in any batch and in a fresh browser', async () => {
    const poses = [pose(0.2, -0.1, 0.1), pose(0, 0, 0), pose(0.5, 0.3, -0.3)];
    const batch = await r.render(poses.map((p) => req(p)));
    expect(sameBytes(batch[1]!, first)).toBe(true);
    const r2 = await launch({ pages: 2 });
    try {
      const again = await r2.render(poses.map((p) => req(p)));
      again.forEach((f, i) => expect(sameBytes(f, batch[i]!)).toBe(true));
    } finally {
      await r2.close();
    }
  }, 180_000);

  it('renders a 16:9 lens squashed into the square image (profile camera.aspect)', async () => {
    const wide = makeProfile({ camera: { ...DEFAULT_PROFILE.camera, aspect: 16 / 9 } });
    const [f] = await r.render([req(pose(0, 0, 0), wide)]);
    const m = pixels(f!, isMagenta);
    const want = projectedBox(wide, pose(0, 0, 0), [1.5, 0], scene.target.size!);
    for (const k of ['x0', 'x1', 'y0', 'y1'] as const) expect(Math.abs(m[k] - want[k])).toBeLessThan(3);
    const sq = pixels(first, isMagenta);
    expect(m.y1 - m.y0).toBe(sq.y1 - sq.y0); // same vertical field of view
    expect((m.x1 - m.x0) / (sq.x1 - sq.x0)).toBeCloseTo(9 / 16, 1);
  });

  it('draws a rectangular footprint in the top-down view', async () => {
    const top = await r.topDown(scene, [], { sceneKey: key, showRobot: false, showGoal: false });
    const outline = pixels(top, (r, g, b) => Math.abs(r - 56) < 20 && Math.abs(g - 189) < 20 && Math.abs(b - 248) < 20);
    expect(outline.n).toBeGreaterThan(50);
  });

  it('draws a glTF whose base colour is an image embedded in the GLB', async () => {
    writeFileSync(join(dir, 'tex.glb'), texturedBoxGlb());
    const tex = loadSuite(writeSuiteFile(dir, [baseScene('textured', { target: { kind: 'basket', pose: { x: 1.5, y: 0, yaw: 0 }, model: { file: 'tex.glb', scale: 1.5, yaw: 0 } } })], 'textured.json'));
    const [f] = await r.render([{ scene: tex.scenes[0]!, sceneKey: tex.sceneHashes.textured!, pose: pose(0, 0, 0), profile: DEFAULT_PROFILE }]);
    const green = pixels(f!, (red, g, b) => g > 90 && g > 2 * red && g > 2 * b);
    const want = projectedBox(DEFAULT_PROFILE, pose(0, 0, 0), [1.5, 0], tex.scenes[0]!.target.size!);
    expect(green.n).toBeGreaterThan(0.5 * (want.x1 - want.x0) * (want.y1 - want.y0));
  });

  it('a scene whose file is missing fails to render with a ConfigError naming the field', async () => {
    const gone = Scene.parse({ ...withAssets, id: 'gone', obstacles: [], appearance: {}, target: { kind: 'basket', pose: { x: 1.5, y: 0, yaw: 0 }, model: { file: join(dir, 'gone.glb'), scale: 1, yaw: 0 } } });
    await expect(r.render([{ scene: gone, sceneKey: sceneKeyOf(gone), pose: pose(0, 0, 0), profile: DEFAULT_PROFILE }])).rejects.toThrow(/target\.model\.file: no such file/);
    const [ok] = await r.render([req(pose(0, 0, 0))]);
    expect(sameBytes(ok!, first)).toBe(true); // the page is still fine
  });
});

describe('procedural targets and distractors', () => {
  let r: ChromiumRenderer;
  beforeAll(async () => {
    r = await ChromiumRenderer.launch();
  }, 120_000);
  afterAll(async () => {
    await r?.close();
  });

  it('fits basket, chair and pot to target.size, and draws the person and pot distractors', async () => {
    const v6 = namedProfile('v6-held');
    const shots = (
      [
        ['basket', [0.38, 0.55, 0.27], '#ff0000'],
        ['chair', [0.44, 0.44, 0.86], '#ff0000'],
        ['pot', [0.24, 0.3, 0.18], '#ff0000'],
        ['basket', undefined, '#ff0000'],
      ] as const
    ).map(([kind, size, colour], i) => {
      const s = Scene.parse(baseScene(`t${i}`, { target: { kind, pose: { x: 1.8, y: 0, yaw: 0 }, colour, ...(size ? { size: [...size] as [number, number, number] } : {}) } }));
      return { scene: s, sceneKey: sceneKeyOf(s), pose: pose(0, 0, 0), profile: v6 };
    });
    const frames = await r.render(shots);
    frames.forEach((f, i) => {
      const m = pixels(f, isRed);
      const s = shots[i]!.scene.target;
      const size = s.size ?? [0.32, 0.32, 0.22];
      const want = projectedBox(v6, pose(0, 0, 0), [1.8, 0], size as [number, number, number]);
      expect(m.n, s.kind).toBeGreaterThan(100);
      // Inside the collider's projection (a pixel of rasterisation slack), and filling most of its width.
      expect(m.x0).toBeGreaterThanOrEqual(Math.floor(want.x0) - 1);
      expect(m.x1).toBeLessThanOrEqual(Math.ceil(want.x1) + 1);
      expect(m.y1).toBeLessThanOrEqual(Math.ceil(want.y1) + 1);
      expect(m.x1 - m.x0).toBeGreaterThan(0.8 * (want.x1 - want.x0) * (s.kind === 'basket' ? 0.88 : s.kind === 'pot' ? 0.7 : 1));
    });
    // A person: a tall figure (legs at least) in its shirt/trouser colour.
    const ps = Scene.parse(baseScene('person', { distractors: [{ kind: 'person', pose: { x: 1.2, y: 0, yaw: 0 }, colour: '#ff0000', negative: true }, { kind: 'pot', pose: { x: 2.2, y: 0.5, yaw: 0 }, colour: '#00c0ff' }] }));
    const [pf] = await r.render([{ scene: ps, sceneKey: sceneKeyOf(ps), pose: pose(0, 0, 0), profile: makeProfile({ camera: { ...DEFAULT_PROFILE.camera, mountHeight: 1.0, pitchDeg: 0 } }) }]);
    const person = pixels(pf!, (r, g, b) => r > 60 && r > 1.8 * g && r > 1.8 * b);
    expect(person.y1 - person.y0).toBeGreaterThan(120); // 1.7 m at 1.1 m: most of the 224-px height
    expect(pixels(pf!, (r, g, b) => b > 100 && g > 70 && r < 60).n).toBeGreaterThan(30); // the pot
  }, 120_000);
});

describe('replay geometry', () => {
  it('puts a target contact on its footprint: the rim of a disc, the edge of a rectangle', () => {
    const disc = Scene.parse(baseScene('d'));
    const p = contactPoint(disc, 1.0, 0, 'target');
    expect(p.x).toBeCloseTo(1.5 - 0.16, 6);
    const rect = Scene.parse(baseScene('r', { target: { kind: 'basket', pose: { x: 1.5, y: 0, yaw: Math.PI / 2 }, size: [0.38, 0.55, 0.27] } }));
    const q = contactPoint(rect, 1.0, 0.1, 'target');
    expect(q.x).toBeCloseTo(1.5 - 0.275, 6); // turned 90°: its 0.55 m width runs along x
    expect(q.y).toBeCloseTo(0.1, 6);
  });
});

describe('page server assets', () => {
  it('serves registered assets only', async () => {
    const server = await startPageServer();
    try {
      const bytes = new Uint8Array([1, 2, 3, 4]);
      const sha = sha256(bytes);
      const path = server.addAsset(sha, 'bin', bytes);
      expect(path).toBe(`/assets/${sha}.bin`);
      const got = await fetch(new URL(path, server.url));
      expect(got.status).toBe(200);
      expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
      expect((await fetch(new URL(`/assets/${'0'.repeat(64)}.bin`, server.url))).status).toBe(404);
      expect((await fetch(new URL('/assets/../package.json', server.url))).status).toBe(404); // fetch normalises; still nothing there
      expect((await fetch(new URL('/addons/loaders/GLTFLoader.js', server.url))).status).toBe(200);
      expect(() => server.addAsset('../x', 'bin', bytes)).toThrow();
    } finally {
      await server.close();
    }
  });
});
