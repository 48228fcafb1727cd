import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/util/errors';
import type { ActResult, Policy } from '../src/policy/types';
import { loadOnnxPolicy } from '../src/policy/onnx/load';
import { loadManifest } from '../src/policy/onnx/manifest';
import { resetCudaWarning } from '../src/policy/onnx/session';
import {
  GraphBuilder,
  writeChannelMeanModel,
  writeCounterModel,
  writeNanModel,
  writeWindowProbeModel,
} from '../dev/onnx/build';
import { DUMMY_EPISODE, noiseFrame, observation, solidFrame } from './helpers/fixtures';
import { writeDemoPolicies } from '../scripts/make-demo-policies';

const dir = mkdtempSync(join(tmpdir(), 'simgate-policy-'));
const open: Policy[] = [];
afterAll(async () => {
  for (const p of open) await p.close();
});

/** Writes policy.json (with defaults for a (B,3,8,8) → (B,2) model) into a fresh folder. */
function manifest(name: string, over: Record<string, unknown> = {}, model = 'model.onnx'): string {
  const d = folder(name);
  const m = {
    name,
    variant: 'test',
    model,
    image: { input: 'image', layout: 'NCHW', size: [8, 8], channelOrder: 'RGB' },
    output: { tensor: 'action', clamp: [-10, 10] },
    ...over,
  };
  writeFileSync(join(d, 'policy.json'), JSON.stringify(m));
  return join(d, 'policy.json');
}

function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

async function load(path: string, opts = {}) {
  const p = await loadOnnxPolicy(path, { device: 'cpu', ...opts });
  open.push(p);
  return p;
}

function action(r: ActResult | undefined): number[] {
  if (!r || !('action' in r)) throw new Error(`expected an action, got ${JSON.stringify(r)}`);
  return r.action;
}

async function configError(p: Promise<unknown> | (() => unknown)): Promise<ConfigError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const RED = [255, 0, 0] as const;
const BLUE = [0, 0, 255] as const;
// CLIP-normalised channel values of a red frame.
const HI = (1 - 0.48145466) / 0.26862954; // 1.931…
const LO = (0 - 0.48145466) / 0.26862954; // -1.792…

describe('manifest', () => {
  it('names the file and field of a bad value', async () => {
    folder('badlayout');
    const f = manifest('badlayout', { image: { input: 'image', layout: 'NCWH', size: [8, 8] } });
    const e = await configError(() => loadManifest(f));
    expect(e.message).toContain(`${f}: image.layout:`);
    expect(e.message).toMatch(/NCHW/);
  });

  it('requires tokenizer or ids, and a chunk axis for executeSteps', async () => {
    folder('badins');
    const f = manifest('badins', {
      instruction: { idsInput: 'ids', length: 4 },
      output: { tensor: 'action', executeSteps: 3 },
    });
    const e = await configError(() => loadManifest(f));
    expect(e.message).toContain(`${f}: instruction:`);
    expect(e.message).toContain(`${f}: output.executeSteps:`);
  });

  it('rejects unknown fields (typos) and bad JSON', async () => {
    folder('typo');
    const f = manifest('typo', { outptu: {} });
    expect((await configError(() => loadManifest(f))).message).toMatch(/outptu/);
    writeFileSync(join(dir, 'typo', 'policy.json'), '{ nope');
    expect((await configError(() => loadManifest(f))).message).toContain(`${f}: not valid JSON`);
  });
});

describe('model validation at load', () => {
  it('corrupt or truncated ONNX → ConfigError naming the path', async () => {
    const d = folder('corrupt');
    writeFileSync(join(d, 'model.onnx'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    const e = await configError(load(manifest('corrupt')));
    expect(e.message).toContain(join(d, 'model.onnx'));
    expect(e.message).toContain('not a valid ONNX model');
    expect(e.message).toContain('re-export it');

    const t = folder('truncated');
    writeChannelMeanModel(join(t, 'full.onnx'));
    const bytes = readFileSync(join(t, 'full.onnx'));
    writeFileSync(join(t, 'model.onnx'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const e2 = await configError(load(manifest('truncated')));
    expect(e2.message).toContain(join(t, 'model.onnx'));
    expect(e2.message).toContain('not a valid ONNX model');
  });

  it('missing model file → ConfigError naming it', async () => {
    folder('nomodel');
    const e = await configError(load(manifest('nomodel', {}, 'nothere.onnx')));
    expect(e.message).toContain('nothere.onnx');
  });

  it('manifest/model mismatches name the tensor and what was expected', async () => {
    const d = folder('mismatch');
    writeChannelMeanModel(join(d, 'model.onnx'));
    const name = await configError(load(manifest('mismatch', { image: { input: 'pixel_values', size: [8, 8] } })));
    expect(name.message).toMatch(/input "pixel_values" not found.*image.*inputs are: image/s);
    expect(name.message).toContain(join(d, 'model.onnx'));

    const size = await configError(load(manifest('mismatch', { image: { input: 'image', size: [224, 224] } })));
    expect(size.message).toContain('input "image": expected shape (B,3,224,224) float32');
    expect(size.message).toContain('model has (B,3,8,8) float32');

    const layout = await configError(load(manifest('mismatch', { image: { input: 'image', size: [8, 8], layout: 'NHWC' } })));
    expect(layout.message).toContain('expected shape (B,8,8,3)');

    const window = await configError(load(manifest('mismatch', { image: { input: 'image', size: [8, 8], window: 8 } })));
    expect(window.message).toContain('expected shape (B,8,3,8,8)');

    const out = await configError(load(manifest('mismatch', { output: { tensor: 'action', actionDims: 3 } })));
    expect(out.message).toContain('output "action": expected shape (B,3) float32');

    const chunk = await configError(load(manifest('mismatch', { output: { tensor: 'action', chunkIndex: [0] } })));
    expect(chunk.message).toContain('output "action"');

    const ins = await configError(
      load(manifest('mismatch', { instruction: { idsInput: 'input_ids', length: 4, ids: [{ contains: 'left', ids: [1] }] } })),
    );
    expect(ins.message).toContain('input "input_ids" not found (manifest');
  });

  it('a model input the manifest does not feed is an error', async () => {
    const d = folder('unfed');
    writeCounterModel(join(d, 'model.onnx'));
    const e = await configError(load(manifest('unfed')));
    expect(e.message).toContain('input "h_in" is not fed by manifest');
  });
});

describe('preprocessing', () => {
  it('channel order: a red frame gives channel 0 high under RGB, low under BGR', async () => {
    const d = folder('order');
    writeChannelMeanModel(join(d, 'model.onnx'));
    const rgb = await load(manifest('order', { name: 'rgb' }));
    writeFileSync(join(d, 'bgr.json'), readFileSync(join(d, 'policy.json'), 'utf8').replace('"RGB"', '"BGR"'));
    const bgr = await load(join(d, 'bgr.json'));
    const red = [{ slot: 0, obs: observation(solidFrame(RED)) }];
    const a = action((await rgb.act(red))[0]);
    const b = action((await bgr.act(red))[0]);
    expect(a[0]).toBeCloseTo(HI, 5);
    expect(b[0]).toBeCloseTo(LO, 5);
  });

  it('resizes larger frames (bilinear) to the manifest size', async () => {
    const d = folder('resize');
    writeChannelMeanModel(join(d, 'model.onnx'));
    const p = await load(manifest('resize'));
    const a = action((await p.act([{ slot: 0, obs: observation(solidFrame(RED, 64, 36)) }]))[0]);
    expect(a[0]).toBeCloseTo(HI, 5);
  });

  it('applies scale and clamp from the manifest', async () => {
    const d = folder('clamp');
    writeChannelMeanModel(join(d, 'model.onnx'));
    const p = await load(manifest('clamp', { output: { tensor: 'action', scale: 1.15, clamp: [-5, 5] } }));
    expect(action((await p.act([{ slot: 0, obs: observation(solidFrame(RED)) }]))[0])[0]).toBeCloseTo(HI * 1.15, 4);
    const q = await load(manifest('clamp', { name: 'c2', output: { tensor: 'action', scale: 1.15, clamp: [-1, 1] } }));
    expect(action((await q.act([{ slot: 0, obs: observation(solidFrame(RED)) }]))[0])).toEqual([1, 1]);
  });
});

describe('instructions', () => {
  /** image (B,3,8,8) + ids (B,4) + mask (B,4) → action (B,2) = [Σ ids, Σ mask]. */
  function writeIdsModel(path: string, dtype: 'int64' | 'int32'): void {
    const g = new GraphBuilder();
    g.input('image', 'float32', ['B', 3, 8, 8]);
    const ids = g.input('ids', dtype, ['B', 4]);
    const mask = g.input('mask', dtype, ['B', 4]);
    const sum = (t: string) => g.op1('ReduceSum', [g.op1('Cast', [t], { to: { i: 1 } }), g.int64s([1], [1])], { keepdims: { i: 1 } }); // (B,1)
    g.op1('Concat', [sum(ids), sum(mask)], { axis: { i: 1 } }, 'action');
    g.output('action', 'float32', ['B', 2]);
    g.save(path);
  }

  it('fixed ids per instruction: match by substring or exact text, pad to L, no match → error row', async () => {
    const d = folder('ids');
    writeIdsModel(join(d, 'model.onnx'), 'int32');
    const p = await load(
      manifest('ids', {
        instruction: {
          idsInput: 'ids',
          maskInput: 'mask',
          length: 4,
          dtype: 'int32',
          ids: [
            { text: 'exactly this', ids: [1, 1, 1, 1, 1, 1] },
            { contains: 'LEFT', ids: [5, 9] },
            { contains: 'right', ids: [5, 10] },
          ],
        },
        output: { tensor: 'action', clamp: [-100, 100] },
      }),
    );
    const r = await p.act(
      ['go to the left bottle', 'go right', 'exactly this', 'straight on'].map((text, slot) => ({ slot, obs: observation(solidFrame(RED), text) })),
    );
    expect(action(r[0])).toEqual([14, 2]);
    expect(action(r[1])).toEqual([15, 2]);
    expect(action(r[2])).toEqual([4, 4]); // truncated to L = 4
    expect(r[3]).toEqual({ error: expect.stringMatching(/^policy_error: no instruction.ids entry .* matches "straight on"/) });
  });

  it('a Hugging Face tokenizer.json is loaded and its ids fed (demo word-level tokenizer)', async () => {
    const d = folder('tok');
    writeIdsModel(join(d, 'model.onnx'), 'int64');
    const tok = join(process.cwd(), 'policies/demo-kosmos-frozen/tokenizer.json');
    const p = await load(manifest('tok', { instruction: { idsInput: 'ids', maskInput: 'mask', length: 4, tokenizer: tok }, output: { tensor: 'action', clamp: [-100, 100] } }));
    const vocab = JSON.parse(readFileSync(tok, 'utf8')).model.vocab as Record<string, number>;
    const [l, u] = await p.act([
      { slot: 0, obs: observation(solidFrame(RED), 'Left left') },
      { slot: 1, obs: observation(solidFrame(RED), 'zebra') },
    ]);
    expect(action(l)).toEqual([2 * (vocab.left as number), 2]);
    expect(action(u)).toEqual([vocab['[UNK]'], 1]);

    // Without an unk token an unknown word is an error row, not a crash.
    const nounk = folder('nounk');
    writeIdsModel(join(nounk, 'model.onnx'), 'int64');
    const tj = JSON.parse(readFileSync(tok, 'utf8'));
    delete tj.model.unk_token;
    writeFileSync(join(nounk, 'tokenizer.json'), JSON.stringify(tj));
    const q = await load(manifest('nounk', { instruction: { idsInput: 'ids', maskInput: 'mask', length: 4, tokenizer: 'tokenizer.json' }, output: { tensor: 'action', clamp: [-100, 100] } }));
    const [z, ok] = await q.act([
      { slot: 0, obs: observation(solidFrame(RED), 'zebra') },
      { slot: 1, obs: observation(solidFrame(RED), 'left') },
    ]);
    expect(z).toEqual({ error: expect.stringContaining('has no id for token "zebra"') });
    expect(action(ok)).toEqual([vocab.left, 1]);
    const bad = folder('badtok');
    writeIdsModel(join(bad, 'model.onnx'), 'int64');
    writeFileSync(join(bad, 'tokenizer.json'), '{"model": 3}');
    const e = await configError(load(manifest('badtok', { instruction: { idsInput: 'ids', maskInput: 'mask', length: 4, tokenizer: 'tokenizer.json' } })));
    expect(e.message).toContain('instruction.tokenizer');
  });
});

describe('run-time errors are per row', () => {
  it('NaN output → that row is a policy_error, the others go on', async () => {
    const d = folder('nan');
    writeNanModel(join(d, 'model.onnx'));
    const p = await load(manifest('nan'));
    const r = await p.act([
      { slot: 0, obs: observation(solidFrame(RED)) },
      { slot: 1, obs: observation(solidFrame(BLUE)) }, // channel 0 normalised < 0 → sqrt → NaN
      { slot: 2, obs: observation(solidFrame(RED)) },
    ]);
    expect(action(r[0])[0]).toBeCloseTo(Math.sqrt(HI), 5);
    expect(r[1]).toEqual({ error: expect.stringMatching(/^policy_error: non-finite action \[NaN, NaN\]/) });
    expect(action(r[2])[0]).toBeCloseTo(Math.sqrt(HI), 5);
  });

  it('a row without an image is a policy_error', async () => {
    const d = folder('noimg');
    writeChannelMeanModel(join(d, 'model.onnx'));
    const p = await load(manifest('noimg'));
    const r = await p.act([
      { slot: 0, obs: observation(undefined) },
      { slot: 1, obs: observation(solidFrame(RED)) },
    ]);
    expect(r[0]).toEqual({ error: expect.stringContaining('policy_error: observation has no camera image') });
    expect(action(r[1])[0]).toBeCloseTo(HI, 5);
  });

  it('a wrong-shaped output at run time is a policy_error, not a crash', async () => {
    // A free width W passes the load-time check, but the output is (B,W): 8 ≠ 2 shows up only at run time.
    const d = folder('wrongshape');
    const g = new GraphBuilder();
    const x = g.input('image', 'float32', ['B', 3, 8, 'W']);
    g.op1('ReduceMean', [x], { axes: { ints: [1, 2] }, keepdims: { i: 0 } }, 'action'); // (B,W)
    g.output('action', 'float32', ['B', 'W']);
    g.save(join(d, 'model.onnx'));
    const p = await load(manifest('wrongshape'));
    const r = await p.act([{ slot: 0, obs: observation(solidFrame(RED)) }]);
    expect(r[0]).toEqual({ error: expect.stringMatching(/^policy_error: output "action" has shape \(2,8\)/) });
  });
});

describe('per-episode memory', () => {
  it('window: the start of an episode repeats the first frame; begin clears it', async () => {
    const d = folder('window');
    writeWindowProbeModel(join(d, 'model.onnx'), { window: 4 });
    const base = { image: { input: 'pixel_values', size: [8, 8], window: 4, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] } };
    const oldest = await load(manifest('window', { ...base, name: 'oldest', output: { tensor: 'out', chunkIndex: [0], clamp: [-1000, 1000] } }));
    writeFileSync(join(d, 'prev.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(d, 'policy.json'), 'utf8')), name: 'prev', output: { tensor: 'out', chunkIndex: [-2], clamp: [-1000, 1000] } }));
    const prev = await load(join(d, 'prev.json'));
    const frame = (v: number) => solidFrame([v, 0, 0]);
    const seen: [number, number][] = [];
    for (const p of [oldest, prev]) p.begin(0, DUMMY_EPISODE);
    for (let t = 0; t < 6; t++) {
      const obs = observation(frame(10 + t), 'x', t);
      const a = action((await oldest.act([{ slot: 0, obs }]))[0])[0] as number;
      const b = action((await prev.act([{ slot: 0, obs }]))[0])[0] as number;
      seen.push([a, b]);
    }
    // Oldest of 4: 10,10,10,10 then 11,12. Previous frame: 10 (padded),10,11,12,13,14.
    expect(seen).toEqual([
      [10, 10],
      [10, 10],
      [10, 11],
      [10, 12],
      [11, 13],
      [12, 14],
    ]);
    oldest.begin(0, DUMMY_EPISODE);
    expect(action((await oldest.act([{ slot: 0, obs: observation(frame(50)) }]))[0])[0]).toBe(50);
  });

  it('recurrent state is carried between steps, per slot, and reset by begin', async () => {
    const d = folder('state');
    writeCounterModel(join(d, 'model.onnx'));
    const p = await load(manifest('state', { state: [{ input: 'h_in', output: 'h_out', shape: ['B', 4] }] }));
    const step = async (slots: number[]) =>
      (await p.act(slots.map((slot) => ({ slot, obs: observation(solidFrame(RED)) })))).map((r) => action(r)[0]);
    p.begin(0, DUMMY_EPISODE);
    p.begin(1, DUMMY_EPISODE);
    expect(await step([0])).toEqual([1]);
    expect(await step([0, 1])).toEqual([2, 1]);
    expect(await step([1, 0])).toEqual([2, 3]);
    p.begin(0, DUMMY_EPISODE);
    expect(await step([0, 1])).toEqual([1, 3]);
  });

  it('LSTM-style state with the batch axis in the middle, (layers, B, hidden), keeps rows apart', async () => {
    // h_out = h_in + [1 | 10] per layer; action = [h_out[0, b, 0], h_out[1, b, 0]] = [t, 10 t] after t steps.
    const d = folder('lstmstate');
    const g = new GraphBuilder();
    g.input('image', 'float32', ['B', 3, 8, 8]);
    const h = g.input('h_in', 'float32', [2, 'B', 3]);
    const hOut = g.op1('Add', [h, g.floats([2, 1, 3], [1, 1, 1, 10, 10, 10])], {}, 'h_out');
    const t = g.op1('Transpose', [hOut], { perm: { ints: [1, 0, 2] } }); // (B,2,3)
    const first = g.op1('Slice', [t, g.int64s([1], [0]), g.int64s([1], [1]), g.int64s([1], [2])]); // (B,2,1)
    g.op1('Reshape', [first, g.int64s([2], [-1, 2])], {}, 'action');
    g.output('action', 'float32', ['B', 2]);
    g.output('h_out', 'float32', [2, 'B', 3]);
    g.save(join(d, 'model.onnx'));
    const p = await load(manifest('lstmstate', { state: [{ input: 'h_in', output: 'h_out', shape: [2, 'B', 3] }], output: { tensor: 'action', clamp: [-100, 100] } }));
    const step = async (slots: number[]) => (await p.act(slots.map((slot) => ({ slot, obs: observation(solidFrame(RED)) })))).map(action);
    for (const s of [0, 1, 2]) p.begin(s, DUMMY_EPISODE);
    expect(await step([0])).toEqual([[1, 10]]);
    expect(await step([0, 1])).toEqual([[2, 20], [1, 10]]);
    expect(await step([2, 0, 1])).toEqual([[1, 10], [3, 30], [2, 20]]);
  });

  it('executeSteps k runs a chunk open-loop and queries every k steps', async () => {
    const d = folder('chunk');
    writeWindowProbeModel(join(d, 'model.onnx'), { window: 4 });
    const p = await load(
      manifest('chunk', {
        image: { input: 'pixel_values', size: [8, 8], window: 4, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
        output: { tensor: 'out', chunkIndex: [1], executeSteps: 2, clamp: [-1000, 1000] },
      }),
    );
    p.begin(0, DUMMY_EPISODE);
    const got: number[] = [];
    for (let t = 0; t < 4; t++) got.push(action((await p.act([{ slot: 0, obs: observation(solidFrame([20 + t, 0, 0]), 'x', t) }]))[0])[0] as number);
    // Queried at t=0 (window 20,20,20,20 → positions 1,2) and t=2 (window 20,20,21,22 → positions 1,2 = 20,21).
    expect(got).toEqual([20, 20, 20, 21]);
    expect(p.latencyStats().n).toBe(2);
  });
});

describe('batching and devices', () => {
  it('an export with a fixed batch of 1 runs row by row', async () => {
    const d = folder('fixed1');
    const g = new GraphBuilder();
    const x = g.input('image', 'float32', [1, 3, 8, 8]);
    const m = g.op1('ReduceMean', [g.op1('Slice', [x, g.int64s([1], [0]), g.int64s([1], [1]), g.int64s([1], [1])])], { axes: { ints: [1, 2, 3] }, keepdims: { i: 0 } });
    const c = g.op1('Unsqueeze', [m, g.int64s([1], [1])]);
    g.op1('Concat', [c, c], { axis: { i: 1 } }, 'action');
    g.output('action', 'float32', [1, 2]);
    g.save(join(d, 'model.onnx'));
    const p = await load(manifest('fixed1'));
    expect(p.info.details?.batching).toMatch(/fixed batch 1/);
    const r = await p.act([0, 1, 2].map((slot) => ({ slot, obs: observation(solidFrame(slot === 1 ? BLUE : RED)) })));
    expect(r.map((x) => action(x)[0])).toEqual([expect.closeTo(HI, 5), expect.closeTo(LO, 5), expect.closeTo(HI, 5)]);
  });

  it('--device cuda falls back to CPU with one warning line and records the provider', async () => {
    const d = folder('cuda');
    writeChannelMeanModel(join(d, 'model.onnx'));
    resetCudaWarning();
    const lines: string[] = [];
    const warn = (l: string) => lines.push(l);
    const p = await load(manifest('cuda'), { device: 'cuda', warn });
    const q = await load(manifest('cuda'), { device: 'cuda', warn });
    const provider = p.info.details?.provider;
    expect(['cuda', 'cpu']).toContain(provider);
    if (provider === 'cpu') {
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain('\n');
      expect(lines[0]).toMatch(/cuda.*CPU/i);
      expect(q.info.details?.providerFallback).toBeTruthy();
    }
    const auto = await load(manifest('cuda'), { device: 'auto', warn });
    expect(lines.length).toBeLessThanOrEqual(1); // auto never warns
    expect(['cuda', 'cpu']).toContain(auto.info.details?.provider);
    expect((await load(manifest('cuda'))).info.details?.provider).toBe('cpu');
  });
});

describe('demo checkpoints', () => {
  const kosmos = 'policies/demo-kosmos-frozen/policy.json';
  const simple = 'policies/demo-simple-finetuned/policy.json';
  const LEFT = 'Navigate around obstacles and reach the front of the beverage bottle on the left';
  const RIGHT = 'Navigate around obstacles and reach the front of the beverage bottle on the right';

  it('are regenerated byte-identically from the seed and stay small', () => {
    const out = mkdtempSync(join(tmpdir(), 'simgate-demo-'));
    writeDemoPolicies(out);
    for (const f of ['demo-kosmos-frozen/model.onnx', 'demo-kosmos-frozen/tokenizer.json', 'demo-kosmos-frozen/policy.json', 'demo-simple-finetuned/model.onnx', 'demo-simple-finetuned/policy.json']) {
      const a = readFileSync(join(out, f));
      expect(a.equals(readFileSync(join('policies', f))), f).toBe(true);
      expect(a.length).toBeLessThan(1 << 20);
    }
  });

  it('Kosmos demo: rows are bit-identical at batch 1, 4 and 16 (whole chunk compared)', async () => {
    // executeSteps 10 hands out all 10 chunk elements of the last window step, so every value a
    // row could act on is compared. Without padding lone rows to two, this fails (1-ulp diffs).
    const m = JSON.parse(readFileSync(kosmos, 'utf8'));
    const d = folder('kosmos-chunk');
    m.model = join(process.cwd(), 'policies/demo-kosmos-frozen/model.onnx');
    m.instruction.tokenizer = join(process.cwd(), 'policies/demo-kosmos-frozen/tokenizer.json');
    m.output.executeSteps = 10;
    writeFileSync(join(d, 'policy.json'), JSON.stringify(m));
    const p = await load(join(d, 'policy.json'));
    const instruction = (s: number) => (s % 2 ? RIGHT : LEFT);
    const run = async (slots: number[], steps: number) => {
      const out = new Map<number, number[][]>();
      for (const s of slots) p.begin(s, DUMMY_EPISODE);
      for (let t = 0; t < steps; t++) {
        const r = await p.act(slots.map((s) => ({ slot: s, obs: observation(noiseFrame(s * 100 + t), instruction(s), t) })));
        slots.forEach((s, k) => out.set(s, [...(out.get(s) ?? []), action(r[k])]));
      }
      return out;
    };
    const slots = Array.from({ length: 16 }, (_, i) => i);
    const all = await run(slots, 11);
    const four = await run([3, 0, 9, 12], 11);
    for (const s of [3, 0, 9, 12]) expect(four.get(s), `slot ${s} at B=4`).toEqual(all.get(s));
    for (const s of slots) expect((await run([s], 11)).get(s), `slot ${s} at B=1`).toEqual(all.get(s));
  });

  it('Kosmos demo: frozen variant, instruction flips linear_y, latency recorded', async () => {
    const p = await load(kosmos);
    expect(p.info.variant).toBe('frozen');
    expect(p.info.details?.provider).toBe('cpu');
    p.begin(0, DUMMY_EPISODE);
    p.begin(1, DUMMY_EPISODE);
    const f = noiseFrame(7);
    const [l, r] = await p.act([
      { slot: 0, obs: observation(f, LEFT) },
      { slot: 1, obs: observation(f, RIGHT) },
    ]);
    // Same frames, opposite instruction: "left" → ly > 0, "right" → ly < 0.
    expect(action(l)[1]).toBeGreaterThan(0);
    expect(action(r)[1]).toBeLessThan(0);
    expect(p.latencyStats().n).toBe(2);
    expect(p.info.details?.latency).toEqual(p.latencyStats());
  });

  it('simple demo: actions depend on the image, batch-size independent', async () => {
    const p = await load(simple);
    expect(p.info.variant).toBe('finetuned');
    const frames = [solidFrame([200, 40, 40], 224), solidFrame([40, 40, 200], 224), noiseFrame(3)];
    const batched = (await p.act(frames.map((f, slot) => ({ slot, obs: observation(f) })))).map(action);
    for (let i = 0; i < frames.length; i++) {
      expect(action((await p.act([{ slot: i, obs: observation(frames[i]) }]))[0])).toEqual(batched[i]);
    }
    expect(batched[0]).not.toEqual(batched[1]);
  });
});
