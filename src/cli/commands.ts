import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadConfig, parseConfig, type BenchConfig } from '../runner/config';
import { runBench, loadSuites } from '../runner/run';
import { summaryTable, familyTable } from '../report/table';
import { EXIT } from '../util/errors';
import { Progress } from './progress';
import type { Renderer } from '../render/types';

type Command = (args: string[]) => Promise<number>;

const RUN_HELP = `simgate run — run policies on scene suites

Options:
  --config <file>             config file (default: bench.config.ts if present)
  --policy <name|dir|json>    policy to run; repeat for several (overrides config)
  --suite <file>              scene suite; repeat for several (overrides config)
  --episodes-per-scene <n>    seeds per scene
  --batch <n>                 episodes stepped in lockstep (results do not depend on it)
  --device <auto|cpu|cuda>    onnxruntime execution provider
  --out <dir>                 output folder (results.json, episodes.jsonl)
  --trace-all                 keep traces of successful episodes too
  --json                      print results JSON on stdout instead of tables
  --quiet                     no progress on stderr
  -h, --help                  this help

Examples:
  npm run bench
  npm run bench -- --policy oracle --policy policies/demo-simple-finetuned --batch 16
  npm run bench -- --suite scenes/nav-novel-v1.json --episodes-per-scene 10 --out out/novel`;

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
      out: { type: 'string' },
      'trace-all': { type: 'boolean' },
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
  const { config: base, file } = await loadConfig(values.config);
  const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const config: BenchConfig = parseConfig(
    {
      ...base,
      ...(values.policy ? { policies: values.policy } : {}),
      ...(values.suite ? { suites: values.suite } : {}),
      ...(values['episodes-per-scene'] ? { episodesPerScene: int(values['episodes-per-scene']) } : {}),
      ...(values.batch ? { batchSize: int(values.batch) } : {}),
      ...(values.device ? { device: values.device } : {}),
      ...(values.out ? { outputDir: values.out } : {}),
      ...(values['trace-all'] ? { traceAll: true } : {}),
    },
    `${file ?? '(defaults)'} + command-line flags`,
  );
  loadSuites(config.suites); // fail fast (exit 2) on a bad scene file, before launching anything

  const progress = new Progress(Boolean(values.quiet || values.json));
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT.interrupted);
    stop = true;
    process.stderr.write('\nInterrupted: finishing the episodes in flight and writing results (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const results = await runBench(config, {
      onPolicyStart: (info, total) => progress.start(info, total),
      onEpisode: (row) => progress.episode(row),
      onPolicyEnd: () => progress.end(),
      launchRenderer: launchChromium,
      shouldStop: () => stop,
    });
    if (values.json) process.stdout.write(JSON.stringify(results) + '\n');
    else {
      process.stdout.write(summaryTable(results));
      process.stdout.write(familyTable(results));
      process.stdout.write(`Results: ${join(config.outputDir, 'results.json')}\n`);
    }
    if (stop) return EXIT.interrupted;
    const errors = results.aggregates.filter((a) => a.family === 'all').reduce((s, a) => s + a.errors, 0);
    return errors > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function launchChromium(): Promise<Renderer> {
  const { ChromiumRenderer } = await import('../render/chromium-renderer');
  return ChromiumRenderer.launch({});
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

export const commands: Record<string, Command> = { run: runCommand, scenes: scenesCommand };
