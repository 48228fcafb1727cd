/**
 * The lab's policy servers as they really are (issue 14): stateful /predict with /reset before
 * every episode, one episode at a time per server, a pool, an API key that never leaves the
 * process, action_3d / 2- and 3-number action / chunks, the STOP latch — against real HTTP
 * servers on 127.0.0.1 (test/helpers/lab-server.ts) in the closed loop.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/config';
import { loadPolicy, specLabel } from '../src/policy/load';
import { createHttpPolicy, openHttpPolicy, type HttpPolicy, type HttpPolicyOptions } from '../src/policy/remote/http-policy';
import { parseLabResponse } from '../src/policy/remote/lab-response';
import { PolicySpec, resolvePolicySpec } from '../src/policy/spec';
import type { ActResult } from '../src/policy/types';
import type { EpisodeRow } from '../src/results/schema';
import { runBench } from '../src/runner/bench';
import { runEpisodes } from '../src/runner/episode-loop';
import { episodeProfiles } from '../src/runner/run';
import { suiteEpisodes } from '../src/sim/episode';
import { namedProfile, type RobotProfileInput } from '../src/sim/profile';
import { ConfigError } from '../src/util/errors';
import { basketSuite, BASKET_SUITE_INPUT } from './helpers/basket-suite';
import { DUMMY_EPISODE, observation, solidFrame } from './helpers/fixtures';
import { boxCamera, FakeLabServer, type FakeLabOptions } from './helpers/lab-server';
import { tempDir, writeSuite } from './helpers/suites';

// A small camera keeps JPEG/PNG coding cheap; the rest is the deployed robot (v6-held).
const SMALL: RobotProfileInput = { camera: { width: 64, height: 64 } } as RobotProfileInput;
const suite = basketSuite();
const episodes = suiteEpisodes(suite, 1); // center, left, right

const servers: FakeLabServer[] = [];
const policies: { close(): Promise<void> }[] = [];
async function start(o: FakeLabOptions): Promise<FakeLabServer> {
  const s = await new FakeLabServer(o).start();
  servers.push(s);
  return s;
}
async function open(opts: HttpPolicyOptions): Promise<HttpPolicy> {
  const p = await openHttpPolicy({ warn: () => {}, ...opts });
  policies.push(p);
  return p;
}
afterEach(async () => {
  for (const p of policies.splice(0)) await p.close();
});
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

const run = (p: HttpPolicy, eps = episodes, batchSize = 8) =>
  runEpisodes(p, eps, { profile: namedProfile('v6-held', SMALL), profileFor: episodeProfiles(SMALL), batchSize, renderer: boxCamera(), traceAll: true });
const strip = (rows: EpisodeRow[]) => rows.map(({ timing: _t, ...r }) => r);

function action(r: ActResult | undefined): number[] {
  if (!r || !('action' in r)) throw new Error(`expected an action, got ${JSON.stringify(r)}`);
  return r.action;
}

describe('response parsing (the lab contract)', () => {
  it('action_3d wins over action; other fields are info; stop_latched is a STOP', () => {
    const r = parseLabResponse(JSON.stringify({ action: [1.15, 0], action_3d: [1.15, 0, 0.25], latency_ms: 12, predicted_label: 'FORWARD', bbox: { cx: 0.5 }, stop_latched: false }));
    expect(r).toEqual({ action: [1.15, 0, 0.25], stop: false, serverMs: 12, info: { latency_ms: 12, predicted_label: 'FORWARD', bbox: { cx: 0.5 }, stop_latched: false } });
    expect(parseLabResponse(JSON.stringify({ action: [0, 0, 0], stop_latched: true }))).toMatchObject({ action: [0, 0, 0], stop: true });
    expect(parseLabResponse(JSON.stringify({ action: [0.5, -0.5] }))).toMatchObject({ action: [0.5, -0.5] });
    expect(parseLabResponse(JSON.stringify({ actions: [[1, 0, 0], [0, 1, 0]], latency_ms: 40 }))).toMatchObject({ actions: [[1, 0, 0], [0, 1, 0]], serverMs: 40 });
  });

  it('anything else is an error naming the field', () => {
    const err = (v: unknown) => (parseLabResponse(JSON.stringify(v)) as { error: string }).error;
    expect(err({ action: [1, 2, 3, 4] })).toMatch(/"action".*2 or 3 numbers/);
    expect(err({ action_3d: [1, 2] })).toMatch(/"action_3d"/);
    expect(err({ action: [1, null] })).toMatch(/no finite "action"/);
    expect(err({ actions: [[1, 0], [1]] })).toMatch(/"actions"\[1\]/);
    expect(err({ actions: [] })).toMatch(/"actions"/);
    expect(err({ linear_x: 1, linear_y: 0 })).toBe('response has none of "action_3d", "action", "actions" (fields: linear_x, linear_y)');
    expect((parseLabResponse('<html>') as { error: string }).error).toMatch(/not JSON/);
  });
});

describe('policy specs: URLs and JSON strings (--policy)', () => {
  it('http:// → the lab server, ws:// → openpi, a JSON spec, and a clear error for a bad one', () => {
    expect(resolvePolicySpec('http://gpu-box:8001/')).toMatchObject({ remote: 'http://gpu-box:8001/', name: 'gpu-box:8001', timeoutMs: 5000, jpegQuality: 85, stateless: false });
    expect(resolvePolicySpec('ws://gpu-box:8000')).toMatchObject({ openpi: 'ws://gpu-box:8000', name: 'gpu-box:8000', imageKeys: ['observation/image'] });
    expect(resolvePolicySpec('{"remote": ["http://a:8001", "http://b:8001"], "name": "edge", "apiKeyEnv": "VLA_API_KEY"}')).toMatchObject({ remote: ['http://a:8001', 'http://b:8001'], name: 'edge' });
    expect(resolvePolicySpec('oracle')).toBe('oracle');
    expect(specLabel('http://gpu-box:8001')).toBe('gpu-box:8001');
    expect(specLabel('{"openpi": "ws://h:8000", "name": "pi0"}')).toBe('pi0');
    expect(() => resolvePolicySpec('{"remote": "ftp://x", "name": "a"}')).toThrow(ConfigError);
    expect(() => resolvePolicySpec('{"remote": "http://x", "name": "a", "apiKeyEnv": "sk-123 secret"}')).toThrow(/apiKeyEnv: must be the name of an environment variable/);
    // Through the config: the message names the field.
    expect(() => parseConfig({ policies: ['{"remote": "http://x:1", "name": "a", "timeoutMs": -1}'] }, 'flags')).toThrow(/policies\[0\].*timeoutMs/);
    expect(() => parseConfig({ policies: ['{not json'] }, 'flags')).toThrow(/not valid JSON/);
    // Today's specs keep working.
    const old = parseConfig({ policies: [{ remote: 'http://gpu:8000', name: 'kosmos-ep12', timeoutMs: 2000, retries: 1, instructionFirstActionZero: true }] }, 'cfg').policies[0];
    expect(old).toMatchObject({ remote: 'http://gpu:8000', timeoutMs: 2000, instructionFirstActionZero: true, imageField: 'image' });
  });
});

describe('health, reset, timeouts', () => {
  it('records /health, resets before each episode, says once that a server has no /reset', async () => {
    const s = await start({ variant: 'v2' });
    const p = await open({ url: s.url, name: 'edge' });
    expect(s.healthChecks).toBe(1);
    expect(p.info.details?.health).toMatchObject({ model_name: 'fake-v2', git_commit: 'abc1234' });
    expect(p.info.maxConcurrent).toBe(1);
    const before = s.resets;
    await p.begin(0, DUMMY_EPISODE);
    expect(s.resets - before).toBe(1);

    const lines: string[] = [];
    const m = await start({ variant: 'chunk' });
    const q = await openHttpPolicy({ url: m.url, name: 'monapi', imageField: 'image_b64', warn: (l) => lines.push(l) });
    policies.push(q);
    for (let i = 0; i < 3; i++) await q.begin(i, DUMMY_EPISODE);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/has no \/reset \(HTTP 404\).*stateless/);
    expect(q.info.maxConcurrent).toBeUndefined(); // stateless: concurrent requests allowed
    expect(q.info.details?.reset).toBe('none (HTTP 404)');
  });

  it('the first call gets firstTimeoutMs (cold grounding), later calls timeoutMs', async () => {
    const s = await start({ variant: 'v2', coldMs: 1000, computeMs: 1500 });
    const p = await open({ url: s.url, name: 'cold', timeoutMs: 500, firstTimeoutMs: 5000, retries: 0, imageFormat: 'png' });
    await p.begin(0, DUMMY_EPISODE);
    const f = solidFrame([150, 150, 150], 32, 32);
    expect(action((await p.act([{ slot: 0, obs: observation(f, 'gray basket') }]))[0])).toHaveLength(3);
    expect((await p.act([{ slot: 0, obs: observation(f, 'gray basket', 1) }]))[0]).toEqual({ error: `remote_error: ${s.url}: no response within 500 ms (timeout)` });
  });

  it('sends extra fields, PNG on request, and a pool slot that has no server is an error', async () => {
    const s = await start({ variant: 'v2' });
    const p = await open({ url: s.url, name: 'edge', imageFormat: 'png', extraFields: { head_mode: 'add' } });
    await p.begin(0, DUMMY_EPISODE);
    const [r] = await p.act([{ slot: 0, obs: observation(solidFrame([150, 150, 150], 32, 32), 'gray basket') }]);
    expect(r && 'info' in r && r.info?.head_mode).toBe('add');
    expect((await p.act([{ slot: 1, obs: observation(solidFrame([1, 2, 3], 8, 8)) }]))[0]).toEqual({ error: expect.stringMatching(/slot 1 has no server: the pool has 1 server/) });
  });
});

describe('closed loop against stateful servers', () => {
  it('pool of 1 vs 3: identical rows; resets = episodes; never two requests in flight per server', async () => {
    const one = await start({ variant: 'v2', computeMs: 3 });
    const three = [await start({ variant: 'v2', computeMs: 3 }), await start({ variant: 'v2', computeMs: 3 }), await start({ variant: 'v2', computeMs: 3 })];
    const p1 = await open({ url: one.url, name: 'edge', imageFormat: 'png' });
    const p3 = await open({ url: three.map((s) => s.url), name: 'edge', imageFormat: 'png' });
    expect(p3.info.maxConcurrent).toBe(3);
    expect(p3.info.details?.health).toHaveLength(3);
    const r0 = { one: one.resets, three: three.map((s) => s.resets) };
    const eps = suiteEpisodes(suite, 2); // 6 episodes
    const rows1 = await run(p1, eps);
    const rows3 = await run(p3, eps);
    expect(strip(rows3)).toEqual(strip(rows1));
    expect(rows1.map((r) => r.episodeId)).toEqual(eps.map((e) => e.id));
    expect(one.resets - r0.one).toBe(eps.length);
    expect(three.reduce((n, s, i) => n + s.resets - r0.three[i]!, 0)).toBe(eps.length);
    for (const s of three) expect(s.resets - r0.three[three.indexOf(s)]!).toBeGreaterThan(0); // every server was used
    for (const s of [one, ...three]) expect(s.maxInFlight).toBe(1);
    expect(p1.maxInFlightPerServer()).toBe(1);
    expect(p3.maxInFlightPerServer()).toBe(1);

    // The stage2_v2 server steers by rotating (action_3d), latches STOP in the band: every episode stops there.
    for (const r of rows1) {
      expect(r.outcome, `${r.sceneId}: ${r.reason ?? ''}`).toBe('success');
      expect(r.measures.stopped).toBe(true);
      expect(r.trace!.actions.every((a) => a.length === 3)).toBe(true);
      expect(r.trace!.events.at(-2)?.type).toBe('stop');
      // What the server said rides along with each step (the loop's part: trace.info).
      const infos = (r.trace!.info ?? []).filter(Boolean) as Record<string, unknown>[];
      expect(infos.at(-1)).toMatchObject({ predicted_label: 'STOP', stop_latched: true, model_name: 'stage2_v2' });
    }
    expect(rows1.some((r) => r.trace!.actions.some((a) => a[2] !== 0))).toBe(true);
    const lat = p1.info.details as { latency: { n: number; p50: number }; serverLatency: { n: number; p50: number } };
    expect(lat.serverLatency).toMatchObject({ p50: 7.5 });
    expect(lat.latency.n).toBe(lat.serverLatency.n);
  });

  it('2-number and 3-number action servers', async () => {
    const two = await start({ variant: 'action2' });
    const three = await start({ variant: 'action3' });
    const p2 = await open({ url: two.url, name: 'contract', imageFormat: 'png' });
    const p3 = await open({ url: three.url, name: 'monavla', imageFormat: 'png' });
    const rows2 = await run(p2, episodes.slice(1, 2));
    const rows3 = await run(p3, episodes.slice(1, 2));
    for (const rows of [rows2, rows3]) expect(rows[0]!.outcome).toBe('success');
    expect(rows2[0]!.trace!.actions.every((a) => a.length === 2)).toBe(true);
    expect(rows2[0]!.trace!.actions.some((a) => a[1] !== 0)).toBe(true); // steered by strafing
    // The third number is the rotation: kept, not dropped.
    expect(rows3[0]!.trace!.actions.every((a) => a.length === 3)).toBe(true);
    expect(rows3[0]!.trace!.actions.some((a) => a[2] !== 0)).toBe(true);
  });

  it('the MoNa-pi chunk server: image_b64 → actions, the loop executes chunk.execute of each', async () => {
    const s = await start({ variant: 'chunk' });
    const p = await open({ url: s.url, name: 'monapi', imageField: 'image_b64', imageFormat: 'png', chunk: { execute: 4 } });
    expect(p.info.chunk).toEqual({ execute: 4 });
    const before = s.predicts;
    const rows = await run(p, episodes.slice(0, 1));
    const steps = rows[0]!.trace!.actions.length;
    expect(rows[0]!.outcome).not.toBe('policy_error');
    expect(s.predicts - before).toBe(Math.ceil(steps / 4));
  });
});

describe('API key', () => {
  const ENV = 'SIMGATE_TEST_VLA_KEY';
  afterEach(() => {
    delete process.env[ENV];
  });

  it('a refused or missing key is a ConfigError naming the variable (never the key) before any episode', async () => {
    const good = `sk-${randomUUID()}`;
    const wrong = `sk-${randomUUID()}`;
    const s = await start({ variant: 'v2', apiKey: good });
    // Unset variable.
    const unset = await loadPolicy(PolicySpec.parse({ remote: s.url, name: 'edge', apiKeyEnv: ENV }), { device: 'cpu', warn: () => {} }).catch((e: unknown) => e);
    expect(unset).toBeInstanceOf(ConfigError);
    expect((unset as Error).message).toContain(ENV);
    // Wrong key: the server's 403 echoes it; the message must not.
    process.env[ENV] = wrong;
    const e = await loadPolicy(PolicySpec.parse({ remote: s.url, name: 'edge', apiKeyEnv: ENV }), { device: 'cpu', warn: () => {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    const text = `${(e as ConfigError).message} ${(e as ConfigError).hint}`;
    expect(text).toContain(ENV);
    expect(text).toMatch(/HTTP 403/);
    expect(text).not.toContain(wrong);
    expect(text).toContain('***');
    // No key at all: the hint says what to set.
    const none = await loadPolicy(PolicySpec.parse({ remote: s.url, name: 'edge' }), { device: 'cpu', warn: () => {} }).catch((x: unknown) => x);
    expect((none as ConfigError).hint).toMatch(/apiKeyEnv: 'VLA_API_KEY'/);
    expect(s.predicts).toBe(0);

    // The same through a whole run: exit-2 error before any episode.
    const dir = tempDir('simgate-key-');
    const config = parseConfig({ policies: [{ remote: s.url, name: 'edge', apiKeyEnv: ENV }], suites: [writeSuite(dir, BASKET_SUITE_INPUT as never)], episodesPerScene: 1, outputDir: join(dir, 'out'), report: false }, 'test');
    await expect(runBench(config, { launchRenderer: async () => boxCamera() })).rejects.toBeInstanceOf(ConfigError);
    expect(s.predicts).toBe(0);
  });

  it('the key is sent as X-API-Key and appears in no file the run writes, nor in its output', async () => {
    const key = `sk-${randomUUID()}`;
    process.env[ENV] = key;
    // A careless server echoes the key back in every answer: it must be masked before it is kept.
    const s = await start({ variant: 'v2', apiKey: key, echoKey: true });
    const dir = tempDir('simgate-key-');
    const out = join(dir, 'out');
    const config = parseConfig(
      {
        policies: [{ remote: s.url, name: 'edge', apiKeyEnv: ENV }],
        suites: [writeSuite(dir, BASKET_SUITE_INPUT as never)],
        episodesPerScene: 1,
        outputDir: out,
        traceAll: true,
        traceFrames: true,
        reportGifs: 0,
        profile: SMALL as Record<string, unknown>,
      },
      'test',
    );
    const said: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      said.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    let status: string;
    try {
      const r = await runBench(config, { launchRenderer: async () => boxCamera(), print: (t) => said.push(t), onNotice: (t) => said.push(t) });
      status = r.status;
      said.push(JSON.stringify(r.results), JSON.stringify(r.found));
    } finally {
      process.stderr.write = write;
    }
    expect(status).toBe('passed');
    expect(s.refused).toBe(0);
    expect(s.predicts).toBeGreaterThan(0);
    const files = walk(out);
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(expect.arrayContaining(['results.json', 'episodes.jsonl', 'report.html']));
    for (const f of files) expect(readFileSync(f).includes(key), f).toBe(false);
    expect(said.join('\n')).not.toContain(key);
    // The echoed field was kept, masked.
    expect(readFileSync(join(out, 'episodes.jsonl'), 'utf8')).toContain('"x-api-key":"***"');
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('a server never gets two episodes at once', () => {
  it('concurrent begin/act on a stateful pool serialise per server; stateless servers take them at once', async () => {
    const s = await start({ variant: 'v2', computeMs: 30 });
    const p = createHttpPolicy({ url: s.url, name: 'edge', imageFormat: 'png', warn: () => {} });
    policies.push(p);
    const f = solidFrame([150, 150, 150], 16, 16);
    // Not awaiting begin: act waits for the slot's reset itself.
    void p.begin(0, DUMMY_EPISODE);
    const rs = await Promise.all([0, 1, 2].map((t) => p.act([{ slot: 0, obs: observation(f, 'gray basket', t) }])));
    for (const r of rs) expect(r[0]).not.toHaveProperty('error');
    expect(s.maxInFlight).toBe(1);
    const m = await start({ variant: 'chunk', computeMs: 30 });
    const q = createHttpPolicy({ url: m.url, name: 'monapi', imageField: 'image_b64', imageFormat: 'png', stateless: true });
    policies.push(q);
    await Promise.all([0, 1, 2].map((slot) => q.act([{ slot, obs: observation(f, 'gray basket') }])));
    expect(m.maxInFlight).toBeGreaterThan(1);
  });
});
