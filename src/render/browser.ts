import { existsSync, mkdtempSync, rmSync, accessSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { ConfigError } from '../util/errors';

/** How WebGL is backed. SwiftShader (CPU) is the default: it works on any machine and is bit-stable. */
export type GlMode = 'swiftshader' | 'gpu' | 'egl' | 'vulkan';

export interface BrowserOptions {
  /** Explicit browser binary; else env SIMGATE_CHROMIUM / PUPPETEER_EXECUTABLE_PATH, then system paths. */
  executablePath?: string;
  /** Else env SIMGATE_GL (default "swiftshader"). "gpu" means ANGLE on EGL (headless NVIDIA/Mesa). */
  gl?: GlMode;
  /** Extra Chromium flags, appended last. */
  extraArgs?: string[];
}

const SYSTEM_PATHS = [
  // The real binary first: Debian's /usr/bin/chromium wrapper script adds flags and stderr noise.
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
];

const HOW_TO_GET_ONE =
  'Install Chromium (Debian/Ubuntu: `sudo apt-get install -y chromium`) or point SIMGATE_CHROMIUM at a Chrome/Chromium binary, ' +
  'e.g. `export SIMGATE_CHROMIUM=/usr/lib/chromium/chromium`. (puppeteer\'s own browser download is not used.)';

function isExecutable(p: string): boolean {
  try {
    accessSync(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The browser binary to use, or a ConfigError that says how to get one. */
export function findChromium(explicit?: string): string {
  const env = process.env.SIMGATE_CHROMIUM || process.env.PUPPETEER_EXECUTABLE_PATH;
  const chosen = explicit ?? env;
  if (chosen) {
    // A path the user named must work: silently falling back would render with a different browser.
    if (!existsSync(chosen)) {
      const src = explicit ? 'executablePath' : process.env.SIMGATE_CHROMIUM ? 'SIMGATE_CHROMIUM' : 'PUPPETEER_EXECUTABLE_PATH';
      throw new ConfigError(`No browser at ${chosen} (from ${src}).`, HOW_TO_GET_ONE);
    }
    if (!isExecutable(chosen)) throw new ConfigError(`Browser ${chosen} is not executable.`, HOW_TO_GET_ONE);
    return chosen;
  }
  for (const p of SYSTEM_PATHS) if (existsSync(p) && isExecutable(p)) return p;
  throw new ConfigError(`No Chromium/Chrome found (looked in ${SYSTEM_PATHS.join(', ')}).`, HOW_TO_GET_ONE);
}

export function resolveGlMode(opt?: GlMode): GlMode {
  const v = opt ?? (process.env.SIMGATE_GL as GlMode | undefined) ?? 'swiftshader';
  if (!['swiftshader', 'gpu', 'egl', 'vulkan'].includes(v)) {
    throw new ConfigError(`SIMGATE_GL=${v} is not a GL mode.`, 'Use one of: swiftshader (default), gpu, egl, vulkan.');
  }
  return v;
}

/**
 * Chromium flags: headless WebGL2 through ANGLE on SwiftShader works as root only with the sandbox
 * off, and the background-networking flags keep an offline machine from retrying connections.
 */
export function chromiumArgs(gl: GlMode, userDataDir: string): string[] {
  const base = [
    '--headless=new',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
    // Keep rendering running when nothing is on screen.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    `--user-data-dir=${userDataDir}`,
  ];
  switch (gl) {
    case 'swiftshader':
      return [...base, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
    case 'gpu':
    case 'egl':
      return [...base, '--use-angle=gl-egl', '--ignore-gpu-blocklist', '--enable-gpu'];
    case 'vulkan':
      return [...base, '--use-angle=vulkan', '--enable-features=Vulkan', '--ignore-gpu-blocklist', '--enable-gpu'];
  }
}

export interface BrowserHost {
  browser: Browser;
  executablePath: string;
  gl: GlMode;
  /** Closes the browser (if still alive) and deletes its temporary profile. Idempotent. */
  close(): Promise<void>;
}

/** Launch one browser with a fresh temporary profile. */
export async function launchBrowser(opts: BrowserOptions = {}): Promise<BrowserHost> {
  const executablePath = findChromium(opts.executablePath);
  const gl = resolveGlMode(opts.gl);
  const userDataDir = mkdtempSync(join(tmpdir(), 'simgate-chromium-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      // puppeteer's defaults include flags (e.g. --disable-gpu style ones in some versions) that fight ours.
      ignoreDefaultArgs: true,
      args: [...chromiumArgs(gl, userDataDir), ...(opts.extraArgs ?? []), 'about:blank'],
      pipe: true,
      protocolTimeout: 120_000,
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new ConfigError(`Could not start ${executablePath}: ${(e as Error).message.split('\n')[0]}`, HOW_TO_GET_ONE);
  }
  let closed = false;
  // If Node exits without close() (uncaught error, process.exit), still end the browser and
  // delete its profile: both are ours alone.
  const onExit = () => {
    const pid = browser.process()?.pid;
    try {
      if (pid) process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(userDataDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return {
    browser,
    executablePath,
    gl,
    async close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', onExit);
      await killBrowser(browser);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * End the browser we launched. A graceful Browser.close takes seconds (it flushes a profile we
 * delete anyway), so drop the connection and SIGKILL the browser's own process group (puppeteer
 * starts it detached, so the group is exactly its GPU/renderer/zygote children).
 */
async function killBrowser(browser: Browser): Promise<void> {
  const proc = browser.process();
  const exited = proc && proc.exitCode === null && proc.signalCode === null ? new Promise<void>((r) => proc.once('exit', () => r())) : Promise.resolve();
  try {
    if (browser.connected) await browser.disconnect();
  } catch {
    // already gone
  }
  const pid = proc?.pid;
  if (pid && proc.exitCode === null && proc.signalCode === null) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      proc.kill('SIGKILL');
    }
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
}
