/**
 * Sim episodes exported in the lab's V6 layout and read back by `simgate offline`: an oracle run
 * of the basket suite, traced, re-rendered at a reduced frame size (1280×720 is the default;
 * SwiftShader makes it slow for a test), written with h5wasm.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterEach, describe, expect, it } from 'vitest';
import { Episode } from '../src/offline/episode';
import type { OfflineReport } from '../src/offline/run';
import type { WrittenEpisode } from '../src/offline/export';
import { pathShape } from '../src/offline/export';
import type { RunResults } from '../src/results/schema';
import { readResults } from '../src/results/read';
import { replaySpec } from '../src/replay/load';
import { cameraRequest, posesFor } from '../src/replay/prepare';
import { resimulate } from '../src/replay/simulate';
import type { EpisodeTrace } from '../src/sim/trace';
import { launchDefaultRenderer } from '../src/render/launch';
import { killChildren, startCli } from './runner-helpers';
import { tempDir } from './helpers/suites';

afterEach(() => killChildren());

describe('simgate offline export (sim episodes → V6 files)', () => {
  it('writes V6 files that offline reads back: frames as rendered (RGB), actions as commanded', async () => {
    const d = tempDir('simgate-export-');
    const run = join(d, 'run');
    const r1 = await startCli(['run', '--policy', 'oracle', '--suite', 'scenes/lab-basket-v1.json', '--episodes-per-scene', '1', '--trace-all', '--out', run, '--quiet']).done;
    expect(r1.code, r1.stderr).toBe(0);
    const out = join(d, 'v6');
    const r2 = await startCli(['offline', 'export', run, '--out', out, '--limit', '1', '--size', '320x180', '--json']).done;
    expect(r2.code, r2.stderr).toBe(0);
    const [w] = JSON.parse(r2.stdout) as WrittenEpisode[];
    expect(w).toMatchObject({ policy: 'oracle', outcome: 'success', size: [180, 320], verified: true });
    expect(w!.file).toMatch(/episode_\d{8}_\d{6}_strong_left_(straight|left_curve|right_curve)\.h5$/);

    // Read back as the lab's loader would see it.
    const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8')) as RunResults;
    const row = results.episodes.find((e) => e.episodeId === w!.episodeId)! as RunResults['episodes'][number] & { trace: EpisodeTrace };
    const ep = await Episode.open(w!.file);
    let first: Uint8Array;
    try {
      expect(ep.info).toMatchObject({ schema: 'v6', frames: row.trace.actions.length, height: 180, width: 320, storedOrder: 'RGB', instruction: 'gray basket' });
      expect(ep.info.attrs).toMatchObject({ cx_position: 'strong_left', num_frames: row.trace.actions.length, simgate_policy: 'oracle', simgate_episode_id: w!.episodeId });
      ep.info.actions.forEach((a, t) => a.forEach((v, k) => expect(v).toBeCloseTo(row.trace.actions[t]![k] ?? 0, 5)));
      expect(ep.info.events?.[0]).toBe('episode_start');
      first = [...ep.frames(0, 1)][0]!.data;
    } finally {
      ep.close();
    }
    await h5wasm.ready;
    const f = new h5wasm.File(w!.file, 'r');
    expect((f.get('images') as InstanceType<typeof h5wasm.Dataset>).filters.map((x) => x.name)).toContain('deflate');
    f.close();

    // Frame 0 is exactly what the camera renders at that pose (RGB, not BGR), with the renderer
    // the export used (the default, `auto`).
    const loaded = readResults(run);
    const spec = replaySpec(loaded, row);
    const renderer = await launchDefaultRenderer();
    try {
      const profile = { ...spec.profile, camera: { ...spec.profile.camera, width: 320, height: 180, aspect: 320 / 180 } };
      const start = posesFor(spec, await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace))[0]!;
      const [frame] = await renderer.render([cameraRequest({ ...spec, profile }, start, 0)]);
      expect(Buffer.from(first!).equals(Buffer.from(frame!.data.subarray(0, 320 * 180 * 3)))).toBe(true);
    } finally {
      await renderer.close();
    }

    const r3 = await startCli(['offline', out, '--policy', 'policies/demo-simple-finetuned', '--json']).done;
    expect(r3.code, r3.stderr).toBe(0);
    const report = JSON.parse(r3.stdout) as OfflineReport;
    expect(report.counts).toMatchObject({ files: 1, evaluated: 1, unreadable: 0, frames: row.trace.actions.length });
    expect(report.files[0]).toMatchObject({ schema: 'v6', scenario: expect.stringMatching(/^strong_left_/) });
  }, 300_000);

  it('names the driven path as the lab does (left_curve / straight / right_curve)', () => {
    expect(pathShape([{ x: 0, y: 0 }, { x: 1, y: 0.02 }, { x: 2, y: 0 }])).toBe('straight');
    expect(pathShape([{ x: 0, y: 0 }, { x: 1, y: 0.5 }, { x: 2, y: 0 }])).toBe('left_curve');
    expect(pathShape([{ x: 0, y: 0 }, { x: 1, y: -0.5 }, { x: 2, y: 0 }])).toBe('right_curve');
  });
});
