import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { formatPath, formatZodError } from '../util/zod';
import { PolicySpec } from '../policy/spec';
import { RobotProfile } from '../sim/profile';
import { ConfigError } from '../util/errors';
import { PROBE_NAMES } from '../probes/types';

/** `renderer` values: the two renderers, or `auto` (src/render/launch.ts resolves it). */
export const RENDERER_CHOICES = ['chromium', 'webgpu', 'auto'] as const;
export type RendererChoice = (typeof RENDERER_CHOICES)[number];

export const BenchConfig = z.strictObject({
  /** Policies ≈ Playwright projects. */
  policies: z.array(PolicySpec).min(1).default(['oracle', 'straight', 'random', 'mirror']),
  /** Name of the policy (or a results.json path) the others are compared against. */
  baseline: z.string().optional(),
  /** The new checkpoint(s) the gate judges against the baseline; default every other policy. */
  candidates: z.array(z.string().min(1)).optional(),
  /** Scene suites ≈ test files. */
  suites: z.array(z.string()).min(1).default(['scenes/nav-id-v2.json', 'scenes/nav-novel-v2.json', 'scenes/lab-basket-v1.json', 'scenes/lab-basket-novel-v1.json']),
  /**
   * Which suites a policy runs, by policy name (as Playwright's per-project testMatch): e.g. the
   * seed era's checkpoints only on the seed era's suites. Policies not listed run every suite.
   */
  policySuites: z.record(z.string(), z.array(z.string()).min(1)).optional(),
  /** Seeds per scene ≈ repeatEach. */
  episodesPerScene: z.number().int().positive().default(3),
  /** Episodes stepped in lockstep; results do not depend on it. */
  batchSize: z.number().int().positive().max(256).default(8),
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /**
   * Who draws the onboard camera (`--renderer`): three.js in headless Chromium (WebGL), three.js's
   * WebGPU renderer inside Node through Dawn, or `auto` — WebGPU where Dawn finds a working Vulkan
   * driver, else Chromium (one line says why). Frames differ slightly between the two, so the
   * resolved renderer is part of the plan hash. See src/render/launch.ts.
   */
  renderer: z.enum(RENDERER_CHOICES).default('auto'),
  outputDir: z.string().default('simgate-results'),
  /** A drop in success larger than this (absolute, 0–1) with exact McNemar p < 0.05 is a regression (src/compare/verdict.ts). */
  tolerance: z.number().min(0).max(1).default(0.05),
  /**
   * How the gate decides. `sequential: true` (`--sequential`): the baseline and candidates run each
   * split in blocks of `block` episodes, in a fixed seeded order, and stop a split as soon as an
   * anytime-valid test decides PASS or REGRESSION, or at `maxEpisodes` per split (INCONCLUSIVE);
   * see src/runner/sequential.ts. Default: every episode of the plan, then the batch test.
   */
  gate: z
    .strictObject({
      sequential: z.boolean().default(false),
      maxEpisodes: z.number().int().positive().optional(),
      block: z.number().int().positive().default(8),
    })
    .optional(),
  endOnCollision: z.boolean().default(true),
  /** Keep traces for every episode, not only failures. */
  traceAll: z.boolean().default(false),
  /** Write report.html (tables, family plot, failure clips) at the end of a run. */
  report: z.boolean().default(true),
  /** Failure clips (GIF + filmstrip) per policy in the report: the first N failures (LeRobot keeps 10 videos). */
  reportGifs: z.number().int().min(0).default(10),
  /** Store the onboard frames of every failed episode as PNGs under <out>/traces/<policy>/<episodeId>/. */
  traceFrames: z.boolean().default(false),
  /** With traceFrames and traceAll: frames of successful episodes too (`--save-frames`). */
  saveAllFrames: z.boolean().default(false),
  /** Wall-clock limit per episode (seconds): past it the episode ends as `error`. Not part of the plan hash. */
  episodeTimeout: z.number().positive().optional(),
  /**
   * Pipelined episode loop: the batch in lanes (true: 3; a number: that many), some rendering
   * while the policy works on another (src/runner/episode-loop.ts). Same rows as the serial loop;
   * not part of the plan hash.
   */
  pipeline: z.union([z.boolean(), z.number().int().min(1).max(256)]).default(false),
  /** Probe suites to add (instruction-swap, memorisation, channel-order): see src/probes. */
  probes: z.array(z.enum(PROBE_NAMES)).default([]),
  /**
   * Robot profile fields to override on every suite's era profile (src/sim/profile.ts), e.g.
   * `{ spinRate: 0.6, camera: { pitchDeg: 10 } }` after calibrating the real base.
   */
  profile: z.record(z.string(), z.unknown()).optional(),
  /**
   * Robot-time latency of every policy's answers in `held` control (a scene's own `cadence` wins):
   * fixed ms, a repeating pattern of ms (e.g. [80, 80, 2200], the lab's served cadence), or
   * 'measured' (each call's wall-clock time: not deterministic, flagged in the rows).
   */
  latency: z.union([z.number().min(0), z.array(z.number().min(0)).min(1), z.literal('measured')]).optional(),
});
export type BenchConfig = z.infer<typeof BenchConfig>;
export type BenchConfigInput = z.input<typeof BenchConfig>;

/** Typed config for bench.config.ts, as Playwright's defineConfig. */
export function defineConfig(config: BenchConfigInput): BenchConfigInput {
  return config;
}

export function parseConfig(raw: unknown, file: string): BenchConfig {
  const r = BenchConfig.safeParse(raw);
  if (!r.success) throw new ConfigError(formatZodError(file, r.error, 'config'), 'See README "Configuration".');
  if (r.data.profile) {
    // Overrides must make a valid profile on their own (every era profile fills the rest).
    const p = RobotProfile.safeParse(r.data.profile);
    if (!p.success) {
      const lines = p.error.issues.map((i) => `  ${file}: ${formatPath(['profile', ...i.path])}: ${i.message}`);
      throw new ConfigError(`Invalid config ${file}:\n${lines.join('\n')}`, 'See README "The robot" for the profile fields.');
    }
  }
  return r.data;
}

/** Load bench.config.ts (or the given file); defaults when there is none. */
export async function loadConfig(file?: string): Promise<{ config: BenchConfig; file?: string }> {
  const path = resolve(file ?? 'bench.config.ts');
  if (!existsSync(path)) {
    if (file) throw new ConfigError(`Config file not found: ${file}`, 'Pass an existing file with --config, or omit it to use bench.config.ts.');
    return { config: parseConfig({}, '(defaults)') };
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new ConfigError(`${path}: cannot load config: ${(e as Error).message}`);
  }
  return { config: parseConfig(mod.default ?? {}, path), file: path };
}
