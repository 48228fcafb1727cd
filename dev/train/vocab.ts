/**
 * One small word-level vocabulary shared by the instruction (input) and the action text (output of
 * the text policy), as a Hugging Face tokenizer.json — like a VLM, whose one vocabulary serves
 * both. Instruction words come from the training suite's instructions only: words never seen in
 * training map to [UNK], whose embedding stays zero.
 */
import { Tokenizer } from '@huggingface/tokenizers';

export const PAD = '[PAD]';
export const UNK = '[UNK]';
export const MAGNITUDES = ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9', '1.0'];
export const ACTION_TOKENS = ['stop', 'forward', 'back', 'left', 'right', ',', ...MAGNITUDES];

/** Pre-tokenizer: split on whitespace, then decimals | words (with inner dashes) | single punctuation. */
const SPLIT = '\\d*\\.\\d+|\\d+|[a-z]+(?:-[a-z]+)*|[^\\sa-z\\d]';

export interface Vocab {
  tokens: string[];
  id(token: string): number;
  json: object;
  tokenizer: Tokenizer;
}

export function buildVocab(instructions: readonly string[]): Vocab {
  const tokens: string[] = [PAD, UNK];
  const add = (t: string) => {
    if (!tokens.includes(t)) tokens.push(t);
  };
  const re = new RegExp(SPLIT, 'g');
  for (const text of [...instructions].sort()) for (const w of text.toLowerCase().match(re) ?? []) add(w);
  for (const t of ACTION_TOKENS) add(t);
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, PAD), special(1, UNK)],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Split', pattern: { Regex: SPLIT }, behavior: 'Isolated', invert: false }],
    },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: UNK },
  };
  // As src/policy/onnx/text.ts does: @huggingface/tokenizers takes a WordLevel unk token from the config.
  const tokenizer = new Tokenizer(json, { unk_token: UNK });
  return {
    tokens,
    json,
    tokenizer,
    id(t) {
      const i = vocab[t];
      if (i === undefined) throw new Error(`token "${t}" is not in the vocabulary`);
      return i;
    },
  };
}

/** Instruction → ids exactly as the ONNX policy will feed them (tokenizer, no special tokens added by this tokenizer). */
export function encodeInstruction(v: Vocab, text: string): number[] {
  return v.tokenizer.encode(text, { add_special_tokens: true }).ids;
}

/** The 5 output slots of the text policy: [x-direction, x-magnitude, ",", y-direction, y-magnitude]. */
export const TEXT_SLOTS = 5;

/**
 * The action sentence for a label, as slot tokens: magnitudes rounded to one decimal; a component
 * that rounds to 0 is left out ([PAD]); both out → "stop". Decodes to e.g. "forward 0.8, left 0.6".
 */
export function actionSlots(a: readonly number[]): string[] {
  const mag = (v: number) => Math.round(Math.min(1, Math.abs(v)) * 10);
  const mx = mag(a[0] as number);
  const my = mag(a[1] as number);
  if (mx === 0 && my === 0) return ['stop', PAD, PAD, PAD, PAD];
  return [
    mx ? ((a[0] as number) > 0 ? 'forward' : 'back') : PAD,
    mx ? (MAGNITUDES[mx - 1] as string) : PAD,
    mx && my ? ',' : PAD,
    my ? ((a[1] as number) > 0 ? 'left' : 'right') : PAD,
    my ? (MAGNITUDES[my - 1] as string) : PAD,
  ];
}
