import { defineConfig } from './src/index';

/**
 * The default `npm run bench`: the lab's question on simgate's own scenes. Scripted baselines
 * frame the scale (oracle ≈ ceiling, random ≈ floor); the trained demo checkpoints are the lab's
 * four VLA families in miniature. The gate judges the fine-tuned checkpoint (Case 4, the
 * candidate) against the frozen one (Case 3, the baseline), per split. CLI flags override any field.
 */
export default defineConfig({
  policies: [
    'oracle',
    'straight',
    'random',
    'mirror',
    'policies/trained-frozen',
    'policies/trained-finetuned',
    'policies/trained-binned',
    'policies/trained-text',
  ],
  baseline: 'trained-frozen',
  candidates: ['trained-finetuned'],
  suites: ['scenes/nav-id-v1.json', 'scenes/nav-novel-v1.json'],
  // 2 seeds × 56 scenes = 112 episodes per policy: the default run stays within ~3 minutes on
  // 2 CPU cores. Raise it (or --episodes-per-scene) for tighter intervals: SimplerEnv's
  // maintainers call < 75 trials per setting too noisy.
  episodesPerScene: 2,
  batchSize: 8,
  device: 'auto',
  outputDir: 'simgate-results',
  tolerance: 0.05,
});
