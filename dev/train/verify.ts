/**
 * Export check: the ONNX bytes run in onnxruntime against the trained tfjs network.
 */
import * as tf from '@tensorflow/tfjs-core';
import { episodeBatch, windowOf, type Data } from './batches';
import { CAMERA, FRAME_FLOATS, SIDE, type DemoEpisode } from './collect';
import { INPUT_LENGTH, type OutputKind } from './export';
import { encode, head, toVars, WINDOW, type Weights } from './model';
import { encodeInstruction } from './vocab';

/**
 * Runs the ONNX bytes in onnxruntime on the first samples of episode 0 and compares with the tfjs
 * network. The 224² input is each pooled pixel repeated 4×4, so the graph's average pool gives back
 * exactly the pooled frame. Returns the largest absolute difference (for text: the number of
 * differing token ids).
 */
export async function verifyExport(bytes: Uint8Array, weights: Weights, data: Data, out: OutputKind): Promise<number> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ep = data.episodes[0] as DemoEpisode;
  const n = Math.min(4, ep.actions.length);
  const b = episodeBatch(data, [0]);
  const big = CAMERA * CAMERA;
  const px = new Float32Array(n * WINDOW * 3 * big);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < WINDOW; t++) {
      const f = Math.max(0, i - (WINDOW - 1 - t));
      const src = ep.frames.subarray(f * FRAME_FLOATS, (f + 1) * FRAME_FLOATS);
      const base = (i * WINDOW + t) * 3 * big;
      for (let y = 0; y < CAMERA; y++)
        for (let x = 0; x < CAMERA; x++) {
          const p = ((y >> 2) * SIDE + (x >> 2)) * 3;
          for (let c = 0; c < 3; c++) px[base + c * big + y * CAMERA + x] = src[p + c] as number;
        }
    }
  const ids = encodeInstruction(data.vocab, ep.instruction).slice(0, INPUT_LENGTH);
  const idArr = new BigInt64Array(n * INPUT_LENGTH);
  const maskArr = new BigInt64Array(n * INPUT_LENGTH);
  for (let i = 0; i < n; i++) ids.forEach((id, j) => ((idArr[i * INPUT_LENGTH + j] = BigInt(id)), (maskArr[i * INPUT_LENGTH + j] = 1n)));
  const res = await session.run({
    pixel_values: new ort.Tensor('float32', px, [n, WINDOW, 3, CAMERA, CAMERA]),
    input_ids: new ort.Tensor('int64', idArr, [n, INPUT_LENGTH]),
    attention_mask: new ort.Tensor('int64', maskArr, [n, INPUT_LENGTH]),
  });
  await session.release();
  const v = toVars(weights, false);
  const V = data.vocab.tokens.length;
  const ref = tf.tidy(() => {
    const f = encode(v, tf.tensor4d(b.x, [b.n, SIDE, SIDE, 3]));
    const y = head(v, windowOf(b.select, f, b.n), tf.tensor2d(b.counts, [b.n, V]));
    return out.kind === 'continuous' ? tf.tanh(y) : y;
  });
  const r = ref.dataSync() as Float32Array;
  ref.dispose();
  Object.values(v).forEach((x) => x.dispose());
  const name = out.kind === 'continuous' ? 'action' : out.kind === 'binned' ? 'logits' : 'tokens';
  const o = (res[name] as { data: ArrayLike<number | bigint> }).data;
  if (out.kind === 'text') {
    let diff = 0;
    for (let i = 0; i < n; i++)
      for (let s = 0; s < out.slots; s++) {
        const row = r.subarray((i * out.slots + s) * V, (i * out.slots + s + 1) * V);
        let best = 0;
        for (let k = 1; k < V; k++) if ((row[k] as number) > (row[best] as number)) best = k;
        if (Number(o[i * out.slots + s]) !== best) diff++;
      }
    return diff;
  }
  let max = 0;
  const per = r.length / b.n;
  for (let i = 0; i < n * per; i++) max = Math.max(max, Math.abs(Number(o[i]) - (r[i] as number)));
  return max;
}
