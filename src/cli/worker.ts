import { parseArgs } from 'node:util';
import { startWorker } from '../queue/worker';
import { ConfigError, EXIT } from '../util/errors';

const WORKER_HELP = `simgate worker — run queued episodes for \`simgate run --queue\` coordinators

Usage: simgate worker --queue redis://host:port [options]

Takes units (one policy on some episodes of a run's plan) from the queue, one at a time, runs
them here — own renderer (the kind and driver the run resolved), own policy runtime (CUDA where present) — and returns the
rows. Start any number, on any machine that has the same checkout (suites, policies) as the
coordinator: a worker whose files give another plan hash refuses the run's jobs (exit 2 there).

Options:
  --queue <redis-url>         Redis server of the queue (redis://[user:pass@]host:port[/db])
  --queue-name <name>         BullMQ queue name (default: simgate; the coordinator's --queue-name)
  --batch <n>                 episodes stepped in lockstep here (default: the run's --batch)
  --device <auto|cpu|cuda>    onnxruntime execution provider here (default auto: CUDA where
                              this machine has it)
  --idle-exit <s>             exit after this many seconds without a job (default: never)
  --lock-duration <ms>        a worker silent this long loses its unit to another (default 30000)
  --stalled-interval <ms>     how often to look for units of dead workers (default 30000)
  --quiet                     no log lines on stderr
  -h, --help                  this help

A worker killed mid-unit (kill -9, a lost node) loses nothing: after --lock-duration another
worker runs that unit again. SIGTERM or Ctrl-C: finish the unit in hand, then exit 0 (twice: now).

Examples:
  simgate worker --queue redis://10.0.0.5:6379
  simgate worker --queue redis://redis:6379 --device cuda --batch 32 --idle-exit 120`;

export async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      batch: { type: 'string' },
      device: { type: 'string' },
      'idle-exit': { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(WORKER_HELP + '\n');
    return EXIT.ok;
  }
  if (!values.queue) throw new ConfigError('worker: --queue <redis-url> is required', 'e.g. simgate worker --queue redis://127.0.0.1:6379');
  const num = (flag: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new ConfigError(`--${flag} ${v}: expected a number ≥ ${min}`);
    return n;
  };
  const device = values.device;
  if (device !== undefined && !['auto', 'cpu', 'cuda'].includes(device)) throw new ConfigError(`--device ${device}: expected auto, cpu or cuda`);
  const batch = num('batch', values.batch, 1);
  if (batch !== undefined && !Number.isInteger(batch)) throw new ConfigError(`--batch ${values.batch}: expected a whole number`);
  const idle = num('idle-exit', values['idle-exit'], 0);
  const lock = num('lock-duration', values['lock-duration'], 500);
  const stalled = num('stalled-interval', values['stalled-interval'], 100);
  const quiet = Boolean(values.quiet);
  const log = (msg: string) => {
    if (!quiet) process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
  };
  const slow = Number(process.env.SIMGATE_SLOW_MS ?? 0); // testing hook, as for `simgate run`
  const w = await startWorker({
    url: values.queue,
    ...(values['queue-name'] ? { queueName: values['queue-name'] } : {}),
    ...(batch ? { batchSize: batch } : {}),
    ...(device ? { device: device as 'auto' | 'cpu' | 'cuda' } : {}),
    ...(idle !== undefined ? { idleExitMs: idle * 1000 } : {}),
    ...(lock !== undefined ? { lockDurationMs: lock } : {}),
    ...(stalled !== undefined ? { stalledIntervalMs: stalled } : {}),
    ...(Number.isFinite(slow) && slow > 0 ? { slowMs: slow } : {}),
    log,
  });
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(EXIT.interrupted);
    signalled = true;
    log('stopping: finishing the unit in hand (signal again to quit now; its unit then goes to another worker)');
    void w.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await w.done;
    log(`worker ${w.name} stopped: ${r.units} unit(s) done${r.failed ? `, ${r.failed} failed` : ''}`);
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
