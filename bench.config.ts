import { defineConfig } from './src/index';

/**
 * The default `npm run bench`: the scripted baselines and the shipped demo checkpoints on the
 * in-distribution and novel suites. CLI flags override any field (see `npm run bench -- --help`).
 */
export default defineConfig({
  policies: ['oracle', 'straight', 'random', 'mirror'],
  suites: ['scenes/nav-id-v1.json', 'scenes/nav-novel-v1.json'],
  episodesPerScene: 3,
  batchSize: 8,
  device: 'auto',
  outputDir: 'simgate-results',
  tolerance: 0.05,
});
