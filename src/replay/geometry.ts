import { targetFootprint } from '../scene/geometry';
import type { Scene } from '../scene/schema';

/**
 * The window the renderer's top-down view shows (same arithmetic as the render page's topDown):
 * the room's inner rectangle plus a margin, grown on the short side to the image's aspect.
 */
export interface TopView {
  cx: number;
  cy: number;
  hw: number;
  hh: number;
  w: number;
  h: number;
}

export const TOP_MARGIN = 0.15;

/** Image size for a top-down of `scene` about `width` pixels wide, keeping the room's aspect. */
export function topSize(scene: Scene, width = 480, margin = TOP_MARGIN): { w: number; h: number } {
  const rw = scene.room.max[0] - scene.room.min[0] + 2 * margin;
  const rh = scene.room.max[1] - scene.room.min[1] + 2 * margin;
  const h = Math.max(64, Math.min(2 * width, 2 * Math.round((width * rh) / rw / 2)));
  return { w: width, h };
}

export function topView(scene: Scene, w: number, h: number, margin = TOP_MARGIN): TopView {
  const [x0, y0] = scene.room.min;
  const [x1, y1] = scene.room.max;
  let hw = (x1 - x0) / 2 + margin;
  let hh = (y1 - y0) / 2 + margin;
  if (hw / hh > w / h) hh = (hw * h) / w;
  else hw = (hh * w) / h;
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, hw, hh, w, h };
}

/** World (x, y) → pixel (u right, v down) in a top view. */
export function toPixel(v: TopView, x: number, y: number): [number, number] {
  return [((x - (v.cx - v.hw)) / (2 * v.hw)) * v.w, ((v.cy + v.hh - y) / (2 * v.hh)) * v.h];
}

/**
 * Where a contact happened, approximately: the point of the touched object nearest to the robot's
 * centre (a box's rotated rectangle, the nearest wall, the target's rim). The trace records what
 * was touched and the robot's pose, not the contact point.
 */
export function contactPoint(scene: Scene, x: number, y: number, name: string): { x: number; y: number } {
  const box = scene.obstacles.find((b) => b.id === name);
  if (box) return nearestOnRect(box.pose.x, box.pose.y, box.pose.yaw, box.size[0] / 2, box.size[1] / 2, x, y);
  if (name === 'wall') {
    const [x0, y0] = scene.room.min;
    const [x1, y1] = scene.room.max;
    const d = [x - x0, x1 - x, y - y0, y1 - y];
    const i = d.indexOf(Math.min(...d));
    return i === 0 ? { x: x0, y } : i === 1 ? { x: x1, y } : i === 2 ? { x, y: y0 } : { x, y: y1 };
  }
  if (name === 'target') {
    // The target's footprint (its collider): a disc's rim, or a rectangle (target.size) as a box.
    const f = targetFootprint(scene.target);
    if (f.shape === 'rect') return nearestOnRect(f.x, f.y, f.yaw, f.hx, f.hy, x, y);
    const d = Math.hypot(x - f.x, y - f.y) || 1;
    return { x: f.x + ((x - f.x) / d) * f.r, y: f.y + ((y - f.y) / d) * f.r };
  }
  return { x, y };
}

/** The point of a rotated rectangle (centre, yaw, half extents) nearest to (x, y). */
function nearestOnRect(cx: number, cy: number, yaw: number, hx: number, hy: number, x: number, y: number): { x: number; y: number } {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  const dx = x - cx;
  const dy = y - cy;
  const lx = Math.max(-hx, Math.min(hx, c * dx + s * dy));
  const ly = Math.max(-hy, Math.min(hy, -s * dx + c * dy));
  return { x: cx + c * lx - s * ly, y: cy + s * lx + c * ly };
}
