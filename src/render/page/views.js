// Renderer-agnostic views of a built scene: the onboard camera and the replay's top-down view.
// Used by the Chromium page (main.js, WebGL) and by the WebGPU renderer in Node
// (src/render/webgpu/), so both draw exactly the same objects from the same viewpoints.
import * as THREE from 'three';
import { disposeScene } from './scene.js';
import { makeRobot } from './objects.js';

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
export function placeCamera(c) {
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
 * Stage the top-down view of `scene` for payload { w, h, path, contacts, robot: {x,y,qz,qw,yaw},
 * profile, goal, margin, footprint }: an orthographic camera from above (x right, y up), the
 * overlay and the robot added, the ceiling hidden. Returns { camera, done }; call done() after
 * drawing to put the scene back as it was.
 */
export function stageTopDown(scene, payload) {
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
  scene.userData.ceiling.visible = false; // looking in from above
  const done = () => {
    scene.userData.ceiling.visible = true;
    scene.remove(overlay);
    disposeScene(overlay);
    if (robot) robot.visible = false;
  };
  return { camera: cam, done };
}

/** Hide the robot model (the onboard camera never sees its own body). */
export function hideRobot(scene) {
  if (scene.userData.robot) scene.userData.robot.visible = false;
}
