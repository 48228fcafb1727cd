/**
 * `simgate offline` on HDF5 episodes written here with h5wasm in the lab's three layouts
 * (LAB.md §2): schema detection from keys and attributes, BGR frames in V1–V4, gzip-compressed
 * chunked datasets read a frame block at a time, corrupt files listed and skipped, and the
 * baselines and checks on a constructed dataset whose answers are worked out by hand below.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import h5wasm from 'h5wasm/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Episode, EpisodeError } from '../src/offline/episode';
import { runOffline, swapInstructionText, type OfflineReport } from '../src/offline/run';
import { baselinePredictions } from '../src/offline/analysis';
import { clusterRate } from '../src/offline/rates';
import { parseScenario } from '../src/offline/scenario';
import { corruptObjectHeaders, truncateCopy, writeV1, writeV5, writeV6 } from './helpers/h5-episodes';
import { ACTION, BgrReaderPolicy, ForwardPolicy, InstructionPolicy, MemoriserPolicy, PALETTE, ReaderPolicy, type Cls } from './helpers/offline-policies';
import { killChildren, startCli } from './runner-helpers';
import { tempDir } from './helpers/suites';

const RED: [number, number, number] = [220, 30, 30];
const BLUE: [number, number, number] = [30, 30, 220];

let dir: string;
/** All three schemas + damaged files, in a folder named like the lab's (which says V5 but holds V6). */
let mixed: string;
/** The constructed dataset: 8 V1–V4 episodes of 6 frames. */
let constructed: string;

/**
 * Episode e (0–7): STOP, four frames FORWARD except one turn at frame 1 + (e mod 4) — FWD+L for
 * e < 4 (file named "left"), FWD+R for e ≥ 4 — then STOP. 48 frames: STOP 16, FORWARD 24,
 * FWD+L 4, FWD+R 4. Worked out by hand:
 * - majority class (leave-one-episode-out): FORWARD everywhere → PM 24/48 = 50%;
 * - frame index (leave-one-out): frames 0 and 5 STOP; frames 1–4: 6 of 8 episodes say FORWARD,
 *   one FWD+L, one FWD+R, so FORWARD with or without the episode itself → STOP F F F F STOP,
 *   wrong exactly on the 8 turn frames → PM 40/48.
 */
function constructedLabels(e: number): Cls[] {
  const turn = 1 + (e % 4);
  return [0, 1, 2, 3, 4, 5].map((t) => (t === 0 || t === 5 ? 'STOP' : t === turn ? (e < 4 ? 'FWD_L' : 'FWD_R') : 'FORWARD'));
}

beforeAll(async () => {
  dir = tempDir('simgate-offline-');
  mixed = join(dir, 'mobile_vla_dataset_v5');
  constructed = join(dir, 'constructed');
  mkdirSync(mixed, { recursive: true });
  mkdirSync(constructed, { recursive: true });
  const acts = (cls: Cls[]) => cls.map((c) => ACTION[c]);
  // V1–V4 at the camera's 720×1280, stored BGR: red frames labelled FWD+L.
  await writeV1(join(mixed, 'episode_20251203_042905_1box_hori_left_core_medium.h5'), { frames: [RED, RED, RED], actions: acts(['FWD_L', 'FWD_L', 'FWD_L']), height: 720, width: 1280 });
  // V5: RGB under observations/images, blue frames labelled FWD+R, 5 frames + its instruction.
  await writeV5(join(mixed, 'episode_260506_214859_target_right_left_path__core__fixed_right.h5'), { frames: [BLUE, BLUE, BLUE, BLUE, BLUE], actions: acts(['FWD_R', 'FWD_R', 'FWD_R', 'FWD_R', 'FWD_R']) });
  // V6: the odd 480×640 episode.
  await writeV6(join(mixed, 'episode_20260716_105343_strong_left_straight.h5'), { frames: [RED, RED, RED, RED], actions: acts(['FWD_L', 'FWD_L', 'FWD_L', 'STOP']), height: 480, width: 640, position: 'strong_left', path: 'straight' });
  await writeV6(join(dir, 'good-v6.h5'), { frames: [RED, RED, RED, RED, RED, RED], actions: acts(['FWD_L', 'FWD_L', 'FWD_L', 'FWD_L', 'FWD_L', 'STOP']) });
  // Damaged: cut short (disk full), a bad object header, not HDF5 at all.
  truncateCopy(join(dir, 'good-v6.h5'), join(mixed, 'episode_20260716_111458_strong_left_straight.h5'), 0.4);
  expect(corruptObjectHeaders(join(mixed, 'episode_20251203_042905_1box_hori_left_core_medium.h5'), join(mixed, 'episode_20251203_050000_1box_hori_right_core_far.h5'))).toBeGreaterThan(0);
  writeFileSync(join(mixed, 'episode_20260716_120000_center_straight.h5'), 'not an HDF5 file\n');

  for (let e = 0; e < 8; e++) {
    const labels = constructedLabels(e);
    await writeV1(join(constructed, `episode_2025120${e + 1}_0429${10 + e}_1box_hori_${e < 4 ? 'left' : 'right'}_core_medium.h5`), { frames: labels.map((c) => PALETTE[c]), actions: acts(labels), height: 24, width: 32 });
  }
}, 120_000);

afterEach(() => killChildren());

const episodeFiles = (d: string) => [0, 1, 2, 3, 4, 5, 6, 7].map((e) => join(d, `episode_2025120${e + 1}_0429${10 + e}_1box_hori_${e < 4 ? 'left' : 'right'}_core_medium.h5`));

describe('reading the lab\'s episode files', () => {
  it('detects V1–V4, V5 and V6 from keys and attributes (the folder says v5 for all of them)', async () => {
    const v1 = await Episode.open(join(mixed, 'episode_20251203_042905_1box_hori_left_core_medium.h5'));
    const v5 = await Episode.open(join(mixed, 'episode_260506_214859_target_right_left_path__core__fixed_right.h5'));
    const v6 = await Episode.open(join(mixed, 'episode_20260716_105343_strong_left_straight.h5'));
    try {
      expect([v1.info.schema, v5.info.schema, v6.info.schema]).toEqual(['v1-v4', 'v5', 'v6']);
      expect(v1.info).toMatchObject({ frames: 3, height: 720, width: 1280, storedOrder: 'BGR', imagesPath: 'images', instructionSource: 'file-name' });
      expect(v1.info.instruction).toMatch(/on the left$/);
      expect(v5.info).toMatchObject({ frames: 5, storedOrder: 'RGB', imagesPath: 'observations/images', instructionSource: 'file' });
      expect(v5.info.instruction).toMatch(/gray basket is centered/);
      expect(v6.info).toMatchObject({ frames: 4, height: 480, width: 640, storedOrder: 'RGB', instruction: 'gray basket', instructionSource: 'default' });
      expect(v6.info.detectedBy).toContain('cx_position');
      expect(v1.info.scenario).toMatchObject({ key: '1box_hori_left_core_medium', side: 'left' });
      expect(v5.info.scenario.key).toBe('right_left');
      expect(v6.info.scenario).toMatchObject({ key: 'strong_left_straight', position: 'strong_left' });
      // The red frame stored as BGR bytes comes out red.
      const [f0] = [...v1.frames(0, 1)];
      expect(Array.from(f0!.data.subarray(0, 3))).toEqual(RED);
      expect(Array.from([...v5.frames(0, 1)][0]!.data.subarray(0, 3))).toEqual(BLUE);
    } finally {
      v1.close();
      v5.close();
      v6.close();
    }
    // On disk the V1 frame really is BGR.
    await h5wasm.ready;
    const raw = new h5wasm.File(join(mixed, 'episode_20251203_042905_1box_hori_left_core_medium.h5'), 'r');
    const ds = raw.get('images') as InstanceType<typeof h5wasm.Dataset>;
    expect(ds.filters.map((f) => f.name)).toContain('deflate');
    expect(Array.from((ds.slice([[0, 1], [0, 1], [0, 1]]) as Uint8Array).subarray(0, 3))).toEqual([...RED].reverse());
    raw.close();
  });

  it('reads frames one chunk-sized slice at a time, never the whole images dataset', async () => {
    const sliceSpy = vi.spyOn(h5wasm.Dataset.prototype, 'slice');
    const valueSpy = vi.spyOn(h5wasm.Dataset.prototype, 'value', 'get');
    const ep = await Episode.open(join(mixed, 'episode_20251203_042905_1box_hori_left_core_medium.h5'));
    try {
      valueSpy.mockClear();
      let n = 0;
      for (const f of ep.frames()) {
        expect(f.data.length).toBe(720 * 1280 * 3);
        n++;
      }
      expect(n).toBe(3);
      const ranges = sliceSpy.mock.calls.map(([r]) => r[0] as number[]);
      expect(ranges).toEqual([[0, 1], [1, 2], [2, 3]]);
      expect(valueSpy).not.toHaveBeenCalled();
    } finally {
      ep.close();
      sliceSpy.mockRestore();
      valueSpy.mockRestore();
    }
  });

  it('says why a file cannot be read, in HDF5\'s words, and what to do', async () => {
    const reason = async (name: string) => {
      try {
        (await Episode.open(join(mixed, name))).close();
        return null;
      } catch (e) {
        expect(e).toBeInstanceOf(EpisodeError);
        return { message: (e as Error).message, hint: (e as EpisodeError).hint };
      }
    };
    const trunc = await reason('episode_20260716_111458_strong_left_straight.h5');
    expect(trunc?.message).toMatch(/truncated file/);
    expect(trunc?.hint).toMatch(/cut short/);
    const header = await reason('episode_20251203_050000_1box_hori_right_core_far.h5');
    expect(header?.message).toMatch(/bad object header version number/);
    expect(header?.hint).toMatch(/collect the episode again or leave it out/);
    expect((await reason('episode_20260716_120000_center_straight.h5'))?.message).toMatch(/file signature not found/);
  });

  it('parses the lab\'s file-name patterns into scenarios', () => {
    expect(parseScenario('episode_20251203_042905_2box_vert_right_variant_far.h5')).toMatchObject({ key: '2box_vert_right_variant_far', side: 'right', pattern: 'v1' });
    expect(parseScenario('episode_260506_214859_target_center_straight_path__core__fixed_center.h5').key).toBe('center_straight');
    expect(parseScenario('episode_260601_101010_free_left__div3__zigzag__far_right.h5').key).toBe('free_left');
    expect(parseScenario('episode_20260716_105343_weak_right_left_curve.h5')).toMatchObject({ key: 'weak_right_left_curve', position: 'weak_right' });
    expect(parseScenario('renamed.h5', { cx_position: 'center', cx_path: 'straight' })).toMatchObject({ key: 'center_straight', position: 'center', pattern: 'attrs' });
    expect(parseScenario('renamed.h5').key).toBe('unknown');
  });
});

describe('baselines and checks on the constructed dataset (answers worked out by hand)', () => {
  let reader: OfflineReport;
  let memoriser: OfflineReport;
  let forward: OfflineReport;
  beforeAll(async () => {
    const files = episodeFiles(constructed);
    reader = await runOffline(files, new ReaderPolicy());
    memoriser = await runOffline(files, new MemoriserPolicy());
    forward = await runOffline(files, new ForwardPolicy());
  }, 60_000);

  it('leave-one-episode-out baselines', () => {
    const labels = [0, 1, 2, 3, 4, 5, 6, 7].map(constructedLabels);
    const { majority, frameIndex } = baselinePredictions(labels);
    // Class indices of ACTION_CLASSES: STOP 0, FORWARD 1, FWD_L 4, FWD_R 5.
    expect(majority.every((ep) => ep.every((c) => c === 1))).toBe(true);
    expect(frameIndex.every((ep) => ep.join() === '0,1,1,1,1,0')).toBe(true);
  });

  it('a policy that reads the image: PM 100%, majority baseline 50%, frame-index baseline 83%', () => {
    const m = reader.metrics!;
    expect(reader.counts).toMatchObject({ files: 8, evaluated: 8, unreadable: 0, frames: 48 });
    expect(m.overall.pm).toMatchObject({ k: 48, n: 48, rate: 1, episodes: 8 });
    expect(m.overall.majority).toMatchObject({ k: 24, n: 48, rate: 0.5 });
    expect(m.overall.frameIndex).toMatchObject({ k: 40, n: 48 });
    expect(m.baselines.majority).toEqual({ class: 'FORWARD', share: 0.5 });
    // Every rate has its interval and n; 100% keeps a Wilson-wide lower bound.
    expect(m.overall.pm.ci95.lo).toBeGreaterThan(0.9);
    expect(m.overall.pm.ci95.lo).toBeLessThan(1);
    expect(m.mae.mean).toBeCloseTo(0, 6); // labels are float32 1.15
    const diag = m.confusion.map((row, i) => row[i]);
    expect(diag.slice(0, 6)).toEqual([16, 24, 0, 0, 4, 4]);
    expect(m.perScenario.map((s) => [s.scenario, s.pm.n])).toEqual([
      ['1box_hori_left_core_medium', 24],
      ['1box_hori_right_core_medium', 24],
    ]);
    expect(m.perClass.find((c) => c.class === 'FWD_L')).toMatchObject({ n: 4, predictedMost: 'FWD_L' });
    expect(m.checks.frameIndex.flag).toBe('OK');
    expect(m.checks.majority.flag).toBe('OK');
  });

  it('the frame-number memoriser: PM 83% offline, flagged MEMORISES FRAME INDEX', () => {
    const m = memoriser.metrics!;
    expect(m.overall.pm).toMatchObject({ k: 40, n: 48 });
    expect(m.checks.frameIndex.agreesWithFrameIndex).toMatchObject({ k: 48, n: 48 });
    expect(m.checks.frameIndex.difference.estimate).toBeCloseTo(8 / 48, 12);
    expect(m.checks.frameIndex.difference.ci95!.lo).toBeGreaterThan(0);
    expect(m.checks.frameIndex.flag).toBe('MEMORISES FRAME INDEX');
    // Wrong only on the 8 turn frames, by 1.15 sideways each.
    expect(m.mae.linear_y).toBeCloseTo((8 * 1.15) / 48, 5);
  });

  it('forward collapse scores the majority baseline and is flagged as collapse, not memorisation', () => {
    const m = forward.metrics!;
    expect(m.overall.pm).toMatchObject({ k: 24, n: 48 });
    expect(m.overall.pm.rate).toBe(m.overall.majority.rate);
    expect(m.checks.majority.flag).toBe('COLLAPSES TO FORWARD');
    expect(m.checks.frameIndex.flag).toBe('OK');
  });

  it('channel order: a colour reader is CHANNEL-SENSITIVE; one trained on BGR-as-RGB does BETTER SWAPPED', async () => {
    const ch = reader.metrics!.checks.channelOrder;
    // R↔B turns FWD+L into FWD+R: the 8 turn frames go wrong, nothing else.
    expect(ch.asStored).toMatchObject({ k: 48, n: 48 });
    expect(ch.swapped).toMatchObject({ k: 40, n: 48 });
    expect(ch.flag).toBe('CHANNEL-SENSITIVE');
    expect(ch.perStoredOrder.map((s) => s.storedOrder)).toEqual(['BGR']);
    const bgr = (await runOffline(episodeFiles(constructed), new BgrReaderPolicy())).metrics!;
    expect(bgr.overall.pm).toMatchObject({ k: 40, n: 48 });
    expect(bgr.checks.channelOrder.swapped).toMatchObject({ k: 48, n: 48 });
    expect(bgr.checks.channelOrder.flag).toBe('BETTER SWAPPED');
  });

  it('instruction swap: a policy that ignores the instruction is flagged; one that follows it is not', async () => {
    const sw = reader.metrics!.checks.instructionSwap;
    expect(sw.n).toBe(48);
    expect(sw.identicalOutput).toMatchObject({ k: 48, n: 48 });
    expect(sw.classChanged.k).toBe(0);
    expect(sw.flag).toBe('IGNORES INSTRUCTION');
    const follower = new InstructionPolicy();
    const f = (await runOffline(episodeFiles(constructed), follower)).metrics!.checks.instructionSwap;
    expect(f.classChanged).toMatchObject({ k: 48, n: 48 });
    expect(f.directionMirrored).toMatchObject({ k: 48, n: 48 });
    expect(f.flag).toBe('RESPONDS TO INSTRUCTION');
    // Each file is begun once per pass and its frames come in order.
    expect(follower.begun.length).toBe(8 * 3);
    const first = follower.seen.filter(([id]) => id === follower.seen[0]![0]).map(([, t]) => t);
    expect(first.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(swapInstructionText('가장 왼쪽 외곽으로 돌아 컵까지 가세요')).toBe('가장 오른쪽 외곽으로 돌아 컵까지 가세요');
    expect(swapInstructionText('gray basket')).toBeNull();
  });

  it('intervals treat episodes as clusters: never narrower than Wilson, wider when episodes disagree', () => {
    const same = clusterRate([{ k: 5, n: 10 }, { k: 5, n: 10 }]);
    const split = clusterRate([{ k: 10, n: 10 }, { k: 0, n: 10 }]);
    expect(same.rate).toBe(0.5);
    expect(split.rate).toBe(0.5);
    expect(split.ci95.hi - split.ci95.lo).toBeGreaterThan(same.ci95.hi - same.ci95.lo);
  });
});

describe('simgate offline (CLI)', () => {
  it('shipped demo-simple-finetuned on all three schemas: bad files listed with reasons, the rest evaluated, exit 1', async () => {
    const out = join(dir, 'report.json');
    const { done } = startCli(['offline', mixed, '--policy', 'policies/demo-simple-finetuned', '--json', '--out', out]);
    const r = await done;
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as OfflineReport;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ counts: report.counts });
    expect(report.counts).toMatchObject({ files: 6, evaluated: 3, unreadable: 3, policyErrorFiles: 0, frames: 12 });
    expect(report.counts.bySchema).toEqual({ 'v1-v4': { files: 1, frames: 3 }, v5: { files: 1, frames: 5 }, v6: { files: 1, frames: 4 } });
    const byName = Object.fromEntries(report.files.map((f) => [f.file.replace(/^.*\//, ''), f]));
    expect(byName['episode_20260716_105343_strong_left_straight.h5']).toMatchObject({ status: 'ok', schema: 'v6', frames: 4, size: [480, 640] });
    expect(byName['episode_20251203_042905_1box_hori_left_core_medium.h5']).toMatchObject({ status: 'ok', schema: 'v1-v4', storedOrder: 'BGR', size: [720, 1280] });
    expect(byName['episode_20260716_111458_strong_left_straight.h5']).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/truncated/) });
    expect(byName['episode_20251203_050000_1box_hori_right_core_far.h5']).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/bad object header/) });
    expect(byName['episode_20260716_120000_center_straight.h5']).toMatchObject({ status: 'unreadable', reason: expect.stringMatching(/signature/) });
    // The demo checkpoint has no instruction input: swapping left and right changes nothing.
    expect(report.metrics!.checks.instructionSwap.flag).toBe('NO SIGNAL'); // only 3 frames name a side
    expect(report.metrics!.overall.pm.n).toBe(12);
    // HDF5's own error stacks never reach the terminal.
    expect(r.stderr).not.toMatch(/HDF5-DIAG/);
  }, 120_000);

  it('tables on stdout name each unreadable file with what to do; the demo policy IGNORES INSTRUCTION', async () => {
    const { done } = startCli(['offline', constructed, join(mixed, 'episode_20260716_111458_strong_left_straight.h5'), '--policy', 'policies/demo-simple-finetuned']);
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Not evaluated/);
    expect(r.stdout).toMatch(/truncated file/);
    expect(r.stdout).toMatch(/IGNORES INSTRUCTION/);
    expect(r.stdout).toMatch(/majority baseline PM/);
    expect(r.stderr).toMatch(/skipped .*truncated/);
  }, 120_000);

  it('a scripted baseline is refused (exit 2): recordings have no privileged state', async () => {
    const r = await startCli(['offline', constructed, '--policy', 'oracle']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/privileged state/);
  });

  describe('a policy server', () => {
    let server: Server;
    let url: string;
    const calls: string[] = [];
    beforeAll(async () => {
      // Answers from the colour of the JPEG it gets: red → FWD+L, blue → FWD+R.
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          calls.push(req.url ?? '');
          if (req.url !== '/predict') return res.end(JSON.stringify({ status: 'success' }));
          const { image } = JSON.parse(body) as { image: string };
          const img = jpeg.decode(Buffer.from(image, 'base64'));
          let r = 0;
          let b = 0;
          for (let i = 0; i < img.width * img.height; i++) {
            r += img.data[i * 4]!;
            b += img.data[i * 4 + 2]!;
          }
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ action: r > b ? [1.15, 1.15] : [1.15, -1.15], latency_ms: 1 }));
        });
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

    it('sees V1–V4 frames in their true colours (BGR converted), one episode at a time', async () => {
      const spec = JSON.stringify({ remote: url, name: 'colour-server', instructionFirstActionZero: false, timeoutMs: 5000 });
      const files = [join(mixed, 'episode_20251203_042905_1box_hori_left_core_medium.h5'), join(mixed, 'episode_260506_214859_target_right_left_path__core__fixed_right.h5')];
      const r = await startCli(['offline', ...files, '--policy', spec, '--json']).done;
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as OfflineReport;
      // The red V1 frames were labelled FWD+L and the server said FWD+L: right only if it saw red.
      expect(report.metrics!.overall.pm).toMatchObject({ k: 8, n: 8 });
      expect(report.metrics!.checks.channelOrder.swapped.k).toBe(0);
      // V1 names a side (3 passes × 3 frames); V5's instruction does not (2 passes × 5 frames).
      expect(calls.filter((c) => c === '/predict').length).toBe(3 * 3 + 2 * 5);
      // The server is stateful: a /reset before each pass over an episode, one episode at a time.
      // (Before the first /predict the policy may also check the server's /reset at load.)
      const firstPredict = calls.indexOf('/predict');
      expect(calls.slice(0, firstPredict)).toContain('/reset');
      expect(calls.slice(firstPredict).filter((c) => c === '/reset').length).toBe(3 + 2 - 1);
    }, 120_000);
  });
});
