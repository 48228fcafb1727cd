import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runPlan } from '../src/runner/run';
import { parseConfig } from '../src/config/config';
import { runEpisodes } from '../src/runner/episode-loop';
import type { EpisodeRow, RunResults } from '../src/results/schema';
import { StraightPolicy } from '../src/policy/scripted';
import type { Policy } from '../src/policy/types';
import { ChromiumRenderer } from '../src/render/chromium-renderer';
import { launchBrowser, type BrowserHost } from '../src/render/browser';
import { decodePng } from '../src/image/png';
import type { Frame } from '../src/image/frame';
import { suiteEpisodes } from '../src/sim/episode';
import { makeProfile } from '../src/sim/profile';
import type { EpisodeTrace } from '../src/sim/trace';
import { findRow, replaySpec, tracedRows } from '../src/replay/load';
import { readResults, type LoadedResults } from '../src/results/read';
import { resimulate } from '../src/replay/simulate';
import { renderCamera } from '../src/replay/prepare';
import { exportEpisode, gifInfo } from '../src/replay/export';
import { startViewerServer, type ViewerServer } from '../src/replay/server';
import { actionArrow, actionArrows, arrowDrive } from '../src/replay/action-arrow';
import { openReplay, type ReplaySession } from '../src/replay/session';
import { parseSuite } from '../src/scene/load';
import { smallSuite, tempDir, writeSuite } from './helpers/suites';

// Two scenes of the small suite, one seed: a results folder made by a real run.
const base = smallSuite('replay-test');
const suite = parseSuite({ schemaVersion: 1, suite: base.suite, version: base.version, scenes: base.scenes.slice(0, 2) }, 'replay-test.json');
const dir = tempDir('simgate-replay-');
const suiteFile = writeSuite(dir, suite, 'suite.json');
const out = join(dir, 'out');
let results: RunResults;
let loaded: LoadedResults;
let failed: EpisodeRow & { trace: EpisodeTrace };

beforeAll(async () => {
  const config = parseConfig({ policies: ['straight', 'random'], suites: [suiteFile], episodesPerScene: 1, outputDir: out, batchSize: 2 }, 'test');
  results = await runPlan(config);
  loaded = readResults(out);
  failed = tracedRows(results, { failuresOnly: true }).find((r) => r.trace.actions.length >= 2)!;
}, 120_000);

describe('replay: physics from the trace', () => {
  it('keeps a trace with what replay needs for every failed episode', () => {
    expect(failed).toBeDefined();
    for (const r of tracedRows(results, { failuresOnly: true })) {
      expect(r.trace.episodeId).toBe(r.episodeId);
      expect(r.trace.hashes.length).toBe(r.trace.actions.length + 1);
      expect(r).toMatchObject({ suite: suite.suite, sceneHash: suite.sceneHashes[r.sceneId] });
    }
    expect(results.config.profiles).toBeDefined();
    expect(results.policies.map((p) => p.actionMode)).toEqual(['pulse', 'pulse']);
  });

  it('a trace replayed twice gives identical hashes, equal to the recording', async () => {
    const spec = replaySpec(loaded, failed);
    const a = await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace);
    const b = await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace);
    expect(a.hashes).toEqual(b.hashes);
    expect(a.hashes).toEqual(failed.trace.hashes);
    expect(a.divergence).toBeUndefined();
    expect(a.contacts).toEqual(failed.trace.contacts);
  });

  it('a tampered trace (one action edited) is reported as diverging at the next step', async () => {
    const spec = replaySpec(loaded, failed);
    const actions = failed.trace.actions.map((a) => [...a]);
    actions[1] = [0, actions[1]![1]! >= 0 ? -1 : 1]; // sideways instead
    const sim = await resimulate(spec.scene, spec.profile, spec.actionMode, { ...spec.trace, actions });
    expect(sim.divergence?.step).toBe(2);
    expect(sim.divergence?.expected).toBe(failed.trace.hashes[2]);
  });

  it('`simgate replay --check` exits 1 and says REPLAY DIVERGED on stderr for a tampered results file', () => {
    const tampered = join(dir, 'tampered');
    mkdirSync(tampered, { recursive: true });
    const raw = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    const row = raw.episodes.find((r) => r.episodeId === failed.episodeId && r.policy === failed.policy)!;
    row.trace!.actions[0] = [0, 1];
    writeFileSync(join(tampered, 'results.json'), JSON.stringify(raw));
    const cli = (d: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', d, '--check'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const bad = cli(tampered);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`REPLAY DIVERGED ${failed.policy} ${failed.episodeId}.*step 1`));
    const good = cli(out);
    expect(good.stderr).not.toMatch(/DIVERGED/);
    expect(good.status).toBe(0);
  }, 60_000);

  it('refuses a scene that changed since the run (hash check)', () => {
    const edited = JSON.parse(readFileSync(suiteFile, 'utf8'));
    edited.scenes[0].obstacles[0].pose.x += 0.01;
    edited.scenes[1].obstacles[0].pose.x += 0.01;
    const f = join(dir, 'edited.json');
    writeFileSync(f, JSON.stringify(edited));
    expect(() => replaySpec(loaded, failed, { suites: [f] })).toThrow(/has changed since the run/);
  });

  it('finds episodes by id prefix and policy', () => {
    const { row } = findRow(results, failed.episodeId.slice(0, 8), failed.policy);
    expect(row.episodeId).toBe(failed.episodeId);
    expect(() => findRow(results, 'ffffffffffff')).toThrow(/No episode/);
  });
});

describe('replay: action arrows', () => {
  it('are the displacement the profile drive commands', () => {
    const profile = makeProfile({ speed: 0.6, pulseSeconds: 0.5, controlPeriodSeconds: 0.5 });
    const drive = arrowDrive(profile);
    // pulse: direction only, speed × pulse duration long, whatever the magnitude
    const a = actionArrow('pulse', drive, [0.3, 0.3], 0);
    expect(Math.hypot(a.dx, a.dy)).toBeCloseTo(0.3);
    expect(a.fwd).toBeCloseTo(a.left);
    const facingY = actionArrow('pulse', drive, [1, 0], Math.PI / 2);
    expect([facingY.dx, facingY.dy]).toEqual([expect.closeTo(0), expect.closeTo(0.3)]);
    expect(actionArrow('pulse', drive, [profile.deadband / 2, 0], 0)).toEqual({ fwd: 0, left: 0, dx: 0, dy: 0, spin: 0 });
    // a pure angular_z: no arrow, a turn of spinRate × pulse by its sign
    expect(actionArrow('pulse', drive, [0, 0, -0.4], 0)).toMatchObject({ fwd: 0, left: 0, spin: -profile.spinRate * 0.5 });
    // velocity: capped at the profile speed, over one control period
    expect(actionArrow('velocity', drive, [0.2, 0], 0).fwd).toBeCloseTo(0.1);
    expect(actionArrow('velocity', drive, [2, 0, 1], 0).fwd).toBeCloseTo(0.3);
    // the lab's robot: 0.3125 m/s × 0.4 s = 12.5 cm per pulse
    const lab = actionArrow('pulse', arrowDrive(makeProfile({})), [1, -1], 1);
    expect(Math.hypot(lab.dx, lab.dy)).toBeCloseTo(0.125);
  });
});

/** Send a raw request target (no client-side normalisation) and return the status code. */
function rawStatus(port: number, target: string, host = `127.0.0.1:${port}`): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let buf = '';
    s.on('data', (d) => (buf += d.toString('latin1')));
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)?.[1] ?? 0)));
    s.on('error', reject);
  });
}

describe('replay server: only files of the results folder', () => {
  let server: ViewerServer;
  beforeAll(async () => {
    writeFileSync(join(dir, 'secret.txt'), 'outside the results folder');
    symlinkSync(dir, join(out, 'link-out'));
    symlinkSync(join(dir, 'secret.txt'), join(out, 'secret-link.txt'));
    server = await startViewerServer({ root: out });
  });
  afterAll(async () => server?.close());

  it('serves the viewer and files inside the folder', async () => {
    expect(await rawStatus(server.port, '/')).toBe(200);
    expect(await rawStatus(server.port, '/_viewer/viewer.js')).toBe(200);
    expect(await rawStatus(server.port, '/results.json')).toBe(200);
    expect(await rawStatus(server.port, '/nope.json')).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/..%2fsecret.txt',
    '/..%2F..%2F..%2Fetc%2Fpasswd',
    '/%252e%252e%252fsecret.txt',
    '/..%5csecret.txt',
    '/_viewer/../results.json',
    '//etc/passwd',
    '/%2Fetc%2Fpasswd',
    '/etc/passwd',
    'http://127.0.0.1/../secret.txt',
    '/link-out/secret.txt',
    '/secret-link.txt',
    '/results.json%00.png',
  ])('refuses %s', async (target) => {
    const status = await rawStatus(server.port, target);
    expect([400, 403, 404]).toContain(status);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect(await rawStatus(server.port, '/results.json', 'evil.example:80')).toBe(403);
  });
});

describe('replay with real headless Chromium', () => {
  let renderer: ChromiumRenderer;
  let browser: BrowserHost;
  beforeAll(async () => {
    renderer = await ChromiumRenderer.launch({});
    browser = await launchBrowser({});
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await renderer?.close();
  });

  it('re-renders bit-identically the frames the policy saw during the run', async () => {
    // A policy that drives like `straight` but asks for camera frames and keeps a copy of each.
    const inner = new StraightPolicy();
    const seen: Frame[] = [];
    const policy: Policy = {
      info: { ...inner.info, name: 'straight-cam', needsImage: true },
      begin: (slot, ep) => inner.begin(slot, ep),
      act: async (batch) => {
        for (const b of batch) seen[b.obs.step] = { ...b.obs.image!, data: new Uint8Array(b.obs.image!.data) };
        return inner.act(batch);
      },
      close: () => inner.close(),
    };
    const profile = makeProfile({});
    const episode = suiteEpisodes(suite, 1)[0]!;
    const [row] = await runEpisodes(policy, [episode], { profile, batchSize: 1, renderer, traceAll: true });
    expect(seen.length).toBe(row!.trace!.actions.length);
    const mini: LoadedResults = {
      dir,
      file: join(dir, 'x.json'),
      results: { ...results, config: { ...results.config, profile }, policies: [policy.info], episodes: [row!] },
    };
    const spec = replaySpec(mini, row as EpisodeRow & { trace: EpisodeTrace });
    const sim = await resimulate(spec.scene, spec.profile, spec.actionMode, spec.trace);
    expect(sim.divergence).toBeUndefined();
    const again = await renderCamera(renderer, spec, sim.poses);
    for (let k = 0; k < seen.length; k++) {
      expect(Buffer.compare(Buffer.from(again[k]!.data), Buffer.from(seen[k]!.data)), `frame ${k}`).toBe(0);
    }
  }, 120_000);

  it('exports a GIF with one frame per step (+ start) and a filmstrip PNG, named failure_<policy>_<id>', async () => {
    const spec = replaySpec(loaded, failed);
    const e = await exportEpisode(loaded, spec, { renderer });
    expect(e.gif).toBe(`failures/failure_${failed.policy}_${failed.episodeId}.gif`);
    const info = gifInfo(readFileSync(join(out, e.gif!)));
    expect(info.frames).toBe(failed.trace.actions.length + 1);
    expect(info.width).toBeGreaterThan(spec.profile.camera.width);
    expect(info.loops).toBe(true);
    const strip = decodePng(readFileSync(join(out, e.filmstrip!)));
    expect(strip.width).toBeGreaterThan(2 * spec.profile.camera.width);
  }, 120_000);

  describe('viewer', () => {
    let session: ReplaySession;
    beforeAll(async () => {
      session = await openReplay({ results: out, episode: failed.episodeId, policy: failed.policy, renderer });
    }, 120_000);
    afterAll(async () => session?.close());

    it('hands the viewer the arrows the GIF overlay draws', () => {
      const d = session.prepared.data;
      expect(d.scene.drive).toEqual(arrowDrive(session.spec.profile));
      expect(d.arrows).toEqual(actionArrows(d.actionMode, d.scene.drive, d.poses, d.actions));
      expect(d.arrows.world.length).toBe(d.steps);
      // what drawTopOverlay computes for a step, from the same data
      const k = d.steps - 1;
      const v = actionArrow(d.actionMode, d.scene.drive, d.actions[k]!, d.poses[k]![2]);
      expect(d.arrows.world[k]).toEqual([v.dx, v.dy]);
      expect(d.arrows.robot[k]).toEqual([v.fwd, v.left]);
    });

    it('loads the trace, and moving the scrubber moves the robot', async () => {
      expect(session.prepared.data.verify.ok).toBe(true);
      const page = await browser.browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setViewport({ width: 1400, height: 900 });
      await page.goto(session.url);
      await page.waitForFunction(() => (window as unknown as { __viewer: { ready: boolean } }).__viewer.ready === true, { timeout: 60_000 });
      const top = await page.$('#top');
      const cam = await page.$('#cam');
      const top0 = Buffer.from(await top!.screenshot());
      const cam0 = Buffer.from(await cam!.screenshot());
      const n = failed.trace.actions.length;
      await page.evaluate((k) => {
        const s = document.getElementById('scrub') as HTMLInputElement;
        s.value = String(k);
        s.dispatchEvent(new Event('input'));
      }, n);
      expect(await page.evaluate(() => (window as unknown as { __viewer: { step: number } }).__viewer.step)).toBe(n);
      const topN = Buffer.from(await top!.screenshot());
      const camN = Buffer.from(await cam!.screenshot());
      expect(Buffer.compare(top0, topN)).not.toBe(0);
      expect(Buffer.compare(cam0, camN)).not.toBe(0);
      // The robot drawn at step N sits where the trace says: its pixel moved by the recorded displacement.
      const p0 = failed.trace.poses[0]!;
      const pN = failed.trace.poses[n]!;
      expect(Math.hypot(pN[0] - p0[0], pN[1] - p0[1])).toBeGreaterThan(0.05);
      // next failure: the viewer prepares and opens another episode
      const before = await page.evaluate(() => JSON.stringify((window as unknown as { __viewer: { current: unknown } }).__viewer.current));
      const index = JSON.parse(readFileSync(join(out, 'replay', 'index.json'), 'utf8')) as { episodes: { policy: string; episodeId: string }[] };
      expect(index.episodes.length).toBeGreaterThan(1);
      const at = index.episodes.findIndex((e) => e.policy === failed.policy && e.episodeId === failed.episodeId);
      await page.click(at < index.episodes.length - 1 ? '#nextEp' : '#prevEp');
      await page.waitForFunction((b) => {
        const v = (window as unknown as { __viewer: { ready: boolean; current: unknown } }).__viewer;
        return v.ready && JSON.stringify(v.current) !== b;
      }, { timeout: 60_000 }, before);
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  });
});
