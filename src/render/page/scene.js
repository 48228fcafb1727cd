// Scene JSON → three.js scene (z up). Built once per sceneKey and cached by main.js.
import * as THREE from 'three';
import { surfaceTexture, TILE_METRES } from './textures.js';
import { makeBox, makeTarget, makeDistractor, placeModel, std } from './objects.js';
import { loadSceneAssets } from './assets.js';
import { kelvinToRgb } from './util.js';

/** Box mesh with texture coordinates in world metres / `tile` (so walls of any length tile evenly). */
function worldUvBox(sx, sy, sz, tile) {
  const g = new THREE.BoxGeometry(sx, sy, sz);
  const pos = g.attributes.position;
  const nrm = g.attributes.normal;
  const uv = g.attributes.uv;
  for (let i = 0; i < pos.count; i++) {
    const x = pos.getX(i), y = pos.getY(i), z = pos.getZ(i);
    const ax = Math.abs(nrm.getX(i)), ay = Math.abs(nrm.getY(i));
    if (ax > 0.5) uv.setXY(i, y / tile, z / tile);
    else if (ay > 0.5) uv.setXY(i, x / tile, z / tile);
    else uv.setXY(i, x / tile, y / tile);
  }
  return g;
}

function surfaceMaterial(kind, colour, roughness) {
  const map = kind === 'plain' ? null : surfaceTexture(kind);
  return std(colour, { map, roughness });
}

const OUTER_MARGIN = 2.2; // the lab room around the arena, seen over its low walls
const OUTER_HEIGHT = 2.8;

/** A photo over a surface: its own colours (the scene's colour would tint it), `tile` metres per repeat. */
function photoMaterial(tex, roughness) {
  return std('#ffffff', { map: tex, roughness });
}

/**
 * Build the scene. Returns { scene, bounds } where bounds are the room's inner min/max.
 * Dimensions that the collider also uses (target radius/height) come in `dims` from Node so the
 * picture and the physics agree, and so do the URLs and placements of user models and photos
 * (dims.assets), which are all loaded before anything is built.
 */
export async function buildScene(s, dims) {
  const loaded = await loadSceneAssets(dims.assets);
  const scene = new THREE.Scene();
  const [x0, y0] = s.room.min;
  const [x1, y1] = s.room.max;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const lx = x1 - x0, ly = y1 - y0;
  const app = s.appearance;
  scene.background = new THREE.Color('#b8b6b0');

  // Arena floor, and the lab floor around it (same surface, slightly darker so the arena reads).
  const fk = app.floor.texture;
  const ft = loaded.floor ? app.floor.tile ?? 1 : TILE_METRES[fk] ?? 1;
  const floorMat = loaded.floor ? photoMaterial(loaded.floor, 0.9) : surfaceMaterial(fk, app.floor.colour, fk === 'wood' ? 0.55 : fk === 'tiles' ? 0.35 : 0.9);
  const floor = new THREE.Mesh(worldUvBox(lx, ly, 0.02, ft), floorMat);
  floor.position.set(cx, cy, -0.01);
  floor.receiveShadow = true;
  scene.add(floor);
  const outerMat = surfaceMaterial('concrete', new THREE.Color('#76736e').lerp(new THREE.Color(app.floor.colour), 0.25), 0.95);
  const W = lx + 2 * OUTER_MARGIN, H = ly + 2 * OUTER_MARGIN;
  const outer = new THREE.Mesh(worldUvBox(W, H, 0.02, TILE_METRES.concrete), outerMat);
  outer.position.set(cx, cy, -0.012);
  outer.receiveShadow = true;
  scene.add(outer);

  // Arena walls: four boxes just outside the inner area, overlapping at the corners.
  const wk = app.walls.texture;
  const wt = loaded.walls ? app.walls.tile ?? 1 : TILE_METRES[wk] ?? 1;
  const wallMat = loaded.walls ? photoMaterial(loaded.walls, 0.92) : surfaceMaterial(wk, app.walls.colour, wk === 'panels' ? 0.5 : 0.92);
  const t = s.room.wallThickness, h = s.room.wallHeight;
  const walls = [
    [x0 - t / 2, cy, t, ly + 2 * t],
    [x1 + t / 2, cy, t, ly + 2 * t],
    [cx, y0 - t / 2, lx, t],
    [cx, y1 + t / 2, lx, t],
  ];
  for (const [wx, wy, sx, sy] of walls) {
    const g = worldUvBox(sx, sy, h, wt);
    g.translate(wx, wy, h / 2);
    const m = new THREE.Mesh(g, wallMat);
    m.castShadow = m.receiveShadow = true;
    scene.add(m);
  }

  // The room around the arena: painted walls with a skirting board and a ceiling; gives the
  // camera a horizon and keeps the arena's own walls distinct. Deliberately plain: no landmarks
  // a policy could use instead of the target.
  const roomMat = surfaceMaterial('plaster', '#c4cad0', 0.95);
  const skirtMat = std('#6b655c', { roughness: 0.7 });
  const ox0 = x0 - OUTER_MARGIN, ox1 = x1 + OUTER_MARGIN, oy0 = y0 - OUTER_MARGIN, oy1 = y1 + OUTER_MARGIN;
  const roomWalls = [
    [ox0 - 0.05, cy, 0.1, H + 0.2],
    [ox1 + 0.05, cy, 0.1, H + 0.2],
    [cx, oy0 - 0.05, W + 0.2, 0.1],
    [cx, oy1 + 0.05, W + 0.2, 0.1],
  ];
  for (const [wx, wy, sx, sy] of roomWalls) {
    const g = worldUvBox(sx, sy, OUTER_HEIGHT, TILE_METRES.plaster);
    g.translate(wx, wy, OUTER_HEIGHT / 2);
    const rw = new THREE.Mesh(g, roomMat);
    rw.receiveShadow = true;
    scene.add(rw);
    const sk = new THREE.Mesh(new THREE.BoxGeometry(sx + 0.02, sy + 0.02, 0.1), skirtMat);
    sk.position.set(wx, wy, 0.05);
    sk.receiveShadow = true;
    scene.add(sk);
  }
  const ceiling = new THREE.Mesh(new THREE.BoxGeometry(W + 0.2, H + 0.2, 0.05), std('#e4e3df', { roughness: 1 }));
  ceiling.position.set(cx, cy, OUTER_HEIGHT + 0.025);
  ceiling.receiveShadow = true;
  scene.add(ceiling);

  s.obstacles.forEach((b, i) => scene.add(loaded.obstacles[i] ? placeModel(loaded.obstacles[i], b.pose) : makeBox(b)));
  scene.add(loaded.target ? placeModel(loaded.target, s.target.pose) : makeTarget(s.target, dims.targetHeight, dims.targetRadius));
  for (const d of s.distractors ?? []) scene.add(makeDistractor(d));

  // Lights: sky fill + a key light from (azimuth, elevation), both tinted by the colour temperature.
  const L = app.light;
  const [kr, kg, kb] = kelvinToRgb(L.kelvin);
  const keyCol = new THREE.Color().setRGB(kr, kg, kb, THREE.SRGBColorSpace);
  const skyCol = new THREE.Color().setRGB(kr, kg, kb, THREE.SRGBColorSpace).lerp(new THREE.Color('#ffffff'), 0.5);
  const hemi = new THREE.HemisphereLight(skyCol, new THREE.Color('#4a4640'), 1.8 * L.intensity);
  hemi.position.set(0, 0, 1);
  scene.add(hemi);
  const key = new THREE.DirectionalLight(keyCol, 2.4 * L.intensity);
  const az = (L.azimuth * Math.PI) / 180, el = (L.elevation * Math.PI) / 180;
  const dist = Math.max(lx, ly) + 4;
  key.position.set(cx + dist * Math.cos(el) * Math.cos(az), cy + dist * Math.cos(el) * Math.sin(az), dist * Math.sin(el));
  key.target.position.set(cx, cy, 0);
  scene.add(key, key.target);
  if (L.shadows) {
    key.castShadow = true;
    const half = Math.hypot(lx, ly) / 2 + 0.5;
    const sc = key.shadow.camera;
    sc.left = -half;
    sc.right = half;
    sc.top = half;
    sc.bottom = -half;
    sc.near = 0.1;
    sc.far = dist * 2 + 2;
    key.shadow.mapSize.set(1024, 1024);
    // Filtering: bilinear PCF (shadows.js), one shadow-map texel wide; shadow.radius is unused.
    key.shadow.bias = -0.0004;
    key.shadow.normalBias = 0.01;
  }
  scene.userData = { bounds: { x0, y0, x1, y1 }, shadowsReady: false, robot: null, robotKey: '', ceiling };
  return scene;
}

/** Free GPU memory of a dropped scene (shared surface textures stay cached). */
export function disposeScene(scene) {
  scene.traverse((o) => {
    if (o.userData.simgateShared) return; // a user model's geometry and materials, shared between scenes
    if (o.geometry) o.geometry.dispose();
    const ms = Array.isArray(o.material) ? o.material : o.material ? [o.material] : [];
    for (const m of ms) m.dispose();
    if (o.shadow && o.shadow.map) o.shadow.map.dispose();
  });
}
