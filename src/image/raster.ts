import type { Frame } from '../image/frame';

/** Tiny anti-aliased RGB8 drawing for exports (GIF, filmstrip): no canvas dependency in Node. */
export type Rgb = [number, number, number];

export function blank(width: number, height: number, c: Rgb = [255, 255, 255]): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = c[0];
    data[i + 1] = c[1];
    data[i + 2] = c[2];
  }
  return { width, height, data };
}

export const copy = (f: Frame): Frame => ({ width: f.width, height: f.height, data: new Uint8Array(f.data) });

function blend(img: Frame, x: number, y: number, c: Rgb, a: number): void {
  if (a <= 0 || x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const i = (y * img.width + x) * 3;
  const d = img.data;
  if (a >= 1) {
    d[i] = c[0];
    d[i + 1] = c[1];
    d[i + 2] = c[2];
    return;
  }
  d[i] = Math.round(d[i]! + (c[0] - d[i]!) * a);
  d[i + 1] = Math.round(d[i + 1]! + (c[1] - d[i + 1]!) * a);
  d[i + 2] = Math.round(d[i + 2]! + (c[2] - d[i + 2]!) * a);
}

/** Copy `src` into `dst` at (x, y), optionally scaled (nearest neighbour) to w × h. */
export function blit(dst: Frame, src: Frame, x: number, y: number, w = src.width, h = src.height): void {
  for (let j = 0; j < h; j++) {
    const ty = y + j;
    if (ty < 0 || ty >= dst.height) continue;
    const sy = Math.min(src.height - 1, Math.floor((j * src.height) / h));
    for (let i = 0; i < w; i++) {
      const tx = x + i;
      if (tx < 0 || tx >= dst.width) continue;
      const sx = Math.min(src.width - 1, Math.floor((i * src.width) / w));
      const s = (sy * src.width + sx) * 3;
      const t = (ty * dst.width + tx) * 3;
      dst.data[t] = src.data[s]!;
      dst.data[t + 1] = src.data[s + 1]!;
      dst.data[t + 2] = src.data[s + 2]!;
    }
  }
}

export function fillRect(img: Frame, x: number, y: number, w: number, h: number, c: Rgb): void {
  for (let j = Math.max(0, Math.floor(y)); j < Math.min(img.height, Math.ceil(y + h)); j++)
    for (let i = Math.max(0, Math.floor(x)); i < Math.min(img.width, Math.ceil(x + w)); i++) blend(img, i, j, c, 1);
}

/** A thick segment (round caps), anti-aliased by distance. */
export function line(img: Frame, x0: number, y0: number, x1: number, y1: number, width: number, c: Rgb, alpha = 1): void {
  const r = width / 2;
  const minX = Math.floor(Math.min(x0, x1) - r - 1);
  const maxX = Math.ceil(Math.max(x0, x1) + r + 1);
  const minY = Math.floor(Math.min(y0, y1) - r - 1);
  const maxY = Math.ceil(Math.max(y0, y1) + r + 1);
  const dx = x1 - x0;
  const dy = y1 - y0;
  const L2 = dx * dx + dy * dy;
  for (let y = Math.max(0, minY); y <= Math.min(img.height - 1, maxY); y++) {
    for (let x = Math.max(0, minX); x <= Math.min(img.width - 1, maxX); x++) {
      const px = x + 0.5 - x0;
      const py = y + 0.5 - y0;
      const t = L2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / L2)) : 0;
      const d = Math.hypot(px - t * dx, py - t * dy);
      blend(img, x, y, c, Math.min(1, r + 0.5 - d) * alpha);
    }
  }
}

export function disc(img: Frame, cx: number, cy: number, r: number, c: Rgb, alpha = 1): void {
  for (let y = Math.max(0, Math.floor(cy - r - 1)); y <= Math.min(img.height - 1, Math.ceil(cy + r + 1)); y++)
    for (let x = Math.max(0, Math.floor(cx - r - 1)); x <= Math.min(img.width - 1, Math.ceil(cx + r + 1)); x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      blend(img, x, y, c, Math.min(1, r + 0.5 - d) * alpha);
    }
}

export function ring(img: Frame, cx: number, cy: number, r: number, width: number, c: Rgb): void {
  for (let y = Math.max(0, Math.floor(cy - r - width)); y <= Math.min(img.height - 1, Math.ceil(cy + r + width)); y++)
    for (let x = Math.max(0, Math.floor(cx - r - width)); x <= Math.min(img.width - 1, Math.ceil(cx + r + width)); x++) {
      const d = Math.abs(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r);
      blend(img, x, y, c, Math.min(1, width / 2 + 0.5 - d));
    }
}

export function arrow(img: Frame, x0: number, y0: number, x1: number, y1: number, width: number, c: Rgb): void {
  const L = Math.hypot(x1 - x0, y1 - y0);
  if (L < 1e-6) return;
  const ux = (x1 - x0) / L;
  const uy = (y1 - y0) / L;
  const head = Math.min(L * 0.45, 4 + width * 2.5);
  line(img, x0, y0, x1 - ux * head * 0.5, y1 - uy * head * 0.5, width, c);
  // Filled head: scanline the triangle by distance to its edges.
  const bx = x1 - ux * head;
  const by = y1 - uy * head;
  const hw = head * 0.55;
  const pts: [number, number][] = [
    [x1, y1],
    [bx - uy * hw, by + ux * hw],
    [bx + uy * hw, by - ux * hw],
  ];
  // Wind the triangle so that the signed edge distances below are positive inside.
  const area = (pts[1]![0] - pts[0]![0]) * (pts[2]![1] - pts[0]![1]) - (pts[1]![1] - pts[0]![1]) * (pts[2]![0] - pts[0]![0]);
  if (area > 0) [pts[1], pts[2]] = [pts[2]!, pts[1]!];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  for (let y = Math.max(0, Math.floor(Math.min(...ys))); y <= Math.min(img.height - 1, Math.ceil(Math.max(...ys))); y++)
    for (let x = Math.max(0, Math.floor(Math.min(...xs))); x <= Math.min(img.width - 1, Math.ceil(Math.max(...xs))); x++) {
      let inside = 1;
      for (let k = 0; k < 3; k++) {
        const [ax, ay] = pts[k]!;
        const [bx2, by2] = pts[(k + 1) % 3]!;
        const ex = bx2 - ax;
        const ey = by2 - ay;
        const el = Math.hypot(ex, ey) || 1;
        inside = Math.min(inside, 0.5 + ((x + 0.5 - ax) * ey - (y + 0.5 - ay) * ex) / el);
      }
      if (inside > 0) blend(img, x, y, c, Math.min(1, inside));
    }
}

/** 3×5 digits (and a few letters) for step numbers on exported frames. */
const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001001010010',
  '8': '111101111101111',
  '9': '111101111001111',
  '/': '001001010100100',
  ' ': '000000000000000',
  s: '011100010001110',
  t: '010111010010011',
  e: '010101111100011',
  p: '110101110100100',
};

/** Draw `text` (digits, '/', "step") at (x, y) with `scale`-pixel blocks on a dark backing. */
export function label(img: Frame, text: string, x: number, y: number, scale = 2, c: Rgb = [255, 255, 255], bg: Rgb | null = [0, 0, 0]): void {
  const w = text.length * 4 * scale + scale;
  if (bg) fillRect(img, x, y, w, 7 * scale, bg);
  [...text].forEach((ch, n) => {
    const g = GLYPHS[ch] ?? GLYPHS[' ']!;
    for (let r = 0; r < 5; r++)
      for (let col = 0; col < 3; col++) if (g[r * 3 + col] === '1') fillRect(img, x + scale + (n * 4 + col) * scale, y + scale + r * scale, scale, scale, c);
  });
}
