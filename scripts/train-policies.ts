/**
 * Trains the demo policies policies/trained-{frozen,finetuned,binned,text}/ from oracle
 * demonstrations rendered on the in-distribution suite (dev/train/). Same seed → same ONNX bytes.
 *
 *   npm run policies:train [-- --seed N] [--seeds-per-scene 16] [--out policies] [--cache DIR] [--epochs-scale 1] [--only frozen,finetuned]
 *
 * --cache DIR keeps the rendered demonstrations between runs (for iterating on training only);
 * --collect-only [--reverse] only renders them into the cache (two such processes, one with
 * --reverse, fill it from both ends).
 */
import { trainAll, DEFAULT_EPOCHS, TRAIN_SEED } from '../dev/train/train';

const args = process.argv.slice(2);
const get = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const scale = Number(get('--epochs-scale') ?? 1);
const epochs = Object.fromEntries(Object.entries(DEFAULT_EPOCHS).map(([k, v]) => [k, Math.max(1, Math.round(v * scale))]));
const cache = get('--cache');
const report = await trainAll({
  seed: Number(get('--seed') ?? TRAIN_SEED),
  seedsPerScene: Number(get('--seeds-per-scene') ?? 16),
  outDir: get('--out') ?? 'policies',
  epochs,
  ...(cache ? { cacheDir: cache } : {}),
  collectOnly: args.includes('--collect-only'),
  reverse: args.includes('--reverse'),
  ...(get('--only') ? { only: get('--only')!.split(',').map((n) => `trained-${n.replace(/^trained-/, '')}`) as never } : {}),
});
for (const s of report.stages) console.log(`${s.name}: ${s.epochs} epochs, ${s.steps} steps, ${s.seconds.toFixed(1)} s, final ${s.lossName} ${s.finalLoss.toFixed(5)}`);
