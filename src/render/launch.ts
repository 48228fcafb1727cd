import type { Renderer } from '../sim/camera';

/**
 * The default renderer: three.js in headless Chromium. Imported lazily, so that runs of
 * scripted policies (no camera) never start a browser.
 */
export async function launchDefaultRenderer(): Promise<Renderer> {
  const { ChromiumRenderer } = await import('./chromium-renderer');
  return ChromiumRenderer.launch({});
}
