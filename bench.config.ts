import { defineConfig } from './src/index';

/**
 * The default `npm run bench`: the lab's question on simgate's own scenes — the seed era's
 * obstacle course (nav-*-v2, pulse robot) and today's task (lab-basket-*, STOP in front of the gray
 * basket on the held-action robot). Scripted baselines frame the scale (oracle ≈ ceiling, random
 * ≈ floor, straight and forward show the failure codes); the trained demo checkpoints are the
 * lab's four VLA families in miniature. The gate judges the fine-tuned checkpoint (Case 4, the
 * candidate) against the frozen one (Case 3, the baseline), per split. CLI flags override any field.
 */
export default defineConfig({
  policies: [
    'oracle',
    'straight',
    'random',
    'mirror',
    'forward',
    'policies/trained-frozen',
    'policies/trained-finetuned',
    'policies/trained-binned',
    'policies/trained-text',
  ],
  baseline: 'trained-frozen',
  candidates: ['trained-finetuned'],
  suites: ['scenes/nav-id-v2.json', 'scenes/nav-novel-v2.json', 'scenes/lab-basket-v1.json', 'scenes/lab-basket-novel-v1.json'],
  // 2 seeds × (56 + 46) scenes = 204 episodes per policy: the default run stays within ~3 minutes
  // on 2 CPU cores. Raise it (or --episodes-per-scene) for tighter intervals: SimplerEnv's
  // maintainers call < 75 trials per setting too noisy.
  episodesPerScene: 2,
  batchSize: 8,
  device: 'auto',
  outputDir: 'simgate-results',
  tolerance: 0.05,
});
