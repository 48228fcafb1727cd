import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpPolicy } from '../src/policy/remote/http-policy';
import { DUMMY_EPISODE, observation, solidFrame } from './helpers/fixtures';
import type { ActResult } from '../src/policy/types';
import { LatencyRecorder, percentile } from '../src/policy/latency';

/** A stand-in for the lab's server, on 127.0.0.1. Behaviour by path prefix. */
let server: Server;
let base = '';
const received: { path: string; width: number; height: number; rgb: number[]; instruction: string }[] = [];
let flakyCalls = 0;
let hangCalls = 0;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '';
  if (path.startsWith('/hang/')) {
    hangCalls++;
    return; // never answers
  }
  const body = JSON.parse(await readBody(req)) as { image: string; instruction: string };
  const img = jpeg.decode(Buffer.from(body.image, 'base64'), { useTArray: true });
  const mid = ((img.height >> 1) * img.width + (img.width >> 1)) * 4;
  received.push({ path, width: img.width, height: img.height, rgb: [img.data[mid]!, img.data[mid + 1]!, img.data[mid + 2]!], instruction: body.instruction });
  const json = (v: unknown) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(v));
  };
  if (path.startsWith('/ok/')) {
    // ly follows the instruction; lx the red channel, so tests can see the frame arrived.
    json({ action: [img.data[mid]! / 255, body.instruction.includes('left') ? 0.5 : -0.5], latency_ms: 12.5 });
  } else if (path.startsWith('/garbage/')) {
    res.end('<html>502 Bad Gateway</html>');
  } else if (path.startsWith('/noaction/')) {
    json({ action: ['a', null] });
  } else if (path.startsWith('/flaky/')) {
    flakyCalls++;
    if (flakyCalls === 1) {
      res.statusCode = 503;
      res.end('warming up');
    } else json({ action: [0.25, 0.75], latency_ms: 3 });
  } else {
    res.statusCode = 404;
    res.end('no such route');
  }
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const LEFT = 'reach the bottle on the left';
const red = () => solidFrame([250, 10, 10], 64, 48);

function action(r: ActResult | undefined): number[] {
  if (!r || !('action' in r)) throw new Error(`expected an action, got ${JSON.stringify(r)}`);
  return r.action;
}

describe('HTTP policy (the lab contract)', () => {
  it('sends a JPEG and the instruction, returns the action, zeroes the first action of an episode', async () => {
    // Two episodes at once on one server: only a stateless server may take that (issue 14).
    const p = createHttpPolicy({ url: `${base}/ok/`, name: 'lab', stateless: true, firstActionZero: true });
    p.begin(0, DUMMY_EPISODE);
    p.begin(1, DUMMY_EPISODE);
    const first = await p.act([
      { slot: 0, obs: observation(red(), LEFT) },
      { slot: 1, obs: observation(red(), 'on the right') },
    ]);
    expect(first.map(action)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const second = await p.act([
      { slot: 0, obs: observation(red(), LEFT, 1) },
      { slot: 1, obs: observation(red(), 'on the right', 1) },
    ]);
    expect(action(second[0])[0]).toBeGreaterThan(0.9);
    expect(action(second[0])[1]).toBe(0.5);
    expect(action(second[1])[1]).toBe(-0.5);
    const last = received.at(-1)!;
    expect(last.path).toBe('/ok/predict');
    expect([last.width, last.height]).toEqual([64, 48]);
    expect(last.rgb[0]).toBeGreaterThan(200);
    expect(last.rgb[2]).toBeLessThan(50);
    // begin() starts a new episode: its first action is zeroed again.
    p.begin(0, DUMMY_EPISODE);
    expect(action((await p.act([{ slot: 0, obs: observation(red(), LEFT) }]))[0])).toEqual([0, 0]);
    const s = p.latencyStats();
    expect(s.n).toBe(5);
    expect(s.p50).toBeGreaterThan(0);
    expect(s.p95).toBeGreaterThanOrEqual(s.p50);
    expect(p.serverLatencyStats()).toEqual({ p50: 12.5, p95: 12.5, n: 5 });
    expect(p.info.details?.latency).toEqual(s);
    expect(p.info.kind).toBe('remote');
  });

  it('can resize and swap channels before encoding', async () => {
    const p = createHttpPolicy({ url: `${base}/ok`, name: 'lab', imageSize: [24, 32], channelOrder: 'BGR', firstActionZero: false });
    const r = await p.act([{ slot: 0, obs: observation(red(), LEFT) }]);
    expect(action(r[0])[0]).toBeLessThan(0.1); // red arrived as blue
    const last = received.at(-1)!;
    expect([last.width, last.height]).toEqual([32, 24]);
    expect(last.rgb[2]).toBeGreaterThan(200);
  });

  it('server never answers → error row within the timeout', async () => {
    const p = createHttpPolicy({ url: `${base}/hang`, name: 'lab', timeoutMs: 300, retries: 0 });
    const t0 = performance.now();
    const r = await p.act([{ slot: 0, obs: observation(red(), LEFT) }]);
    const ms = performance.now() - t0;
    expect(r[0]).toEqual({ error: `remote_error: ${base}/hang: no response within 300 ms (timeout)` });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(5000); // loose: JPEG encoding on a loaded CI box comes on top
  });

  it('retries with backoff, then reports how many attempts were made', async () => {
    hangCalls = 0;
    const p = createHttpPolicy({ url: `${base}/hang`, name: 'lab', timeoutMs: 150, retries: 2, backoffMs: 50 });
    const t0 = performance.now();
    const r = await p.act([{ slot: 0, obs: observation(red(), LEFT) }]);
    const ms = performance.now() - t0;
    expect(r[0]).toEqual({ error: expect.stringContaining('(3 attempts)') });
    // ≤ 3: on a loaded box an attempt can time out before the server has even seen it.
    expect(hangCalls).toBeLessThanOrEqual(3);
    expect(ms).toBeGreaterThanOrEqual(3 * 150 + 50 + 100 - 20); // three timeouts + 50 + 100 ms backoff
    expect(ms).toBeLessThan(10_000);

    const f = createHttpPolicy({ url: `${base}/flaky`, name: 'lab', retries: 1, backoffMs: 10, firstActionZero: false });
    expect(action((await f.act([{ slot: 0, obs: observation(red(), LEFT) }]))[0])).toEqual([0.25, 0.75]);
    expect(flakyCalls).toBe(2);
  });

  it('garbage JSON, a missing action and HTTP errors are error rows, not crashes', async () => {
    const g = createHttpPolicy({ url: `${base}/garbage`, name: 'lab', firstActionZero: false });
    const [r] = await g.act([{ slot: 0, obs: observation(red(), LEFT) }]);
    expect(r).toEqual({ error: `remote_error: ${base}/garbage: response is not JSON: "<html>502 Bad Gateway</html>"` });

    const n = createHttpPolicy({ url: `${base}/noaction`, name: 'lab', firstActionZero: false });
    expect((await n.act([{ slot: 0, obs: observation(red(), LEFT) }]))[0]).toEqual({ error: expect.stringContaining('no finite "action"') });

    const h = createHttpPolicy({ url: `${base}/nope`, name: 'lab', retries: 3 });
    const before = received.filter((r) => r.path.startsWith('/nope/')).length;
    expect((await h.act([{ slot: 0, obs: observation(red(), LEFT) }]))[0]).toEqual({ error: `remote_error: ${base}/nope: HTTP 404: no such route` });
    expect(received.filter((r) => r.path.startsWith('/nope/')).length - before).toBe(1); // 4xx is not retried

    const none = await h.act([{ slot: 0, obs: observation(undefined, LEFT) }]);
    expect(none[0]).toEqual({ error: expect.stringContaining('has no camera image') });
  });

  it('connection refused → error row naming the URL', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const url = `http://127.0.0.1:${port}`;
    const p = createHttpPolicy({ url, name: 'lab', retries: 1, backoffMs: 10, stateless: true });
    const r = await p.act([
      { slot: 0, obs: observation(red(), LEFT) },
      { slot: 1, obs: observation(red(), LEFT) },
    ]);
    for (const row of r) expect(row).toEqual({ error: `remote_error: ${url}: connection refused (ECONNREFUSED): is the server running? (2 attempts)` });
  });
});

describe('latency helper', () => {
  it('charges each row callMs / rows (the call time at B = 1), nearest-rank percentiles', () => {
    const l = new LatencyRecorder();
    expect(l.stats().n).toBe(0);
    l.record(10);
    l.record(40, 4);
    l.record(30);
    expect(l.stats()).toEqual({ p50: 10, p95: 30, n: 6 });
    expect(l.callSummary()).toEqual({ calls: 3, meanMs: 80 / 3 });
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });
});
