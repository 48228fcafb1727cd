import { cameraRequest as envCameraRequest } from '../sim/vec-env';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ViewRenderer } from '../render/launch';
import { encodePng } from '../image/png';
import type { CameraRequest } from '../sim/camera';
import type { Frame } from '../image/frame';
import type { MeasureValue } from '../measures/types';
import type { TraceEvent } from '../sim/trace';
import type { RobotPose } from '../sim/world';
import { actionArrows, arrowDrive, type ActionArrows, type ArrowDrive } from './action-arrow';
import { contactPoint, topSize, topView, TOP_MARGIN, type TopView } from './geometry';
import type { LoadedResults } from '../results/read';
import { replayRel, type ReplaySpec } from './load';
import { describeDivergence, resimulate, type Divergence, type Resimulation } from './simulate';

/** What the viewer loads for one episode (replay/<policy>/<episodeId>/replay.json). */
export interface ReplayData {
  format: 1;
  episodeId: string;
  policy: string;
  variant: string;
  suite: string;
  suiteVersion: number;
  suiteFile: string;
  sceneId: string;
  sceneHash: string;
  seed: number;
  split: string;
  family: string;
  side: string;
  probe?: string;
  instruction: string;
  outcome: string;
  reason?: string;
  measures: Record<string, MeasureValue>;
  actionMode: string;
  /** Number of actions; poses has steps + 1 entries. */
  steps: number;
  poses: [number, number, number][];
  actions: number[][];
  /** Steps the robot held its last command while the policy computed (held control with latency). */
  held?: boolean[];
  /** What the policy's server said at each step it answered (predicted_label, stop_latched, latency_ms…). */
  info?: (Record<string, unknown> | null)[];
  /** The arrow of each action (actionArrows): the viewer draws these and computes none itself. */
  arrows: ActionArrows;
  contacts: string[][];
  /** Recorded state hash per step (index 0 = start). */
  hashes: string[];
  /** Where each collision happened (approximate contact point), by step. */
  collisions: { step: number; what: string; x: number; y: number }[];
  events: TraceEvent[];
  /** The scene in brief, for drawing without images. */
  scene: {
    room: { min: [number, number]; max: [number, number] };
    obstacles: { id: string; size: [number, number, number]; pose: { x: number; y: number; yaw: number }; colour: string }[];
    target: { kind: string; x: number; y: number };
    goal: { x: number; y: number; radius: number };
    robotRadius: number;
    /** The robot's drive, from the profile: what action arrows are measured from. */
    drive: ArrowDrive;
  };
  verify: { ok: boolean; message: string; divergence?: Divergence };
  /** Frame file names relative to this file's folder (null: prepared without a browser). `top` is the scene from above without the robot. */
  images: { cam: string[] | null; top: string | null; camSize: [number, number]; topSize: [number, number] };
  view: TopView;
  /** Frames 0..steps-1 are what the policy saw; the last frame is after the final action. */
  note?: string;
  replayCommand: string;
}

export interface PrepareOptions {
  /** null/undefined: no images (physics replay and data only). */
  renderer?: ViewRenderer | null;
  /** Top-down width in pixels (default 480). */
  topWidth?: number;
  /** Render again even if replay.json exists. */
  force?: boolean;
  /** Shell command that replays this episode (shown in the viewer). */
  command?: string;
}

export interface Prepared {
  /** Absolute folder and its path relative to the results folder. */
  dir: string;
  rel: string;
  data: ReplayData;
  sim: Resimulation | null;
}

const pad3 = (k: number) => String(k).padStart(3, '0');

/** The camera request for a replayed pose at `step`: built exactly as the env builds it during a run. */
export function cameraRequest(spec: ReplaySpec, pose: RobotPose, step: number): CameraRequest {
  return envCameraRequest(spec.episode, pose, step, spec.profile);
}

/**
 * Onboard frames at the given poses (index = step), in batches: the frames the policy saw,
 * sensor noise and the probe's image transform included.
 */
export async function renderCamera(renderer: ViewRenderer, spec: ReplaySpec, poses: readonly RobotPose[]): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let i = 0; i < poses.length; i += 32) {
    const got = await renderer.render(poses.slice(i, i + 32).map((p, j) => cameraRequest(spec, p, i + j)));
    got.forEach((f, j) => {
      // The renderer's frames may share one buffer: copy so they outlive the next batch.
      let frame: Frame = { width: f.width, height: f.height, data: new Uint8Array(f.data) };
      if (spec.imageTransform) frame = spec.imageTransform(frame, spec.episode, i + j);
      out.push(frame);
    });
  }
  return out;
}

/** Collision points (approximate) for the top-down, by step. */
export function collisionPoints(spec: ReplaySpec, poses: readonly { x: number; y: number }[]): ReplayData['collisions'] {
  const out: ReplayData['collisions'] = [];
  for (const e of spec.trace.events) {
    if (e.type !== 'collision') continue;
    const p = poses[Math.min(e.step, poses.length - 1)]!;
    const c = contactPoint(spec.scene, p.x, p.y, e.detail ?? '');
    out.push({ step: e.step, what: e.detail ?? '?', x: c.x, y: c.y });
  }
  return out;
}

/**
 * The top-down background of a scene: room, boxes, target and goal ring, no robot and no path
 * (the viewer and the GIF export draw those per step on top, which costs no extra render).
 */
export async function renderTopBackground(renderer: ViewRenderer, spec: ReplaySpec, size: { w: number; h: number }): Promise<Frame> {
  const f = await renderer.topDown(spec.scene, [], { sceneKey: spec.sceneHash, width: size.w, height: size.h, showRobot: false, profile: spec.profile, margin: TOP_MARGIN });
  return { width: f.width, height: f.height, data: new Uint8Array(f.data) };
}

/** The poses to render: the replayed ones (exact quaternions) when the replay matches, else the recorded ones. */
export function posesFor(spec: ReplaySpec, sim: Resimulation): RobotPose[] {
  if (!sim.divergence) return sim.poses;
  return spec.trace.poses.map(([x, y, yaw]) => ({ x, y, yaw, qz: Math.sin(yaw / 2), qw: Math.cos(yaw / 2) }));
}

export function verifyMessage(sim: Resimulation): { ok: boolean; message: string } {
  if (sim.divergence) return { ok: false, message: describeDivergence(sim.divergence) + (sim.malformed ? `; ${sim.malformed}` : '') };
  if (sim.malformed) return { ok: false, message: sim.malformed };
  return { ok: true, message: `replay matches the recording: ${sim.hashes.length} state hashes identical` };
}

/**
 * Re-simulate one episode, check its hashes, and write what the viewer needs under
 * <results>/replay/<policy>/<episodeId>/: replay.json, cam/NNN.png per step and top.png.
 */
export async function prepareEpisode(loaded: LoadedResults, spec: ReplaySpec, opts: PrepareOptions = {}): Promise<Prepared> {
  const rel = replayRel(spec.row.policy, spec.row.episodeId);
  const dir = join(loaded.dir, rel);
  const jsonPath = join(dir, 'replay.json');
  if (!opts.force && existsSync(jsonPath)) {
    const data = JSON.parse(readFileSync(jsonPath, 'utf8')) as ReplayData;
    // Reuse only a complete one (with images when a renderer is available now, and made by a
    // version that wrote the arrows).
    if (data.arrows && (!opts.renderer || data.images.cam)) return { dir, rel, data, sim: null };
  }
  const sim = await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace);
  const poses = posesFor(spec, sim);
  const size = topSize(spec.scene, opts.topWidth ?? 480);
  const cam = spec.profile.camera;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let camFiles: string[] | null = null;
  let topFile: string | null = null;
  if (opts.renderer) {
    const frames = await renderCamera(opts.renderer, spec, poses);
    mkdirSync(join(dir, 'cam'), { recursive: true });
    camFiles = frames.map((f, k) => {
      writeFileSync(join(dir, 'cam', `${pad3(k)}.png`), encodePng(f));
      return `cam/${pad3(k)}.png`;
    });
    writeFileSync(join(dir, 'top.png'), encodePng(await renderTopBackground(opts.renderer, spec, size)));
    topFile = 'top.png';
  }
  const { row, trace, scene } = spec;
  const v = verifyMessage(sim);
  const posesXyYaw = poses.map((p): [number, number, number] => [p.x, p.y, p.yaw]);
  const data: ReplayData = {
    format: 1,
    episodeId: row.episodeId,
    policy: row.policy,
    variant: row.variant,
    suite: row.suite,
    suiteVersion: row.suiteVersion,
    suiteFile: spec.suiteFile,
    sceneId: row.sceneId,
    sceneHash: row.sceneHash,
    seed: row.seed,
    split: row.split,
    family: row.family,
    side: row.side,
    ...(row.probe ? { probe: row.probe } : {}),
    instruction: scene.instruction.text,
    outcome: row.outcome,
    ...(row.reason ? { reason: row.reason } : {}),
    measures: row.measures,
    actionMode: spec.actionMode,
    steps: trace.actions.length,
    poses: posesXyYaw,
    actions: trace.actions,
    ...(trace.held ? { held: trace.held } : {}),
    ...(trace.info ? { info: trace.info } : {}),
    arrows: actionArrows(spec.actionMode, arrowDrive(spec.profile), posesXyYaw, trace.actions),
    contacts: trace.contacts,
    hashes: trace.hashes,
    collisions: collisionPoints(spec, poses),
    events: trace.events,
    scene: sceneSummary(spec),
    verify: { ...v, ...(sim.divergence ? { divergence: sim.divergence } : {}) },
    images: { cam: camFiles, top: topFile, camSize: [cam.width, cam.height], topSize: [size.w, size.h] },
    view: topView(scene, size.w, size.h),
    ...(row.probe ? { note: `probe "${row.probe}": frames include the probe's image transform, as the policy saw them` } : {}),
    replayCommand: opts.command ?? `npx simgate replay ${loaded.dir} ${row.episodeId} --policy ${JSON.stringify(row.policy)}`,
  };
  writeFileSync(jsonPath, JSON.stringify(data));
  return { dir, rel, data, sim };
}

/** What the viewer and the GIF overlay draw of a scene (room, boxes, target, goal, robot size). */
export function sceneSummary(spec: ReplaySpec): ReplayData['scene'] {
  const scene = spec.scene;
  return {
    room: { min: scene.room.min, max: scene.room.max },
    obstacles: scene.obstacles.map((b) => ({ id: b.id, size: b.size, pose: b.pose, colour: b.colour })),
    target: { kind: scene.target.kind, x: scene.target.pose.x, y: scene.target.pose.y },
    goal: scene.goal,
    robotRadius: spec.profile.radius,
    drive: arrowDrive(spec.profile),
  };
}
