import type { ChromiumRenderer } from './chromium-renderer';
import type { CameraRequest } from '../sim/camera';

export interface RenderCost {
  batch: number;
  /** true: render + readback + transfer to Node as frames; false: render in the page only. */
  transfer: boolean;
  repeats: number;
  /** Median wall time per call seen from Node, divided by the batch size. */
  msPerFrame: number;
  msPerBatch: number;
  /** Median time inside page.evaluate (excludes the CDP round trip and base64 decode in Node). */
  pageMsPerBatch: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Time one batch of camera requests, after `warmup` untimed calls (scene build, shader compile).
 * transfer=false renders without reading pixels back (one 1-pixel read waits for the GPU), which
 * separates drawing from the cost of moving pixels out of Chromium.
 */
export async function measureRenderCost(
  renderer: ChromiumRenderer,
  requests: readonly CameraRequest[],
  opts: { transfer: boolean; repeats?: number; warmup?: number },
): Promise<RenderCost> {
  const repeats = opts.repeats ?? 5;
  const warmup = opts.warmup ?? 1;
  const wall: number[] = [];
  const page: number[] = [];
  for (let i = 0; i < warmup + repeats; i++) {
    const t0 = performance.now();
    let pageMs: number;
    if (opts.transfer) {
      const { pageMs: p } = await renderer.renderTimed(requests);
      pageMs = p;
    } else pageMs = await renderer.renderOnly(requests);
    const dt = performance.now() - t0;
    if (i >= warmup) {
      wall.push(dt);
      page.push(pageMs);
    }
  }
  const msPerBatch = median(wall);
  return { batch: requests.length, transfer: opts.transfer, repeats, msPerFrame: msPerBatch / Math.max(1, requests.length), msPerBatch, pageMsPerBatch: median(page) };
}
