/** Plain 2-D helpers on the floor plane (x forward, y left, metres). */
export type V2 = { x: number; y: number };

export const v2 = (x: number, y: number): V2 => ({ x, y });
export const add = (a: V2, b: V2): V2 => ({ x: a.x + b.x, y: a.y + b.y });
export const sub = (a: V2, b: V2): V2 => ({ x: a.x - b.x, y: a.y - b.y });
export const scale = (a: V2, k: number): V2 => ({ x: a.x * k, y: a.y * k });
export const dot = (a: V2, b: V2): number => a.x * b.x + a.y * b.y;
export const cross = (a: V2, b: V2): number => a.x * b.y - a.y * b.x;
export const norm = (a: V2): number => Math.sqrt(a.x * a.x + a.y * a.y);
export const dist = (a: V2, b: V2): number => norm(sub(a, b));
export const unit = (a: V2): V2 => {
  const n = norm(a);
  return n > 0 ? scale(a, 1 / n) : { x: 0, y: 0 };
};
/** Rotate a vector by yaw (radians, counter-clockwise). */
export const rotate = (a: V2, yaw: number): V2 => {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return { x: c * a.x - s * a.y, y: s * a.x + c * a.y };
};
