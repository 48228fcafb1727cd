import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPolicy } from '../policy/load';
import { PolicySpec } from '../policy/spec';
import { isScripted } from '../policy/scripted';
import { expandEpisodeFiles } from '../offline/files';
import { renderOffline } from '../offline/report';
import { runOffline, type FileEntry } from '../offline/run';
import { ConfigError, EXIT } from '../util/errors';
import { formatZodError } from '../util/zod';
import { colours } from './style';

const HELP = `simgate offline — the lab's recorded HDF5 episodes through a policy, teacher-forced

Usage:
  simgate offline <files|dirs…> --policy <dir|url|json> [options]
  simgate offline export <results dir|results.json> --out <dir> [options]   (sim episodes → V6 files)

Reads V1–V4, V5 and V6 episode files (schema detected from keys and attributes; V1–V4 frames are
stored BGR and converted), feeds each episode's frames in order to the policy as the closed loop
does (its manifest's preprocessing and frame window; a server gets /reset per episode), and
reports per-frame perfect match (PM) and direction match (DM) of the lab's 8 action classes,
action MAE, the confusion matrix, per scenario, per schema and per class — next to the
majority-class and frame-index baselines on the same frames — and three checks: MEMORISES FRAME
INDEX, IGNORES INSTRUCTION (left↔right swapped), channel order (R↔B swapped).

Options:
  --policy <p>          a policy folder (policy.json + ONNX), a server URL (http://host:port, the
                        lab's /predict contract), or a JSON policy spec ('{"remote": …, "name": …}')
  --instruction <text>  instruction for every file (default: the file's, else from its name, else
                        "gray basket" for V6 — the deployed server's phrase)
  --no-checks           skip the instruction-swap and channel-order passes (3× fewer policy calls)
  --device <auto|cpu|cuda>  onnxruntime execution provider
  --out <file>          also write the report as JSON to this file
  --json                print the report as JSON on stdout instead of tables
  --quiet               no progress on stderr
  -h, --help            this help

Exit: 0 all files evaluated; 1 some files unreadable (each listed with the reason) or policy
errors; 2 usage error; 130 interrupted (the files done so far are reported).`;

const EXPORT_HELP = `simgate offline export — simulated episodes as V6 HDF5 files for the lab's training loader

Usage: simgate offline export <results dir|results.json> --out <dir> [options]

Re-simulates traced episodes (failures; every episode with \`run --trace-all\`), renders the onboard
camera at full resolution and writes one V6 file per episode: images (T, H, W, 3) uint8 RGB, gzip,
actions (T, 3) [linear_x, linear_y, angular_z] as the policy commanded them, action_event_types,
and the V6 attributes (cx_position = the scene's family, cx_path from the driven path).

Options:
  --out <dir>           folder for the .h5 files (created)
  --policy <name>       only this policy's episodes (default: every policy)
  --successes           only successful episodes (e.g. oracle demonstrations)
  --size <WxH>          frame size (default 1280x720, the lab's CSI camera)
  --limit <n>           at most n episodes
  --json                print what was written as JSON
  -h, --help            this help`;

/** --policy: a policy folder, an http(s) URL of a policy server, or a JSON spec. */
export function parsePolicyArg(arg: string): PolicySpec {
  let raw: unknown = arg;
  if (/^https?:\/\//.test(arg)) raw = { remote: arg, name: arg.replace(/^https?:\/\//, '').replace(/\/+$/, '') };
  else if (arg.trim().startsWith('{')) {
    try {
      raw = JSON.parse(arg);
    } catch (e) {
      throw new ConfigError(`--policy: not valid JSON: ${(e as Error).message}`, 'Give a policy folder, a server URL or a JSON spec like {"remote": "http://host:8000", "name": "x"}.');
    }
  }
  const r = PolicySpec.safeParse(raw);
  if (!r.success) throw new ConfigError(formatZodError('--policy', r.error, 'policy'), 'See README "Policies".');
  if (typeof r.data === 'string' && isScripted(r.data)) {
    throw new ConfigError(
      `--policy ${r.data}: scripted baselines drive on the simulator's privileged state (pose, scene), which a recorded episode does not have.`,
      'Give an ONNX policy folder or a policy server URL; the offline report already includes the majority-class and frame-index baselines.',
    );
  }
  return r.data;
}

export async function offlineCommand(args: string[]): Promise<number> {
  if (args[0] === 'export') return exportCommand(args.slice(1));
  const { values, positionals } = parseArgs({
    args,
    options: {
      policy: { type: 'string' },
      instruction: { type: 'string' },
      'no-checks': { type: 'boolean' },
      device: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (!values.policy) throw new ConfigError('simgate offline needs --policy.', 'Example: simgate offline data/ --policy policies/trained-finetuned');
  const device = values.device ?? 'auto';
  if (device !== 'auto' && device !== 'cpu' && device !== 'cuda') throw new ConfigError(`--device ${device}: expected auto, cpu or cuda`);
  const spec = parsePolicyArg(values.policy);
  const files = expandEpisodeFiles(positionals);
  const policy = await loadPolicy(spec, { device });
  const progress = new OfflineProgress(Boolean(values.quiet || values.json), policy.info.name);
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT.interrupted);
    stop = true;
    progress.notice('\nInterrupted: finishing this file and reporting the files done (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const report = await runOffline(files, policy, {
      ...(values.instruction !== undefined ? { instruction: values.instruction } : {}),
      checks: !values['no-checks'],
      onFileStart: (_f, i, total) => progress.start(total, i),
      onFileEnd: (entry, _i, _total, frames) => progress.file(entry, frames),
      shouldStop: () => stop,
    });
    progress.end();
    if (values.out) {
      mkdirSync(dirname(values.out), { recursive: true });
      writeFileSync(values.out, JSON.stringify(report, null, 1) + '\n');
    }
    if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
    else process.stdout.write(renderOffline(report) + '\n');
    if (!report.complete) return EXIT.interrupted;
    const frameErrors = report.metrics?.policyErrors ?? 0;
    return report.counts.unreadable || report.counts.policyErrorFiles || frameErrors ? EXIT.failure : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await policy.close();
  }
}

async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string' },
      policy: { type: 'string' },
      successes: { type: 'boolean' },
      size: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(EXPORT_HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new ConfigError('simgate offline export takes one results folder or results.json.', 'Example: simgate offline export simgate-results --out sim-v6/');
  if (!values.out) throw new ConfigError('simgate offline export needs --out <dir>.');
  let size: [number, number] | undefined;
  if (values.size) {
    const m = /^(\d+)x(\d+)$/.exec(values.size);
    if (!m) throw new ConfigError(`--size ${values.size}: expected WxH, e.g. 1280x720`);
    size = [Number(m[1]), Number(m[2])];
  }
  const limit = values.limit !== undefined ? Number(values.limit) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new ConfigError(`--limit ${values.limit}: expected a positive integer`);
  const { exportV6 } = await import('../offline/export');
  const written = await exportV6(positionals[0]!, {
    outDir: values.out,
    ...(values.policy ? { policy: values.policy } : {}),
    ...(values.successes ? { successesOnly: true } : {}),
    ...(size ? { width: size[0], height: size[1] } : {}),
    ...(limit ? { limit } : {}),
    onFile: values.json ? undefined : (w) => process.stderr.write(`${w.file}: ${w.frames} frames (${w.policy}, ${w.family}, ${w.outcome})\n`),
  });
  if (values.json) process.stdout.write(JSON.stringify(written) + '\n');
  else process.stdout.write(`${written.length} episode(s) written to ${values.out} (V6 layout)\n`);
  return EXIT.ok;
}

/** Progress on stderr, in the style of src/cli/progress.ts: a bar on a TTY, sparse lines in CI. */
class OfflineProgress {
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  private total = 0;
  private done = 0;
  private frames = 0;
  private bad = 0;
  private t0 = performance.now();
  private lastLine = performance.now();
  private started = false;

  constructor(
    private readonly quiet: boolean,
    private readonly name: string,
  ) {}

  start(total: number, index: number): void {
    if (this.started) return;
    this.started = true;
    this.total = total;
    this.done = index;
    this.t0 = performance.now();
    if (!this.quiet && !this.tty) process.stderr.write(`${this.name}: ${total} episode file(s)\n`);
  }

  notice(msg: string): void {
    if (!this.quiet) process.stderr.write(this.tty ? `\r\x1b[2K${msg}\n` : `${msg}\n`);
  }

  file(entry: FileEntry, frames: number): void {
    this.done++;
    this.frames += frames;
    if (entry.status !== 'ok') this.bad++;
    if (this.quiet) return;
    const c = colours();
    if (entry.status === 'unreadable') this.notice(`${c.yellow('skipped')} ${entry.file}: ${entry.reason}`);
    if (entry.status === 'policy_error') this.notice(`${c.red('policy error')} ${entry.file}: ${entry.reason}`);
    const now = performance.now();
    const rate = this.done / ((now - this.t0) / 1000);
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    const tail = `${this.frames} frames${this.bad ? `, ${this.bad} not evaluated` : ''}  ETA ${eta.toFixed(0)}s`;
    if (!this.tty) {
      if (now - this.lastLine < 30_000 || this.done >= this.total) return;
      this.lastLine = now;
      process.stderr.write(`${this.name}: ${this.done}/${this.total} files, ${tail}\n`);
      return;
    }
    const w = 24;
    const f = this.total ? this.done / this.total : 1;
    process.stderr.write(`\r${this.name.padEnd(22).slice(0, 22)} ${'█'.repeat(Math.round(f * w)).padEnd(w, '░')} ${this.done}/${this.total} files  ${tail} `);
  }

  end(): void {
    if (this.quiet) return;
    const s = ((performance.now() - this.t0) / 1000).toFixed(1);
    const line = `${this.name}: ${this.done}/${this.total} files, ${this.frames} frames${this.bad ? `, ${this.bad} not evaluated` : ''} (${s}s)`;
    process.stderr.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}
