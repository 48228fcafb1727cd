/**
 * The Chromium page's shadow filter (src/render/page/shadows.js: bilinear PCF, 4 taps, one
 * shadow-map texel wide) as a TSL filter for WebGPURenderer, so shadows have the same soft edge
 * under both renderers. three's own PCF filter takes 17 taps of a different pattern.
 */
import { Fn, floor, fract, mix, reference, renderGroup, texture, vec2 } from 'three/tsl';

/* eslint-disable @typescript-eslint/no-explicit-any -- TSL nodes are loosely typed */
export const bilinearPcfFilter = Fn(({ depthTexture, shadowCoord, shadow }: { depthTexture: any; shadowCoord: any; shadow: any }) => {
  const mapSize = (reference('mapSize', 'vec2', shadow) as any).setGroup(renderGroup);
  const texel = vec2(1).div(mapSize);
  const st = shadowCoord.xy.mul(mapSize).sub(0.5);
  const f = fract(st);
  const c = floor(st).add(0.5).mul(texel);
  const tap = (uv: any) => (texture(depthTexture, uv) as any).compare(shadowCoord.z);
  const top = mix(tap(c), tap(c.add(vec2(texel.x, 0))), f.x);
  const bottom = mix(tap(c.add(vec2(0, texel.y))), tap(c.add(texel)), f.x);
  return mix(top, bottom, f.y);
}) as any;
