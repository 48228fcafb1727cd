/** policies/<name>/policy.json → a ready Policy (manifest, model and I/O checked up front). */
import { ConfigError } from '../../util/errors';
import type { Policy } from '../types';
import { loadManifest } from './manifest';
import { OnnxPolicy, type Batching } from './policy';
import { createSession, type Device } from './session';
import { makeInstructionEncoder } from './text';
import { makeOutputDecoder } from './decoders';
import { notOnnx, readModelHeader, validateIo } from './validate';

export interface LoadOnnxOptions {
  device?: Device;
  threads?: number;
  /** Default 'batched' (one session.run per act call); see Batching. */
  batching?: Batching;
  /** Overrides the manifest's name (to run one checkpoint under two labels). */
  name?: string;
  warn?: (line: string) => void;
}

export async function loadOnnxPolicy(manifestPath: string, opts: LoadOnnxOptions = {}): Promise<OnnxPolicy & Policy> {
  const manifest = loadManifest(manifestPath);
  const header = readModelHeader(manifest.modelPath);
  const encoder = manifest.instruction ? makeInstructionEncoder(manifest.instruction, manifest.tokenizerPath, manifest.file) : undefined;
  // Binned / text action decoders (config errors surface here, before a session exists).
  const decoder = makeOutputDecoder(manifest.output.decoder, {
    manifestFile: manifest.file,
    actionDims: manifest.output.actionDims,
    ...(manifest.decoderTokenizerPath ? { tokenizerPath: manifest.decoderTokenizerPath } : {}),
  });
  let created;
  try {
    created = await createSession(manifest.modelPath, {
      ...(opts.device ? { device: opts.device } : {}),
      ...(opts.threads ? { threads: opts.threads } : {}),
      ...(opts.warn ? { warn: opts.warn } : {}),
    });
  } catch (e) {
    throw notOnnx(manifest.modelPath, `onnxruntime cannot load it: ${(e as Error).message.split('\n')[0]}`);
  }
  const { session, provider, fallbackReason } = created;
  let plan;
  try {
    plan = validateIo(manifest, session.inputMetadata, session.outputMetadata);
  } catch (e) {
    await session.release();
    throw e;
  }
  if (plan.fixedBatch !== undefined && plan.fixedBatch > 64) {
    await session.release();
    throw new ConfigError(`${manifest.modelPath}: batch axis fixed to ${plan.fixedBatch}; re-export with a dynamic or small batch axis`);
  }
  return new OnnxPolicy({
    manifest: opts.name ? { ...manifest, name: opts.name } : manifest,
    session,
    ...(encoder ? { encoder } : {}),
    ...(decoder ? { decoder } : {}),
    ...(plan.fixedBatch !== undefined ? { fixedBatch: plan.fixedBatch } : {}),
    batching: opts.batching ?? 'batched',
    details: {
      provider,
      ...(fallbackReason ? { providerFallback: fallbackReason } : {}),
      device: opts.device ?? 'auto',
      threads: opts.threads ?? 1,
      manifest: manifest.file,
      model: manifest.modelPath,
      modelSha256: header.sha256,
      modelBytes: header.bytes,
      opset: header.opset,
      ...(header.producer ? { producer: header.producer } : {}),
      ...(Object.keys(header.metadata).length ? { metadata: header.metadata } : {}),
      ...(manifest.notes ? { notes: manifest.notes } : {}),
    },
  });
}
