/**
 * WebGPU inside Node: Google's Dawn through the `webgpu` npm package (a prebuilt dawn.node; it
 * downloads nothing at install). Dawn draws through Vulkan, so which Vulkan driver it finds decides
 * where frames are drawn: the machine's GPU, Mesa's lavapipe (CPU, Mesa ≥ 23: Dawn refuses Debian
 * 12's own 22.3, which lacks features it requires) or the SwiftShader Vulkan driver that Debian's
 * chromium package ships. `openDawn` finds the best that works, in that order.
 *
 * three.js's WebGPURenderer expects a browser: the package's WebGPU globals (GPUBufferUsage…),
 * `navigator.gpu`, `self` and `requestAnimationFrame` are installed once (installGlobals); there is
 * no canvas (frames are drawn into render targets), so a stand-in that never draws is passed.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The SwiftShader Vulkan driver (ICD manifest) inside Debian's chromium package. */
export const CHROMIUM_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export type DawnDriverKind = 'gpu' | 'lavapipe' | 'swiftshader';

export interface DawnDevice {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  driver: DawnDriverKind;
  /** The adapter as Dawn describes it, e.g. "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)". */
  description: string;
  /** Version of the `webgpu` package (Dawn build). */
  dawn: string;
}

interface WebGpuModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let mod: Promise<WebGpuModule> | undefined;

/** The `webgpu` package, or an error saying it is missing (it is an optional dependency). */
function loadModule(): Promise<WebGpuModule> {
  mod ??= import('webgpu').then(
    (m) => m as unknown as WebGpuModule,
    (e: Error) => {
      mod = undefined;
      throw new Error(`the \`webgpu\` package (Dawn for Node) could not be loaded: ${e.message.split('\n')[0]}`);
    },
  );
  return mod;
}

export function dawnPackageVersion(): string {
  try {
    return (createRequire(import.meta.url)('webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let globalsInstalled = false;

/** What three.js reads from a browser, for Node (see the file comment). */
function installGlobals(m: WebGpuModule): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(m.globals)) if (!(k in g)) g[k] = v;
  g.self ??= globalThis;
  g.requestAnimationFrame ??= (cb: (t: number) => void) => setTimeout(() => cb(performance.now()), 0);
  g.cancelAnimationFrame ??= (id: ReturnType<typeof setTimeout>) => clearTimeout(id);
}

/** A canvas stand-in: three's renderer wants one, but every frame goes into a render target. */
export function offscreenCanvas(): unknown {
  const context = {
    configure() {},
    unconfigure() {},
    getCurrentTexture() {
      throw new Error('simgate webgpu: no canvas (frames are drawn into render targets)');
    },
  };
  return { width: 1, height: 1, style: {}, addEventListener() {}, removeEventListener() {}, getContext: () => context };
}

/** Which kind of driver an adapter is, from what Dawn says of it. */
export function driverKind(info: GPUAdapterInfo): DawnDriverKind {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  if (text.includes('swiftshader')) return 'swiftshader';
  if (text.includes('llvmpipe') || text.includes('lavapipe')) return 'lavapipe';
  return 'gpu';
}

function describeAdapter(info: GPUAdapterInfo): string {
  return info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
}

/**
 * Set the Vulkan driver manifests the loader reads (before Dawn creates its Vulkan instance).
 * undefined = the system's own (/usr/share/vulkan/icd.d).
 */
function useIcd(path: string | undefined): void {
  if (path === undefined) {
    delete process.env.VK_ICD_FILENAMES;
    delete process.env.VK_DRIVER_FILES;
  } else {
    process.env.VK_ICD_FILENAMES = path;
    process.env.VK_DRIVER_FILES = path;
  }
}

export interface OpenDawnOptions {
  /** Only this driver kind (default: the best that works: gpu, then lavapipe, then swiftshader). */
  driver?: DawnDriverKind;
}

/**
 * Open a WebGPU device on the best working driver. Throws, saying what was tried and why each
 * failed, when none works.
 */
export async function openDawn(opts: OpenDawnOptions = {}): Promise<DawnDevice> {
  const m = await loadModule();
  installGlobals(m);
  const saved = { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES, VK_DRIVER_FILES: process.env.VK_DRIVER_FILES };
  // SIMGATE_VK_ICD points Dawn (only) at one Vulkan driver manifest; Chromium keeps its own.
  const userVar = process.env.SIMGATE_VK_ICD ? 'SIMGATE_VK_ICD' : saved.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : saved.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : undefined;
  const userIcd = userVar ? process.env[userVar] : undefined;
  // The system's drivers first (a GPU, or lavapipe), then Chromium's SwiftShader. A driver the
  // user named is the only choice.
  const attempts: { icd: string | undefined; label: string }[] = userIcd
    ? [{ icd: userIcd, label: `${userVar}=${userIcd}` }]
    : [
        { icd: undefined, label: 'the system Vulkan drivers' },
        ...(existsSync(CHROMIUM_SWIFTSHADER_ICD) ? [{ icd: CHROMIUM_SWIFTSHADER_ICD, label: `SwiftShader (${CHROMIUM_SWIFTSHADER_ICD})` }] : []),
      ];
  const why: string[] = [];
  const order: DawnDriverKind[] = opts.driver ? [opts.driver] : ['gpu', 'lavapipe', 'swiftshader'];
  const found: { kind: DawnDriverKind; gpu: GPU; adapter: GPUAdapter }[] = [];
  for (const a of attempts) {
    useIcd(a.icd);
    try {
      const gpu = m.create([]);
      // Both preferences: Dawn lists a GPU under high-performance and may list lavapipe under low-power.
      for (const pref of ['high-performance', 'low-power'] as const) {
        const adapter = await gpu.requestAdapter({ powerPreference: pref });
        if (!adapter) continue;
        const kind = driverKind(adapter.info);
        if (!found.some((f) => f.kind === kind)) found.push({ kind, gpu, adapter });
      }
      if (!found.length) why.push(`${a.label}: no adapter (Dawn needs Vulkan 1.1 with the features WebGPU requires; Mesa's lavapipe needs Mesa ≥ 23)`);
    } catch (e) {
      why.push(`${a.label}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (found.some((f) => order[0] === f.kind)) break;
  }
  // Put the environment back as it was: Chromium, started later, reads it too.
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  for (const kind of order) {
    const f = found.find((x) => x.kind === kind);
    if (!f) continue;
    // Every feature the adapter has, as three's own WebGPUBackend asks when it creates the device.
    const device = await f.adapter.requestDevice({ requiredFeatures: [...f.adapter.features] as GPUFeatureName[] });
    return { gpu: f.gpu, adapter: f.adapter, device, driver: kind, description: describeAdapter(f.adapter.info), dawn: dawnPackageVersion() };
  }
  const seen = found.map((f) => `${f.kind} (${describeAdapter(f.adapter.info)})`).join(', ');
  throw new Error(
    `no WebGPU adapter${opts.driver ? ` of kind ${opts.driver}` : ''} through Dawn: ${why.join('; ') || (seen ? `found only ${seen}` : 'nothing found')}`,
  );
}
