/**
 * User assets of a scene: glTF/GLB models (`target.model`, `obstacles[].model`) and floor/wall
 * photos (`appearance.floor.image`, `appearance.walls.image`). Loading a suite resolves their
 * paths (relative to the suite file), hashes their bytes (so a different scan gives a different
 * episode id) and measures each model's bounds, which become the collider when the object has no
 * `size`. The renderer uses the same bounds to place the model, so picture and physics agree.
 *
 * glTF 2.0 layout (binary header, chunks, accessors, node transforms): the Khronos specification,
 * https://registry.khronos.org/glTF/specs/2.0/glTF-2.0.html
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { sha256 } from '../util/hash';
import type { Scene } from './schema';

/** One file a scene names, with where it sits in the scene. */
export interface AssetRef {
  /** Field path in the scene, e.g. "target.model.file". */
  field: string;
  kind: 'model' | 'image';
  /** The path as the scene holds it. */
  path: string;
}

/** The asset fields of a scene, in a fixed order. */
export function assetRefs(scene: Scene): AssetRef[] {
  const out: AssetRef[] = [];
  if (scene.target.model) out.push({ field: 'target.model.file', kind: 'model', path: scene.target.model.file });
  scene.obstacles.forEach((b, i) => {
    if (b.model) out.push({ field: `obstacles[${i}].model.file`, kind: 'model', path: b.model.file });
  });
  const app = scene.appearance;
  if (app.floor.image) out.push({ field: 'appearance.floor.image', kind: 'image', path: app.floor.image });
  if (app.walls.image) out.push({ field: 'appearance.walls.image', kind: 'image', path: app.walls.image });
  return out;
}

/** A problem with an asset, for the loader to turn into a ConfigError naming the field. */
export class AssetError extends Error {}

// ---------------------------------------------------------------------------------------------
// glTF parsing

/* eslint-disable @typescript-eslint/no-explicit-any */
export type GltfJson = Record<string, any>;

const GLB_MAGIC = 0x46546c67; // "glTF"
const CHUNK_JSON = 0x4e4f534a; // "JSON"

/** The JSON of a .glb (its first chunk) or a .gltf file. */
export function gltfJson(bytes: Uint8Array): GltfJson {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text: string;
  if (bytes.byteLength >= 12 && view.getUint32(0, true) === GLB_MAGIC) {
    const version = view.getUint32(4, true);
    if (version !== 2) throw new AssetError(`GLB version ${version}, only glTF 2.0 is supported`);
    if (bytes.byteLength < 20) throw new AssetError('GLB ends before its first chunk');
    const len = view.getUint32(12, true);
    if (view.getUint32(16, true) !== CHUNK_JSON) throw new AssetError('GLB does not start with a JSON chunk');
    if (20 + len > bytes.byteLength) throw new AssetError('GLB JSON chunk runs past the end of the file');
    text = new TextDecoder().decode(bytes.subarray(20, 20 + len));
  } else {
    text = new TextDecoder().decode(bytes);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AssetError(`not a glTF/GLB file (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || typeof (json as GltfJson).asset?.version !== 'string') throw new AssetError('not a glTF file (no asset.version)');
  if (!String((json as GltfJson).asset.version).startsWith('2.')) throw new AssetError(`glTF ${(json as GltfJson).asset.version}, only 2.0 is supported`);
  return json as GltfJson;
}

/**
 * Extensions the render page can load (three's GLTFLoader with Draco and meshopt decoders). A model
 * that *requires* another one (e.g. KHR_texture_basisu) is refused when the suite loads rather
 * than failing inside the browser.
 */
const SUPPORTED_REQUIRED = new Set([
  'KHR_draco_mesh_compression',
  'EXT_meshopt_compression',
  'KHR_mesh_quantization',
  'KHR_texture_transform',
  'KHR_materials_unlit',
  'KHR_materials_emissive_strength',
  'KHR_materials_ior',
  'KHR_materials_specular',
  'KHR_materials_transmission',
  'KHR_materials_volume',
  'KHR_materials_clearcoat',
  'KHR_materials_sheen',
  'KHR_materials_iridescence',
  'KHR_materials_anisotropy',
  'KHR_materials_dispersion',
  'KHR_lights_punctual',
  'EXT_texture_webp',
  'EXT_texture_avif',
  'EXT_mesh_gpu_instancing',
]);

/** External files a model needs (buffers and images by relative URI; data: URIs are inline). */
export function gltfDependencies(json: GltfJson): string[] {
  const uris: string[] = [];
  for (const list of [json.buffers, json.images]) {
    for (const item of Array.isArray(list) ? list : []) {
      const uri = item?.uri;
      if (typeof uri === 'string' && !/^data:/i.test(uri) && !uris.includes(uri)) uris.push(uri);
    }
  }
  return uris;
}

type M4 = number[]; // column-major 4×4, as glTF stores matrices

function mul(a: M4, b: M4): M4 {
  const o = new Array<number>(16).fill(0);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) o[c * 4 + r]! += a[k * 4 + r]! * b[c * 4 + k]!;
  return o;
}

/** A node's local matrix: `matrix`, or translation · rotation · scale. */
function localMatrix(node: GltfJson): M4 {
  if (Array.isArray(node.matrix) && node.matrix.length === 16) return node.matrix.map(Number);
  const vec = (v: unknown, def: number[]): number[] => (Array.isArray(v) && v.length === def.length ? v.map(Number) : def);
  const [tx, ty, tz] = vec(node.translation, [0, 0, 0]) as [number, number, number];
  const [qx, qy, qz, qw] = vec(node.rotation, [0, 0, 0, 1]) as [number, number, number, number];
  const [sx, sy, sz] = vec(node.scale, [1, 1, 1]) as [number, number, number];
  // Unit quaternion → rotation matrix, columns scaled (column-major).
  return [
    (1 - 2 * (qy * qy + qz * qz)) * sx, 2 * (qx * qy + qz * qw) * sx, 2 * (qx * qz - qy * qw) * sx, 0,
    2 * (qx * qy - qz * qw) * sy, (1 - 2 * (qx * qx + qz * qz)) * sy, 2 * (qy * qz + qx * qw) * sy, 0,
    2 * (qx * qz + qy * qw) * sz, 2 * (qy * qz - qx * qw) * sz, (1 - 2 * (qx * qx + qy * qy)) * sz, 0,
    tx, ty, tz, 1,
  ];
}

/** Accessor min/max as floats (normalised integer accessors are mapped as the spec says). */
function accessorRange(acc: GltfJson): [number[], number[]] | null {
  if (!Array.isArray(acc?.min) || !Array.isArray(acc?.max) || acc.min.length < 3 || acc.max.length < 3) return null;
  let f = (v: number) => v;
  if (acc.normalized) {
    const t = acc.componentType;
    if (t === 5120) f = (v) => Math.max(v / 127, -1);
    else if (t === 5121) f = (v) => v / 255;
    else if (t === 5122) f = (v) => Math.max(v / 32767, -1);
    else if (t === 5123) f = (v) => v / 65535;
  }
  return [acc.min.slice(0, 3).map((v: number) => f(Number(v))), acc.max.slice(0, 3).map((v: number) => f(Number(v)))];
}

/** Where a model sits in its object's frame (z up), after `scale` and `yaw`. */
export interface ModelPlacement {
  /** Extents [x, y, z] of its axis-aligned bounds: the collider when the object has no size. */
  size: [number, number, number];
  /** Centre of the bounds on the floor plane, and their lowest z: the page moves the model by minus these. */
  centre: [number, number];
  minZ: number;
}

/**
 * The bounds of a model's default scene in the object's frame. glTF is y-up; the simulator is
 * z-up, so the model is turned +90° about x first (glTF +y → +z, glTF +z → −y: the conversion
 * Blender's glTF importer makes), then scaled, then turned by `yaw` about z. Each primitive's
 * POSITION min/max box is carried through its node's world matrix corner by corner: tight for
 * unrotated nodes, slightly generous for rotated ones, and the same box three.js's
 * Box3.setFromObject computes from the geometry bounds GLTFLoader sets.
 */
export function modelPlacement(json: GltfJson, scale: number, yaw: number): ModelPlacement {
  const missing = ((json.extensionsRequired as unknown[]) ?? []).filter((e) => typeof e !== 'string' || !SUPPORTED_REQUIRED.has(e));
  if (missing.length) throw new AssetError(`requires glTF extension(s) the renderer cannot load: ${missing.join(', ')}`);
  const nodes: GltfJson[] = Array.isArray(json.nodes) ? json.nodes : [];
  const scenes: GltfJson[] = Array.isArray(json.scenes) ? json.scenes : [];
  const sceneDef = scenes[typeof json.scene === 'number' ? json.scene : 0];
  if (!sceneDef) throw new AssetError('has no scene (three.js would load nothing)');
  const c = Math.cos(yaw) * scale;
  const s = Math.sin(yaw) * scale;
  // Rz(yaw) · scale · Rx(+90°), column-major: x → (c, s, 0), y → (0, 0, scale), z → (s, −c, 0).
  const toObject: M4 = [c, s, 0, 0, 0, 0, scale, 0, s, -c, 0, 0, 0, 0, 0, 1];
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  const visit = (index: number, parent: M4, depth: number) => {
    const node = nodes[index];
    if (!node || depth > 64) throw new AssetError(`node ${index} is missing or nested too deep`);
    const world = mul(parent, localMatrix(node));
    const mesh = typeof node.mesh === 'number' ? json.meshes?.[node.mesh] : undefined;
    for (const prim of mesh?.primitives ?? []) {
      const pos = prim?.attributes?.POSITION;
      if (typeof pos !== 'number') continue;
      const range = accessorRange(json.accessors?.[pos]);
      if (!range) throw new AssetError(`accessor ${pos} (POSITION) has no min/max (the glTF spec requires them)`);
      const [mn, mx] = range;
      for (let k = 0; k < 8; k++) {
        const p = [k & 1 ? mx[0]! : mn[0]!, k & 2 ? mx[1]! : mn[1]!, k & 4 ? mx[2]! : mn[2]!];
        for (let r = 0; r < 3; r++) {
          const v = world[r]! * p[0]! + world[4 + r]! * p[1]! + world[8 + r]! * p[2]! + world[12 + r]!;
          lo[r] = Math.min(lo[r]!, v);
          hi[r] = Math.max(hi[r]!, v);
        }
      }
    }
    for (const child of Array.isArray(node.children) ? node.children : []) visit(child, world, depth + 1);
  };
  for (const root of Array.isArray(sceneDef.nodes) ? sceneDef.nodes : []) visit(root, toObject, 0);
  if (!(hi[0]! >= lo[0]!)) throw new AssetError('has no mesh with POSITION data in its scene');
  // A flat model (a plane) still needs a collider of some thickness: 5 mm.
  const size = [0, 1, 2].map((i) => Math.max(0.005, hi[i]! - lo[i]!)) as [number, number, number];
  return { size, centre: [(lo[0]! + hi[0]!) / 2, (lo[1]! + hi[1]!) / 2], minZ: lo[2]! };
}

// ---------------------------------------------------------------------------------------------
// Files

/** Image kinds the browser decodes, by magic number. */
function imageKind(bytes: Uint8Array): string | null {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpg';
  if (String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'webp';
  return null;
}

/** A file an asset consists of: the model or image itself, or a model's external buffer/image. */
export interface AssetFile {
  /** The field, plus "#<uri>" for a model's dependency. */
  key: string;
  abs: string;
  sha256: string;
  /** Extension used to serve it (glb, gltf, bin, png, jpg, webp). */
  ext: string;
  bytes: Uint8Array;
}

function readExisting(abs: string, what: string): Uint8Array {
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new AssetError(`no such file ${abs}${what}`);
  return readFileSync(abs);
}

/** The files of one asset, read and checked; for a model also its placement. */
export function readAsset(ref: AssetRef, abs: string, model?: { scale: number; yaw: number }): { files: AssetFile[]; placement?: ModelPlacement; deps: Record<string, AssetFile> } {
  const bytes = readExisting(abs, '');
  if (ref.kind === 'image') {
    const kind = imageKind(bytes);
    if (!kind) throw new AssetError(`${abs} is not a PNG, JPEG or WebP image`);
    return { files: [{ key: ref.field, abs, sha256: sha256(bytes), ext: kind, bytes }], deps: {} };
  }
  const json = gltfJson(bytes);
  const isGlb = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) === GLB_MAGIC && bytes.byteLength >= 12;
  const main: AssetFile = { key: ref.field, abs, sha256: sha256(bytes), ext: isGlb ? 'glb' : 'gltf', bytes };
  const placement = modelPlacement(json, model?.scale ?? 1, model?.yaw ?? 0);
  const deps: Record<string, AssetFile> = {};
  for (const uri of gltfDependencies(json)) {
    let rel: string;
    try {
      rel = decodeURIComponent(uri);
    } catch {
      throw new AssetError(`${abs}: bad URI "${uri}"`);
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(rel)) throw new AssetError(`${abs}: refers to "${uri}"; only files next to the model (or data: URIs) are allowed`);
    const depAbs = resolve(dirname(abs), rel);
    const depBytes = readExisting(depAbs, ` (needed by ${abs} as "${uri}")`);
    const ext = (extname(depAbs).slice(1).toLowerCase() || 'bin').replace(/[^a-z0-9]/g, '') || 'bin';
    deps[uri] = { key: `${ref.field}#${uri}`, abs: depAbs, sha256: sha256(depBytes), ext, bytes: depBytes };
  }
  return { files: [main, ...Object.values(deps)], placement, deps };
}

/** Absolute path of an asset named in a suite file (paths are relative to the suite's folder). */
export function resolveAssetPath(suiteFile: string, path: string): string {
  return resolve(dirname(suiteFile), path);
}
