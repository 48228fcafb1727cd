import { parseArgs } from 'node:util';
import { EXIT } from '../util/errors';
import { findRow, isFailure, replaySpec, tracedRows } from '../replay/load';
import { readResults } from '../results/read';
import { checkReplays } from '../replay/check';
import { exportEpisode } from '../replay/export';
import { openReplay, replayCommand } from '../replay/session';
import { colours } from './style';

const HELP = `simgate replay — re-simulate a recorded episode, check it, and view it

Usage: simgate replay <results.json|dir> [episode-id] [options]

The episode is re-simulated from its trace (scene from the suite file, hash-checked; start pose;
the recorded actions) and every per-step state hash is compared with the recording. A divergence
is printed on stderr and the exit code is 1. Then a viewer is served on 127.0.0.1: onboard camera
and top-down side by side, the path, collisions, each action as an arrow, a step scrubber,
play/pause and next/previous failure.

Options:
  --policy <name>      which policy's run of the episode (ids are shared by all policies)
  --port <n>           viewer port (default: a free one)
  --suite <file>       suite file to find the scene in (repeatable; default: results' suites)
  --check              verify only, no viewer: all traced episodes, or the one given (exit 1 on divergence)
  --export             write failures/failure_<policy>_<id>.gif and .png for the episode and exit
  --list               list the replayable episodes and exit
  --all                let the viewer step through traced successes too (--trace-all runs)
  --no-render          no browser: no camera frames, the top-down drawn from the scene
  -h, --help           this help

Examples:
  npx simgate replay simgate-results                       # first failure
  npx simgate replay simgate-results 3f2a9c --policy straight --port 8080
  npx simgate replay simgate-results --check               # CI: are all traces reproducible?`;

export async function replayCommandMain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      policy: { type: 'string' },
      port: { type: 'string' },
      suite: { type: 'string', multiple: true },
      check: { type: 'boolean' },
      export: { type: 'boolean' },
      list: { type: 'boolean' },
      all: { type: 'boolean' },
      'no-render': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || !positionals[0]) {
    (values.help ? process.stdout : process.stderr).write(HELP + '\n');
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const c = colours();
  const err = (s: string) => process.stderr.write(s + '\n');
  const [resultsPath, episode] = positionals as [string, string | undefined];
  const suites = values.suite;

  if (values.list) {
    const loaded = readResults(resultsPath);
    const rows = tracedRows(loaded.results).filter((r) => !values.policy || r.policy === values.policy);
    for (const r of rows) process.stdout.write(`${r.episodeId}  ${r.policy.padEnd(20)} ${r.outcome.padEnd(12)} ${r.sceneId} seed ${r.seed} (${r.trace.actions.length} steps)\n`);
    process.stdout.write(`${rows.length} traced episodes (${rows.filter(isFailure).length} failed)\n`);
    return EXIT.ok;
  }

  if (values.check) {
    const { checked, diverged } = await checkReplays(readResults(resultsPath), { ...(episode ? { episode } : {}), ...(values.policy ? { policy: values.policy } : {}), ...(suites ? { suites } : {}) });
    for (const { row, message } of diverged) err(`${c.red(c.bold('REPLAY DIVERGED'))} ${row.policy} ${row.episodeId} (${row.sceneId} seed ${row.seed}): ${message}`);
    const msg = `${checked - diverged.length}/${checked} traced episodes replay bit-identically`;
    if (diverged.length) err(c.red(c.bold(msg)));
    else process.stdout.write(`${c.green('ok')} ${msg}\n`);
    return diverged.length ? EXIT.failure : EXIT.ok;
  }

  if (values.export) {
    const loaded = readResults(resultsPath);
    const { row } = findRow(loaded.results, episode, values.policy);
    const spec = replaySpec(loaded, row, { suites });
    const renderer = values['no-render'] ? null : await (await import('../render/launch')).launchRunRenderer(loaded.results.environment);
    try {
      const e = await exportEpisode(loaded, spec, { renderer });
      if (!e.verify.ok) err(`${c.red(c.bold('REPLAY DIVERGED'))} ${row.policy} ${row.episodeId}: ${e.verify.message}`);
      process.stdout.write(`${e.gif} (${e.gifFrames} frames)\n${e.filmstrip}\n`);
      return e.verify.ok ? EXIT.ok : EXIT.failure;
    } finally {
      await renderer?.close();
    }
  }

  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    err(`${c.red('error:')} --port ${values.port} is not a port number`);
    return EXIT.usage;
  }
  const session = await openReplay({
    results: resultsPath,
    ...(episode ? { episode } : {}),
    ...(values.policy ? { policy: values.policy } : {}),
    ...(suites ? { suites } : {}),
    ...(port !== undefined ? { port } : {}),
    render: !values['no-render'],
    all: Boolean(values.all),
    log: (line) => err(line),
  });
  const d = session.prepared.data;
  const diverged = !d.verify.ok;
  if (diverged) {
    err('');
    err(c.red(c.bold(`!!! REPLAY DIVERGED: ${d.policy} ${d.episodeId} (${d.sceneId} seed ${d.seed})`)));
    err(c.red(c.bold(`!!! ${d.verify.message}`)));
    err(c.red('!!! The simulation no longer reproduces this recording (changed physics, profile or Rapier build?). The viewer shows the recorded poses.'));
    err('');
  } else err(`${c.green('✓')} ${d.verify.message}`);
  process.stdout.write(`${d.policy} ${d.episodeId} ${d.outcome} — ${d.sceneId} seed ${d.seed}, ${d.steps} steps\n`);
  process.stdout.write(`Viewer: ${session.url}\n`);
  process.stdout.write(`(serving ${session.loaded.dir} on 127.0.0.1 only; Ctrl-C to stop)\n`);
  process.stdout.write(`Replay again: ${replayCommand(session.loaded.dir, session.spec.row)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await session.close();
  return diverged ? EXIT.failure : EXIT.ok;
}
