/**
 * Simulated episodes in the lab's V6 layout, so sim rollouts (e.g. oracle runs of scenes the lab
 * never recorded, like a target out of view) can feed its training loader:
 *
 *   images              (T, H, W, 3) uint8, RGB, gzip, one chunk per frame (1280×720 by default:
 *                       the CSI camera's frame, upright as the camera service delivers it)
 *   actions             (T, 3) float32 [linear_x, linear_y, angular_z], what the policy commanded
 *                       at each frame (frame t is what the robot saw before action t)
 *   action_event_types  (T,) strings: episode_start, then sim (stop_action for STOP)
 *   attrs               episode_name, scenario, cx_position, cx_path, total_duration, num_frames,
 *                       stop_inject_n, action_chunk_size, obstacle_layout_type, time_period,
 *                       collection_datetime — plus simgate_* provenance
 *
 * Frames are re-rendered from the trace (hash-checked re-simulation, as `simgate replay` does) a
 * few at a time and written slice by slice: memory stays at one batch of frames.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { actionClass } from '../measures/action-class';
import { readResults } from '../results/read';
import type { EpisodeRow } from '../results/schema';
import { replaySpec, tracedRows } from '../replay/load';
import { cameraRequest, posesFor } from '../replay/prepare';
import { resimulate } from '../replay/simulate';
import type { Renderer } from '../sim/camera';
import type { RobotPose } from '../sim/world';
import type { EpisodeTrace } from '../sim/trace';
import { ConfigError } from '../util/errors';
import { createH5, h5call } from './h5';

export interface ExportV6Options {
  outDir: string;
  /** Only this policy's episodes. */
  policy?: string;
  /** Only successful episodes (demonstrations). */
  successesOnly?: boolean;
  width?: number;
  height?: number;
  limit?: number;
  /** A renderer to use (default: headless Chromium, launched and closed here). */
  renderer?: Renderer;
  onFile?: ((w: WrittenEpisode) => void) | undefined;
}

export interface WrittenEpisode {
  file: string;
  episodeId: string;
  policy: string;
  suite: string;
  scene: string;
  family: string;
  outcome: string;
  frames: number;
  size: [height: number, width: number];
  cxPath: string;
  /** False when the re-simulation did not reproduce the recorded state hashes (recorded poses were rendered). */
  verified: boolean;
}

const BATCH = 8;

/** left_curve / straight / right_curve from the driven path: its largest sideways excursion from the start→end line. */
export function pathShape(poses: readonly { x: number; y: number }[], threshold = 0.1): 'left_curve' | 'straight' | 'right_curve' {
  const a = poses[0];
  const b = poses[poses.length - 1];
  if (!a || !b) return 'straight';
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  let extreme = 0;
  for (const p of poses) {
    // Signed distance left of the line a→b (y is left in simgate's frame).
    const d = len > 1e-9 ? (dx * (p.y - a.y) - dy * (p.x - a.x)) / len : 0;
    if (Math.abs(d) > Math.abs(extreme)) extreme = d;
  }
  return Math.abs(extreme) < threshold ? 'straight' : extreme > 0 ? 'left_curve' : 'right_curve';
}

/** "20260716_105343" from an ISO time plus `offsetS` seconds (files of one export get distinct names). */
function stamp(iso: string, offsetS: number): string {
  const t = new Date(Date.parse(iso) || 0);
  t.setUTCSeconds(t.getUTCSeconds() + offsetS);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}_${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`;
}

export async function exportV6(input: string, opts: ExportV6Options): Promise<WrittenEpisode[]> {
  const loaded = readResults(input);
  let rows = tracedRows(loaded.results).filter((r) => !r.probe && (!opts.policy || r.policy === opts.policy) && (!opts.successesOnly || r.outcome === 'success'));
  if (opts.limit) rows = rows.slice(0, opts.limit);
  if (!rows.length) {
    throw new ConfigError(
      `${loaded.file}: no traced episodes to export${opts.policy ? ` for policy "${opts.policy}"` : ''}${opts.successesOnly ? ' that succeeded' : ''}.`,
      'Runs keep traces of failures only: rerun with --trace-all to export successful episodes (e.g. oracle demonstrations).',
    );
  }
  const W = opts.width ?? 1280;
  const H = opts.height ?? 720;
  mkdirSync(opts.outDir, { recursive: true });
  let renderer = opts.renderer;
  const own = !renderer;
  if (!renderer) renderer = await (await import('../render/launch')).launchDefaultRenderer();
  const written: WrittenEpisode[] = [];
  try {
    for (const [k, row] of rows.entries()) {
      const w = await exportOne(loaded.results.createdAt, k, row as EpisodeRow & { trace: EpisodeTrace }, loaded, renderer, opts.outDir, W, H);
      if (w) {
        written.push(w);
        opts.onFile?.(w);
      }
    }
  } finally {
    if (own) await renderer.close();
  }
  return written;
}

async function exportOne(createdAt: string, k: number, row: EpisodeRow & { trace: EpisodeTrace }, loaded: ReturnType<typeof readResults>, renderer: Renderer, outDir: string, W: number, H: number): Promise<WrittenEpisode | null> {
  const spec = replaySpec(loaded, row);
  const T = spec.trace.actions.length;
  if (T === 0) return null;
  const sim = await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace);
  const poses: RobotPose[] = posesFor(spec, sim).slice(0, T);
  // The onboard camera at the lab's frame size; the lens keeps its vertical field of view.
  const profile = { ...spec.profile, camera: { ...spec.profile.camera, width: W, height: H, aspect: W / H } };
  const family = row.family.replace(/[^A-Za-z0-9_]+/g, '_');
  const cxPath = pathShape(poses);
  const name = `episode_${stamp(createdAt, k)}_${family}_${cxPath}`;
  const file = join(outDir, `${name}.h5`);
  const actions = spec.trace.actions.map((a) => [a[0] ?? 0, a[1] ?? 0, a[2] ?? 0]);
  const events = actions.map((a, t) => (t === 0 ? 'episode_start' : actionClass(a as [number, number, number]) === 'STOP' ? 'stop_action' : 'sim'));
  const control = spec.profile.control;
  const duration = control.mode === 'held' ? T / control.rateHz : T * spec.profile.controlPeriodSeconds;

  const f = await createH5(file);
  try {
    let images: ReturnType<typeof f.create_dataset> | undefined;
    for (let t0 = 0; t0 < T; t0 += BATCH) {
      const batch = poses.slice(t0, t0 + BATCH);
      const frames = await renderer.render(batch.map((p, j) => cameraRequest({ ...spec, profile }, p, t0 + j)));
      for (const [j, frame] of frames.entries()) {
        const t = t0 + j;
        const data = new Uint8Array(frame.data.subarray(0, W * H * 3)); // renderers may reuse their buffer
        if (!images) {
          const first = data;
          images = h5call('cannot create images', () => f.create_dataset({ name: 'images', data: first, shape: [1, H, W, 3], dtype: '<B', maxshape: [null, H, W, 3], chunks: [1, H, W, 3], compression: 'gzip', compression_opts: 4 }));
          h5call('cannot size images', () => images!.resize([T, H, W, 3]));
        } else h5call(`cannot write frame ${t}`, () => images!.write_slice([[t, t + 1], [], [], []], data));
      }
    }
    h5call('cannot write actions', () => f.create_dataset({ name: 'actions', data: new Float32Array(actions.flat()), shape: [T, 3], dtype: '<f' }));
    h5call('cannot write action_event_types', () => f.create_dataset({ name: 'action_event_types', data: events }));
    const attrs: Record<string, string | number> = {
      episode_name: name,
      scenario: row.family,
      cx_position: row.family,
      cx_path: cxPath,
      total_duration: duration,
      num_frames: T,
      stop_inject_n: 0,
      action_chunk_size: 1,
      obstacle_layout_type: spec.scene.obstacles.length ? `${spec.scene.obstacles.length}box` : 'none',
      time_period: 'sim',
      collection_datetime: createdAt,
      simgate_episode_id: row.episodeId,
      simgate_policy: row.policy,
      simgate_suite: `${row.suite} v${row.suiteVersion}`,
      simgate_scene: row.sceneId,
      simgate_seed: row.seed,
      simgate_outcome: row.outcome,
      simgate_channel_order: 'RGB',
      simgate_instruction: spec.scene.instruction.text,
    };
    for (const [key, v] of Object.entries(attrs)) h5call(`cannot write attribute ${key}`, () => f.create_attribute(key, v));
  } finally {
    h5call('cannot close', () => f.close());
  }
  return { file, episodeId: row.episodeId, policy: row.policy, suite: row.suite, scene: row.sceneId, family: row.family, outcome: row.outcome, frames: T, size: [H, W], cxPath, verified: !sim.divergence };
}
