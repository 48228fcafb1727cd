import type { Scene } from '../scene/schema';
import { deriveEpisodes, timeLimitFor } from './derive';
import type { Probe } from './types';

const other = (s: 'left' | 'right') => (s === 'left' ? 'right' : 'left');

/** "left" ↔ "right" as whole words, keeping capitals; null when the text names neither. */
export function swapSideWords(text: string): string | null {
  if (!/\b(left|right)\b/i.test(text)) return null;
  return text.replace(/\b(left|right)\b/gi, (w) => {
    const to = w.toLowerCase() === 'left' ? 'right' : 'left';
    return w[0] === w[0]!.toUpperCase() ? to[0]!.toUpperCase() + to.slice(1) : to;
  });
}

/** The same layout with the instruction (text and side) swapped left ↔ right. */
export function swapInstruction(scene: Scene): Scene | string {
  const text = swapSideWords(scene.instruction.text);
  if (text === null) return 'instruction text names no side to swap';
  const swapped: Scene = {
    ...scene,
    id: `${scene.id}${instructionSwap.sceneSuffix}`,
    instruction: { text, side: other(scene.instruction.side) },
  };
  const limit = timeLimitFor(swapped, scene.timeLimit);
  if (limit === null) return `no path on the ${swapped.instruction.side} side`;
  return { ...swapped, timeLimit: limit };
}

/**
 * Catches a policy that ignores left/right in the instruction: every in-distribution layout is
 * run again told the other side. A policy that ignores the instruction passes on the same side
 * both times, so over each (base, swapped) pair it follows the instruction half the time.
 */
export const instructionSwap: Probe = {
  name: 'instruction-swap',
  doc: 'in-distribution layouts with the instruction swapped left↔right',
  imageOnly: false,
  sceneSuffix: '.swap',
  derive: (suites, k) => deriveEpisodes(suites, k, 'instruction-swap', swapInstruction),
};
