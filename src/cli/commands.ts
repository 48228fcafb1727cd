import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig, parseConfig, type BenchConfig } from '../config/config';
import { runBench, type BenchStatus } from '../runner/bench';
import { loadSuites } from '../runner/run';
import { ConfigError, EXIT } from '../util/errors';
import { Progress } from './progress';
import { mergeCommand } from './merge';
import { compareCommand } from './compare';
import { baselineCommand } from './baseline';
import { replayCommandMain } from './replay';
import { parseShard } from '../runner/plan';
import { specLabel } from '../policy/load';
import { baselinePath } from '../compare/baselines';
import { QueueExecutor } from '../queue/coordinator';
import { workerCommand } from './worker';

type Command = (args: string[]) => Promise<number>;

const RUN_HELP = `simgate run — run policies on scene suites

Options:
  --config <file>             config file (default: bench.config.ts if present)
  --policy <name|dir|url|json>
                              policy to run; repeat for several (overrides config): a
                              scripted name, a policy folder, a server URL (http://… the
                              lab's server, ws://… an openpi server) or a JSON spec
  --suite <file>              scene suite; repeat for several (overrides config)
  --episodes-per-scene <n>    seeds per scene
  --batch <n>                 episodes stepped in lockstep (results do not depend on it)
  --device <auto|cpu|cuda>    onnxruntime execution provider
  --renderer <chromium|webgpu|auto>
                              who draws the camera: Chromium (WebGL), WebGPU in Node (Dawn), or
                              auto = WebGPU where a Vulkan driver works, else Chromium (default)
  --out <dir>                 output folder (results.json, episodes.jsonl)
  --trace-all                 keep traces of successful episodes too
  --trace-frames              also store the onboard frames of failed episodes as PNGs
  --save-frames               store the onboard frames of every episode as PNGs
                              (<out>/traces/<policy>/<episodeId>/NNN.png)
  --report-gifs <n>           failure clips per policy in report.html (default 10; 0 = none)
  --no-report                 do not write report.html
  --resume                    continue the run in --out: skip episodes already in episodes.jsonl
                              (refused, exit 2, if that run had another plan or shard)
  --shard <i/n|auto>          run shard i of n (episodes dealt round-robin in plan order);
                              combine the shard folders with \`simgate merge\`. auto: i/n of a
                              Kubernetes Indexed Job (JOB_COMPLETION_INDEX, JOB_COMPLETIONS) or
                              a SLURM job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT)
  --queue <redis-url>         coordinate: put the episodes into a BullMQ queue on this Redis and
                              collect the rows of \`simgate worker --queue <redis-url>\` processes
                              (same files and exit code as a local run)
  --queue-name <name>         BullMQ queue name (default: simgate)
  --unit <n>                  episodes per queue job (default: twice --batch)
  --episode-timeout <s>       wall-clock limit per episode; past it the row is an error
  --baseline <name|file>      compare every policy against this one: a policy of this run, a
                              results.json, or a stored baseline (benchmarks/baselines/<name>.json);
                              exit 1 on REGRESSION (see \`simgate compare --help\`)
  --candidate <name>          judge only this policy against the baseline (repeat for several;
                              default: every other policy)
  --tolerance <x>             allowed drop in success for the comparison (absolute, e.g. 0.05)
  --sequential                sequential gate: baseline and candidates run each split in blocks
                              and stop once an anytime-valid test decides PASS or REGRESSION
                              (config \`gate: { sequential: true, maxEpisodes }\`)
  --max-episodes <n>          with --sequential: at most n episodes per split (then INCONCLUSIVE)
  --probe <name>              add a probe suite: instruction-swap, memorisation, channel-order,
                              rotation (repeat for several; overrides config \`probes\`)
  --json                      print results JSON on stdout instead of tables
  --quiet                     no progress on stderr
  -h, --help                  this help

Examples:
  npm run bench
  npm run bench -- --policy oracle --policy policies/demo-simple-finetuned --batch 16
  npm run bench -- --renderer chromium        # the browser renderer, as before the WebGPU one
  npm run bench -- --suite scenes/lab-basket-novel-v1.json --episodes-per-scene 10 --out out/novel
  npm run bench -- --out out/long --resume          # after a crash or Ctrl-C: finish the run
  npm run bench -- --shard 2/3 --out out/shard-2     # then: simgate merge out/shard-* --out out/all
  npm run bench -- --queue redis://10.0.0.5:6379 --out out/big   # + simgate worker --queue … anywhere

Ctrl-C (or SIGTERM) lets the episodes in flight finish, writes results.json of the rows so far
(complete: false) and exits 130; --resume finishes the run.`;

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      policy: { type: 'string', multiple: true },
      suite: { type: 'string', multiple: true },
      'episodes-per-scene': { type: 'string' },
      batch: { type: 'string' },
      device: { type: 'string' },
      renderer: { type: 'string' },
      out: { type: 'string' },
      'trace-all': { type: 'boolean' },
      'trace-frames': { type: 'boolean' },
      'save-frames': { type: 'boolean' },
      'report-gifs': { type: 'string' },
      'no-report': { type: 'boolean' },
      resume: { type: 'boolean' },
      shard: { type: 'string' },
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      unit: { type: 'string' },
      'episode-timeout': { type: 'string' },
      baseline: { type: 'string' },
      candidate: { type: 'string', multiple: true },
      tolerance: { type: 'string' },
      sequential: { type: 'boolean' },
      'max-episodes': { type: 'string' },
      probe: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(RUN_HELP + '\n');
    return EXIT.ok;
  }
  const { config: loaded, file } = await loadConfig(values.config);
  const base = values.policy ? gateForPolicies(loaded, values.policy) : loaded;
  const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const config: BenchConfig = parseConfig(
    {
      ...base,
      ...(values.policy ? { policies: values.policy } : {}),
      ...(values.suite ? { suites: values.suite, policySuites: suitesNarrowed(base.policySuites, values.suite) } : {}),
      ...(values['episodes-per-scene'] ? { episodesPerScene: int(values['episodes-per-scene']) } : {}),
      ...(values.batch ? { batchSize: int(values.batch) } : {}),
      ...(values.device ? { device: values.device } : {}),
      ...(values.renderer ? { renderer: values.renderer } : {}),
      ...(values.out ? { outputDir: values.out } : {}),
      ...(values['trace-all'] ? { traceAll: true } : {}),
      ...(values['trace-frames'] ? { traceFrames: true } : {}),
      // --save-frames: every episode's onboard frames (successes too), as PNGs under traces/.
      ...(values['save-frames'] ? { traceFrames: true, traceAll: true, saveAllFrames: true } : {}),
      ...(values['report-gifs'] !== undefined ? { reportGifs: int(values['report-gifs']) } : {}),
      ...(values['no-report'] ? { report: false } : {}),
      ...(values['episode-timeout'] ? { episodeTimeout: Number(values['episode-timeout']) } : {}),
      ...(values.baseline ? { baseline: values.baseline } : {}),
      ...(values.candidate ? { candidates: values.candidate } : {}),
      ...(values.tolerance !== undefined ? { tolerance: Number(values.tolerance) } : {}),
      ...(values.sequential || values['max-episodes']
        ? { gate: { ...(base.gate ?? {}), ...(values.sequential ? { sequential: true } : {}), ...(values['max-episodes'] ? { maxEpisodes: int(values['max-episodes']) } : {}) } }
        : {}),
      ...(values.probe ? { probes: values.probe } : {}),
    },
    `${file ?? '(defaults)'} + command-line flags`,
  );
  const shard = values.shard ? parseShard(values.shard) : undefined;
  const progress = new Progress(Boolean(values.quiet || values.json));
  const unit = values.unit === undefined ? undefined : Number(values.unit);
  if (unit !== undefined && !(Number.isInteger(unit) && unit >= 1)) throw new ConfigError(`--unit ${values.unit}: expected a whole number ≥ 1`);
  // --queue: this process coordinates (src/queue/coordinator.ts); workers run the episodes.
  const executor = values.queue
    ? await QueueExecutor.connect({ url: values.queue, ...(values['queue-name'] ? { queueName: values['queue-name'] } : {}), ...(unit ? { unitSize: unit } : {}), resume: Boolean(values.resume), onNotice: (msg) => progress.notice(msg) })
    : undefined;
  const slowMs = testingSlowMs();
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT.interrupted);
    stop = true;
    progress.interrupt();
    process.stderr.write('\nInterrupted: finishing the episodes in flight and writing results (Ctrl-C again to quit now; --resume continues)\n');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const run = await runBench(config, {
      onPolicyStart: (info, total, already) => progress.start(info, total, already),
      onEpisode: async (row) => {
        progress.episode(row);
        if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
      },
      onPolicyEnd: () => progress.end(),
      shouldStop: () => stop,
      onNotice: (msg) => progress.notice(msg),
      print: values.json ? () => {} : (text) => process.stdout.write(text),
      resume: Boolean(values.resume),
      ...(shard ? { shard } : {}),
      ...(executor ? { executor } : {}),
    });
    if (values.json) process.stdout.write(JSON.stringify(run.results) + '\n');
    return EXIT_FOR_STATUS[run.status];
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await executor?.close();
  }
}

/** Playwright Test's exit codes: 0 pass, 1 regression or errored episodes, 130 interrupted. */
const EXIT_FOR_STATUS: Record<BenchStatus, number> = { passed: EXIT.ok, regressed: EXIT.failure, errors: EXIT.failure, interrupted: EXIT.interrupted };

/**
 * Testing hook: `SIMGATE_SLOW_MS=<ms>` sleeps that long after each finished episode, so tests can
 * kill a CLI run part-way. Read here, at the edge, and never inside the episode loop.
 */
function testingSlowMs(): number {
  const v = Number(process.env.SIMGATE_SLOW_MS ?? 0);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/**
 * `--policy` replaces the config's policy list: the config file's gate then keeps only the
 * policies still in the run (dropped entirely when its baseline left), so
 * `npm run bench -- --policy oracle` just works. Explicit --baseline/--candidate stay strict.
 */
function gateForPolicies(config: BenchConfig, policies: string[]): BenchConfig {
  const names = policies.map(specLabel);
  const { baseline, candidates, policySuites, ...all } = config;
  // policySuites keeps only the policies still in the run.
  const kept = Object.entries(policySuites ?? {}).filter(([p]) => names.includes(p));
  const rest = { ...all, ...(kept.length ? { policySuites: Object.fromEntries(kept) } : {}) };
  const baselineIsPolicy = baseline !== undefined && !baseline.endsWith('.json') && !existsSync(baseline);
  // No baseline left: no gate, sequential or not (an explicit --sequential still asks for one).
  if (baseline === undefined || (baselineIsPolicy && !names.includes(baseline) && !storedBaselineExists(baseline))) return { ...rest, gate: undefined } as BenchConfig;
  const keptCandidates = candidates?.filter((c) => names.includes(c));
  return { ...rest, baseline, ...(keptCandidates && keptCandidates.length ? { candidates: keptCandidates } : {}) } as BenchConfig;
}

/**
 * `--suite` replaces the suite list: each policy's `policySuites` keeps the suites still in the
 * run, and a policy left with none runs them all (it was named on the command line for them).
 */
function suitesNarrowed(policySuites: BenchConfig['policySuites'], suites: string[]): BenchConfig['policySuites'] {
  const kept = Object.entries(policySuites ?? {})
    .map(([p, files]) => [p, files.filter((f) => suites.includes(f))] as const)
    .filter(([, files]) => files.length);
  return kept.length ? Object.fromEntries(kept) : undefined;
}

function storedBaselineExists(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && existsSync(baselinePath(name));
}

const SCENES_HELP = `simgate scenes — validate scene suites

Usage: simgate scenes [files…]   (default: the suites in the config)
Exit 0 when all are valid, 2 with the file and field of the first problem.`;

export async function scenesCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    process.stdout.write(SCENES_HELP + '\n');
    return EXIT.ok;
  }
  const files = positionals.length ? positionals : (await loadConfig()).config.suites;
  for (const s of loadSuites(files)) {
    const fams = [...new Set(s.scenes.map((x) => x.family))].join(', ');
    process.stdout.write(`${s.file}: ${s.suite} v${s.version}, ${s.scenes.length} scenes (${fams}) — ok\n`);
  }
  return EXIT.ok;
}

export const commands: Record<string, Command> = { compare: compareCommand, baseline: baselineCommand, run: runCommand, scenes: scenesCommand, merge: mergeCommand, replay: replayCommandMain, worker: workerCommand,
  // Loaded on use: `offline` pulls in h5wasm (the HDF5 library as wasm), which every other command can do without.
  offline: async (a) => (await import('./offline')).offlineCommand(a),
  real: async (a) => (await import('./real')).realCommand(a),
  sim2real: async (a) => (await import('./real')).sim2realCommand(a) };
