import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Chromium and onnxruntime are heavy: 2 CI cores, so keep files from fighting over them.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
