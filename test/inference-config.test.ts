/**
 * Every row's inference config (src/runner/inference.ts): what a number means only together with
 * — the checkpoint's hashes, chunking, the image path, control and profile, the latency model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config';
import type { PolicyInfo } from '../src/policy/types';
import { inferenceConfigs } from '../src/runner/inference';
import { episodeProfiles } from '../src/runner/run';
import { loadSuite } from '../src/scene/load';
import { suiteEpisodes } from '../src/sim/episode';
import { sha256 } from '../src/util/hash';

const onnx: PolicyInfo = {
  name: 'demo-kosmos-frozen',
  kind: 'onnx',
  variant: 'frozen',
  actionMode: 'pulse',
  needsImage: true,
  details: { manifest: 'policies/demo-kosmos-frozen/policy.json', modelSha256: 'ab'.repeat(32), provider: 'cpu', threads: 1 },
};
const served: PolicyInfo = { name: 'mona', kind: 'remote', variant: 'remote', actionMode: 'velocity', needsImage: true, chunk: { execute: 4 }, details: { url: 'http://gpu:8001/predict', channelOrder: 'BGR', imageFormat: 'jpeg', jpegQuality: 85, imageSize: [224, 224] } };
const scripted: PolicyInfo = { name: 'oracle', kind: 'scripted', variant: 'scripted', actionMode: 'pulse', needsImage: false };

const nav = suiteEpisodes(loadSuite('scenes/nav-id-v2.json'), 1)[0]!;
const basket = suiteEpisodes(loadSuite('scenes/lab-basket-novel-v1.json'), 1);
const held = basket.find((e) => !e.scene.cadence)!;
const cadence = basket.find((e) => e.scene.cadence)!;

describe('inference config of a row', () => {
  const of = inferenceConfigs(parseConfig({}, 'test'), episodeProfiles({}));

  it('an ONNX checkpoint: manifest and model hashes, image path, chunk, control, profile', () => {
    const c = of(onnx, nav);
    expect(c.policy).toEqual({ kind: 'onnx', variant: 'frozen', manifestSha256: sha256(readFileSync('policies/demo-kosmos-frozen/policy.json')).slice(0, 16), modelSha256: 'ab'.repeat(8) });
    expect(c.chunk).toEqual({ index: [-1, 0], execute: 1 });
    expect(c.image).toMatchObject({ camera: [224, 224], input: [224, 224], resize: 'bilinear', layout: 'NCHW', channelOrder: 'RGB', window: 8 });
    expect(c.image!.normalise!.mean[0]).toBeCloseTo(0.48145466, 8);
    expect(c.control).toEqual({ actionMode: 'pulse', mode: 'pulse', profile: 'seed-pulse' });
    expect(c.latency).toEqual({ model: 'none' });
    expect(c.hash).toMatch(/^[0-9a-f]{16}$/);
    // Not part of it: where the model was loaded from, threads, provider — and the same object each time.
    expect(JSON.stringify(c)).not.toMatch(/threads|provider|policies\//);
    expect(of(onnx, nav)).toBe(c);
  });

  it('held control: the profile and the latency model (a scene cadence wins over the run’s)', () => {
    const h = of(onnx, held);
    expect(h.control).toEqual({ actionMode: 'pulse', mode: 'held', rateHz: 6, profile: 'v6-held' });
    expect(h.latency).toEqual({ model: 'none' });
    expect(h.hash).not.toBe(of(onnx, nav).hash);
    const measured = inferenceConfigs(parseConfig({ latency: 'measured' }, 'test'), episodeProfiles({}));
    expect(measured(onnx, held).latency).toEqual({ model: 'measured' });
    expect(measured(onnx, cadence).latency).toEqual({ model: 'pattern', ms: cadence.scene.cadence!.latencyMs });
    // Pulse control waits for every answer: no latency model there.
    expect(measured(onnx, nav).latency).toEqual({ model: 'none' });
  });

  it('a served policy: what its adapter knows (channel order, encoding, size, chunk execute-k); not its URL', () => {
    const c = of(served, held);
    expect(c.image).toEqual({ camera: [224, 224], input: [224, 224], channelOrder: 'BGR', encoding: 'jpeg q85' });
    expect(c.chunk).toEqual({ execute: 4 });
    expect(JSON.stringify(c)).not.toMatch(/gpu:8001/);
    expect(of(scripted, nav)).toMatchObject({ policy: { kind: 'scripted', variant: 'scripted' }, control: { mode: 'pulse' } });
    expect(of(scripted, nav).image).toBeUndefined();
  });
});
