import { defineConfig } from './src/index';

/**
 * The default `npm run bench`: the lab's question on simgate's own scenes — the seed era's
 * obstacle course (nav-*-v2, pulse robot) and today's task (lab-basket-*, STOP in front of the gray
 * basket on the held-action robot). Scripted baselines frame the scale (oracle ≈ ceiling, random
 * ≈ floor, straight and forward show the failure codes); the trained demo checkpoints are the
 * lab's frozen and fine-tuned recipes in miniature, three training seeds each (the binned and text
 * heads run in bench.families.config.ts). The gate judges the fine-tuned checkpoint (Case 4, the
 * candidate) against the frozen one (Case 3, the baseline), per split. CLI flags override any field.
 */
const SEED_ERA = ['scenes/nav-id-v2.json', 'scenes/nav-novel-v2.json'];
const BASKET = ['scenes/lab-basket-v1.json', 'scenes/lab-basket-novel-v1.json'];
/** The trained checkpoints learned the seed era's task (bottle, boxes): they run its suites only. */
const TRAINED = ['trained-frozen', 'trained-frozen-s2', 'trained-frozen-s3', 'trained-finetuned', 'trained-finetuned-s2', 'trained-finetuned-s3'];

export default defineConfig({
  policies: [
    'oracle',
    'straight',
    'random',
    'mirror',
    'forward',
    // Three training seeds of the frozen and the fine-tuned recipe (Case 3 vs Case 4): one
    // checkpoint per variant answers nothing (the lab's own results swung 33% → 61% between seeds).
    'policies/trained-frozen',
    { manifest: 'policies/seeds/s2/trained-frozen', name: 'trained-frozen-s2' },
    { manifest: 'policies/seeds/s3/trained-frozen', name: 'trained-frozen-s3' },
    'policies/trained-finetuned',
    { manifest: 'policies/seeds/s2/trained-finetuned', name: 'trained-finetuned-s2' },
    { manifest: 'policies/seeds/s3/trained-finetuned', name: 'trained-finetuned-s3' },
  ],
  baseline: 'trained-frozen',
  candidates: ['trained-finetuned'],
  suites: [...SEED_ERA, ...BASKET],
  policySuites: Object.fromEntries(TRAINED.map((name) => [name, SEED_ERA])),
  // 1 seed × 56 seed-era scenes per trained checkpoint, × 3 training seeds per recipe: the variant
  // comparison gets 168 episodes a side and the run stays within ~3 minutes on 2 cores; the
  // scripted baselines also run the 50 basket scenes. Raise it (or --episodes-per-scene) for
  // tighter per-checkpoint intervals: SimplerEnv's maintainers call < 75 trials per setting too noisy.
  episodesPerScene: 1,
  batchSize: 8,
  device: 'auto',
  outputDir: 'simgate-results',
  tolerance: 0.05,
  // Failure clips for the first 3 failures of each policy (report.html; `--report-gifs` for more).
  reportGifs: 3,
});
