/**
 * Renders the sample frames of test/render-webgpu.test.ts in a process of its own and prints the
 * sha256 of each (the test compares them with its own: bit-identical across processes).
 */
import { createHash } from 'node:crypto';
import { WebGpuRenderer } from '../../src/render/webgpu/renderer';
import { sampleRequests } from './render';

const r = await WebGpuRenderer.launch();
try {
  const frames = await r.render(sampleRequests());
  process.stdout.write(JSON.stringify(frames.map((f) => createHash('sha256').update(f.data).digest('hex'))) + '\n');
} finally {
  await r.close();
}
