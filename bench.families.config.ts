import base from './bench.config';
import { defineConfig } from './src/index';

/**
 * The four trained families side by side (`npm run bench -- --config bench.families.config.ts`):
 * the default run plus the RT-2/OpenVLA-style binned head and the VLM2VLA-style text head, on the
 * seed era's suites. Kept out of the default run to keep it within ~3 minutes on 2 cores.
 */
export default defineConfig({
  ...base,
  policies: [...(base.policies ?? []), 'policies/trained-binned', 'policies/trained-text'],
  policySuites: { ...base.policySuites, 'trained-binned': base.policySuites!['trained-frozen']!, 'trained-text': base.policySuites!['trained-frozen']! },
});
