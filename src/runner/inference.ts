/**
 * The inference config a row was produced with: what a checkpoint's number means only together
 * with (LeRobot #4614: a missing config behind a 20-point irreproducibility). Every row carries
 * it (src/runner/run.ts), so rows copied out of a run, merged or stored as a baseline still say
 * how the policy was fed and how its actions were executed.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { BenchConfig } from '../config/config';
import { loadManifest } from '../policy/onnx/manifest';
import type { PolicyInfo } from '../policy/types';
import type { InferenceConfig } from '../results/schema';
import type { EpisodeSpec } from '../sim/episode';
import type { RobotProfile } from '../sim/profile';
import { canonicalJson, sha256 } from '../util/hash';
import { latencyModel } from './control';

/** What the policy itself says about its inputs and outputs (per policy, not per episode). */
function policyPart(info: PolicyInfo): Pick<InferenceConfig, 'policy' | 'chunk' | 'image'> {
  const d = (info.details ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const policy: InferenceConfig['policy'] = { kind: info.kind, variant: info.variant };
  if (str(d.modelSha256)) policy.modelSha256 = str(d.modelSha256)!.slice(0, 16);
  const manifest = str(d.manifest);
  if (manifest && existsSync(manifest)) {
    policy.manifestSha256 = sha256(readFileSync(manifest)).slice(0, 16);
    const m = loadManifest(manifest);
    return {
      policy,
      ...(m.output.chunkIndex.length || m.output.executeSteps > 1 ? { chunk: { index: m.output.chunkIndex, execute: m.output.executeSteps } } : {}),
      image: {
        input: m.image.size,
        resize: 'bilinear',
        layout: m.image.layout,
        channelOrder: m.image.channelOrder,
        normalise: { scale: m.image.scale, mean: m.image.mean, std: m.image.std },
        ...(m.image.window ? { window: m.image.window } : {}),
      },
    };
  }
  const size = Array.isArray(d.imageSize) && d.imageSize.length === 2 ? (d.imageSize as [number, number]) : undefined;
  const image: NonNullable<InferenceConfig['image']> = {};
  if (size) image.input = size;
  if (str(d.channelOrder)) image.channelOrder = str(d.channelOrder) as 'RGB' | 'BGR';
  if (str(d.imageFormat) || typeof d.jpegQuality === 'number') image.encoding = `${str(d.imageFormat) ?? 'jpeg'}${typeof d.jpegQuality === 'number' ? ` q${d.jpegQuality}` : ''}`;
  return { policy, ...(info.chunk ? { chunk: { execute: info.chunk.execute } } : {}), ...(info.needsImage ? { image } : {}) };
}

/**
 * A memoised `(policy, episode) → InferenceConfig` for one run: the policy's part is read once
 * (its manifest hashed once), the robot's part per profile and cadence.
 */
export function inferenceConfigs(config: BenchConfig, profileFor: (episode: EpisodeSpec) => RobotProfile): (info: PolicyInfo, episode: EpisodeSpec) => InferenceConfig {
  const perPolicy = new Map<string, ReturnType<typeof policyPart>>();
  const memo = new Map<string, InferenceConfig>();
  return (info, episode) => {
    const profile = profileFor(episode);
    const cadence = episode.scene.cadence;
    const key = JSON.stringify([info.name, profile.name, profile.control, profile.camera.width, profile.camera.height, cadence ?? null]);
    let got = memo.get(key);
    if (got) return got;
    let part = perPolicy.get(info.name);
    if (!part) perPolicy.set(info.name, (part = policyPart(info)));
    // Pulse control: the robot waits for every answer, so latency does not enter the rows.
    const lat = profile.control.mode === 'held' ? latencyModel(cadence, config.latency) : ({ kind: 'none' } as const);
    const body: Omit<InferenceConfig, 'hash'> = {
      ...part,
      ...(part.image ? { image: { camera: [profile.camera.height, profile.camera.width] as [number, number], ...part.image } } : {}),
      control: { actionMode: info.actionMode, mode: profile.control.mode, ...(profile.control.mode === 'held' ? { rateHz: profile.control.rateHz } : {}), profile: profile.name },
      latency: lat.kind === 'pattern' ? { model: 'pattern', ms: [...lat.ms] } : { model: lat.kind },
    };
    got = { hash: sha256(canonicalJson(body)).slice(0, 16), ...body };
    memo.set(key, got);
    return got;
  };
}
