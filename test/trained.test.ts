/**
 * The trained demo policies through the real loop: Chromium renders the onboard camera, the ONNX
 * checkpoints run in onnxruntime, Rapier moves the robot. Short runs: they check that each policy
 * loads, acts on real frames with every decoder, and produces valid actions — not how well it
 * drives (those figures are in each policies/trained-*\/TRAINING.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumRenderer } from '../src/render/chromium-renderer';
import { loadOnnxPolicy } from '../src/policy/onnx/load';
import { runEpisodes } from '../src/runner/episode-loop';
import { loadSuite } from '../src/scene/load';
import { suiteEpisodes } from '../src/sim/episode';
import { makeProfile } from '../src/sim/profile';

const POLICIES = ['trained-frozen', 'trained-finetuned', 'trained-binned', 'trained-text'];

let renderer: ChromiumRenderer;
beforeAll(async () => {
  renderer = await ChromiumRenderer.launch({});
}, 120_000);
afterAll(async () => {
  await renderer?.close();
});

// One "left" and one "right" scene of the in-distribution suite, and one novel scene.
const id = suiteEpisodes(loadSuite('scenes/nav-id-v2.json'), 1).filter((e) => e.scene.id === '1box_hori_left_medium_0' || e.scene.id === '1box_hori_right_medium_0');
const novel = suiteEpisodes(loadSuite('scenes/nav-novel-v2.json'), 1).filter((e) => e.scene.id === 'lighting_1box_hori_right');

describe('trained policies in the closed loop', () => {
  for (const name of POLICIES) {
    it(
      `${name}: runs 3 episodes with valid actions`,
      async () => {
        const policy = await loadOnnxPolicy(`policies/${name}/policy.json`, { device: 'cpu' });
        try {
          const episodes = [...id, ...novel];
          expect(episodes).toHaveLength(3);
          const rows = await runEpisodes(policy, episodes, { profile: makeProfile({}), batchSize: 3, renderer, traceAll: true });
          expect(rows).toHaveLength(3);
          for (const row of rows) {
            expect(row.outcome, `${row.sceneId}: ${row.reason ?? ''}`).not.toMatch(/error/);
            const actions = row.trace?.actions ?? [];
            expect(actions.length).toBeGreaterThan(0);
            for (const a of actions) {
              expect(a).toHaveLength(2);
              for (const v of a) {
                expect(Number.isFinite(v)).toBe(true);
                expect(Math.abs(v)).toBeLessThanOrEqual(1);
              }
            }
          }
          // The instruction reaches the model: the first action differs between "left" and "right".
          const first = rows.slice(0, 2).map((r) => r.trace?.actions[0] as readonly number[]);
          expect(first[0]).not.toEqual(first[1]);
        } finally {
          await policy.close();
        }
      },
      180_000,
    );
  }
});

describe('seeded demo checkpoints (each I/O variant) in the closed loop', () => {
  // Kosmos-style: 8-frame window + instruction token ids + (B, 8, 10, 2) chunks; simple: image → action.
  for (const name of ['demo-kosmos-frozen', 'demo-simple-finetuned']) {
    it(
      `${name}: same rows at batch 1 and batch 2 (frame history and chunk selection per episode)`,
      async () => {
        const run = async (batchSize: number) => {
          const policy = await loadOnnxPolicy(`policies/${name}/policy.json`, { device: 'cpu' });
          try {
            const rows = await runEpisodes(policy, id, { profile: makeProfile({}), batchSize, renderer, traceAll: true });
            return rows.map(({ timing: _t, ...r }) => r);
          } finally {
            await policy.close();
          }
        };
        const one = await run(1);
        expect(one).toHaveLength(2);
        for (const r of one) {
          expect(r.outcome, r.reason ?? '').not.toMatch(/error/);
          expect(r.trace!.actions.length).toBeGreaterThan(0);
        }
        expect(await run(2)).toEqual(one);
      },
      180_000,
    );
  }
});
