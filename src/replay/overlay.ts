import type { Frame } from '../image/frame';
import { toPixel, type TopView } from './geometry';
import { arrow, blank, disc, fillRect, line, ring, type Rgb } from '../image/raster';
import type { ReplayData } from './prepare';
import { actionArrow } from './action-arrow';

/** Colours shared with the viewer (viewer.js uses the same values). */
export const COLOURS = {
  path: [30, 108, 255] as Rgb,
  robot: [250, 204, 21] as Rgb,
  robotEdge: [17, 24, 39] as Rgb,
  action: [236, 72, 153] as Rgb,
  collision: [239, 68, 68] as Rgb,
  goal: [34, 197, 94] as Rgb,
  box: [160, 118, 74] as Rgb,
  wall: [120, 113, 108] as Rgb,
  floor: [225, 222, 215] as Rgb,
  target: [56, 189, 248] as Rgb,
};

/** A plain top-down of the scene (used when no browser is available). */
export function vectorBackground(data: ReplayData, view: TopView): Frame {
  const img = blank(view.w, view.h, [245, 245, 244]);
  const s = view.w / (2 * view.hw);
  const [a0, a1] = toPixel(view, data.scene.room.min[0], data.scene.room.max[1]);
  const [b0, b1] = toPixel(view, data.scene.room.max[0], data.scene.room.min[1]);
  fillRect(img, a0 - 4, a1 - 4, b0 - a0 + 8, b1 - a1 + 8, COLOURS.wall);
  fillRect(img, a0, a1, b0 - a0, b1 - a1, COLOURS.floor);
  for (const b of data.scene.obstacles) {
    // a rotated rectangle drawn as a thick line along its long axis
    const c = Math.cos(b.pose.yaw);
    const sn = Math.sin(b.pose.yaw);
    const [hx, hy] = [b.size[0] / 2, b.size[1] / 2];
    const along = hx >= hy;
    const [ex, ey] = along ? [c * hx, sn * hx] : [-sn * hy, c * hy];
    const w = (along ? hy : hx) * 2 * s;
    const [p0, p1] = toPixel(view, b.pose.x - ex, b.pose.y - ey);
    const [q0, q1] = toPixel(view, b.pose.x + ex, b.pose.y + ey);
    const inset = w / 2;
    const L = Math.hypot(q0 - p0, q1 - p1) || 1;
    const ux = ((q0 - p0) / L) * inset;
    const uy = ((q1 - p1) / L) * inset;
    line(img, p0 + ux, p1 + uy, q0 - ux, q1 - uy, w, COLOURS.box);
  }
  const [gx, gy] = toPixel(view, data.scene.goal.x, data.scene.goal.y);
  ring(img, gx, gy, data.scene.goal.radius * s, 2, COLOURS.goal);
  const [tx, ty] = toPixel(view, data.scene.target.x, data.scene.target.y);
  disc(img, tx, ty, Math.max(3, 0.05 * s), COLOURS.target);
  return img;
}

/**
 * Draw, on a copy of the top-down background, the state at `step`: the path so far, collisions
 * so far, the robot (disc and heading) and the action taken at this step as an arrow.
 */
export function drawTopOverlay(background: Frame, data: ReplayData, view: TopView, step: number): Frame {
  const img = { width: background.width, height: background.height, data: new Uint8Array(background.data) };
  const s = view.w / (2 * view.hw);
  const px = (x: number, y: number) => toPixel(view, x, y);
  const lw = Math.max(2, view.w / 200);
  for (let k = 1; k <= step && k < data.poses.length; k++) {
    const [a0, a1] = px(data.poses[k - 1]![0], data.poses[k - 1]![1]);
    const [b0, b1] = px(data.poses[k]![0], data.poses[k]![1]);
    line(img, a0, a1, b0, b1, lw, COLOURS.path);
  }
  for (const c of data.collisions) {
    if (c.step > step) continue;
    const [x, y] = px(c.x, c.y);
    disc(img, x, y, lw * 2.5, COLOURS.collision);
  }
  const p = data.poses[Math.min(step, data.poses.length - 1)]!;
  const [rx, ry] = px(p[0], p[1]);
  const rr = data.scene.robotRadius * s;
  disc(img, rx, ry, rr, COLOURS.robot, 0.85);
  ring(img, rx, ry, rr, Math.max(1.5, lw * 0.75), COLOURS.robotEdge);
  line(img, rx, ry, rx + Math.cos(p[2]) * rr, ry - Math.sin(p[2]) * rr, Math.max(1.5, lw * 0.75), COLOURS.robotEdge);
  const a = data.actions[step];
  const v = a ? actionArrow(data.actionMode, data.scene.drive, a, p[2]) : null;
  if (v && (v.dx || v.dy)) {
    const [ex, ey] = px(p[0] + v.dx, p[1] + v.dy);
    arrow(img, rx, ry, ex, ey, lw * 1.2, COLOURS.action);
  }
  return img;
}
