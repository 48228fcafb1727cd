/**
 * `npm run bench:perf` — where the time of a closed-loop run goes, measured in one process:
 *
 *  1. Whole loop (runEpisodes: physics + onboard-camera render + policy) at batch 1 / 8 / 32, in
 *     episode-steps per second, with a demo ONNX image policy (policies/demo-simple-finetuned;
 *     if it is missing or onnxruntime cannot load it, the scripted oracle with rendering forced on).
 *     The camera requests and policy inputs of that loop are recorded and replayed through the
 *     renderer alone ("render") and the policy alone ("inference"): same frames, same batches.
 *     The ratio whole / (render + inference) is the loop's overhead (physics, bookkeeping, JS):
 *     1.00 would mean the loop costs nothing beyond its two heavy parts.
 *  2. RSS after 100 and after 1,000 episodes: must stay flat (no per-episode leak). Rendering
 *     1,000 episodes on a 2-core CPU box takes far too long, so this part uses the scripted oracle
 *     without rendering (what leaks here is per-episode state: Rapier worlds, traces, rows).
 *  3. Wall time of the default `npm run bench` (bench.config.ts), as a child process.
 *  4. Serial vs pipelined loop (LoopOptions.pipeline) at batch 32, side by side, with a policy whose
 *     inference costs what a render does: the scripted oracle (frames rendered) that first awaits a
 *     timer of (measured render ms per frame) × (rows in the call) — off the main thread like
 *     onnxruntime's, and proportional to the batch as a model's cost is, so a lane's share of the batch costs its share.
 *     Figure: loop / max(render, inference); 1.00 = the two fully overlapped (target ≤ 1.15).
 *
 *  5. Part 1 once per renderer (--renderers chromium,webgpu, the default where both run): the
 *     Chromium page and the WebGPU renderer inside Node (Dawn), draw + readback per frame and
 *     whole-loop steps/s side by side, with WebGPU's advantage as a ratio (target ≥ 2× at batch 32).
 *
 * Options: --quick (fewer episodes; for a smoke check), --json (machine-readable on stdout),
 * --skip-bench (leave out part 3), --policy <dir> (another image policy for part 1),
 * --renderers <list> (which renderers part 1 measures).
 * Timings depend on the machine; compare ratios, not absolute numbers, across machines.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { table, getBorderCharacters } from 'table';
import { loadPolicy } from '../src/policy/load';
import type { ActResult, Policy } from '../src/policy/types';
import type { CameraRequest, Renderer } from '../src/sim/camera';
import type { Frame } from '../src/image/frame';
import { runEpisodes } from '../src/runner/episode-loop';
import { loadSuites, planEpisodes } from '../src/runner/run';
import type { EpisodeSpec } from '../src/sim/episode';
import type { Observation } from '../src/sim/observation';
import { makeProfile } from '../src/sim/profile';
import { launchRenderer, resolveRenderer, type RendererKind } from '../src/render/launch';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    'skip-bench': { type: 'boolean' },
    policy: { type: 'string' },
    batches: { type: 'string' },
    'rss-only': { type: 'boolean' },
    'skip-pipeline': { type: 'boolean' },
    renderers: { type: 'string' },
  },
});
const quick = Boolean(values.quick);
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const profile = makeProfile({});
const suites = loadSuites(['scenes/nav-id-v2.json', 'scenes/nav-novel-v2.json']);
const plan = planEpisodes(suites, 3);

/** `n` episodes from the plan, cycling with fresh seeds when n exceeds it (ids stay unique). */
function episodes(n: number): EpisodeSpec[] {
  const out: EpisodeSpec[] = [];
  for (let k = 0; k < n; k++) {
    const e = plan[k % plan.length]!;
    const lap = Math.floor(k / plan.length);
    out.push(lap ? { ...e, id: `${e.id}-${lap}`, seed: e.seed + 1000 * lap } : e);
  }
  return out;
}

// ---- recording wrappers: the loop's exact render batches and policy inputs ----
class RecordingRenderer implements Renderer {
  batches: CameraRequest[][] = [];
  constructor(readonly inner: Renderer) {}
  render(requests: readonly CameraRequest[]): Promise<Frame[]> {
    this.batches.push(requests.map((r) => ({ ...r, pose: { ...r.pose } })));
    return this.inner.render(requests);
  }
  describe() {
    return this.inner.describe();
  }
  close() {
    return Promise.resolve();
  }
}

type PolicyCall = { begin: [number, EpisodeSpec] } | { act: { slot: number; obs: Observation }[] };
class RecordingPolicy implements Policy {
  calls: PolicyCall[] = [];
  constructor(readonly inner: Policy) {}
  get info() {
    return this.inner.info;
  }
  begin(slot: number, ep: EpisodeSpec) {
    this.calls.push({ begin: [slot, ep] });
    this.inner.begin(slot, ep);
  }
  act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    this.calls.push({ act: [...batch] });
    return this.inner.act(batch);
  }
  close() {
    return Promise.resolve();
  }
}

/** A renderer of this kind, or why there is none here (WebGPU needs a Vulkan driver Dawn accepts). */
async function launchKind(kind: RendererKind): Promise<{ renderer: Renderer; label: string } | { error: string }> {
  try {
    const resolved = await resolveRenderer(kind);
    const renderer = await launchRenderer(resolved);
    const d = renderer.describe();
    return { renderer, label: `${kind} (${resolved.driver}${d.adapter ? `: ${String(d.adapter).split(' (')[0]}` : ''})` };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
}

interface LoopFigure {
  batch: number;
  episodes: number;
  steps: number;
  loopStepsPerS: number;
  loopMsPerStep: number;
  renderMsPerStep: number;
  /** Drawing only: no readback, no transfer to Node (the raw GPU-side cost). */
  renderOnlyMsPerStep: number;
  inferenceMsPerStep: number;
  ratio: number;
  /** loop / (render-only + inference): what moving pixels and the loop itself add. */
  rawRatio: number;
}

async function loopAt(batch: number, renderer: Renderer, makePolicy: () => Promise<Policy>): Promise<LoopFigure> {
  // Episodes run to their time limit (a collision does not end them): steady-state stepping, the
  // same number of steps per episode whatever the (untrained) policy does.
  const n = quick ? Math.max(2, batch) : Math.max(8, 2 * batch);
  const eps = episodes(n);
  const rec = new RecordingRenderer(renderer);
  const policy = new RecordingPolicy(await makePolicy());
  // Warm-up (shaders, scene builds, ORT first run) outside the timing, on the same episodes.
  const warm = await makePolicy();
  await runEpisodes(warm, eps.slice(0, Math.min(batch, 4)), { profile, batchSize: batch, renderer, endOnCollision: false });
  await warm.close();
  const t0 = performance.now();
  const rows = await runEpisodes(policy, eps, { profile, batchSize: batch, renderer: rec, endOnCollision: false });
  const loopMs = performance.now() - t0;
  const steps = rows.reduce((s, r) => s + Number(r.measures.steps ?? 0), 0);

  // Renderer alone, the same batches of camera requests.
  const r0 = performance.now();
  for (const b of rec.batches) await renderer.render(b);
  const renderMs = performance.now() - r0;
  // The same batches drawn without readback (ChromiumRenderer.renderOnly), when available.
  const drawOnly = (renderer as { renderOnly?: (r: readonly CameraRequest[]) => Promise<number> }).renderOnly;
  const o0 = performance.now();
  if (drawOnly) for (const b of rec.batches) await drawOnly.call(renderer, b);
  const renderOnlyMs = drawOnly ? performance.now() - o0 : NaN;

  // Policy alone, the same calls with the same observations (frames included).
  const replay = await makePolicy();
  const i0 = performance.now();
  for (const c of policy.calls) {
    if ('begin' in c) replay.begin(...c.begin);
    else await replay.act(c.act);
  }
  const inferenceMs = performance.now() - i0;
  await replay.close();
  await policy.inner.close();
  return {
    batch,
    episodes: n,
    steps,
    loopStepsPerS: steps / (loopMs / 1000),
    loopMsPerStep: loopMs / steps,
    renderMsPerStep: renderMs / steps,
    renderOnlyMsPerStep: renderOnlyMs / steps,
    inferenceMsPerStep: inferenceMs / steps,
    ratio: loopMs / (renderMs + inferenceMs),
    rawRatio: loopMs / (renderOnlyMs + inferenceMs),
  };
}

async function imagePolicyFactory(): Promise<{ label: string; make: () => Promise<Policy> }> {
  const dir = values.policy ?? 'policies/demo-simple-finetuned';
  if (existsSync(join(dir, 'policy.json'))) {
    try {
      const p = await loadPolicy(dir, { device: 'cpu' });
      await p.close();
      return { label: `${dir} (ONNX, cpu)`, make: () => loadPolicy(dir, { device: 'cpu' }) };
    } catch (e) {
      log(`perf: cannot load ${dir} (${(e as Error).message.split('\n')[0]}): falling back to the scripted oracle with rendering on`);
    }
  } else log(`perf: no ${dir}: falling back to the scripted oracle with rendering on`);
  // The oracle does not need frames, but the loop renders them anyway when given a renderer.
  return {
    label: 'oracle (scripted) + forced rendering',
    make: async () => {
      const p = await loadPolicy('oracle', { device: 'cpu' });
      return { info: { ...p.info, needsImage: true }, begin: (s, e) => p.begin(s, e), act: (b) => p.act(b), close: () => p.close() };
    },
  };
}

interface PipelineFigure {
  /** 'serial', or 'pipelined, k lanes' ('(default)': what `pipeline: true` runs). */
  mode: string;
  /** LoopOptions.pipeline: 1 = the serial loop. */
  lanes: number;
  batch: number;
  steps: number;
  loopMsPerStep: number;
  renderMsPerStep: number;
  inferenceMsPerStep: number;
  /** loop / max(render, inference): what pipelining aims to bring to ~1. */
  overlapRatio: number;
  /** loop / (render + inference), as in part 1. */
  ratio: number;
}

/** The oracle with frames rendered, each call first awaiting `msPerRow` × rows (a timer). */
async function delayedOracle(msPerRow: number, busy: { ms: number }): Promise<Policy> {
  const p = await loadPolicy('oracle', { device: 'cpu' });
  return {
    info: { ...p.info, needsImage: true },
    begin: (s, e) => p.begin(s, e),
    act: async (b) => {
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, msPerRow * b.length));
      busy.ms += performance.now() - t0;
      return p.act(b);
    },
    close: () => p.close(),
  };
}

async function pipelineAt(batch: number, renderer: Renderer): Promise<{ msPerFrame: number; figures: PipelineFigure[] }> {
  const n = quick ? batch + 8 : 3 * batch;
  const eps = episodes(n);
  // Render cost per frame, measured on the same kind of batches (serial loop, no delay).
  const probe = new RecordingRenderer(renderer);
  await runEpisodes(await delayedOracle(0, { ms: 0 }), eps.slice(0, batch), { profile, batchSize: batch, renderer, endOnCollision: false });
  await runEpisodes(await delayedOracle(0, { ms: 0 }), eps.slice(0, batch), { profile, batchSize: batch, renderer: probe, endOnCollision: false });
  const p0 = performance.now();
  for (const b of probe.batches) await renderer.render(b);
  const frames = probe.batches.reduce((a, b) => a + b.length, 0);
  const msPerFrame = (performance.now() - p0) / frames;
  const figures: PipelineFigure[] = [];
  const { DEFAULT_PIPELINE_LANES } = await import('../src/runner/episode-loop');
  // Serial, then 2, 3 and 4 lanes (`pipeline: true` is one of them).
  for (const lanes of [1, 2, 3, 4]) {
    const rec = new RecordingRenderer(renderer);
    const busy = { ms: 0 };
    const policy = await delayedOracle(msPerFrame, busy);
    const t0 = performance.now();
    const rows = await runEpisodes(policy, eps, { profile, batchSize: batch, renderer: rec, endOnCollision: false, pipeline: lanes });
    const loopMs = performance.now() - t0;
    await policy.close();
    const steps = rows.reduce((s, r) => s + Number(r.measures.steps ?? 0), 0);
    // Renderer alone on this loop's own batches (one lane's each when pipelined: their per-call cost counts).
    const r0 = performance.now();
    for (const b of rec.batches) await renderer.render(b);
    const renderMs = performance.now() - r0;
    figures.push({
      mode: lanes === 1 ? 'serial' : `pipelined, ${lanes} lanes${lanes === DEFAULT_PIPELINE_LANES ? ' (default)' : ''}`,
      lanes,
      batch,
      steps,
      loopMsPerStep: loopMs / steps,
      renderMsPerStep: renderMs / steps,
      inferenceMsPerStep: busy.ms / steps,
      overlapRatio: loopMs / Math.max(renderMs, busy.ms),
      ratio: loopMs / (renderMs + busy.ms),
    });
  }
  return { msPerFrame, figures };
}

const mb = (bytes: number) => bytes / 2 ** 20;
interface RssFigure {
  after: number;
  rssMb: number;
  heapMb: number;
  /** ArrayBuffers + WebAssembly memory (Rapier) outside the JS heap. */
  externalMb: number;
  s: number;
}

/** In a fresh process (see rssInChild): nothing allocated by the rendering part above. */
async function rssFigures(): Promise<RssFigure[]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const oracle = await loadPolicy('oracle', { device: 'cpu' });
  const marks = quick ? [100, 300] : [100, 500, 1000];
  const out: RssFigure[] = [];
  const eps = episodes(marks[marks.length - 1]!);
  let done = 0;
  const t0 = performance.now();
  for (const mark of marks) {
    // Chunks of 100 like a long run's policies; rows are dropped as a streaming run would.
    while (done < mark) {
      const chunk = eps.slice(done, Math.min(mark, done + 100));
      await runEpisodes(oracle, chunk, { profile, batchSize: 8, endOnCollision: true });
      done += chunk.length;
    }
    gc?.();
    const m = process.memoryUsage();
    out.push({ after: mark, rssMb: mb(m.rss), heapMb: mb(m.heapUsed), externalMb: mb(m.external), s: (performance.now() - t0) / 1000 });
  }
  await oracle.close();
  return out;
}

function rssInChild(): RssFigure[] {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'benchmarks/perf.ts', '--rss-only', ...(quick ? ['--quick'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`RSS child failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as RssFigure[];
}

function benchWallTime(): { s: number; code: number | null } {
  const out = mkdtempSync(join(tmpdir(), 'simgate-perf-bench-'));
  const t0 = performance.now();
  const r = spawnSync('npm', ['run', '--silent', 'bench', '--', '--out', out, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CI: '1' } });
  const s = (performance.now() - t0) / 1000;
  rmSync(out, { recursive: true, force: true });
  return { s, code: r.status };
}

async function main() {
  if (values['rss-only']) {
    process.stdout.write(JSON.stringify(await rssFigures()) + '\n');
    return;
  }
  const batches = (values.batches ?? '1,8,32').split(',').map(Number);
  const pol = await imagePolicyFactory();
  log(`perf: whole loop with ${pol.label}, batches ${batches.join('/')}${quick ? ' (quick)' : ''}`);
  // Part 1 for each renderer, one after the other in this process (side by side: same machine,
  // same load); the pipeline part on the first.
  const kinds = (values.renderers ?? 'chromium,webgpu').split(',') as RendererKind[];
  const perRenderer: { kind: RendererKind; label: string; loops: LoopFigure[] }[] = [];
  const skipped: string[] = [];
  let pipe: Awaited<ReturnType<typeof pipelineAt>> | undefined;
  for (const kind of kinds) {
    const got = await launchKind(kind);
    if ('error' in got) {
      skipped.push(`${kind}: ${got.error}`);
      log(`perf: no ${kind} renderer here (${got.error})`);
      continue;
    }
    const { renderer, label } = got;
    const loops: LoopFigure[] = [];
    try {
      for (const b of batches) {
        log(`perf: ${kind}, batch ${b}…`);
        loops.push(await loopAt(b, renderer, pol.make));
      }
      if (!values['skip-pipeline'] && !pipe) {
        log(`perf: serial vs pipelined loop at batch 32 on ${kind} (inference delay = render time)…`);
        pipe = await pipelineAt(32, renderer);
      }
    } finally {
      await renderer.close();
    }
    perRenderer.push({ kind, label, loops });
  }
  log('perf: RSS (scripted oracle, no rendering, fresh process)…');
  const rss = rssInChild();
  let bench: { s: number; code: number | null } | undefined;
  if (!values['skip-bench']) {
    log('perf: default `npm run bench`…');
    bench = benchWallTime();
  }
  const result = { policy: pol.label, renderers: perRenderer, skipped, pipeline: pipe, rss, bench, load: loadavg() };
  if (values.json) {
    process.stdout.write(JSON.stringify(result, null, 1) + '\n');
    return;
  }
  const t = (rows: string[][]) => table(rows, { border: getBorderCharacters('norc'), drawHorizontalLine: (i, n) => i <= 1 || i === n });
  for (const { label, loops } of perRenderer) {
    process.stdout.write(`Whole loop vs. its parts — ${pol.label}, renderer ${label}\n`);
    process.stdout.write(
      t([
        ['batch', 'episodes', 'steps', 'loop steps/s', 'loop ms/step', 'render+readback ms/step', 'draw only ms/step', 'inference ms/step', 'loop / (render+readback + inference)', 'loop / (draw only + inference)'],
        ...loops.map((l) => [
          String(l.batch),
          String(l.episodes),
          String(l.steps),
          l.loopStepsPerS.toFixed(1),
          l.loopMsPerStep.toFixed(2),
          l.renderMsPerStep.toFixed(2),
          l.renderOnlyMsPerStep.toFixed(2),
          l.inferenceMsPerStep.toFixed(2),
          l.ratio.toFixed(2),
          l.rawRatio.toFixed(2),
        ]),
      ]),
    );
  }
  const cr = perRenderer.find((r) => r.kind === 'chromium');
  const wg = perRenderer.find((r) => r.kind === 'webgpu');
  if (cr && wg) {
    // One frame per step (pulse robot): render ms/step is ms per frame.
    process.stdout.write(`Renderers side by side — WebGPU ${wg.label} vs Chromium ${cr.label} (× = WebGPU's advantage)\n`);
    process.stdout.write(
      t([
        ['batch', 'Chromium draw+readback ms/frame', 'WebGPU draw+readback ms/frame', '×', 'Chromium loop steps/s', 'WebGPU loop steps/s', '×'],
        ...cr.loops.flatMap((c) => {
          const w = wg.loops.find((l) => l.batch === c.batch);
          return w ? [[String(c.batch), c.renderMsPerStep.toFixed(2), w.renderMsPerStep.toFixed(2), (c.renderMsPerStep / w.renderMsPerStep).toFixed(2), c.loopStepsPerS.toFixed(1), w.loopStepsPerS.toFixed(1), (w.loopStepsPerS / c.loopStepsPerS).toFixed(2)]] : [];
        }),
      ]),
    );
  }
  for (const s of skipped) process.stdout.write(`Renderer not measured: ${s}\n`);
  if (pipe) {
    process.stdout.write(`Serial vs pipelined loop — oracle + a ${pipe.msPerFrame.toFixed(2)} ms/row timer (= measured render ms per frame)\n`);
    process.stdout.write(
      t([
        ['loop', 'batch', 'steps', 'loop ms/step', 'render ms/step', 'inference ms/step', 'loop / max(render, inference)', 'loop / (render + inference)'],
        ...pipe.figures.map((f) => [f.mode, String(f.batch), String(f.steps), f.loopMsPerStep.toFixed(2), f.renderMsPerStep.toFixed(2), f.inferenceMsPerStep.toFixed(2), f.overlapRatio.toFixed(2), f.ratio.toFixed(2)]),
      ]),
    );
  }
  process.stdout.write('Memory — scripted oracle without rendering, in a fresh process, after gc\n');
  process.stdout.write(t([['after episodes', 'RSS MB', 'JS heap used MB', 'external + wasm MB', 'elapsed s'], ...rss.map((r) => [String(r.after), r.rssMb.toFixed(0), r.heapMb.toFixed(1), r.externalMb.toFixed(1), r.s.toFixed(1)])]));
  if (rss.length > 1) {
    const growth = rss[rss.length - 1]!.rssMb - rss[0]!.rssMb;
    process.stdout.write(`RSS growth ${rss[0]!.after} → ${rss[rss.length - 1]!.after} episodes: ${growth >= 0 ? '+' : ''}${growth.toFixed(0)} MB\n`);
  }
  if (bench) process.stdout.write(`Default \`npm run bench\`: ${bench.s.toFixed(1)} s wall (exit ${bench.code})\n`);
  process.stdout.write(`Load average during the run: ${result.load.map((x) => x.toFixed(1)).join(' / ')} on ${cpus().length} cores (timings are only comparable at similar load)\n`);
}

main().catch((e) => {
  process.stderr.write(`perf: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
