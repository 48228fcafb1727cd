// Procedural textures, computed pixel by pixel in JS (not canvas 2D) so they are identical on every
// launch and machine. Surface textures are near-white "detail maps" multiplied by the material
// colour from the scene, so one texture per kind serves every colour (and the cache stays small).
import * as THREE from 'three';
import { fbm, fbm2, rand01, clamp01, hexToRgb, prng } from './util.js';

const cache = new Map();

function makeTexture(size, fill, { repeat = true, sizeV = size } = {}) {
  const data = new Uint8Array(size * sizeV * 4);
  const rgb = [0, 0, 0];
  for (let y = 0; y < sizeV; y++) {
    for (let x = 0; x < size; x++) {
      fill((x + 0.5) / size, (y + 0.5) / sizeV, x, y, rgb);
      const i = (y * size + x) * 4;
      data[i] = Math.round(clamp01(rgb[0]) * 255);
      data[i + 1] = Math.round(clamp01(rgb[1]) * 255);
      data[i + 2] = Math.round(clamp01(rgb[2]) * 255);
      data[i + 3] = 255;
    }
  }
  const tex = new THREE.DataTexture(data, size, sizeV, THREE.RGBAFormat);
  tex.colorSpace = THREE.SRGBColorSpace;
  tex.wrapS = tex.wrapT = repeat ? THREE.RepeatWrapping : THREE.ClampToEdgeWrapping;
  tex.magFilter = THREE.LinearFilter;
  tex.minFilter = THREE.LinearMipmapLinearFilter;
  tex.generateMipmaps = true;
  tex.anisotropy = 1;
  tex.needsUpdate = true;
  return tex;
}

const grey = (rgb, v, tint = null) => {
  rgb[0] = v * (tint ? tint[0] : 1);
  rgb[1] = v * (tint ? tint[1] : 1);
  rgb[2] = v * (tint ? tint[2] : 1);
};

/** World metres covered by one repeat of each surface texture. */
export const TILE_METRES = { concrete: 2.0, tiles: 0.6, wood: 1.0, carpet: 0.5, plaster: 1.5, brick: 0.5, panels: 1.2 };

const BUILDERS = {
  concrete: () =>
    makeTexture(256, (u, v, x, y, rgb) => {
      let g = 0.78 + 0.17 * fbm(u, v, 4, 4, 11) + 0.05 * (rand01(3, x, y) - 0.5);
      // Small dark pores and lighter aggregate: what makes grey read as concrete, not paint.
      const r = rand01(7, x, y);
      if (r < 0.004) g -= 0.18;
      else if (r > 0.997) g += 0.08;
      // Soft stains.
      g -= 0.08 * Math.max(0, fbm(u, v, 2, 3, 19) - 0.6) * 2.5;
      grey(rgb, g);
    }),
  tiles: () =>
    makeTexture(512, (u, v, x, y, rgb) => {
      // 2×2 tiles per repeat, 3 mm grout lines (of 0.3 m tiles).
      const tu = u * 2;
      const tv = v * 2;
      const fu = tu - Math.floor(tu);
      const fv = tv - Math.floor(tv);
      const d = Math.min(fu, 1 - fu, fv, 1 - fv);
      const tileTone = 0.04 * (rand01(5, Math.floor(tu), Math.floor(tv)) - 0.5);
      if (d < 0.012) return grey(rgb, 0.58 + 0.04 * rand01(9, x, y));
      let g = 0.92 + tileTone + 0.05 * (fbm(u, v, 8, 3, 21) - 0.5);
      if (d < 0.03) g -= (0.03 - d) * 2.5; // rounded tile edge
      grey(rgb, g);
    }),
  wood: () =>
    makeTexture(512, (u, v, x, y, rgb) => {
      // Planks run along u: 5 per repeat, each with its own tone and an end joint somewhere.
      const planks = 5;
      const pv = v * planks;
      const p = Math.floor(pv);
      const fv = pv - p;
      const joint = rand01(31, p);
      const segU = (u + joint) % 1;
      const seg = segU < 0.5 ? 0 : 1;
      let g = 0.82 + 0.14 * (rand01(33, p, seg) - 0.5);
      // Grain: stretched noise rings.
      const n = fbm2(u, v, 2, 48, 3, 37);
      g += 0.1 * Math.sin((v * 160 + n * 14) * 1.0) * 0.5;
      g += 0.08 * (fbm2(u, v, 1, 96, 3, 41) - 0.5);
      if (fv < 0.02 || fv > 0.98) g = 0.45; // seams between planks
      if (Math.abs(segU - 0.5) < 0.002 || segU < 0.002) g = 0.5;
      grey(rgb, g, [1.0, 0.86, 0.7]);
    }),
  carpet: () =>
    makeTexture(256, (u, v, x, y, rgb) => {
      const g = 0.72 + 0.18 * rand01(51, x, y) + 0.12 * (fbm(u, v, 8, 3, 53) - 0.5) + 0.06 * ((x + y) % 2);
      grey(rgb, g);
    }),
  plain: () => null,
  plaster: () =>
    makeTexture(256, (u, v, x, y, rgb) => {
      const g = 0.9 + 0.07 * (fbm(u, v, 6, 4, 61) - 0.5) * 2 + 0.02 * (rand01(63, x, y) - 0.5);
      grey(rgb, g);
    }),
  brick: () =>
    makeTexture(256, (u, v, x, y, rgb) => {
      // Running bond: 2 bricks across, 6 courses up per repeat.
      const courses = 6;
      const cv = v * courses;
      const row = Math.floor(cv);
      const fv = cv - row;
      const cu = u * 2 + (row % 2 ? 0.5 : 0);
      const col = Math.floor(cu);
      const fu = cu - col;
      const mortarV = 0.13;
      const mortarU = 0.035;
      if (fv < mortarV || fu < mortarU) return grey(rgb, 0.6 + 0.06 * (rand01(71, x, y) - 0.5), [1, 0.98, 0.95]);
      let g = 0.86 + 0.12 * (rand01(73, row, col % 2) - 0.5) + 0.08 * (fbm(u, v, 16, 3, 75) - 0.5);
      grey(rgb, g, [1, 0.88, 0.82]);
    }),
  panels: () =>
    makeTexture(512, (u, v, x, y, rgb) => {
      // Two vertical panels per repeat with V-grooves, and a faint sheen.
      const pu = u * 2;
      const fu = pu - Math.floor(pu);
      let g = 0.88 + 0.04 * (fbm2(u, v, 4, 1, 3, 81) - 0.5);
      const d = Math.min(fu, 1 - fu);
      if (d < 0.012) g = 0.5;
      else if (d < 0.025) g = fu < 0.5 ? 0.97 : 0.78;
      grey(rgb, g);
    }),
  cardboard: () =>
    makeTexture(
      256,
      (u, v, x, y, rgb) => {
        // Fibre streaks along u, blotches, and darker crushed edges.
        let g = 0.9 + 0.07 * (fbm2(u, v, 3, 40, 3, 91) - 0.5) + 0.05 * (fbm(u, v, 6, 3, 93) - 0.5);
        const d = Math.min(u, 1 - u, v, 1 - v);
        if (d < 0.025) g *= 0.86 + 0.14 * (d / 0.025);
        grey(rgb, g);
      },
      { repeat: false },
    ),
  weave: () =>
    makeTexture(256, (u, v, x, y, rgb) => {
      // Over-under basket weave: 16 stakes and 12 weavers per repeat.
      const su = u * 16;
      const sv = v * 12;
      const i = Math.floor(su);
      const j = Math.floor(sv);
      const fu = su - i;
      const fv = sv - j;
      const weaverOnTop = (i + j) % 2 === 0;
      const gapU = fu < 0.08 || fu > 0.92;
      const gapV = fv < 0.1 || fv > 0.9;
      let g;
      if (weaverOnTop && !gapV) g = 0.55 + 0.45 * Math.sin(Math.PI * fv);
      else if (!weaverOnTop && !gapU) g = 0.55 + 0.45 * Math.sin(Math.PI * fu);
      else if (!gapU && !gapV) g = 0.5;
      else g = 0.22;
      g *= 0.9 + 0.1 * rand01(101, x >> 1, y >> 1);
      grey(rgb, g);
    }),
};

/** Shared detail texture of a kind ("concrete", "brick", "cardboard"…), or null for "plain". */
export function surfaceTexture(kind) {
  if (!cache.has(kind)) cache.set(kind, BUILDERS[kind] ? BUILDERS[kind]() : null);
  return cache.get(kind);
}

/** A soda bottle label in the bottle's colour: white band, colour panels, a wave and a "logo". */
export function labelTexture(hex) {
  const key = 'label:' + hex;
  if (cache.has(key)) return cache.get(key);
  const c = hexToRgb(hex);
  const dark = c.map((x) => x * 0.55);
  const rnd = prng(7);
  const phase = rnd() * 6.28;
  const tex = makeTexture(
    256,
    (u, v, x, y, rgb) => {
      const wave = 0.5 + 0.12 * Math.sin(u * Math.PI * 4 + phase);
      let col = v < wave - 0.06 ? c : v < wave ? [1, 1, 1] : [0.96, 0.96, 0.94];
      // Logo: a dark rounded block twice around the bottle, so one shows from any side.
      const lu = (u * 2) % 1;
      if (v > 0.6 && v < 0.85 && lu > 0.25 && lu < 0.75) col = dark;
      if (v > 0.68 && v < 0.77 && lu > 0.3 && lu < 0.7 && (Math.floor(lu * 40) % 3) !== 0) col = [1, 1, 1];
      rgb[0] = col[0];
      rgb[1] = col[1];
      rgb[2] = col[2];
    },
    { sizeV: 64 },
  );
  cache.set(key, tex);
  return tex;
}
