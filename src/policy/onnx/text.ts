/**
 * Instruction → fixed-length (ids, mask), from a Hugging Face tokenizer.json or fixed ids in the
 * manifest. Results are cached per instruction string (episodes repeat a handful of sentences).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError } from '../../util/errors';
import type { InstructionSpec } from './manifest';

export interface Encoded {
  ids: number[];
  mask: number[];
}

export type InstructionEncoder = (instruction: string) => Encoded | { error: string };

export function makeInstructionEncoder(spec: InstructionSpec, tokenizerPath: string | undefined, manifestFile: string): InstructionEncoder {
  const cache = new Map<string, Encoded | { error: string }>();
  let raw: (text: string) => number[] | { error: string };
  if (spec.tokenizer) {
    const tok = loadTokenizer(tokenizerPath as string, manifestFile);
    raw = (text) => {
      const enc = tok.encode(text, { add_special_tokens: spec.addSpecialTokens });
      const bad = enc.ids.findIndex((id) => !Number.isInteger(id));
      // The JS tokenizer returns undefined ids for out-of-vocabulary words when it knows no unk token.
      if (bad >= 0) return { error: `tokenizer ${tokenizerPath} has no id for token "${enc.tokens[bad]}" of "${text}" (and no unk_token)` };
      return enc.ids;
    };
  } else {
    const entries = spec.ids ?? [];
    raw = (text) => {
      const lower = text.toLowerCase();
      const hit = entries.find((e) => (e.text !== undefined ? e.text === text : lower.includes((e.contains as string).toLowerCase())));
      return hit ? hit.ids : { error: `no instruction.ids entry of ${manifestFile} matches "${text}"` };
    };
  }
  return (instruction) => {
    let v = cache.get(instruction);
    if (!v) {
      const ids = raw(instruction);
      v = Array.isArray(ids) ? fit(ids, spec.length, spec.padId) : ids;
      cache.set(instruction, v);
    }
    return v;
  };
}

/** Truncate to L (keeping the start, as HF truncation does by default) or right-pad with padId / mask 0. */
function fit(ids: readonly number[], L: number, padId: number): Encoded {
  const n = Math.min(ids.length, L);
  const out = new Array<number>(L).fill(padId);
  const mask = new Array<number>(L).fill(0);
  for (let i = 0; i < n; i++) {
    out[i] = ids[i] as number;
    mask[i] = 1;
  }
  return { ids: out, mask };
}

function loadTokenizer(path: string, manifestFile: string): Tokenizer {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${manifestFile}: instruction.tokenizer: cannot load ${path}: ${(e as Error).message}`);
  }
  // HF exports keep special-token settings in tokenizer_config.json beside tokenizer.json.
  const cfgPath = join(dirname(path), 'tokenizer_config.json');
  let config: Record<string, unknown> = {};
  try {
    if (existsSync(cfgPath)) config = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`${manifestFile}: instruction.tokenizer: cannot parse ${cfgPath}: ${(e as Error).message}`);
  }
  // @huggingface/tokenizers 0.2 has no WordLevel model: it falls back to a vocab lookup that takes
  // its unknown-word token from the config, not from model.unk_token. Pass it through.
  const model = (json as { model?: { type?: string; unk_token?: unknown } } | null)?.model;
  if (model?.type === 'WordLevel' && typeof model.unk_token === 'string' && config.unk_token === undefined) {
    config = { ...config, unk_token: model.unk_token };
  }
  try {
    return new Tokenizer(json as object, config);
  } catch (e) {
    throw new ConfigError(`${manifestFile}: instruction.tokenizer: ${path} is not a tokenizer.json @huggingface/tokenizers can load: ${(e as Error).message}`);
  }
}
