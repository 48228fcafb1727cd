// Deterministic helpers for the in-page code. Nothing here may use Math.random or the clock:
// the same scene must give bit-identical pixels across launches.

/** 32-bit integer hash (murmur3 finaliser) of any number of integers. */
export function hash32(...xs) {
  let h = 0x811c9dc5 | 0;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Uniform [0, 1) from integer coordinates. */
export function rand01(...xs) {
  return hash32(...xs) / 4294967296;
}

/** Seeded PRNG (mulberry32) for sequences (crack paths, knot positions…). */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const smooth = (t) => t * t * (3 - 2 * t);

/**
 * Value noise in [0, 1) that tiles with the given integer periods, so textures repeat without seams.
 * x, y in lattice units.
 */
export function tileNoise(x, y, px, py, seed) {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const fx = smooth(x - xi);
  const fy = smooth(y - yi);
  const x0 = ((xi % px) + px) % px;
  const y0 = ((yi % py) + py) % py;
  const x1 = (x0 + 1) % px;
  const y1 = (y0 + 1) % py;
  const a = rand01(seed, x0, y0);
  const b = rand01(seed, x1, y0);
  const c = rand01(seed, x0, y1);
  const d = rand01(seed, x1, y1);
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
}

/** Fractal value noise on the unit square [0,1)² that tiles; `base` = lattice cells at octave 0. */
export function fbm(u, v, base, octaves, seed, gain = 0.5) {
  return fbm2(u, v, base, base, octaves, seed, gain);
}

/** Anisotropic variant: different lattice counts along u and v (wood grain, fibres). */
export function fbm2(u, v, bu, bv, octaves, seed, gain = 0.5) {
  let sum = 0;
  let amp = 1;
  let norm = 0;
  let fu = bu;
  let fv = bv;
  for (let o = 0; o < octaves; o++) {
    sum += amp * tileNoise(u * fu, v * fv, fu, fv, seed + o * 101);
    norm += amp;
    amp *= gain;
    fu *= 2;
    fv *= 2;
  }
  return sum / norm;
}

export const clamp01 = (x) => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * Black-body colour temperature → linear-ish RGB in [0, 1] (Tanner Helland's fit, normalised so
 * 6500 K is white). Used as the light colour; warm light is orange, cool light is blue.
 */
export function kelvinToRgb(kelvin) {
  const t = Math.min(40000, Math.max(1000, kelvin)) / 100;
  let r, g, b;
  if (t <= 66) {
    r = 255;
    g = 99.4708025861 * Math.log(t) - 161.1195681661;
    b = t <= 19 ? 0 : 138.5177312231 * Math.log(t - 10) - 305.0447927307;
  } else {
    r = 329.698727446 * Math.pow(t - 60, -0.1332047592);
    g = 288.1221695283 * Math.pow(t - 60, -0.0755148492);
    b = 255;
  }
  const c = (x) => Math.min(255, Math.max(0, x)) / 255;
  return [c(r), c(g), c(b)];
}

/** "#rrggbb" → [r, g, b] in 0..1 (sRGB). */
export function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}
