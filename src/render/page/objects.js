// Meshes for the things in a scene. Coordinates: x forward, y left, z up (metres), as in the
// scene JSON. Lathe profiles are built around y by three.js, so each is rotated to stand on z.
import * as THREE from 'three';
import { surfaceTexture, labelTexture } from './textures.js';

const V2 = (r, h) => new THREE.Vector2(r, h);

/**
 * Surface material. MeshStandardMaterial (PBR) cost ~5–10 ms/frame more on SwiftShader than
 * Phong/Lambert for a look nobody can tell apart at 224²; `roughness`/`metalness` are kept as the
 * scene's vocabulary and mapped: matte (roughness ≥ 0.7) → Lambert (diffuse only), else Phong
 * with a Blinn exponent and specular strength derived from roughness (metal tints the highlight).
 */
export function std(colour, opts = {}) {
  const { roughness = 0.8, metalness = 0, ...rest } = opts;
  const color = new THREE.Color(colour);
  if (roughness >= 0.7 && metalness < 0.3) return new THREE.MeshLambertMaterial({ color, ...rest });
  const smooth = 1 - roughness;
  const a = roughness * roughness;
  const shininess = Math.min(200, Math.max(4, 2 / (a * a) - 2));
  const specular = new THREE.Color(1, 1, 1).multiplyScalar(0.04 + 0.4 * smooth * smooth).lerp(color, metalness);
  return new THREE.MeshPhongMaterial({ color, specular, shininess, ...rest });
}

function shadowed(obj) {
  obj.traverse((o) => {
    if (o.isMesh) {
      o.castShadow = true;
      o.receiveShadow = true;
    }
  });
  return obj;
}

/** A lathe around z: profile points are (radius, height). */
function lathe(points, segments, material) {
  const g = new THREE.LatheGeometry(points, segments);
  g.rotateX(Math.PI / 2); // lathe axis y → z
  return new THREE.Mesh(g, material);
}

/** A cylinder standing on z from z0 to z1. */
function cyl(rTop, rBottom, z0, z1, segments, material, open = false) {
  const g = new THREE.CylinderGeometry(rTop, rBottom, z1 - z0, segments, 1, open);
  g.rotateX(Math.PI / 2);
  g.translate(0, 0, (z0 + z1) / 2);
  return new THREE.Mesh(g, material);
}

function placed(obj, pose, z = 0) {
  obj.position.set(pose.x, pose.y, z);
  obj.rotation.set(0, 0, pose.yaw ?? 0);
  return obj;
}

/**
 * A user model (loaded by assets.js, already turned to z-up, scaled, yawed and centred on its
 * bounds) at an object's pose.
 */
export function placeModel(model, pose) {
  return shadowed(placed(model, pose));
}

/** A taped cardboard shipping box. */
export function makeBox(box) {
  const [sx, sy, sz] = box.size;
  const group = new THREE.Group();
  const mat = std(box.colour, { map: surfaceTexture('cardboard'), roughness: 0.92 });
  const body = new THREE.Mesh(new THREE.BoxGeometry(sx, sy, sz), mat);
  body.position.z = sz / 2;
  group.add(body);
  // Packing tape over the top seam and down both ends: the cue that says "shipping box".
  const tapeCol = new THREE.Color(box.colour).lerp(new THREE.Color('#e0b070'), 0.5).multiplyScalar(1.08);
  const tape = std(tapeCol, { roughness: 0.35 });
  const tw = Math.min(0.05, sy * 0.3);
  const drop = Math.min(0.07, sz * 0.35);
  const top = new THREE.Mesh(new THREE.BoxGeometry(sx + 0.002, tw, 0.002), tape);
  top.position.z = sz + 0.001;
  group.add(top);
  for (const s of [-1, 1]) {
    const end = new THREE.Mesh(new THREE.BoxGeometry(0.002, tw, drop), tape);
    end.position.set(s * (sx / 2 + 0.001), 0, sz - drop / 2);
    group.add(end);
  }
  placed(group, box.pose);
  return shadowed(group);
}

export const TARGET_DEFAULT_COLOUR = { bottle: '#2e9b4f', cup: '#3f6fb5', basket: '#8e8e8a', pot: '#7a4a2a', chair: '#8a5a34' };

function bottle(colour, height, radius) {
  const s = height / 0.25;
  const r = radius / 0.04;
  const P = (a, b) => V2(a * r, b * s);
  const group = new THREE.Group();
  const plastic = std(colour, { roughness: 0.18, metalness: 0.0 });
  const profile = [
    P(0, 0.0), P(0.022, 0.0), P(0.03, 0.004), P(0.037, 0.01), P(0.04, 0.02), P(0.04, 0.16),
    P(0.038, 0.172), P(0.033, 0.185), P(0.025, 0.197), P(0.017, 0.206), P(0.0135, 0.212), P(0.0135, 0.222),
    P(0.017, 0.223), P(0.017, 0.226), P(0.0135, 0.227), P(0, 0.227),
  ];
  group.add(lathe(profile, 32, plastic));
  const label = std(0xffffff, { roughness: 0.45, map: labelTexture(colour) });
  group.add(cyl(0.0406 * r, 0.0406 * r, 0.06 * s, 0.13 * s, 32, label, true));
  const cap = std('#f4f4f0', { roughness: 0.4 });
  group.add(cyl(0.015 * r, 0.015 * r, 0.227 * s, height, 20, cap));
  return group;
}

function cup(colour, height, radius) {
  const group = new THREE.Group();
  const ceramic = std(colour, { roughness: 0.28, side: THREE.DoubleSide });
  const h = height;
  const R = radius;
  const rb = R * 0.72;
  const t = 0.004;
  // Outer wall up, over the rim, inner wall down: a real cup with thickness.
  const profile = [V2(0, 0), V2(rb, 0), V2(rb + 0.002, 0.004), V2(R, h - 0.002), V2(R - t / 2, h), V2(R - t, h - 0.002), V2(rb - t + 0.001, 0.008), V2(0, 0.008)];
  group.add(lathe(profile, 32, ceramic));
  // Handle: a half ring in the y-z plane bulging out on the +y side (seen in profile from the front).
  const handle = new THREE.Mesh(new THREE.TorusGeometry(h * 0.28, 0.0055, 10, 20, Math.PI), ceramic);
  handle.rotation.set(0, -Math.PI / 2, 0);
  handle.position.set(0, (R + rb) / 2 - 0.002, h * 0.5);
  group.add(handle);
  return group;
}

/**
 * A rounded rectangle's outline by arc length, starting at the middle of the +x side and running
 * counter-clockwise: at(f) gives the point and outward normal at fraction f ∈ [0, 1) of the way
 * round. A circle is the case a = b = rc.
 */
function roundedRect(a, b, rc) {
  rc = Math.min(rc, a, b);
  const sa = a - rc, sb = b - rc;
  const q = (Math.PI / 2) * rc;
  const segs = [
    { len: sb, line: [a, 0, 0, 1] },
    { len: q, arc: [sa, sb, 0] },
    { len: 2 * sa, line: [sa, b, -1, 0] },
    { len: q, arc: [-sa, sb, Math.PI / 2] },
    { len: 2 * sb, line: [-a, sb, 0, -1] },
    { len: q, arc: [-sa, -sb, Math.PI] },
    { len: 2 * sa, line: [-sa, -b, 1, 0] },
    { len: q, arc: [sa, -sb, (3 * Math.PI) / 2] },
    { len: sb, line: [a, -sb, 0, 1] },
  ];
  const L = segs.reduce((t, g) => t + g.len, 0);
  const at = (f) => {
    let d = (((f % 1) + 1) % 1) * L;
    for (const g of segs) {
      if (d <= g.len || g === segs[segs.length - 1]) {
        if (g.line) {
          const [x, y, dx, dy] = g.line;
          return { x: x + dx * d, y: y + dy * d, nx: dy, ny: -dx };
        }
        const [cx, cy, a0] = g.arc;
        const t = a0 + (rc > 0 ? d / rc : 0);
        return { x: cx + rc * Math.cos(t), y: cy + rc * Math.sin(t), nx: Math.cos(t), ny: Math.sin(t) };
      }
      d -= g.len;
    }
  };
  // Fractions of the middles of the four sides (+x, +y, −x, −y).
  const mid = [0, (sb + q + sa) / L, 0.5, (3 * sb + 3 * q + 3 * sa) / L];
  return { L, at, mid };
}

/** Triangles with explicit normals; each quad is wound so its face agrees with its normal. */
class Mesher {
  constructor() {
    this.pos = [];
    this.nrm = [];
  }
  tri(p, n) {
    for (let k = 0; k < 3; k++) {
      this.pos.push(p[k][0], p[k][1], p[k][2]);
      this.nrm.push(n[k][0], n[k][1], n[k][2]);
    }
  }
  /** Quad p0..p3 (in order round its edge) with per-corner normals n0..n3. */
  quad(p, n) {
    const e1 = [p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]];
    const e2 = [p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]];
    const c = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const m = [n[0][0] + n[2][0], n[0][1] + n[2][1], n[0][2] + n[2][2]];
    if (c[0] * m[0] + c[1] * m[1] + c[2] * m[2] >= 0) {
      this.tri([p[0], p[1], p[2]], [n[0], n[1], n[2]]);
      this.tri([p[0], p[2], p[3]], [n[0], n[2], n[3]]);
    } else {
      this.tri([p[0], p[2], p[1]], [n[0], n[2], n[1]]);
      this.tri([p[0], p[3], p[2]], [n[0], n[3], n[2]]);
    }
  }
  flat(p, n) {
    this.quad(p, [n, n, n, n]);
  }
  geometry() {
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(this.pos, 3));
    g.setAttribute('normal', new THREE.Float32BufferAttribute(this.nrm, 3));
    return g;
  }
}

/**
 * A plastic laundry basket: a rounded-rectangle tub (a round one when a = b) tapering towards the
 * bottom, walls perforated with rows of vertical slots, a thick outward rim, and two handle
 * cut-outs under the rim at the ends of its long axis. sx, sy: outer extents at the rim (m),
 * H: height; `round` makes the corners full semicircles.
 */
function basketTub(colour, sx, sy, H, round) {
  const group = new THREE.Group();
  const plastic = std(colour, { roughness: 0.5, side: THREE.DoubleSide });
  const rimOut = Math.min(0.012, 0.06 * Math.min(sx, sy));
  const a = sx / 2 - rimOut, b = sy / 2 - rimOut;
  const rr = roundedRect(a, b, round ? Math.min(a, b) : 0.35 * Math.min(a, b));
  const t = 0.004; // wall thickness
  const kb = 0.88; // bottom / top size: the tub tapers so baskets nest
  const k = (z) => kb + ((1 - kb) * z) / H;
  const N = 2 * Math.max(12, Math.round(rr.L / 0.024)); // cells round: a slot every other one
  // Bands of the wall, bottom up.
  const rimH = Math.min(0.03, Math.max(0.015, 0.1 * H));
  const handleH = Math.min(0.05, Math.max(0.025, 0.17 * H));
  const zRim = H - rimH, zHandle = zRim - handleH, zTopHoles = zHandle - Math.max(0.01, 0.05 * H), zBase = 0.16 * H;
  const bands = [[0, zBase, 'solid']];
  const nRows = Math.max(1, Math.round((zTopHoles - zBase) / 0.045));
  const pitch = (zTopHoles - zBase) / nRows;
  for (let r = 0; r < nRows; r++) {
    const z = zBase + r * pitch;
    bands.push([z, z + 0.68 * pitch, 'holes'], [z + 0.68 * pitch, z + pitch, 'solid']);
  }
  bands.push([zTopHoles, zHandle, 'solid'], [zHandle, zRim, 'handle'], [zRim, H, 'rim']);
  // Handle cut-outs: at the middles of the two sides across the long axis.
  const ends = sy >= sx ? [rr.mid[1], rr.mid[3]] : [rr.mid[0], rr.mid[2]];
  const handleW = Math.min(0.11, 0.35 * 2 * Math.min(a, b));
  const inHandle = (i) => ends.some((m) => {
    const d = Math.abs(((i / N - m + 1.5) % 1) - 0.5) * rr.L;
    return d < handleW / 2;
  });
  const hole = (i, j) => {
    if (j < 0 || j >= bands.length) return false;
    const kind = bands[j][2];
    const c = ((i % N) + N) % N;
    return kind === 'holes' ? c % 2 === 1 && !inHandle(c) : kind === 'handle' ? inHandle(c) : false;
  };
  const P = (f, z, off) => {
    const q = rr.at(f);
    const s = k(z);
    return [q.x * s + q.nx * off, q.y * s + q.ny * off, z];
  };
  const N3 = (f) => {
    const q = rr.at(f);
    return [q.nx, q.ny, 0];
  };
  const neg = (v) => [-v[0], -v[1], -v[2]];
  const tangent = (f) => {
    const q = rr.at(f);
    return [-q.ny, q.nx, 0];
  };
  const m = new Mesher();
  for (let j = 0; j < bands.length; j++) {
    const [z0, z1, kind] = bands[j];
    for (let i = 0; i < N; i++) {
      if (hole(i, j)) continue;
      const f0 = (i - 0.5) / N, f1 = (i + 0.5) / N;
      const n0 = N3(f0), n1 = N3(f1);
      // Outer face (inside the rim band it is hidden by the rim's own face), inner face.
      if (kind !== 'rim') m.quad([P(f0, z0, 0), P(f1, z0, 0), P(f1, z1, 0), P(f0, z1, 0)], [n0, n1, n1, n0]);
      m.quad([P(f0, z0, -t), P(f1, z0, -t), P(f1, z1, -t), P(f0, z1, -t)], [neg(n0), neg(n1), neg(n1), neg(n0)]);
      // Edges facing a hole: the wall's thickness shows.
      if (hole(i - 1, j)) m.flat([P(f0, z0, 0), P(f0, z1, 0), P(f0, z1, -t), P(f0, z0, -t)], neg(tangent(f0)));
      if (hole(i + 1, j)) m.flat([P(f1, z0, 0), P(f1, z1, 0), P(f1, z1, -t), P(f1, z0, -t)], tangent(f1));
      if (hole(i, j - 1)) m.flat([P(f0, z0, 0), P(f1, z0, 0), P(f1, z0, -t), P(f0, z0, -t)], [0, 0, -1]);
      if (hole(i, j + 1)) m.flat([P(f0, z1, 0), P(f1, z1, 0), P(f1, z1, -t), P(f0, z1, -t)], [0, 0, 1]);
      if (kind === 'rim') {
        // The rim: an outward band, its underside and its top.
        m.quad([P(f0, z0, rimOut), P(f1, z0, rimOut), P(f1, z1, rimOut), P(f0, z1, rimOut)], [n0, n1, n1, n0]);
        m.flat([P(f0, z0, 0), P(f1, z0, 0), P(f1, z0, rimOut), P(f0, z0, rimOut)], [0, 0, -1]);
        m.flat([P(f0, z1, -t), P(f1, z1, -t), P(f1, z1, rimOut), P(f0, z1, rimOut)], [0, 0, 1]);
      }
    }
  }
  group.add(new THREE.Mesh(m.geometry(), plastic));
  // The floor of the tub.
  const shape = new THREE.Shape();
  for (let i = 0; i < N; i++) {
    const [x, y] = P((i - 0.5) / N, 0, -t);
    if (i === 0) shape.moveTo(x, y);
    else shape.lineTo(x, y);
  }
  shape.closePath();
  const floor = new THREE.Mesh(new THREE.ShapeGeometry(shape), plastic);
  floor.position.z = 0.006;
  group.add(floor);
  return group;
}

/** Without a size: the round basket of the seed-era suites (footprint radius r, the collider). */
function basket(colour, height, radius, size) {
  return size ? basketTub(colour, size[0], size[1], size[2], false) : basketTub(colour, 2 * radius, 2 * radius, height, true);
}

/**
 * A cooking pot: a straight-sided body with a rolled rim, two loop handles on the sides (±y), and
 * a domed lid with a knob. With a size it stays round and fits inside it: the body as wide as x
 * allows, unless the handles (each ≈ 0.31 of the body radius) would then stick out of y.
 */
function pot(colour, height, radius, size) {
  const group = new THREE.Group();
  const enamel = std(colour, { roughness: 0.35, metalness: 0.15 });
  const dark = std('#1f1d1b', { roughness: 0.5 });
  const lip = 0.005;
  const R = size ? Math.min(size[0] / 2 - lip, (size[1] / 2 + 0.002) / 1.315) : radius * 0.85;
  const H = size ? size[2] : height;
  const hBody = H * 0.72;
  const t = 0.004;
  // Body: outer wall up, over the rim, inner wall down (a pot with thickness).
  const body = [V2(0, 0), V2(R - 0.012, 0), V2(R - 0.002, 0.004), V2(R, 0.014), V2(R, hBody), V2(R - t, hBody), V2(R - t, 0.012), V2(0, 0.008)];
  group.add(lathe(body, 40, enamel));
  const rim = new THREE.Mesh(new THREE.TorusGeometry(R - t / 2 + 0.001, lip, 8, 40), enamel);
  rim.position.z = hBody;
  group.add(rim);
  // Domed lid resting on the rim, with a dark knob.
  const knobH = Math.min(0.025, 0.14 * H);
  const lidH = Math.max(0.01, H - hBody - knobH);
  const lidPts = [];
  for (let i = 0; i <= 8; i++) {
    const a = (i / 8) * (Math.PI / 2);
    lidPts.push(V2(Math.max(0.0005, Math.cos(a) * (R + 0.002)), hBody + 0.002 + Math.sin(a) * lidH));
  }
  group.add(lathe(lidPts, 40, std(new THREE.Color(colour).multiplyScalar(0.85), { roughness: 0.3, metalness: 0.2 })));
  group.add(cyl(0.011, 0.016, hBody + lidH - 0.002, H, 16, dark));
  // Loop handles bulging out of each side, level with the top of the body.
  const hr = Math.max(0.016, 0.26 * R);
  const tube = Math.max(0.004, 0.055 * R);
  for (const s of [1, -1]) {
    const h = new THREE.Mesh(new THREE.TorusGeometry(hr, tube, 8, 16, Math.PI), dark);
    h.rotation.z = s > 0 ? 0 : Math.PI; // half ring in the floor plane, opening towards the pot
    h.position.set(0, s * (R - 0.002), hBody - 0.02);
    group.add(h);
  }
  return group;
}

/**
 * A wooden dining chair facing −x (towards a robot that approaches along +x): seat, four legs with
 * side stretchers, and a back of two slats between the rear legs, which run up as the back posts.
 * Without a size it fits the kind's footprint disc (a square seat inside it).
 */
function chair(colour, height, radius, size) {
  const group = new THREE.Group();
  const wood = std(colour, { roughness: 0.6 });
  const seatMat = std(new THREE.Color(colour).lerp(new THREE.Color('#ffffff'), 0.12), { roughness: 0.6 });
  const sx = size ? size[0] : radius * Math.SQRT2;
  const sy = size ? size[1] : radius * Math.SQRT2;
  const H = size ? size[2] : height;
  const seatH = Math.min(0.46, 0.53 * H);
  const seatT = Math.min(0.035, 0.06 * H);
  const lw = Math.min(0.04, 0.1 * Math.min(sx, sy));
  const box = (x, y, z, dx, dy, dz, mat) => {
    const m = new THREE.Mesh(new THREE.BoxGeometry(dx, dy, dz), mat);
    m.position.set(x, y, z);
    group.add(m);
  };
  const lx = sx / 2 - lw / 2, ly = sy / 2 - lw / 2;
  for (const y of [-ly, ly]) {
    box(-lx, y, (seatH - seatT) / 2, lw, lw, seatH - seatT, wood); // front leg
    box(lx, y, H / 2, lw, lw, H, wood); // rear leg and back post
    box(0, y, 0.3 * seatH, 2 * lx, lw * 0.6, lw * 0.6, wood); // side stretcher
  }
  box(0, 0, seatH - seatT / 2, sx, sy, seatT, seatMat);
  const backH = Math.min(0.12, 0.3 * (H - seatH));
  box(lx, 0, H - backH / 2, lw * 0.7, 2 * ly - lw, backH, wood);
  const midZ = seatH + 0.45 * (H - seatH);
  box(lx, 0, midZ, lw * 0.7, 2 * ly - lw, Math.min(0.05, 0.4 * backH), wood);
  return group;
}

const TARGETS = { bottle, cup, basket, pot, chair };

/**
 * The target's procedural look. With `target.size` the model is fitted to it (x = depth along the
 * target's yaw, y = width, z = height); without, to the kind's collider radius and height.
 */
export function makeTarget(target, height, radius) {
  const colour = target.colour ?? TARGET_DEFAULT_COLOUR[target.kind];
  const size = target.size ?? null;
  let obj;
  if (target.kind === 'bottle' || target.kind === 'cup') {
    // Round things: the size's height and the smaller horizontal extent (the collider is the box).
    obj = size ? TARGETS[target.kind](colour, size[2], Math.min(size[0], size[1]) / 2) : TARGETS[target.kind](colour, height, radius);
  } else obj = TARGETS[target.kind](colour, height, radius, size);
  placed(obj, target.pose);
  return shadowed(obj);
}

/**
 * A standing person about 1.72 m tall, facing −x: shoes, trousers, a shirt in `colour` (torso and
 * sleeves), hands, neck and head with hair. Deliberately plain: a figure, not a portrait.
 */
function person(colour) {
  const g = new THREE.Group();
  const shirt = std(colour, { roughness: 0.85 });
  const trousers = std(new THREE.Color(colour).lerp(new THREE.Color('#23262d'), 0.7), { roughness: 0.85 });
  const skin = std('#c69c7b', { roughness: 0.75 });
  const hair = std('#2b2019', { roughness: 0.9 });
  const shoeM = std('#1d1d1f', { roughness: 0.6 });
  const add = (mesh, x, y, z) => {
    mesh.position.set(x, y, z);
    g.add(mesh);
    return mesh;
  };
  for (const y of [-0.1, 0.1]) {
    add(new THREE.Mesh(new THREE.BoxGeometry(0.26, 0.1, 0.07), shoeM), -0.03, y, 0.035);
    const leg = cyl(0.075, 0.055, 0.06, 0.92, 16, trousers);
    leg.position.y = y;
    g.add(leg);
  }
  add(new THREE.Mesh(new THREE.BoxGeometry(0.22, 0.36, 0.14), trousers), 0, 0, 0.92);
  const torso = cyl(0.19, 0.165, 0.9, 1.45, 20, shirt);
  torso.scale.x = 0.62;
  g.add(torso);
  const shoulders = new THREE.Mesh(new THREE.SphereGeometry(0.19, 20, 8, 0, Math.PI * 2, 0, Math.PI / 2), shirt);
  shoulders.rotation.x = Math.PI / 2; // dome's pole (y) → z
  shoulders.scale.set(0.62, 0.35, 1); // scale is applied before the rotation: y here is height
  add(shoulders, 0, 0, 1.45);
  for (const s of [-1, 1]) {
    const arm = cyl(0.052, 0.042, 0.84, 1.46, 12, shirt);
    arm.position.y = s * 0.235;
    g.add(arm);
    add(new THREE.Mesh(new THREE.SphereGeometry(0.045, 12, 8), skin), 0, s * 0.235, 0.81);
  }
  g.add(cyl(0.05, 0.056, 1.46, 1.56, 12, skin));
  const head = add(new THREE.Mesh(new THREE.SphereGeometry(0.1, 20, 14), skin), 0, 0, 1.6);
  head.scale.z = 1.15;
  const cap = add(new THREE.Mesh(new THREE.SphereGeometry(0.104, 20, 14), hair), 0.016, 0, 1.615);
  cap.scale.z = 1.12;
  return g;
}

export function makeDistractor(d) {
  let obj;
  switch (d.kind) {
    case 'ball': {
      obj = new THREE.Mesh(new THREE.SphereGeometry(0.055, 24, 16), std(d.colour, { roughness: 0.5 }));
      obj.position.z = 0.055;
      obj = new THREE.Group().add(obj);
      break;
    }
    case 'cone': {
      obj = new THREE.Group();
      const m = std(d.colour, { roughness: 0.6 });
      obj.add(cyl(0.012, 0.065, 0.01, 0.22, 24, m));
      obj.add(cyl(0.043, 0.05, 0.09, 0.13, 24, std('#f4f4f4', { roughness: 0.5 })));
      const base = new THREE.Mesh(new THREE.BoxGeometry(0.15, 0.15, 0.012), m);
      base.position.z = 0.006;
      obj.add(base);
      break;
    }
    case 'book': {
      obj = new THREE.Group();
      const cover = new THREE.Mesh(new THREE.BoxGeometry(0.23, 0.16, 0.032), std(d.colour, { roughness: 0.7 }));
      cover.position.z = 0.016;
      const pages = new THREE.Mesh(new THREE.BoxGeometry(0.222, 0.154, 0.026), std('#f2efe4', { roughness: 0.9 }));
      pages.position.set(0.006, 0, 0.016);
      obj.add(cover, pages);
      break;
    }
    case 'pot': {
      // A small cooking pot (a negative of the lab's: the detector must not take it for the target).
      obj = pot(d.colour, 0.13, 0.1, null);
      break;
    }
    case 'person': {
      obj = person(d.colour);
      break;
    }
    case 'can': {
      obj = new THREE.Group();
      const side = std(d.colour, { roughness: 0.3, metalness: 0.4 });
      const lid = std('#c8c8c8', { roughness: 0.25, metalness: 0.9 });
      const g = new THREE.CylinderGeometry(0.033, 0.033, 0.122, 24);
      g.rotateX(Math.PI / 2);
      g.translate(0, 0, 0.061);
      obj.add(new THREE.Mesh(g, [side, lid, lid]));
      break;
    }
    default:
      obj = new THREE.Group();
  }
  placed(obj, d.pose);
  return shadowed(obj);
}

/**
 * The robot: a round omni-wheel base with a camera mast and a yellow heading arrow on top (so the
 * top-down view shows where it faces). Hidden in onboard renders.
 */
export function makeRobot(profile) {
  const r = profile.radius;
  const h = profile.height;
  const cam = profile.camera;
  const group = new THREE.Group();
  const shell = std('#3b4047', { roughness: 0.55, metalness: 0.2 });
  group.add(cyl(r, r, 0.03, h, 40, shell));
  const plate = std('#c9ccd1', { roughness: 0.5 });
  group.add(cyl(r * 0.96, r * 0.96, h, h + 0.006, 40, plate));
  const bumper = std('#1c1e22', { roughness: 0.7 });
  group.add(cyl(r * 1.02, r * 1.02, 0.03, 0.07, 40, bumper));
  const wheelM = std('#111111', { roughness: 0.8 });
  for (let i = 0; i < 3; i++) {
    const a = (i * 2 * Math.PI) / 3 + Math.PI / 3;
    const w = new THREE.Mesh(new THREE.CylinderGeometry(0.03, 0.03, 0.022, 16), wheelM);
    w.rotation.z = a - Math.PI / 2; // cylinder axis (y) turned to point radially: the axle
    w.position.set(Math.cos(a) * r * 0.8, Math.sin(a) * r * 0.8, 0.03);
    group.add(w);
  }
  // Camera mast and head at the mount point.
  const mastM = std('#2a2d33', { roughness: 0.5 });
  const mast = cyl(0.008, 0.008, h, cam.mountHeight - 0.02, 8, mastM);
  mast.position.x = cam.mountForward - 0.02;
  group.add(mast);
  const head = new THREE.Mesh(new THREE.BoxGeometry(0.03, 0.06, 0.03), mastM);
  head.position.set(cam.mountForward - 0.01, 0, cam.mountHeight);
  group.add(head);
  // Heading arrow.
  const shape = new THREE.Shape();
  shape.moveTo(r * 0.75, 0);
  shape.lineTo(-r * 0.3, r * 0.45);
  shape.lineTo(-r * 0.1, 0);
  shape.lineTo(-r * 0.3, -r * 0.45);
  shape.closePath();
  const arrow = new THREE.Mesh(new THREE.ShapeGeometry(shape), new THREE.MeshBasicMaterial({ color: '#ffcc00' }));
  arrow.position.z = h + 0.008;
  group.add(arrow);
  group.traverse((o) => {
    if (o.isMesh) {
      o.castShadow = false;
      o.receiveShadow = true;
    }
  });
  return group;
}
