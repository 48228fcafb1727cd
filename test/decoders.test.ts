import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  argmax,
  binCentre,
  binOf,
  BinnedDecoder,
  decodeBinIds,
  decodeBinLogits,
  makeOutputDecoder,
  parseActionText,
  type OutputTensor,
} from '../src/policy/onnx/decoders';
import { GraphBuilder } from '../dev/onnx/build';
import { loadOnnxPolicy } from '../src/policy/onnx/load';
import { parseManifest } from '../src/policy/onnx/manifest';
import { DUMMY_EPISODE, observation, solidFrame } from './helpers/fixtures';
import type { ActResult, Policy } from '../src/policy/types';
import { ConfigError } from '../src/util/errors';

const dir = mkdtempSync(join(tmpdir(), 'simgate-decoders-'));
const open: Policy[] = [];
afterAll(async () => {
  for (const p of open) await p.close();
});

const binned = (over: Record<string, unknown> = {}) => BinnedDecoder.parse({ type: 'binned', ...over });

/** A small action tokenizer.json: word-level, whitespace split, then decimals / words-with-dashes / punctuation. */
function actionTokenizer(): { json: object; id: (t: string) => number } {
  const tokens = ['[PAD]', '[UNK]', 'forward', 'back', 'left', 'right', 'forward-left', 'stop', ',', '0.5', '0.8', '1.5', 'banana'];
  const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '[PAD]'), special(1, '[UNK]')],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'WhitespaceSplit' },
        { type: 'Split', pattern: { Regex: '\\d*\\.\\d+|\\d+|[a-z]+(?:-[a-z]+)*|[^\\sa-z\\d]' }, behavior: 'Isolated', invert: false },
      ],
    },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
  return { json, id: (t) => vocab[t] as number };
}

describe('binned decoder', () => {
  it('maps bins to centres min + (i + 0.5)(max - min)/N, edges included', () => {
    expect(binCentre(0, 256, -1, 1)).toBe(-1 + 1 / 256);
    expect(binCentre(255, 256, -1, 1)).toBe(1 - 1 / 256);
    expect(binCentre(127, 256, -1, 1)).toBe(-1 / 256);
    expect(binCentre(128, 256, -1, 1)).toBe(1 / 256);
    expect(binCentre(0, 4, 0, 2)).toBe(0.25);
    expect(binCentre(3, 4, 0, 2)).toBe(1.75);
    // binOf is the inverse used for training labels; the range ends fall in the end bins.
    expect(binOf(-1, 256, -1, 1)).toBe(0);
    expect(binOf(1, 256, -1, 1)).toBe(255);
    expect(binOf(5, 256, -1, 1)).toBe(255);
    expect(binOf(0, 256, -1, 1)).toBe(128);
    for (let i = 0; i < 256; i++) expect(binOf(binCentre(i, 256, -1, 1), 256, -1, 1)).toBe(i);
  });

  it('decodes ids with per-dimension ranges, a token offset, and OpenVLA-style reversed ids', () => {
    const spec = binned({ bins: 4, range: [[0, 2], [-1, 1]] });
    expect(decodeBinIds(spec, [0, 3])).toEqual([0.25, 0.75]);
    const off = binned({ tokenOffset: 31744 }); // 32000-entry vocab, bins on the last 256 ids
    expect(decodeBinIds(off, [31744, 31999])).toEqual([-1 + 1 / 256, 1 - 1 / 256]);
    const rev = binned({ tokenOffset: 31744, reversed: true });
    expect(decodeBinIds(rev, [31999, 31744])).toEqual([-1 + 1 / 256, 1 - 1 / 256]);
    expect(decodeBinIds(off, [31743, 31744])).toEqual({ error: expect.stringContaining('31743 is outside the bin ids [31744, 31999]') });
    expect(decodeBinIds(off, [32000, 31744])).toHaveProperty('error');
  });

  it('takes the argmax of logits (first on ties, NaN never wins), over the bins slice of the last axis', () => {
    expect(argmax([0, 3, 3, 1])).toBe(1);
    expect(argmax([NaN, -5, NaN])).toBe(1);
    expect(argmax([NaN, NaN])).toBe(-1);
    expect(argmax([-Infinity, -Infinity])).toBe(0);
    const spec = binned({ bins: 4, range: [-1, 1] });
    // Two dimensions × 4 bins.
    expect(decodeBinLogits(spec, [0, 0, 9, 0, 5, 1, 1, 1], 2, 4)).toEqual([0.25, -0.75]);
    expect(decodeBinLogits(spec, [NaN, NaN, NaN, NaN, 0, 0, 0, 1], 2, 4)).toHaveProperty('error');
    // Full-vocabulary logits (V = 6) with the bins on ids 2..5: the big logit at id 0 is ignored.
    const off = binned({ bins: 4, range: [-1, 1], tokenOffset: 2 });
    expect(decodeBinLogits(off, [99, 0, 0, 0, 0, 1, 99, 0, 1, 0, 0, 0], 2, 6)).toEqual([0.75, -0.75]);
  });

  it('decodes output tensors: ids (B,D), logits (B,D,N), chunks, bad rows and bad shapes', () => {
    const dec = makeOutputDecoder(binned({ bins: 4, range: [-1, 1] }), { manifestFile: 'm.json', actionDims: 2 })!;
    const ids: OutputTensor = { type: 'int64', dims: [2, 2], data: BigInt64Array.from([0n, 3n, 1n, 7n]) };
    const r = dec.decode(ids, 2, 2, [], 1, 2);
    expect(r).toEqual({ rows: [[[-0.75, 0.75]], { error: expect.stringContaining('7 is outside the bin ids [0, 3]') }] });
    const logits: OutputTensor = { type: 'float32', dims: [1, 2, 4], data: Float32Array.from([0, 0, 0, 1, 1, 0, 0, 0]) };
    expect(dec.decode(logits, 1, 1, [], 1, 2)).toEqual({ rows: [[[0.75, -0.75]]] });
    // (B, chunk=3, D=2, N=4), executing 2 steps from chunk element 1.
    const chunk = new Float32Array(3 * 2 * 4);
    const put = (c: number, d: number, bin: number) => (chunk[(c * 2 + d) * 4 + bin] = 1);
    put(0, 0, 0), put(0, 1, 0), put(1, 0, 1), put(1, 1, 2), put(2, 0, 3), put(2, 1, 3);
    expect(dec.decode({ type: 'float32', dims: [1, 3, 2, 4], data: chunk }, 1, 1, [1], 2, 2)).toEqual({
      rows: [
        [
          [-0.25, 0.25],
          [0.75, 0.75],
        ],
      ],
    });
    expect(dec.decode({ type: 'float32', dims: [1, 3, 4], data: new Float32Array(12) }, 1, 1, [], 1, 2)).toHaveProperty('error');
    expect(dec.decode({ type: 'float32', dims: [1, 2, 3], data: new Float32Array(6) }, 1, 1, [], 1, 2)).toEqual({ error: expect.stringContaining('fewer than tokenOffset + bins') });
  });

  it('rejects a range list whose length is not actionDims', () => {
    expect(() => makeOutputDecoder(binned({ range: [[-1, 1]] }), { manifestFile: 'm.json', actionDims: 2 })).toThrow(ConfigError);
    expect(() => BinnedDecoder.parse({ type: 'binned', range: [1, -1] })).toThrow();
  });
});

describe('text action grammar', () => {
  const close = (got: number[] | { error: string }, want: number[]) => {
    if (!Array.isArray(got)) throw new Error(got.error);
    expect(got).toHaveLength(want.length);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 12));
  };

  it('parses directions, diagonals, magnitudes and sums of components', () => {
    close(parseActionText('stop'), [0, 0]);
    close(parseActionText('forward'), [1, 0]);
    close(parseActionText('back 0.5'), [-0.5, 0]);
    close(parseActionText('backward 0.5'), [-0.5, 0]);
    close(parseActionText('left 0.6, forward 0.3'), [0.3, 0.6]);
    close(parseActionText('right .25'), [0, -0.25]);
    close(parseActionText('forward-left 0.8'), [0.8 * Math.SQRT1_2, 0.8 * Math.SQRT1_2]);
    close(parseActionText('back-right'), [-Math.SQRT1_2, -Math.SQRT1_2]);
    close(parseActionText('forward 1, forward 1'), [2, 0]); // summed; output.clamp limits it later
    close(parseActionText('left 0, right 0'), [0, 0]);
    close(parseActionText('forward 1.0'), [1, 0]);
  });

  it('ignores case, extra spaces (also around "," and "-") and one trailing period', () => {
    close(parseActionText('  Forward   0.8 ,LEFT 0.6  '), [0.8, 0.6]);
    close(parseActionText('forward - left 1'), [Math.SQRT1_2, Math.SQRT1_2]);
    close(parseActionText('STOP.'), [0, 0]);
    close(parseActionText('\tright\n0.5'), [0, -0.5]);
  });

  it('rejects out-of-range magnitudes and garbage with a message quoting the text', () => {
    for (const t of ['forward 1.5', 'forward -0.3', 'forward 1e-1', 'forward 0.5 0.5', 'forward,', ', left', '', '   ', 'stop now', 'stop, left', 'left-forward', 'left-right', 'up 0.5', 'forward 0.x', 'banana', '[PAD]']) {
      const r = parseActionText(t);
      expect(r, t).toHaveProperty('error');
      expect((r as { error: string }).error).toContain(`unparsable action text: ${JSON.stringify(t)}`);
    }
  });

  it('decodes token ids with a tokenizer.json (special tokens skipped) and reports unparsable rows', () => {
    const { json, id } = actionTokenizer();
    const d = join(dir, 'tok');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(json));
    const dec = makeOutputDecoder({ type: 'text', skipSpecialTokens: true }, { manifestFile: 'm.json', tokenizerPath: join(d, 'tokenizer.json'), actionDims: 2 })!;
    const rows = [
      ['forward', '0.8', ',', 'left', '0.5'],
      ['stop', '[PAD]', '[PAD]', '[PAD]', '[PAD]'],
      ['forward', '1.5', '[PAD]', '[PAD]', '[PAD]'],
      ['banana', '[PAD]', '[PAD]', '[PAD]', '[PAD]'],
    ];
    const data = BigInt64Array.from(rows.flat().map((t) => BigInt(id(t))));
    const r = dec.decode({ type: 'int64', dims: [4, 5], data }, 4, 4, [], 1, 2);
    if ('error' in r) throw new Error(r.error);
    expect(r.rows[0]).toEqual([[0.8, 0.5]]);
    expect(r.rows[1]).toEqual([[0, 0]]);
    expect(r.rows[2]).toEqual({ error: expect.stringContaining('unparsable action text: "forward 1.5"') });
    expect(r.rows[3]).toEqual({ error: expect.stringContaining('unparsable action text: "banana"') });
    // float output is not token ids
    expect(dec.decode({ type: 'float32', dims: [1, 5], data: new Float32Array(5) }, 1, 1, [], 1, 2)).toHaveProperty('error');
    expect(() => makeOutputDecoder({ type: 'text', skipSpecialTokens: true }, { manifestFile: 'm.json' })).toThrow(ConfigError);
  });
});

describe('decoders in the ONNX policy', () => {
  /** image (B,3,4,4) → out = a constant tensor (per row) of the given type, expanded to the batch. */
  function constantModel(path: string, dtype: 'float32' | 'int64', rowShape: number[], values: number[]): void {
    const g = new GraphBuilder('const_out');
    const x = g.input('image', 'float32', ['B', 3, 4, 4]);
    const c = dtype === 'float32' ? g.floats([1, ...rowShape], values) : g.int64s([1, ...rowShape], values);
    const batch = g.op1('Slice', [g.op1('Shape', [x]), g.int64s([1], [0]), g.int64s([1], [1])]);
    const shape = g.op1('Concat', [batch, g.int64s([rowShape.length], rowShape)], { axis: { i: 0 } });
    g.op1('Expand', [c, shape], {}, 'out');
    g.output('out', dtype, ['B', ...rowShape]);
    g.save(path);
  }

  async function run(name: string, output: Record<string, unknown>, files: () => void, extra: Record<string, unknown> = {}): Promise<ActResult[]> {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    files.call(null);
    const m = { name, variant: 'test', model: 'model.onnx', image: { input: 'image', size: [4, 4] }, output: { tensor: 'out', ...output }, ...extra };
    writeFileSync(join(d, 'policy.json'), JSON.stringify(m));
    const p = await loadOnnxPolicy(join(d, 'policy.json'), { device: 'cpu' });
    open.push(p);
    p.begin(0, DUMMY_EPISODE);
    p.begin(1, DUMMY_EPISODE);
    const obs = observation(solidFrame([10, 20, 30], 4));
    return p.act([
      { slot: 0, obs },
      { slot: 1, obs },
    ]);
  }

  it('binned logits (B,2,256) → bin centres, then output.scale and clamp', async () => {
    const logits = new Array(512).fill(0);
    logits[0] = 1; // dim 0 → bin 0
    logits[256 + 200] = 1; // dim 1 → bin 200
    const r = await run('binned-logits', { decoder: { type: 'binned' }, scale: 2, clamp: [-1, 1] }, () => constantModel(join(dir, 'binned-logits', 'model.onnx'), 'float32', [2, 256], logits));
    expect(r[0]).toEqual({ action: [-1, Math.min(1, 2 * binCentre(200, 256, -1, 1))] });
    expect(r[1]).toEqual(r[0]);
  });

  it('binned ids (B,2) int64 with a token offset', async () => {
    const r = await run('binned-ids', { decoder: { type: 'binned', tokenOffset: 1000 } }, () => constantModel(join(dir, 'binned-ids', 'model.onnx'), 'int64', [2], [1000 + 128, 1000 + 255]));
    expect(r[0]).toEqual({ action: [binCentre(128, 256, -1, 1), binCentre(255, 256, -1, 1)] });
  });

  it('text ids (B,S) via the instruction tokenizer, and policy_error for unparsable text', async () => {
    const { json, id } = actionTokenizer();
    const ok = await run(
      'text-ok',
      { decoder: { type: 'text', tokenizer: 'tokenizer.json' } },
      () => {
        writeFileSync(join(dir, 'text-ok', 'tokenizer.json'), JSON.stringify(json));
        constantModel(join(dir, 'text-ok', 'model.onnx'), 'int64', [3], [id('forward-left'), id('0.5'), id('[PAD]')]);
      },
    );
    expect((ok[0] as { action: number[] }).action[0]).toBeCloseTo(0.5 * Math.SQRT1_2, 6);
    expect((ok[0] as { action: number[] }).action[1]).toBeCloseTo(0.5 * Math.SQRT1_2, 6);
    const bad = await run('text-bad', { decoder: { type: 'text', tokenizer: 'tokenizer.json' } }, () => {
      writeFileSync(join(dir, 'text-bad', 'tokenizer.json'), JSON.stringify(json));
      constantModel(join(dir, 'text-bad', 'model.onnx'), 'int64', [2], [id('banana'), id('0.5')]);
    });
    expect(bad[0]).toEqual({ error: 'policy_error: unparsable action text: "banana 0.5" (unknown direction "banana")' });
    expect(bad[1]).toEqual(bad[0]);
  });

  it('checks the output against the decoder when loading', async () => {
    const err = await run('binned-wrong', { decoder: { type: 'binned' } }, () => constantModel(join(dir, 'binned-wrong', 'model.onnx'), 'float32', [3, 256], new Array(768).fill(0))).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err.message)).toContain('output "out"');
    const err2 = await run('text-float', { decoder: { type: 'text', tokenizer: 'tokenizer.json' } }, () => {
      writeFileSync(join(dir, 'text-float', 'tokenizer.json'), JSON.stringify(actionTokenizer().json));
      constantModel(join(dir, 'text-float', 'model.onnx'), 'float32', [3], [1, 2, 3]);
    }).catch((e) => e);
    expect(err2).toBeInstanceOf(ConfigError);
    expect(String(err2.message)).toContain('int64');
  });

  it('defaults to the continuous decoder and rejects unknown decoder types', () => {
    const base = { name: 'x', variant: 'v', model: 'm.onnx', image: { input: 'image', size: [4, 4] } };
    expect(parseManifest({ ...base, output: { tensor: 'a' } }, 'p.json').output.decoder).toEqual({ type: 'continuous' });
    expect(() => parseManifest({ ...base, output: { tensor: 'a', decoder: { type: 'words' } } }, 'p.json')).toThrow(ConfigError);
    const m = parseManifest({ ...base, output: { tensor: 'a', decoder: { type: 'binned' } } }, 'p.json');
    expect(m.output.decoder).toEqual({ type: 'binned', bins: 256, range: [-1, 1], tokenOffset: 0, reversed: false });
  });
});
