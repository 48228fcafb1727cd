/**
 * openpi websocket policy servers (issue 14): msgpack with numpy arrays as openpi encodes them
 * (bin map keys), the metadata frame, `actions` + `server_timing`, a text frame + close 1011 as
 * the server's error, GET /healthz, `Authorization: Api-Key`. Against a JavaScript server here and
 * a Python one (test/fixtures/openpi_server.py, Debian's python3-msgpack and python3-websockets).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { decode } from '@msgpack/msgpack';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PolicySpec } from '../src/policy/spec';
import { loadPolicy } from '../src/policy/load';
import { NdArray, packb, unpackb } from '../src/policy/remote/msgpack-numpy';
import { openOpenpiPolicy, type OpenpiPolicy, type OpenpiPolicyOptions } from '../src/policy/remote/openpi-policy';
import type { ActResult } from '../src/policy/types';
import { runEpisodes } from '../src/runner/episode-loop';
import { episodeProfiles } from '../src/runner/run';
import { suiteEpisodes } from '../src/sim/episode';
import { namedProfile, type RobotProfileInput } from '../src/sim/profile';
import { ConfigError } from '../src/util/errors';
import { basketSuite } from './helpers/basket-suite';
import { DUMMY_EPISODE, observation, solidFrame } from './helpers/fixtures';
import { boxCamera } from './helpers/lab-server';

const text = new TextDecoder();
const bytes = (s: string) => [...new TextEncoder().encode(s)];

function actions(r: ActResult | undefined): number[][] {
  if (!r || !('actions' in r)) throw new Error(`expected actions, got ${JSON.stringify(r)}`);
  return r.actions;
}

describe('msgpack as openpi encodes numpy arrays', () => {
  it('ndarray maps have bin keys, in openpi\'s order, with a str dtype and an array shape', () => {
    const b = packb({ 'observation/image': NdArray.uint8([1, 1, 3], Uint8Array.of(1, 2, 3)) });
    const want = [
      0x81, 0xb1, ...bytes('observation/image'),
      0x84,
      0xc4, 11, ...bytes('__ndarray__'), 0xc3,
      0xc4, 4, ...bytes('data'), 0xc4, 3, 1, 2, 3,
      0xc4, 5, ...bytes('dtype'), 0xa3, ...bytes('|u1'),
      0xc4, 5, ...bytes('shape'), 0x93, 1, 1, 3,
    ];
    expect([...b]).toEqual(want);
    const back = unpackb(b) as Record<string, NdArray>;
    expect(back['observation/image']).toBeInstanceOf(NdArray);
    expect(back['observation/image']!.values()).toEqual([1, 2, 3]);
    // float32 little-endian, numpy scalars, nested values.
    const f = unpackb(packb({ a: NdArray.float32([2, 2], [0.5, -1, 2, 3]), n: 3, s: 'x', l: [1, 'y'] })) as Record<string, unknown>;
    expect((f.a as NdArray).rows()).toEqual([[0.5, -1], [2, 3]]);
    expect(f).toMatchObject({ n: 3, s: 'x', l: [1, 'y'] });
    const scalar = Uint8Array.of(0x83, 0xc4, 13, ...bytes('__npgeneric__'), 0xc3, 0xc4, 4, ...bytes('data'), 0xcb, ...new Uint8Array(new Float64Array([2.5]).buffer).reverse(), 0xc4, 5, ...bytes('dtype'), 0xa3, ...bytes('<f8'));
    expect(unpackb(scalar)).toBe(2.5);
  });
});

/** A JavaScript openpi-style server: behaviour by prompt ("fail", "hang", "garbage", "wide"). */
class JsOpenpiServer {
  url = '';
  http?: Server;
  wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  connections = 0;
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  binKeys = new Set<string>();
  strKeys = new Set<string>();
  lastObs?: Record<string, unknown>;

  constructor(private readonly o: { apiKey?: string; horizon?: number } = {}) {}

  async start(): Promise<this> {
    this.http = createServer((req, res) => {
      if (req.url === '/healthz') res.end('OK\n');
      else {
        res.statusCode = 426;
        res.end();
      }
    });
    this.http.on('upgrade', (req, socket, head) => {
      if (this.o.apiKey && req.headers.authorization !== `Api-Key ${this.o.apiKey}`) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws));
    });
    await new Promise<void>((r) => this.http!.listen(0, '127.0.0.1', r));
    this.url = `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  private serve(ws: WebSocket): void {
    this.connections++;
    ws.send(packb({ reset_pose: [0, -1.5, 1.5] }));
    let prev: number | undefined;
    ws.on('message', async (data: Buffer) => {
      this.requests++;
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const t0 = performance.now();
      // Decoded independently of src/: which map keys came as bin, which as str.
      const obs = decode(data, {
        mapKeyConverter: (k) => {
          if (k instanceof Uint8Array) {
            this.binKeys.add(text.decode(k));
            return text.decode(k);
          }
          this.strKeys.add(String(k));
          return k as string;
        },
      }) as Record<string, unknown>;
      this.lastObs = obs;
      await new Promise((r) => setTimeout(r, 2));
      this.inFlight--;
      const prompt = obs.prompt;
      if (prompt === 'hang') return;
      if (prompt === 'fail') {
        ws.send('Traceback (most recent call last):\n  File "policy.py", line 1, in infer\nValueError: the policy failed on purpose\n');
        ws.close(1011, 'Internal server error. Traceback included in previous frame.');
        return;
      }
      const img = obs['observation/image'] as { data: Uint8Array; shape: number[] };
      const red = img.data[0]! / 255;
      const h = this.o.horizon ?? 5;
      const dims = prompt === 'wide' ? 7 : 3;
      const rows = Array.from({ length: h }, (_, i) => Array.from({ length: dims }, (_, d) => (d === 0 ? red : d === 2 ? i / 10 : 0)));
      const reply: Record<string, unknown> = prompt === 'garbage' ? { action: 1 } : { actions: NdArray.float32([h, dims], rows.flat()) };
      reply.server_timing = { infer_ms: 5, ...(prev !== undefined ? { prev_total_ms: prev } : {}) };
      ws.send(packb(reply));
      prev = performance.now() - t0;
    });
  }

  async stop(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.http?.closeAllConnections();
    await new Promise((r) => this.http?.close(r));
  }
}

const jsServers: JsOpenpiServer[] = [];
const open: OpenpiPolicy[] = [];
async function jsServer(o: ConstructorParameters<typeof JsOpenpiServer>[0] = {}) {
  const s = await new JsOpenpiServer(o).start();
  jsServers.push(s);
  return s;
}
async function openpi(opts: OpenpiPolicyOptions): Promise<OpenpiPolicy> {
  const p = await openOpenpiPolicy({ warn: () => {}, ...opts });
  open.push(p);
  return p;
}
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});
afterAll(async () => {
  for (const s of jsServers.splice(0)) await s.stop();
});

const red = (w = 16) => solidFrame([204, 10, 10], w, w);

describe('openpi policy against a JavaScript server', () => {
  it('healthz and metadata at load; observation keys; actions and server_timing; bin keys only for ndarrays', async () => {
    const s = await jsServer();
    const p = await openpi({ url: s.url, name: 'pi0', state: { key: 'observation/state', dims: 8 }, blankImageKeys: ['observation/wrist_image'], extra: { task_id: 3 }, chunk: { execute: 2 } });
    expect(p.info).toMatchObject({ kind: 'openpi', variant: 'openpi', chunk: { execute: 2 }, needsImage: true });
    expect(p.info.maxConcurrent).toBeUndefined();
    expect(p.info.details).toMatchObject({ health: 'OK', metadata: { reset_pose: [0, -1.5, 1.5] } });
    p.begin(0, DUMMY_EPISODE);
    const [r] = await p.act([{ slot: 0, obs: observation(red(), 'go to the basket') }]);
    const a = actions(r);
    expect(a).toHaveLength(5);
    expect(a[0]![0]).toBeCloseTo(0.8, 6);
    expect(a[3]![2]).toBeCloseTo(0.3, 6);
    expect(r && 'info' in r && r.info?.server_timing).toEqual({ infer_ms: 5 });
    const obs = s.lastObs!;
    expect(obs.prompt).toBe('go to the basket');
    expect(obs.task_id).toBe(3);
    expect(obs['observation/image']).toMatchObject({ __ndarray__: true, dtype: '|u1', shape: [16, 16, 3] });
    expect(obs['observation/wrist_image']).toMatchObject({ dtype: '|u1', shape: [16, 16, 3] });
    expect([...(obs['observation/wrist_image'] as { data: Uint8Array }).data].every((v) => v === 0)).toBe(true);
    expect(obs['observation/state']).toMatchObject({ dtype: '<f4', shape: [8] });
    expect([...s.binKeys].sort()).toEqual(['__ndarray__', 'data', 'dtype', 'shape']);
    expect(s.strKeys.has('prompt') && s.strKeys.has('observation/image')).toBe(true);
    await p.act([{ slot: 0, obs: observation(red(), 'go') }]);
    expect((p.info.details?.serverLatency as { p50: number; n: number })).toMatchObject({ p50: 5, n: 2 });
    expect(s.connections).toBe(1); // one connection kept
  });

  it('a text frame then close 1011 is the server\'s error; the next call reconnects', async () => {
    const s = await jsServer();
    const p = await openpi({ url: s.url, name: 'pi0' });
    const [bad] = await p.act([{ slot: 0, obs: observation(red(), 'fail') }]);
    expect(bad).toEqual({ error: `remote_error: ${s.url}: server error: ValueError: the policy failed on purpose` });
    expect(actions((await p.act([{ slot: 0, obs: observation(red(), 'go') }]))[0])).toHaveLength(5);
    expect(s.connections).toBe(2);
  });

  it('a missing reply times out and drops the socket; malformed or too wide actions name the field', async () => {
    const s = await jsServer();
    const p = await openpi({ url: s.url, name: 'pi0', timeoutMs: 300, retries: 0 });
    expect((await p.act([{ slot: 0, obs: observation(red(), 'hang') }]))[0]).toEqual({ error: `remote_error: ${s.url}: no reply within 300 ms (timeout)` });
    expect(actions((await p.act([{ slot: 0, obs: observation(red(), 'go') }]))[0])).toHaveLength(5);
    expect((await p.act([{ slot: 0, obs: observation(red(), 'garbage') }]))[0]).toEqual({ error: expect.stringMatching(/reply has no "actions" array \(keys: action, server_timing\)/) });
    expect((await p.act([{ slot: 0, obs: observation(red(), 'wide') }]))[0]).toEqual({ error: expect.stringMatching(/"actions" has shape \(5, 7\).*actionDims/) });
    const q = await openpi({ url: s.url, name: 'pi0-wide', actionDims: 2 });
    expect(actions((await q.act([{ slot: 0, obs: observation(red(), 'wide') }]))[0])[0]).toEqual([expect.closeTo(0.8, 6), 0]);
  });

  it('Authorization: Api-Key from an env var; a refused key is a ConfigError naming the variable', async () => {
    const key = 'pi-secret-key-123';
    const s = await jsServer({ apiKey: key });
    process.env.SIMGATE_TEST_OPENPI_KEY = 'wrong-key-456';
    try {
      const e = await loadPolicy(PolicySpec.parse({ openpi: s.url, name: 'pi0', apiKeyEnv: 'SIMGATE_TEST_OPENPI_KEY' }), { device: 'cpu', warn: () => {} }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      expect(`${(e as ConfigError).message} ${(e as ConfigError).hint}`).toMatch(/SIMGATE_TEST_OPENPI_KEY/);
      expect(`${(e as ConfigError).message} ${(e as ConfigError).hint}`).not.toContain('wrong-key-456');
      process.env.SIMGATE_TEST_OPENPI_KEY = key;
      const p = (await loadPolicy(PolicySpec.parse({ openpi: s.url, name: 'pi0', apiKeyEnv: 'SIMGATE_TEST_OPENPI_KEY' }), { device: 'cpu', warn: () => {} })) as OpenpiPolicy;
      open.push(p);
      expect(actions((await p.act([{ slot: 0, obs: observation(red(), 'go') }]))[0])).toHaveLength(5);
      expect(JSON.stringify(p.info)).not.toContain(key);
    } finally {
      delete process.env.SIMGATE_TEST_OPENPI_KEY;
    }
  });

  it('closed loop: chunks executed k at a time, one request in flight per server, same rows at batch 1 and 3', async () => {
    const s = await jsServer({ horizon: 10 });
    const SMALL = { camera: { width: 32, height: 32 } } as RobotProfileInput;
    const eps = suiteEpisodes(basketSuite(), 1);
    const go = async (batchSize: number) => {
      const p = await openpi({ url: s.url, name: 'pi0', chunk: { execute: 3 } });
      const before = s.requests;
      const rows = await runEpisodes(p, eps, { profile: namedProfile('v6-held', SMALL), profileFor: episodeProfiles(SMALL), batchSize, renderer: boxCamera(), traceAll: true });
      return { rows, requests: s.requests - before };
    };
    const a = await go(3);
    const b = await go(1);
    // server_timing rides along in the trace: it is wall-clock time, so it is left out of the comparison.
    const same = (rows: typeof a.rows) =>
      rows.map(({ timing: _t, trace, ...r }) => ({ ...r, info: trace?.info?.map((i) => i && { ...i, server_timing: undefined }), actions: trace?.actions, events: trace?.events }));
    expect(same(a.rows)).toEqual(same(b.rows));
    expect(s.maxInFlight).toBe(1);
    const steps = a.rows.reduce((n, r) => n + r.trace!.actions.length, 0);
    expect(a.requests).toBe(a.rows.reduce((n, r) => n + Math.ceil(r.trace!.actions.length / 3), 0));
    expect(a.requests).toBeLessThan(steps);
  });
});

describe('openpi policy against a Python server (another msgpack)', () => {
  let py: ChildProcess | undefined;
  let url = '';
  let versions = '';
  const KEY = 'py-key-789';

  beforeAll(async () => {
    const child = spawn('/usr/bin/python3', ['test/fixtures/openpi_server.py', '--port', '0', '--api-key', KEY, '--horizon', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    py = child;
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`python fixture did not start in 20 s: ${err}`)), 20_000);
      child.on('exit', (code) => reject(new Error(`python fixture exited (${code}): ${err}\nInstall Debian's python3-msgpack and python3-websockets (scripts/setup).`)));
      createInterface({ input: child.stdout! }).once('line', (l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
    const info = JSON.parse(line) as { port: number; websockets: string; msgpack: string };
    url = `ws://127.0.0.1:${info.port}`;
    versions = `websockets ${info.websockets}, msgpack ${info.msgpack}`;
  }, 30_000);

  afterAll(async () => {
    if (py && py.exitCode === null) {
      const gone = new Promise((r) => py!.once('exit', r));
      py.kill('SIGTERM');
      await gone;
    }
  });

  it(`round-trips observations and actions (uint8 image in, float32 actions out, ints metadata)`, async () => {
    expect(versions).toMatch(/websockets \d/);
    process.env.SIMGATE_TEST_PY_KEY = KEY;
    try {
      const p = await openpi({ url, name: 'pi0-py', apiKeyEnv: 'SIMGATE_TEST_PY_KEY', state: { key: 'observation/state', dims: 8 } });
      expect(p.info.details).toMatchObject({ health: 'OK', metadata: { reset_pose: [0, -1.5, 1.5, 0, 0, 0], server: 'python', ints: [1, -2, 3] } });
      const f = solidFrame([51, 102, 0], 24, 16);
      const [r] = await p.act([{ slot: 0, obs: observation(f, 'gray basket') }]);
      const a = actions(r);
      expect(a).toHaveLength(4);
      expect(a[0]![0]).toBeCloseTo(0.2, 6);
      expect(a[0]![1]).toBeCloseTo(0.4, 6);
      expect(a[3]![2]).toBeCloseTo(0.03, 6);
      const info = (r as { info: Record<string, unknown> }).info;
      expect(info.echo).toEqual({ prompt: 'gray basket', keys: ['observation/image', 'observation/state', 'prompt'], state: { dtype: '<f4', shape: [8] } });
      expect((info.server_timing as { infer_ms: number }).infer_ms).toBeGreaterThanOrEqual(0);
      const [second] = await p.act([{ slot: 0, obs: observation(f, 'gray basket', 1) }]);
      expect((second as unknown as { info: { server_timing: Record<string, number> } }).info.server_timing.prev_total_ms).toBeGreaterThan(0);
      // Python's traceback as a text frame, then close 1011.
      const [bad] = await p.act([{ slot: 0, obs: observation(f, 'fail') }]);
      expect(bad).toEqual({ error: `remote_error: ${url}: server error: RuntimeError: the policy failed on purpose` });
      expect(actions((await p.act([{ slot: 0, obs: observation(f, 'again') }]))[0])).toHaveLength(4);
    } finally {
      delete process.env.SIMGATE_TEST_PY_KEY;
    }
    // Without the key the upgrade is refused: exit 2 at load.
    await expect(openOpenpiPolicy({ url, name: 'pi0-py', warn: () => {} })).rejects.toBeInstanceOf(ConfigError);
  });
});
