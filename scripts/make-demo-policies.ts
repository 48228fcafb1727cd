/**
 * Writes the seeded, untrained demo checkpoints under policies/:
 *   demo-kosmos-frozen/   Kosmos-style I/O: pixel_values (B,8,3,224,224) + input_ids/attention_mask (B,16) → (B,8,10,2)
 *   demo-simple-finetuned/ image (B,3,224,224) → action (B,2)
 * Same seed → byte-identical files. Usage: npx tsx scripts/make-demo-policies.ts [--seed N] [--out policies]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphBuilder } from '../dev/onnx/build';
import { Rng } from '../src/util/rng';

export const DEMO_SEED = 20240611;
const WINDOW = 8;
const CHUNK = 10;
const TEXT_LEN = 16;
const SIZE = 224;

/** Word-level vocabulary covering the lab's instructions; 0 = [PAD], 1 = [UNK]. */
const WORDS = [
  'navigate', 'around', 'obstacles', 'obstacle', 'and', 'reach', 'the', 'front', 'of', 'beverage', 'bottle',
  'on', 'left', 'right', 'cup', 'basket', 'pot', 'go', 'to', 'a', 'box', 'grey', 'brown', 'move', 'avoid', '.', ',',
];
const SIDE_DIM = 0;
const EMBED = 8;

function uniform(rng: Rng, n: number, a: number): number[] {
  return Array.from({ length: n }, () => rng.uniform(-a, a));
}

/** Strided conv (16×16, stride 16) → ReLU → 7×7 average pool → flatten: 32 features per frame, 2×2 spatial cells. */
function imageTrunk(g: GraphBuilder, rng: Rng, x: string): string {
  const w = g.floats([8, 3, 16, 16], uniform(rng, 8 * 3 * 16 * 16, 1 / Math.sqrt(3 * 16 * 16)).map((v) => v * 3));
  const b = g.floats([8], uniform(rng, 8, 0.1));
  const c = g.op1('Conv', [x, w, b], { kernel_shape: { ints: [16, 16] }, strides: { ints: [16, 16] } }); // (N,8,14,14)
  const r = g.op1('Relu', [c]);
  const p = g.op1('AveragePool', [r], { kernel_shape: { ints: [7, 7] }, strides: { ints: [7, 7] } }); // (N,8,2,2)
  return g.op1('Flatten', [p], { axis: { i: 1 } }); // (N,32)
}

export function buildKosmosDemo(seed: number): { model: Uint8Array; tokenizer: object } {
  const rng = new Rng(seed);
  const g = new GraphBuilder('demo_kosmos_frozen');
  const px = g.input('pixel_values', 'float32', ['batch', WINDOW, 3, SIZE, SIZE]);
  const ids = g.input('input_ids', 'int64', ['batch', TEXT_LEN]);
  const mask = g.input('attention_mask', 'int64', ['batch', TEXT_LEN]);

  // Vision: every window frame through the same trunk, then a 32→16 layer.
  const frames = g.op1('Reshape', [px, g.int64s([4], [-1, 3, SIZE, SIZE])]);
  const feat = imageTrunk(g, rng, frames);
  const w1 = g.floats([32, 16], uniform(rng, 32 * 16, 1 / Math.sqrt(32)).map((v) => v * 2));
  const b1 = g.floats([16], uniform(rng, 16, 0.1));
  const h = g.op1('Relu', [g.op1('Gemm', [feat, w1, b1])]); // (B*T,16)
  const hT = g.op1('Reshape', [h, g.int64s([3], [-1, WINDOW, 16])]); // (B,T,16)

  // Language: masked sum of word embeddings. "left"/"right" carry ±1 on SIDE_DIM, every other word 0 there,
  // so the side survives the sum whatever the sentence length.
  const vocab = 2 + WORDS.length;
  const emb = uniform(rng, vocab * EMBED, 0.3);
  for (let t = 0; t < vocab; t++) emb[t * EMBED + SIDE_DIM] = 0;
  emb[(2 + WORDS.indexOf('left')) * EMBED + SIDE_DIM] = 1;
  emb[(2 + WORDS.indexOf('right')) * EMBED + SIDE_DIM] = -1;
  for (let j = 0; j < EMBED; j++) emb[j] = 0; // [PAD] embeds to zero
  const e = g.op1('Gather', [g.floats([vocab, EMBED], emb), ids], { axis: { i: 0 } }); // (B,L,8)
  const m = g.op1('Unsqueeze', [g.op1('Cast', [mask], { to: { i: 1 } }), g.int64s([1], [2])]); // (B,L,1)
  const text = g.op1('ReduceSum', [g.op1('Mul', [e, m]), g.int64s([1], [1])], { keepdims: { i: 0 } }); // (B,8)

  // Head: per window step, 20 = chunk 10 × (lx, ly). Image drives both; the side word pushes ly by ±1.2
  // and a small forward bias on lx makes the untrained policy move.
  const outDim = CHUNK * 2;
  const wImg = g.floats([16, outDim], uniform(rng, 16 * outDim, 1 / Math.sqrt(16)));
  const wTextVals = uniform(rng, EMBED * outDim, 0.05);
  for (let k = 0; k < CHUNK; k++) {
    wTextVals[SIDE_DIM * outDim + 2 * k] = 0;
    wTextVals[SIDE_DIM * outDim + 2 * k + 1] = 1.2;
  }
  const wText = g.floats([EMBED, outDim], wTextVals);
  const bias = g.floats([outDim], Array.from({ length: outDim }, (_, i) => (i % 2 === 0 ? 0.4 : 0)));
  const img = g.op1('MatMul', [hT, wImg]); // (B,T,20)
  const txt = g.op1('Unsqueeze', [g.op1('MatMul', [text, wText]), g.int64s([1], [1])]); // (B,1,20)
  const y = g.op1('Tanh', [g.op1('Add', [g.op1('Add', [img, txt]), bias])]);
  g.op1('Reshape', [y, g.int64s([4], [-1, WINDOW, CHUNK, 2])], {}, 'actions');
  g.output('actions', 'float32', ['batch', WINDOW, CHUNK, 2]);
  return { model: g.encode(), tokenizer: wordLevelTokenizer() };
}

export function buildSimpleDemo(seed: number): Uint8Array {
  const rng = new Rng(seed ^ 0x5eed);
  const g = new GraphBuilder('demo_simple_finetuned');
  const x = g.input('image', 'float32', ['batch', 3, SIZE, SIZE]);
  const feat = imageTrunk(g, rng, x);
  const w1 = g.floats([32, 16], uniform(rng, 32 * 16, 1 / Math.sqrt(32)).map((v) => v * 2));
  const h = g.op1('Relu', [g.op1('Gemm', [feat, w1, g.floats([16], uniform(rng, 16, 0.1))])]);
  const w2 = g.floats([16, 2], uniform(rng, 32, 1 / Math.sqrt(16)));
  const b2 = g.floats([2], [0.4, 0]);
  g.op1('Tanh', [g.op1('Gemm', [h, w2, b2])], {}, 'action');
  g.output('action', 'float32', ['batch', 2]);
  return g.encode();
}

/** A Hugging Face tokenizer.json: lowercase, whitespace/punctuation split, word-level vocab. */
export function wordLevelTokenizer(): object {
  const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1 };
  WORDS.forEach((w, i) => (vocab[w] = i + 2));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '[PAD]'), special(1, '[UNK]')],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
}

const UNTRAINED =
  'Seeded random weights, NOT trained: a demo of the export format for wiring and tests. Its actions depend on the image';

export function kosmosManifest(seed: number): object {
  return {
    name: 'demo-kosmos-frozen',
    variant: 'frozen',
    notes: `${UNTRAINED} and on the instruction ("left" pushes linear_y up, "right" down). Kosmos-style I/O (window 8, chunk 10), L=${TEXT_LEN} instead of 256. Written by scripts/make-demo-policies.ts, seed ${seed}.`,
    model: 'model.onnx',
    actionMode: 'pulse',
    budgetMs: 400,
    image: { input: 'pixel_values', layout: 'NCHW', size: [SIZE, SIZE], channelOrder: 'RGB', window: WINDOW },
    instruction: { idsInput: 'input_ids', maskInput: 'attention_mask', length: TEXT_LEN, tokenizer: 'tokenizer.json' },
    output: { tensor: 'actions', chunkIndex: [-1, 0], executeSteps: 1, scale: 1.15, clamp: [-1, 1] },
  };
}

export function simpleManifest(seed: number): object {
  return {
    name: 'demo-simple-finetuned',
    variant: 'finetuned',
    notes: `${UNTRAINED} only (no instruction input). Written by scripts/make-demo-policies.ts, seed ${seed}.`,
    model: 'model.onnx',
    actionMode: 'pulse',
    budgetMs: 400,
    image: { input: 'image', layout: 'NCHW', size: [SIZE, SIZE], channelOrder: 'RGB' },
    output: { tensor: 'action', scale: 1, clamp: [-1, 1] },
  };
}

export function writeDemoPolicies(outDir: string, seed = DEMO_SEED): Record<string, number> {
  const sizes: Record<string, number> = {};
  const put = (rel: string, data: Uint8Array | string) => {
    const p = join(outDir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, data);
    sizes[rel] = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  };
  const json = (v: object) => JSON.stringify(v, null, 2) + '\n';
  const k = buildKosmosDemo(seed);
  put('demo-kosmos-frozen/model.onnx', k.model);
  put('demo-kosmos-frozen/tokenizer.json', json(k.tokenizer));
  put('demo-kosmos-frozen/policy.json', json(kosmosManifest(seed)));
  put('demo-simple-finetuned/model.onnx', buildSimpleDemo(seed));
  put('demo-simple-finetuned/policy.json', json(simpleManifest(seed)));
  return sizes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seed = Number(get('--seed') ?? DEMO_SEED);
  const out = get('--out') ?? 'policies';
  const sizes = writeDemoPolicies(out, seed);
  for (const [f, n] of Object.entries(sizes)) console.log(`${join(out, f)}  ${n} bytes`);
}
