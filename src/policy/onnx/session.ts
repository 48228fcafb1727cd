/**
 * onnxruntime-node sessions with explicit device fallback. ['cuda','cpu'] does not fall back by
 * itself when the CUDA provider libraries are missing (it throws), so CUDA is tried alone and a
 * CPU session is created on failure.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export type Device = 'auto' | 'cpu' | 'cuda';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda'];

export interface SessionOptions {
  device?: Device;
  /**
   * Intra-op threads; default 1. Outputs were measured bit-identical across thread counts; one
   * thread leaves the other cores to the renderer and physics.
   */
  threads?: number;
  /** Where the one-line fallback warning goes (tests capture it); default stderr. */
  warn?: (line: string) => void;
}

export interface CreatedSession {
  session: ort.InferenceSession;
  /** The provider actually running the model. */
  provider: 'cuda' | 'cpu';
  /** Why CUDA was not used, when it was asked for (explicitly or by auto). */
  fallbackReason?: string;
}

/** Warn once per process, not once per policy or per worker slot. */
let warnedCudaFallback = false;

export async function createSession(modelPath: string, opts: SessionOptions = {}): Promise<CreatedSession> {
  const device = opts.device ?? 'auto';
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  let fallbackReason: string | undefined;
  if (device === 'cuda' || device === 'auto') {
    // The CPU build (ONNXRUNTIME_NODE_INSTALL=skip) has no CUDA provider library; asking ORT anyway
    // prints a multi-line native error before throwing, so look for the file first.
    const missing = missingCudaProvider();
    try {
      if (missing) throw new Error(missing);
      // Fatal-only logging: if CUDA/cuDNN themselves are missing, the failure is reported once below.
      const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ['cuda'], logSeverityLevel: 4 });
      return { session, provider: 'cuda' };
    } catch (e) {
      fallbackReason = firstLine((e as Error).message);
      if (device === 'cuda' && !warnedCudaFallback) {
        warnedCudaFallback = true;
        (opts.warn ?? ((l: string) => process.stderr.write(l + '\n')))(
          `simgate: warning: --device cuda: CUDA provider unavailable (${fallbackReason}); running ONNX policies on CPU`,
        );
      }
    }
  }
  const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ['cpu'] });
  return fallbackReason ? { session, provider: 'cpu', fallbackReason } : { session, provider: 'cpu' };
}

/** Why CUDA cannot work with this onnxruntime-node install, or undefined when its provider library is there. */
export function missingCudaProvider(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const bin = join(dirname(req.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    if (process.platform !== 'linux' && process.platform !== 'win32') return `no CUDA provider for ${process.platform}`;
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!existsSync(join(bin, lib))) return `${lib} is not installed (CPU-only onnxruntime-node; needs CUDA 12 + cuDNN 9 and the GPU provider files)`;
  } catch {
    // Unknown layout: let onnxruntime try and report.
  }
  return undefined;
}

/** For tests: let the once-per-process warning fire again. */
export function resetCudaWarning(): void {
  warnedCudaFallback = false;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim().slice(0, 200);
}

export { ort };
