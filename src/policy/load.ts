import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { nameFromUrl, resolvePolicySpec, type PolicySpec } from './spec';
import { ConfigError } from '../util/errors';
import { SCRIPTED, isScripted } from './scripted';
import type { Policy } from './types';

export interface LoadPolicyOptions {
  device: 'auto' | 'cpu' | 'cuda';
  /** One-line notices (a server without /reset, an unreachable /health); default: stderr. */
  warn?: (line: string) => void;
}

/** Human label of a spec, for messages and tables before the policy is loaded. */
export function specLabel(spec: PolicySpec): string {
  let s: ReturnType<typeof resolvePolicySpec>;
  try {
    s = resolvePolicySpec(spec);
  } catch {
    // A bad server string: config parsing reports it; label it by its URL meanwhile.
    return typeof spec === 'string' ? nameFromUrl(spec) : 'policy';
  }
  if (typeof s === 'string') return isScripted(s) ? s : manifestName(s);
  if ('manifest' in s) return s.name ?? manifestName(s.manifest);
  return s.name;
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
 * { remote: url | urls, name } or "http://…" → the lab's HTTP policy server(s);
 * { openpi: url | urls, name } or "ws://…" → openpi websocket server(s). Servers are checked
 * here (health, API key): a key the server refuses is a ConfigError before any episode runs.
 */
export async function loadPolicy(spec: PolicySpec, opts: LoadPolicyOptions): Promise<Policy> {
  const s = resolvePolicySpec(spec);
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (typeof s === 'string') {
    if (isScripted(s)) return SCRIPTED[s]();
    return (await onnx()).loadOnnxPolicy(manifestPath(s), { device: opts.device });
  }
  if ('manifest' in s) return (await onnx()).loadOnnxPolicy(manifestPath(s.manifest), { device: opts.device, ...(s.name ? { name: s.name } : {}) });
  if ('openpi' in s) {
    const { openOpenpiPolicy, openpiOptionsFromSpec } = await import('./remote/openpi-policy');
    return openOpenpiPolicy(openpiOptionsFromSpec(s, { warn }));
  }
  const { openHttpPolicy, httpOptionsFromSpec } = await import('./remote/http-policy');
  return openHttpPolicy(httpOptionsFromSpec(s, { warn }));
}

// onnxruntime-node is heavy (and native): load it only when an ONNX policy is asked for.
const onnx = () => import('./onnx/load');

function manifestPath(p: string): string {
  if (existsSync(p) && statSync(p).isDirectory()) return join(p, 'policy.json');
  if (existsSync(p)) return p;
  const known = Object.keys(SCRIPTED).join(', ');
  throw new ConfigError(`Unknown policy "${p}": not a scripted baseline (${known}) and no such file or folder.`, 'Give a scripted name, a folder with policy.json, or a manifest path.');
}
