/**
 * Action chunks on the ONNX side (issue 14): with the manifest's `chunk.execute`, a call returns the
 * whole chunk (`actions`) for the loop to execute k at a time; without it, chunk selection (one
 * action per call, output.executeSteps) works as before.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWindowProbeModel } from '../dev/onnx/build';
import { loadOnnxPolicy } from '../src/policy/onnx/load';
import { loadManifest } from '../src/policy/onnx/manifest';
import type { ActResult, Policy } from '../src/policy/types';
import { ConfigError } from '../src/util/errors';
import { DUMMY_EPISODE, noiseFrame, observation, solidFrame } from './helpers/fixtures';

const dir = mkdtempSync(join(tmpdir(), 'simgate-chunks-'));
const open: Policy[] = [];
afterAll(async () => {
  for (const p of open) await p.close();
});

function manifest(name: string, over: Record<string, unknown>): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeWindowProbeModel(join(d, 'model.onnx'), { window: 4 });
  const m = {
    name,
    variant: 'test',
    model: 'model.onnx',
    image: { input: 'pixel_values', size: [8, 8], window: 4, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
    output: { tensor: 'out', chunkIndex: [1], clamp: [-1000, 1000] },
    ...over,
  };
  writeFileSync(join(d, 'policy.json'), JSON.stringify(m));
  return join(d, 'policy.json');
}

async function load(path: string) {
  const p = await loadOnnxPolicy(path, { device: 'cpu' });
  open.push(p);
  return p;
}

const frame = (v: number) => solidFrame([v, 0, 0]);
const chunk = (r: ActResult | undefined) => {
  if (!r || !('actions' in r)) throw new Error(`expected a chunk, got ${JSON.stringify(r)}`);
  return r.actions;
};

describe('ONNX action chunks', () => {
  it('chunk.execute: every call returns the rest of the chunk axis; PolicyInfo.chunk is set', async () => {
    const p = await load(manifest('loopchunk', { chunk: { execute: 2 } }));
    expect(p.info.chunk).toEqual({ execute: 2 });
    p.begin(0, DUMMY_EPISODE);
    // (B, T=4, 2) output, chunkIndex [1]: positions 1, 2, 3 of the window (20, 20, 20 at the start).
    expect(chunk((await p.act([{ slot: 0, obs: observation(frame(20)) }]))[0])).toEqual([
      [20, 20],
      [20, 20],
      [20, 20],
    ]);
    // Every call runs the model (the loop decides how many to execute): window 20,20,20,21.
    expect(chunk((await p.act([{ slot: 0, obs: observation(frame(21), 'x', 1) }]))[0])).toEqual([
      [20, 20],
      [20, 20],
      [21, 21],
    ]);
    expect(p.latencyStats().n).toBe(2);
  });

  it('without chunk: one action per call, executeSteps queued inside the policy (unchanged)', async () => {
    const p = await load(manifest('select', { output: { tensor: 'out', chunkIndex: [1], executeSteps: 2, clamp: [-1000, 1000] } }));
    expect(p.info.chunk).toBeUndefined();
    p.begin(0, DUMMY_EPISODE);
    const got: ActResult[] = [];
    for (let t = 0; t < 3; t++) got.push((await p.act([{ slot: 0, obs: observation(frame(20 + t), 'x', t) }]))[0]!);
    expect(got.every((r) => 'action' in r)).toBe(true);
    expect(p.latencyStats().n).toBe(2);
  });

  it('manifest checks: chunk needs a chunk axis, excludes executeSteps, and must fit a fixed axis', async () => {
    const noAxis = manifest('noaxis', { chunk: { execute: 2 }, output: { tensor: 'out', clamp: [-1000, 1000] } });
    expect(() => loadManifest(noAxis)).toThrow(/chunk: chunk needs a chunk axis/);
    const both = manifest('both', { chunk: { execute: 2 }, output: { tensor: 'out', chunkIndex: [1], executeSteps: 2 } });
    expect(() => loadManifest(both)).toThrow(/not both/);
    const tooMany = manifest('toomany', { chunk: { execute: 4 } });
    const e = await loadOnnxPolicy(tooMany, { device: 'cpu' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(/chunkIndex\[0\] = 1 with chunk.execute 4 is outside axis 1 of size 4/);
  });

  it('Kosmos demo (B, 8, 10, 2): chunk.execute returns the 10-step chunk of the last window step, bit-identical at batch 1 and 3', async () => {
    const m = JSON.parse(readFileSync('policies/demo-kosmos-frozen/policy.json', 'utf8'));
    const d = join(dir, 'kosmos');
    mkdirSync(d, { recursive: true });
    m.model = join(process.cwd(), 'policies/demo-kosmos-frozen/model.onnx');
    m.instruction.tokenizer = join(process.cwd(), 'policies/demo-kosmos-frozen/tokenizer.json');
    m.output.executeSteps = 1;
    m.chunk = { execute: 5 };
    writeFileSync(join(d, 'policy.json'), JSON.stringify(m));
    const p = await load(join(d, 'policy.json'));
    const run = async (slots: number[]) => {
      for (const s of slots) p.begin(s, DUMMY_EPISODE);
      const out: number[][][][] = [];
      for (let t = 0; t < 2; t++) out.push((await p.act(slots.map((s) => ({ slot: s, obs: observation(noiseFrame(s * 10 + t, 32), 'reach the bottle on the left', t) })))).map(chunk));
      return out;
    };
    const together = await run([0, 1, 2]);
    expect(together[0]![0]).toHaveLength(10); // chunkIndex [-1, 0]: the whole chunk from element 0
    for (const s of [0, 1, 2]) {
      const alone = await run([s]);
      expect(alone.map((step) => step[0])).toEqual(together.map((step) => step[s]));
    }
  });
});
