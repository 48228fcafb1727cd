/**
 * `simgate offline`: the lab's recorded episodes through a policy, teacher-forced. Each file is an
 * episode: the policy gets `begin` (a server's /reset), then the recorded frames in order with
 * the episode's instruction, exactly as the closed loop feeds it (same manifest preprocessing, its
 * own frame window) — only the frames come from the recording instead of the renderer.
 *
 * Alongside the run as read, the same frames go through the policy with the instruction swapped
 * left↔right and with R and B swapped (the checks of analysis.ts). A file that cannot be read is
 * listed with the reason and the run goes on.
 */
import { basename } from 'node:path';
import { swapRedBlue } from '../image/channels';
import type { Frame } from '../image/frame';
import { swapSideWords } from '../probes/instruction-swap';
import type { ActResult, Policy } from '../policy/types';
import type { EpisodeSpec } from '../sim/episode';
import type { Observation } from '../sim/observation';
import { sha256 } from '../util/hash';
import { analyse, type EpisodeFrames, type OfflineMetrics, type Prediction } from './analysis';
import { H5Error } from './h5';
import { Episode, EpisodeError, hintFor, type InstructionSource, type Schema, type StoredOrder } from './episode';

export interface OfflineOptions {
  /** Instruction for every file instead of the file's own (or the defaults). */
  instruction?: string;
  /** Run the instruction-swap and channel-order passes (default true; each costs one more policy pass). */
  checks?: boolean;
  onFileStart?: (file: string, index: number, total: number) => void;
  onFileEnd?: (entry: FileEntry, index: number, total: number, frames: number) => void;
  shouldStop?: () => boolean;
}

export type FileEntry =
  | {
      file: string;
      status: 'ok';
      schema: Schema;
      detectedBy: string;
      /** Frames in the file, and frames evaluated (those with an action label). */
      frames: number;
      evaluated: number;
      size: [height: number, width: number];
      storedOrder: StoredOrder;
      scenario: string;
      instruction: string;
      instructionSource: InstructionSource;
      /** Frames the policy failed on, and the first such error. */
      policyErrors: number;
      firstPolicyError?: string;
      warnings: string[];
    }
  | { file: string; status: 'unreadable'; reason: string; hint: string }
  | { file: string; status: 'policy_error'; schema: Schema; frames: number; reason: string };

export interface OfflineReport {
  tool: 'simgate offline';
  createdAt: string;
  policy: { name: string; kind: string; variant: string; details?: Record<string, unknown> };
  files: FileEntry[];
  counts: { files: number; evaluated: number; unreadable: number; policyErrorFiles: number; frames: number; bySchema: Record<string, { files: number; frames: number }> };
  metrics: OfflineMetrics | null;
  /** False when interrupted: the files after the last one listed were not evaluated. */
  complete: boolean;
}

/** The swap the instruction-swap check applies: English left↔right, and the lab's Korean 왼쪽↔오른쪽. */
export function swapInstructionText(text: string): string | null {
  const en = swapSideWords(text);
  const base = en ?? text;
  if (!/왼쪽|오른쪽/.test(base)) return en;
  return base.replace(/왼쪽|오른쪽/g, (w) => (w === '왼쪽' ? '오른쪽' : '왼쪽'));
}

type Variant = 'asRead' | 'swapInstruction' | 'swapChannels';

/** The first action of an answer ([lx, ly, az]); a latched STOP is STOP; an error is its text. */
export function actionOf(r: ActResult | undefined): number[] | string {
  if (!r) return 'no answer';
  if ('error' in r) return r.error;
  if ((r as { stop?: boolean }).stop) return [0, 0, 0];
  const a = 'actions' in r ? r.actions[0] : (r as { action: number[] }).action;
  if (!Array.isArray(a) || a.length < 2 || !a.every((v) => typeof v === 'number' && Number.isFinite(v))) return `malformed action ${JSON.stringify(a)}`;
  return [a[0]!, a[1]!, a[2] ?? 0];
}

export async function runOffline(files: readonly string[], policy: Policy, opts: OfflineOptions = {}): Promise<OfflineReport> {
  if (policy.info.kind === 'scripted') {
    throw new Error('scripted baselines drive on the simulator\'s privileged state, which a recording does not have');
  }
  const checks = opts.checks ?? true;
  // A stateful server keeps one history: its episodes must not overlap (the closed loop caps its
  // batch the same way). ONNX policies keep per-slot memory and run the three passes together.
  const cap = policy.info.maxConcurrent ?? (policy.info.kind === 'onnx' ? Infinity : 1);
  const entries: FileEntry[] = [];
  const evaluated: EpisodeFrames[] = [];
  let complete = true;

  for (const [i, file] of files.entries()) {
    if (opts.shouldStop?.()) {
      complete = false;
      break;
    }
    opts.onFileStart?.(file, i, files.length);
    let ep: Episode | undefined;
    let entry: FileEntry;
    let frames = 0;
    try {
      ep = await Episode.open(file, opts.instruction !== undefined ? { instruction: opts.instruction } : {});
      const info = ep.info;
      const swapped = checks ? swapInstructionText(info.instruction) : null;
      const variants: Variant[] = ['asRead', ...(swapped !== null ? (['swapInstruction'] as const) : []), ...(checks && policy.info.needsImage ? (['swapChannels'] as const) : [])];
      const preds = new Map<Variant, Prediction[]>(variants.map((v) => [v, new Array<Prediction>(info.labelled).fill(null)]));
      let firstError: string | undefined;
      let errors = 0;
      const epId = sha256(`${basename(file)}|${info.frames}|${info.bytes}`).slice(0, 16);
      // Passes in groups of at most `cap` concurrent episodes; each group reads the frames once.
      for (let g = 0; g < variants.length; g += Math.min(cap, variants.length)) {
        const group = variants.slice(g, g + Math.min(cap, variants.length));
        const ids = group.map((v) => `${epId}${v === 'asRead' ? '' : `.${v}`}`);
        for (const [slot, id] of ids.entries()) await policy.begin(slot, episodeSpec(id, info.scenario.position ?? info.scenario.key));
        let t = 0;
        for (const frame of ep.frames(0, info.labelled)) {
          const batch = group.map((v, slot) => ({ slot, obs: observation(ids[slot]!, t, v === 'swapInstruction' ? (swapped as string) : info.instruction, v === 'swapChannels' ? swapRedBlue(frame) : frame) }));
          const answers = await policy.act(batch);
          group.forEach((v, slot) => {
            const a = actionOf(answers[slot]);
            if (typeof a === 'string') {
              if (v === 'asRead') {
                errors++;
                firstError ??= `frame ${t}: ${a}`;
              }
            } else preds.get(v)![t] = a;
          });
          t++;
          if (g === 0) frames++;
        }
      }
      entry = {
        file,
        status: 'ok',
        schema: info.schema,
        detectedBy: info.detectedBy,
        frames: info.frames,
        evaluated: info.labelled,
        size: [info.height, info.width],
        storedOrder: info.storedOrder,
        scenario: info.scenario.key,
        instruction: info.instruction,
        instructionSource: info.instructionSource,
        policyErrors: errors,
        ...(firstError ? { firstPolicyError: firstError } : {}),
        warnings: info.warnings,
      };
      evaluated.push({
        file,
        schema: info.schema,
        scenario: info.scenario.key,
        storedOrder: info.storedOrder,
        labels: info.actions,
        pred: preds.get('asRead')!,
        ...(preds.has('swapInstruction') ? { swapInstruction: preds.get('swapInstruction')! } : {}),
        ...(preds.has('swapChannels') ? { swapChannels: preds.get('swapChannels')! } : {}),
      });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (ep && !(e instanceof EpisodeError) && !(e instanceof H5Error)) {
        // The file was fine; the policy (or its server's /reset) was not.
        entry = { file, status: 'policy_error', schema: ep.info.schema, frames: ep.info.frames, reason: msg.split('\n')[0]! };
      } else {
        entry = { file, status: 'unreadable', reason: msg, hint: e instanceof EpisodeError ? e.hint : hintFor(msg) };
      }
    } finally {
      ep?.close();
    }
    entries.push(entry);
    opts.onFileEnd?.(entry, i, files.length, frames);
  }

  const bySchema: Record<string, { files: number; frames: number }> = {};
  for (const e of entries) {
    if (e.status !== 'ok') continue;
    const s = (bySchema[e.schema] ??= { files: 0, frames: 0 });
    s.files++;
    s.frames += e.evaluated;
  }
  return {
    tool: 'simgate offline',
    createdAt: new Date().toISOString(),
    policy: { name: policy.info.name, kind: policy.info.kind, variant: policy.info.variant, ...(policy.info.details ? { details: plain(policy.info.details) } : {}) },
    files: entries,
    counts: {
      files: entries.length,
      evaluated: evaluated.length,
      unreadable: entries.filter((e) => e.status === 'unreadable').length,
      policyErrorFiles: entries.filter((e) => e.status === 'policy_error').length,
      frames: evaluated.reduce((s, e) => s + e.labels.length, 0),
      bySchema,
    },
    metrics: evaluated.length ? analyse(evaluated) : null,
    complete,
  };
}

/** What a policy's `begin` gets: an id per file and pass; there is no scene behind a recording. */
function episodeSpec(id: string, family: string): EpisodeSpec {
  return { id, suite: 'offline', suiteVersion: 1, scene: undefined as unknown as EpisodeSpec['scene'], sceneHash: '', seed: 0, split: 'in-distribution', family };
}

function observation(episodeId: string, step: number, instruction: string, image: Frame): Observation {
  // No privileged state: learned policies read only the image and the instruction.
  return { episodeId, step, instruction, state: undefined as unknown as Observation['state'], image };
}

/** details with getters (latency) evaluated, for JSON. */
function plain(d: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
}
