import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { PolicySpec } from './spec';
import { ConfigError } from '../util/errors';
import { SCRIPTED, isScripted } from './scripted';
import type { Policy } from './types';

export interface LoadPolicyOptions {
  device: 'auto' | 'cpu' | 'cuda';
}

/** Human label of a spec, for messages and tables before the policy is loaded. */
export function specLabel(spec: PolicySpec): string {
  if (typeof spec === 'string') return isScripted(spec) ? spec : manifestName(spec);
  if ('manifest' in spec) return spec.name ?? manifestName(spec.manifest);
  return spec.name;
}

/** The `name` a manifest gives its policy (what results call it), else the folder's name. */
function manifestName(p: string): string {
  try {
    const name = (JSON.parse(readFileSync(manifestPath(p), 'utf8')) as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  } catch {
    // unreadable here: loadPolicy reports it properly
  }
  return basename(p.replace(/\/policy\.json$/, ''));
}

/**
 * "oracle" → scripted baseline; "policies/x" or ".../policy.json" → ONNX manifest;
 * { remote: url, name } → the lab's HTTP policy server.
 */
export async function loadPolicy(spec: PolicySpec, opts: LoadPolicyOptions): Promise<Policy> {
  if (typeof spec === 'string') {
    if (isScripted(spec)) return SCRIPTED[spec]();
    return (await onnx()).loadOnnxPolicy(manifestPath(spec), { device: opts.device });
  }
  if ('manifest' in spec) return (await onnx()).loadOnnxPolicy(manifestPath(spec.manifest), { device: opts.device, ...(spec.name ? { name: spec.name } : {}) });
  const { createHttpPolicy } = await import('./remote/http-policy');
  return createHttpPolicy({
    url: spec.remote,
    name: spec.name,
    variant: spec.variant,
    timeoutMs: spec.timeoutMs,
    retries: spec.retries,
    firstActionZero: spec.instructionFirstActionZero,
    ...(spec.backoffMs !== undefined ? { backoffMs: spec.backoffMs } : {}),
    ...(spec.imageSize ? { imageSize: spec.imageSize } : {}),
    ...(spec.channelOrder ? { channelOrder: spec.channelOrder } : {}),
    ...(spec.budgetMs !== undefined ? { budgetMs: spec.budgetMs } : {}),
  });
}

// onnxruntime-node is heavy (and native): load it only when an ONNX policy is asked for.
const onnx = () => import('./onnx/load');

function manifestPath(p: string): string {
  if (existsSync(p) && statSync(p).isDirectory()) return join(p, 'policy.json');
  if (existsSync(p)) return p;
  const known = Object.keys(SCRIPTED).join(', ');
  throw new ConfigError(`Unknown policy "${p}": not a scripted baseline (${known}) and no such file or folder.`, 'Give a scripted name, a folder with policy.json, or a manifest path.');
}
