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

export const TARGET_DEFAULT_COLOUR = { bottle: '#2e9b4f', cup: '#3f6fb5', basket: '#8e8e8a', pot: '#7a4a2a' };

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

function basket(colour, height, radius) {
  const group = new THREE.Group();
  const woven = std(colour, { map: surfaceTexture('weave'), roughness: 0.95, side: THREE.DoubleSide });
  const rb = radius * 0.8;
  const body = lathe([V2(0.0005, 0.0), V2(rb, 0.0), V2(rb + 0.004, 0.01), V2(radius, height)], 48, woven);
  // Repeat the weave by scaling UVs rather than cloning the shared texture per scene.
  const uv = body.geometry.attributes.uv;
  for (let i = 0; i < uv.count; i++) uv.setXY(i, uv.getX(i) * 3, uv.getY(i) * 1.6);
  group.add(body);
  const rim = new THREE.Mesh(new THREE.TorusGeometry(radius, 0.012, 10, 48), std(new THREE.Color(colour).multiplyScalar(0.8), { roughness: 0.9 }));
  rim.position.z = height;
  group.add(rim);
  // Two loop handles across the rim.
  for (const s of [-1, 1]) {
    const h = new THREE.Mesh(new THREE.TorusGeometry(0.04, 0.008, 8, 16, Math.PI), std(new THREE.Color(colour).multiplyScalar(0.8)));
    h.rotation.set(Math.PI / 2, 0, 0); // half ring standing up over the rim
    h.position.set(0, s * radius, height);
    group.add(h);
  }
  return group;
}

function pot(colour, height, radius) {
  const group = new THREE.Group();
  const enamel = std(colour, { roughness: 0.35, metalness: 0.15 });
  const rBody = radius * 0.85;
  const hBody = height * 0.72;
  group.add(lathe([V2(0, 0), V2(rBody - 0.01, 0), V2(rBody, 0.01), V2(rBody, hBody), V2(rBody + 0.006, hBody + 0.004), V2(rBody + 0.006, hBody + 0.01), V2(0, hBody + 0.01)], 40, enamel));
  // Domed lid with a knob.
  const metal = std('#b8b8b4', { roughness: 0.3, metalness: 0.8 });
  const lidH = height - hBody - 0.03;
  const lidPts = [];
  for (let i = 0; i <= 8; i++) {
    const a = (i / 8) * (Math.PI / 2);
    lidPts.push(V2(Math.cos(a) * (rBody + 0.004), hBody + 0.01 + Math.sin(a) * lidH));
  }
  group.add(lathe(lidPts, 40, enamel));
  group.add(cyl(0.012, 0.016, hBody + 0.01 + lidH - 0.002, height, 16, metal));
  // Side handles.
  for (const s of [-1, 1]) {
    const h = new THREE.Mesh(new THREE.BoxGeometry(0.035, 0.05, 0.012), metal);
    h.position.set(0, s * (rBody + 0.016), hBody - 0.02);
    group.add(h);
  }
  return group;
}

const TARGETS = { bottle, cup, basket, pot };

export function makeTarget(target, height, radius) {
  const colour = target.colour ?? TARGET_DEFAULT_COLOUR[target.kind];
  const obj = TARGETS[target.kind](colour, height, radius);
  placed(obj, target.pose);
  return shadowed(obj);
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
