import { taskOf, type Scene, type TargetKind, type Side } from './schema';
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

// ---------------------------------------------------------------------------------------------
// Validation and feasibility: refuse scenes no robot could finish, and tell the scripted oracle
// where to go in the ones that are accepted (the same search, so the two cannot disagree).

/** The default profile's base radius (src/sim/profile.ts): what the validator assumes. */
export const ROBOT_RADIUS = 0.15;
/**
 * Clearances beyond the robot radius that plans try, widest first: the oracle's own margin (6 cm),
 * then narrower ones for tight gaps. Below 2 cm a pulse that drifts a little grazes the box.
 */
export const PLAN_MARGINS: readonly number[] = [0.06, 0.03, 0.02];
const MIN_MARGIN = 0.02;

export interface SceneProblem {
  /** "field: why", e.g. `goal: 0.12 m from the target, …` (the loader prefixes file and scene). */
  message: string;
  /** What to change. */
  hint: string;
}

/** Where the oracle should drive, and how it gets there. */
export interface GoalPoint {
  /** The point for the robot's centre: inside the goal disc (`reach`) or mid-band (`stop`). */
  point: V2;
  /** Heading (rad) that faces the target's centre from `point`; at it the target's bearing is 0. */
  yaw: number;
  /** The planned path from `from` to `point` on the instructed side. */
  plan: Plan;
  /** The clearance (robot radius + margin) that plan keeps; re-plan with it, then narrower. */
  clearance: number;
}

const f2 = (v: number) => v.toFixed(2);

/** A box's footprint as a (rect) Footprint. */
function boxFootprint(b: Scene['obstacles'][number]): Footprint {
  return { shape: 'rect', x: b.pose.x, y: b.pose.y, yaw: b.pose.yaw, hx: b.size[0] / 2, hy: b.size[1] / 2 };
}

function footprintPoly(f: Footprint): Poly {
  return f.shape === 'disc' ? discPoly(f, f.r) : rectPoly(f.x, f.y, f.yaw, f.hx, f.hy);
}

/** Do two footprints overlap by more than a millimetre? (Separating axes; discs against rects by distance.) */
function footprintsOverlap(a: Footprint, b: Footprint): boolean {
  const tol = 1e-3;
  if (a.shape === 'disc' && b.shape === 'disc') return Math.hypot(a.x - b.x, a.y - b.y) < a.r + b.r - tol;
  if (a.shape === 'disc') return distanceToFootprint(a, b) < a.r - tol;
  if (b.shape === 'disc') return distanceToFootprint(b, a) < b.r - tol;
  const pa = footprintPoly(a);
  const pb = footprintPoly(b);
  for (const poly of [pa, pb])
    for (let i = 0; i < poly.length; i++) {
      const e = sub(poly[(i + 1) % poly.length] as V2, poly[i] as V2);
      const axis = unit({ x: -e.y, y: e.x });
      const ra = pa.map((p) => dot(p, axis));
      const rb = pb.map((p) => dot(p, axis));
      if (Math.min(...ra) > Math.max(...rb) - tol || Math.min(...rb) > Math.max(...ra) - tol) return false;
    }
  return true;
}

/** Distance from p to the nearest wall (negative outside the room). */
function wallDistance(scene: Scene, p: V2): number {
  return Math.min(p.x - scene.room.min[0], scene.room.max[0] - p.x, p.y - scene.room.min[1], scene.room.max[1] - p.y);
}

/** The point at footprint distance `gap` from footprint f, on the ray from its centre along direction u. */
export function pointAtGap(f: Footprint, u: V2, gap: number): V2 {
  const c = { x: f.x, y: f.y };
  if (f.shape === 'disc') return add(c, { x: u.x * (f.r + gap), y: u.y * (f.r + gap) });
  // The distance grows monotonically along a ray out of a convex shape: bisect.
  let lo = 0;
  let hi = Math.hypot(f.hx, f.hy) + gap + 1e-6;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (distanceToFootprint(add(c, { x: u.x * mid, y: u.y * mid }), f) < gap) lo = mid;
    else hi = mid;
  }
  return add(c, { x: u.x * hi, y: u.y * hi });
}

/** The nearest thing to p among the boxes and the target: its name and the distance to its footprint. */
function nearestThing(scene: Scene, p: V2): { name: string; what: string; d: number; f: Footprint } {
  const things = [
    ...scene.obstacles.map((b, i) => ({ name: `box "${b.id}"`, what: `obstacles[${i}]`, f: boxFootprint(b) })),
    { name: `the target (${scene.target.kind})`, what: 'target', f: targetFootprint(scene.target) },
  ];
  return things.map((t) => ({ ...t, d: distanceToFootprint(p, t.f) })).reduce((a, b) => (b.d < a.d ? b : a));
}

/**
 * Why a scene is impossible for a disc robot of `robotRadius`, or null when it is not: the
 * room-level checks of checkSceneGeometry, then (1) nothing covers the robot's start footprint,
 * (2) the goal is not inside — or closer than the robot radius to — a box, the target or a wall,
 * (3) no box overlaps the target, (4) a stop band is well formed, and (5) the task can be done:
 * feasibleGoal finds a point to drive to and a path on the instructed side.
 */
export function sceneProblem(scene: Scene, robotRadius = ROBOT_RADIUS): SceneProblem | null {
  const room = checkSceneGeometry(scene);
  if (room) return { message: room, hint: 'Move the object inside the room and clear of the others.' };
  const r = robotRadius;
  const need = r + MIN_MARGIN;

  const start = { x: scene.robot.start.x, y: scene.robot.start.y };
  const near = nearestThing(scene, start);
  // The planner grows footprints into squares/rectangles by the clearance: the start must be outside that too.
  const boxed = obstaclePolys(scene, need).find((o) => insidePoly(start, o.poly));
  if (near.d < r || boxed) {
    const name = near.d < r || !boxed ? near.name : boxed.id === 'target' ? `the target (${scene.target.kind})` : `box "${boxed.id}"`;
    const d = near.d < r || !boxed ? near.d : distanceToFootprint(start, boxed.id === 'target' ? targetFootprint(scene.target) : boxFootprint(scene.obstacles.find((b) => b.id === boxed.id)!));
    const why = near.d < r ? `it covers the robot's start footprint (radius ${f2(r)} m)` : `the robot (radius ${f2(r)} m) has less than ${f2(MIN_MARGIN)} m to move off it`;
    return { message: `robot.start: ${name} is ${f2(d)} m from the robot's centre: ${why}`, hint: `Move ${name} or the start so the robot's centre is ≥ ${f2(need)} m outside each side of its footprint.` };
  }
  if (wallDistance(scene, start) < need)
    return { message: `robot.start: ${f2(wallDistance(scene, start))} m from a wall, closer than the robot's radius ${f2(r)} m + ${f2(MIN_MARGIN)} m`, hint: `Keep the start ≥ ${f2(need)} m from the walls (or grow the room).` };

  const goal = { x: scene.goal.x, y: scene.goal.y };
  const g = nearestThing(scene, goal);
  if (g.d < r) {
    // Suggest the nearest point along the line from the thing's centre through the goal (or towards the start).
    const out = sub(goal, g.f);
    const away = unit(norm(out) > 1e-6 ? out : sub(start, g.f));
    const ok = pointAtGap(g.f, away, r + PLAN_MARGINS[0]!);
    const where = g.d === 0 ? `inside ${g.name}` : `${f2(g.d)} m from ${g.name}, closer than the robot's radius ${f2(r)} m`;
    return {
      message: `goal: ${where}: the robot's centre cannot get there`,
      hint: `Move the goal ≥ ${f2(r + PLAN_MARGINS[0]!)} m from ${g.name}'s edge, e.g. to x = ${f2(ok.x)}, y = ${f2(ok.y)}.`,
    };
  }
  if (wallDistance(scene, goal) < r)
    return { message: `goal: ${f2(wallDistance(scene, goal))} m from a wall, closer than the robot's radius ${f2(r)} m: the robot's centre cannot get there`, hint: `Keep the goal ≥ ${f2(r + PLAN_MARGINS[0]!)} m from the walls (or grow the room).` };

  const tf = targetFootprint(scene.target);
  for (const [i, b] of scene.obstacles.entries())
    if (footprintsOverlap(boxFootprint(b), tf))
      return { message: `obstacles[${i}]: box "${b.id}" overlaps the target's footprint`, hint: 'Move the box clear of the target (leave room for the robot in front of the target).' };

  const task = taskOf(scene);
  if (task.rule === 'stop' && task.band.min > task.band.max)
    return { message: `task.band: min ${f2(task.band.min)} m is greater than max ${f2(task.band.max)} m`, hint: 'Swap them: the band runs from min to max metres, footprint to footprint.' };

  if (feasibleGoal(scene, r)) return null;
  const margin = PLAN_MARGINS[PLAN_MARGINS.length - 1]!;
  const pass = blockingObstacles(scene, r + margin).length ? ` passing the boxes on the ${scene.instruction.side}` : '';
  if (task.rule === 'stop')
    return {
      message: `task.band: no point ${f2(task.band.min)}–${f2(task.band.max)} m from the target (footprint to footprint) is reachable${pass}: the robot (radius ${f2(r)} m) cannot get there keeping ${f2(margin)} m from boxes, the target and walls`,
      hint: `Leave room around the target: ≥ ${f2(task.band.max + 2 * r + margin)} m of free floor in front of it, on the instructed side.`,
    };
  return {
    message: `goal: unreachable: no path keeps the robot (radius ${f2(r)} m) ${f2(margin)} m clear of boxes, the target and walls${pass} and ends within ${f2(scene.goal.radius)} m of (${f2(goal.x)}, ${f2(goal.y)})`,
    hint: `Widen the gap on the ${scene.instruction.side} (≥ ${f2(2 * (r + margin))} m between boxes, and between a box and a wall), move the goal, or check instruction.side.`,
  };
}

/**
 * The point the scripted oracle should drive to, with a path to it, or null when the scene is
 * infeasible (sceneProblem then refuses it). `reach`: the goal's centre if a path gets there,
 * else the nearest reachable point of the goal disc (a goal close to the target is fine as long as
 * part of its disc is). `stop`: stopPoint. Tries the margins of PLAN_MARGINS, widest first.
 * Deterministic; depends on the scene and `from` only.
 */
export function feasibleGoal(scene: Scene, robotRadius = ROBOT_RADIUS, from: V2 = scene.robot.start): GoalPoint | null {
  if (taskOf(scene).rule === 'stop') return stopPoint(scene, robotRadius, from);
  const goal = { x: scene.goal.x, y: scene.goal.y };
  const tf = targetFootprint(scene.target);
  // The centre first, then rings of the goal disc, each starting on the side facing the start.
  const candidates: V2[] = [goal];
  const base = Math.atan2(from.y - goal.y, from.x - goal.x);
  for (const frac of [0.25, 0.5, 0.75])
    for (const a of fanAngles(16)) candidates.push(add(goal, rotate({ x: scene.goal.radius * frac, y: 0 }, base + a)));
  for (const margin of PLAN_MARGINS) {
    const c = robotRadius + margin;
    for (const p of candidates) {
      const plan = reachable(scene, from, p, c);
      if (plan) return { point: p, yaw: Math.atan2(tf.y - p.y, tf.x - p.x), plan, clearance: c };
    }
  }
  return null;
}

/**
 * A reachable point of the stop band for the `stop` rule: the robot's footprint at the middle of
 * the band (band.min..band.max from the target's footprint, so the centre band + radius from its
 * edge), facing the target's centre, so its bearing there is 0 and its cx 0.5. Searched along
 * rays from the target's centre: towards the scene's goal first (the generators put it mid-band
 * straight in front), then towards the start, then fanning out to either side; then the band's
 * quarter points. Null when no point of the band can be reached on the instructed side.
 */
export function stopPoint(scene: Scene, robotRadius = ROBOT_RADIUS, from: V2 = scene.robot.start): GoalPoint | null {
  const task = taskOf(scene);
  const tf = targetFootprint(scene.target);
  const centre = { x: tf.x, y: tf.y };
  const toGoal = sub(scene.goal, centre);
  const toStart = sub(from, centre);
  const front = Math.atan2((norm(toGoal) > 1e-6 ? toGoal : toStart).y, (norm(toGoal) > 1e-6 ? toGoal : toStart).x);
  const dirs = [front, Math.atan2(toStart.y, toStart.x), ...fanAngles(36).slice(1).map((a) => front + a)];
  const w = task.band.max - task.band.min;
  const gaps = [task.band.min + w / 2, task.band.min + w / 4, task.band.max - w / 4];
  for (const margin of PLAN_MARGINS) {
    const c = robotRadius + margin;
    for (const gap of gaps)
      for (const a of dirs) {
        const p = pointAtGap(tf, { x: Math.cos(a), y: Math.sin(a) }, gap + robotRadius);
        const plan = reachable(scene, from, p, c);
        if (plan) return { point: p, yaw: Math.atan2(centre.y - p.y, centre.x - p.x), plan, clearance: c };
      }
  }
  return null;
}

/** 0, then ±step, ±2·step, … up to π: n directions, nearest first. */
function fanAngles(n: number): number[] {
  const step = (2 * Math.PI) / n;
  const out = [0];
  for (let k = 1; out.length < n; k++) {
    out.push(k * step);
    if (out.length < n) out.push(-k * step);
  }
  return out;
}

/** A path from `from` to `to` with this clearance on the instructed side, or null; `to` must itself be clear. */
function reachable(scene: Scene, from: V2, to: V2, clearance: number): Plan | null {
  if (wallDistance(scene, to) < clearance) return null;
  if (nearestThing(scene, to).d < clearance) return null;
  return planPath(scene, from, to, { clearance, side: scene.instruction.side });
}
