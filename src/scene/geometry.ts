import type { Scene, TargetKind, Side } from './schema';
import { type V2, add, cross, dist, dot, norm, rotate, sub, unit } from '../util/vec2';

/** Footprint radius of each target kind (metres); also its collider radius. */
export const TARGET_RADIUS: Record<TargetKind, number> = { bottle: 0.04, cup: 0.045, basket: 0.16, pot: 0.13, chair: 0.25 };
/** Heights used by the collider and the renderer. */
export const TARGET_HEIGHT: Record<TargetKind, number> = { bottle: 0.25, cup: 0.1, basket: 0.22, pot: 0.18, chair: 0.85 };

/**
 * The target's footprint: a disc of the kind's radius, or — when the scene gives the target a
 * `size` (a laundry basket, a chair, a scanned model) — a rectangle of that size at its yaw.
 */
export type Footprint = { shape: 'disc'; x: number; y: number; r: number } | { shape: 'rect'; x: number; y: number; yaw: number; hx: number; hy: number };

export function targetFootprint(target: Scene['target']): Footprint {
  const { x, y, yaw } = target.pose;
  if (target.size) return { shape: 'rect', x, y, yaw, hx: target.size[0] / 2, hy: target.size[1] / 2 };
  return { shape: 'disc', x, y, r: TARGET_RADIUS[target.kind] };
}

export function targetHeight(target: Scene['target']): number {
  return target.size ? target.size[2] : TARGET_HEIGHT[target.kind];
}

/** Distance from point p to a footprint's edge (0 inside it). */
export function distanceToFootprint(p: V2, f: Footprint): number {
  if (f.shape === 'disc') return Math.max(0, Math.hypot(p.x - f.x, p.y - f.y) - f.r);
  const local = rotate({ x: p.x - f.x, y: p.y - f.y }, -f.yaw);
  const dx = Math.max(0, Math.abs(local.x) - f.hx);
  const dy = Math.max(0, Math.abs(local.y) - f.hy);
  return Math.hypot(dx, dy);
}

/** A convex polygon, counter-clockwise. */
export type Poly = V2[];

/** Rectangle of half extents (hx, hy) at pose, grown by `pad` on every side. */
export function rectPoly(cx: number, cy: number, yaw: number, hx: number, hy: number, pad = 0): Poly {
  const ex = hx + pad;
  const ey = hy + pad;
  return [
    { x: -ex, y: -ey },
    { x: ex, y: -ey },
    { x: ex, y: ey },
    { x: -ex, y: ey },
  ].map((p) => add(rotate(p, yaw), { x: cx, y: cy }));
}

/** Square around a disc (target), grown by `pad`. */
export function discPoly(c: V2, r: number, pad = 0): Poly {
  return rectPoly(c.x, c.y, 0, r, r, pad);
}

/** Footprints of everything the robot can hit, other than the walls. */
export function obstaclePolys(scene: Scene, pad: number): { id: string; poly: Poly }[] {
  const out = scene.obstacles.map((b) => ({
    id: b.id,
    poly: rectPoly(b.pose.x, b.pose.y, b.pose.yaw, b.size[0] / 2, b.size[1] / 2, pad),
  }));
  const f = targetFootprint(scene.target);
  out.push({ id: 'target', poly: f.shape === 'disc' ? discPoly(f, f.r, pad) : rectPoly(f.x, f.y, f.yaw, f.hx, f.hy, pad) });
  return out;
}

/** Strictly inside a convex CCW polygon (points on the edge are outside). */
export function insidePoly(p: V2, poly: Poly): boolean {
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i] as V2;
    const b = poly[(i + 1) % poly.length] as V2;
    if (cross(sub(b, a), sub(p, a)) <= 1e-12) return false;
  }
  return true;
}

/** Does segment pq pass through the interior of convex polygon `poly`? (Cyrus–Beck clipping.) */
export function segmentHitsPoly(p: V2, q: V2, poly: Poly): boolean {
  let t0 = 0;
  let t1 = 1;
  const d = sub(q, p);
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i] as V2;
    const b = poly[(i + 1) % poly.length] as V2;
    const e = sub(b, a);
    // Inward normal of a CCW polygon edge is (-e.y, e.x).
    const n = { x: -e.y, y: e.x };
    const num = dot(n, sub(p, a));
    const den = dot(n, d);
    if (Math.abs(den) < 1e-15) {
      if (num <= 1e-12) return false; // parallel and outside (or on) this edge
      continue;
    }
    const t = -num / den;
    if (den > 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 >= t1 - 1e-12) return false;
  }
  return true;
}

export interface PlanOptions {
  /** Clearance from obstacles and walls: the robot radius plus any safety margin. */
  clearance: number;
  /** Force passing the obstacles on this side (the oracle); none = shortest path either way. */
  side?: Side;
  /** Obstacle ids to ignore (e.g. the target when planning to a point in front of it is fine). */
  extraBarriers?: Poly[];
}

export interface Plan {
  path: V2[];
  length: number;
}

/**
 * Shortest collision-free path for a disc robot on the floor: a visibility graph over the
 * obstacles grown by the clearance, searched with Dijkstra. Exact for polygonal obstacles.
 * Returns null when the goal cannot be reached.
 */
export function planPath(scene: Scene, from: V2, to: V2, opts: PlanOptions): Plan | null {
  const c = opts.clearance;
  const polys = obstaclePolys(scene, c).map((o) => o.poly);
  if (opts.side) polys.push(...sideBarriers(scene, opts.side, c));
  if (opts.extraBarriers) polys.push(...opts.extraBarriers);
  const lo = { x: scene.room.min[0] + c, y: scene.room.min[1] + c };
  const hi = { x: scene.room.max[0] - c, y: scene.room.max[1] - c };
  const inRoom = (p: V2) => p.x >= lo.x - 1e-9 && p.x <= hi.x + 1e-9 && p.y >= lo.y - 1e-9 && p.y <= hi.y + 1e-9;
  const free = (p: V2, q: V2) => polys.every((poly) => !segmentHitsPoly(p, q, poly));

  // Vertices nudged outwards a hair so paths that graze a corner are not counted as hits.
  const nodes: V2[] = [from, to];
  for (const poly of polys) {
    const centre = poly.reduce((s, p) => add(s, p), { x: 0, y: 0 });
    const cc = { x: centre.x / poly.length, y: centre.y / poly.length };
    for (const v of poly) {
      const out = add(v, unit(sub(v, cc)), );
      const nudged = { x: v.x + (out.x - v.x) * 1e-6, y: v.y + (out.y - v.y) * 1e-6 };
      if (inRoom(nudged) && polys.every((pp) => !insidePoly(nudged, pp))) nodes.push(nudged);
    }
  }
  const n = nodes.length;
  const best = new Array<number>(n).fill(Infinity);
  const prev = new Array<number>(n).fill(-1);
  const done = new Array<boolean>(n).fill(false);
  best[0] = 0;
  for (;;) {
    let u = -1;
    for (let i = 0; i < n; i++) if (!done[i] && best[i]! < Infinity && (u < 0 || best[i]! < best[u]!)) u = i;
    if (u < 0 || u === 1) break;
    done[u] = true;
    const pu = nodes[u] as V2;
    for (let v = 0; v < n; v++) {
      if (done[v] || v === u) continue;
      const pv = nodes[v] as V2;
      const w = best[u]! + dist(pu, pv);
      if (w < best[v]! && free(pu, pv)) {
        best[v] = w;
        prev[v] = u;
      }
    }
  }
  if (!(best[1]! < Infinity)) return null;
  const path: V2[] = [];
  for (let i = 1; i >= 0; i = prev[i]!) path.unshift(nodes[i] as V2);
  return { path, length: best[1]! };
}

/** The frame of the task: u from start towards the goal, n to its left. */
export function taskFrame(scene: Scene): { origin: V2; u: V2; n: V2 } {
  const origin = { x: scene.robot.start.x, y: scene.robot.start.y };
  const u = unit(sub(scene.goal, origin));
  return { origin, u, n: { x: -u.y, y: u.x } };
}

/**
 * Thin walls from each obstacle's centre out to the room edge on the side the robot must NOT
 * take, so that the shortest remaining path passes on the instructed side.
 */
export function sideBarriers(scene: Scene, side: Side, clearance: number): Poly[] {
  const { n } = taskFrame(scene);
  const away = side === 'left' ? -1 : 1; // told "left" → block the right (-n) side
  const reach = norm(sub({ x: scene.room.max[0], y: scene.room.max[1] }, { x: scene.room.min[0], y: scene.room.min[1] }));
  return blockingObstacles(scene, clearance).map((b) => {
    const a = { x: b.pose.x, y: b.pose.y };
    const e = add(a, { x: n.x * away * reach, y: n.y * away * reach });
    return segmentPoly(a, e, clearance * 0.5);
  });
}

/**
 * The obstacles an instruction's "left"/"right" refers to: those that stand between the start and
 * the goal and overlap the corridor a robot of this clearance sweeps along the straight line.
 */
export function blockingObstacles(scene: Scene, clearance: number): Scene['obstacles'] {
  const { origin, u, n } = taskFrame(scene);
  const length = dot(sub(scene.goal, origin), u);
  return scene.obstacles.filter((b) => {
    const corners = rectPoly(b.pose.x, b.pose.y, b.pose.yaw, b.size[0] / 2, b.size[1] / 2).map((p) => sub(p, origin));
    const along = corners.map((p) => dot(p, u));
    const across = corners.map((p) => dot(p, n));
    return Math.max(...along) > 0 && Math.min(...along) < length && Math.min(...across) < clearance && Math.max(...across) > -clearance;
  });
}

/** A thin rectangle around segment ab, half-width w, counter-clockwise. */
function segmentPoly(a: V2, b: V2, w: number): Poly {
  const d = unit(sub(b, a));
  const m = { x: -d.y * w, y: d.x * w };
  const poly = [sub(a, m), sub(b, m), add(b, m), add(a, m)];
  // ensure CCW
  const area = poly.reduce((s, p, i) => s + cross(p, poly[(i + 1) % poly.length] as V2), 0);
  return area >= 0 ? poly : poly.reverse();
}

/** Returns a field path + message when the scene is geometrically impossible, else null. */
export function checkSceneGeometry(scene: Scene): string | null {
  const [x0, y0] = scene.room.min;
  const [x1, y1] = scene.room.max;
  if (!(x1 > x0 && y1 > y0)) return 'room: max must be greater than min on both axes';
  const inside = (p: V2) => p.x > x0 && p.x < x1 && p.y > y0 && p.y < y1;
  if (!inside(scene.robot.start)) return 'robot.start: outside the room';
  if (!inside(scene.target.pose)) return 'target.pose: outside the room';
  if (!inside(scene.goal)) return 'goal: outside the room';
  for (const [i, b] of scene.obstacles.entries()) {
    const poly = rectPoly(b.pose.x, b.pose.y, b.pose.yaw, b.size[0] / 2, b.size[1] / 2);
    if (!poly.every(inside)) return `obstacles[${i}].pose: box "${b.id}" is not inside the room`;
  }
  return null;
}
