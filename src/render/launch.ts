/**
 * Which renderer draws the onboard camera: three.js in headless Chromium (WebGL), or three.js's
 * WebGPURenderer inside Node through Dawn (src/render/webgpu/). Both build the same scenes
 * (src/render/page/); their frames are close but not bit-equal, so the resolved choice is part of
 * the plan hash, and replays use the run's renderer.
 */
import type { Renderer } from '../sim/camera';
import { ConfigError } from '../util/errors';
import { resolveGlMode } from './browser';
import type { TopDownOptions } from './top-down';
import type { Scene } from '../scene/schema';
import type { Frame } from '../image/frame';

import type { RendererChoice } from '../config/config';

export type RendererKind = Exclude<RendererChoice, 'auto'>;
export type { RendererChoice };

/** The config's default. */
export const DEFAULT_RENDERER: RendererChoice = 'auto';

/** A renderer that also draws the replay's top-down view (both of ours do). */
export interface ViewRenderer extends Renderer {
  topDown(scene: Scene, path: readonly { x: number; y: number }[], opts?: TopDownOptions): Promise<Frame>;
}

export interface ResolvedRenderer {
  kind: RendererKind;
  /** Where frames are drawn: Chromium's GL mode (swiftshader, gpu…) or Dawn's Vulkan driver (gpu, lavapipe, swiftshader). */
  driver: string;
  /** Why `auto` did not pick WebGPU (one line), when it did not. */
  fallback?: string;
}

let webgpuProbe: Promise<{ driver: string } | { error: string }> | undefined;

/** Can Dawn open a device here, and on which driver? (Once per process; the device is closed again.) */
export function probeWebGpu(): Promise<{ driver: string } | { error: string }> {
  webgpuProbe ??= (async () => {
    try {
      const { openDawn } = await import('./webgpu/dawn');
      const d = await openDawn();
      d.device.destroy();
      return { driver: d.driver };
    } catch (e) {
      return { error: (e as Error).message.split('\n')[0] ?? String(e) };
    }
  })();
  return webgpuProbe;
}

/**
 * Resolve `auto` (WebGPU where Dawn finds a working driver, else Chromium) and check an explicit
 * choice can run here. An explicit `webgpu` that cannot run is a ConfigError (exit 2).
 */
export async function resolveRenderer(choice: RendererChoice = DEFAULT_RENDERER): Promise<ResolvedRenderer> {
  if (choice === 'chromium') return { kind: 'chromium', driver: resolveGlMode() };
  const p = await probeWebGpu();
  if ('driver' in p) return { kind: 'webgpu', driver: p.driver };
  if (choice === 'webgpu')
    throw new ConfigError(
      `renderer webgpu: ${p.error}`,
      'Install a Vulkan driver Dawn accepts (scripts/setup: Mesa ≥ 23 from bookworm-backports, or Debian\'s chromium for its SwiftShader driver), or use --renderer chromium.',
    );
  return { kind: 'chromium', driver: resolveGlMode(), fallback: `WebGPU unavailable (${p.error}); rendering with Chromium` };
}

/** Start a renderer of the resolved kind (imported lazily: runs without a camera start nothing). */
export async function launchRenderer(r: ResolvedRenderer): Promise<ViewRenderer> {
  if (r.kind === 'webgpu') {
    const { WebGpuRenderer } = await import('./webgpu/renderer');
    const w = await WebGpuRenderer.launch({ driver: r.driver as 'gpu' | 'lavapipe' | 'swiftshader' });
    return w;
  }
  const { ChromiumRenderer } = await import('./chromium-renderer');
  return ChromiumRenderer.launch({});
}

/** The default renderer (`auto`), resolved and started. */
export async function launchDefaultRenderer(): Promise<ViewRenderer> {
  return launchRenderer(await resolveRenderer(DEFAULT_RENDERER));
}

/** The renderer a run recorded in results.json (environment.renderer), to replay it with the same one. */
export function recordedRenderer(env: Record<string, unknown> | undefined): ResolvedRenderer | undefined {
  const r = env?.renderer as Record<string, unknown> | undefined;
  if (!r) return undefined;
  const kind = r.kind ?? (r.renderer === 'webgpu/three.js' ? 'webgpu' : r.renderer === 'chromium/three.js' ? 'chromium' : undefined);
  if (kind === 'webgpu') return { kind, driver: typeof r.driver === 'string' ? r.driver : 'lavapipe' };
  if (kind === 'chromium') return { kind, driver: typeof r.glMode === 'string' ? r.glMode : resolveGlMode() };
  return undefined;
}

/**
 * Which renderer draws a run's replays and failure clips: the one the run used (results.json
 * environment), so they show the frames the policy saw; for runs that recorded none (scripted
 * policies only, or older results), `choice` resolved.
 */
export async function runRenderer(env: Record<string, unknown> | undefined, choice: RendererChoice = DEFAULT_RENDERER): Promise<ResolvedRenderer> {
  return recordedRenderer(env) ?? resolveRenderer(choice);
}

/** The run's renderer (runRenderer), started. */
export async function launchRunRenderer(env: Record<string, unknown> | undefined): Promise<ViewRenderer> {
  return launchRenderer(await runRenderer(env));
}
