#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { SimgateError, EXIT } from '../util/errors';
import { commands } from './commands';
import { colours } from './style';

const HELP = `simgate — closed-loop benchmark for mobile-robot VLA policies

Usage: simgate <command> [options]

Commands:
  run        run policies on scene suites (default; what \`npm run bench\` does)
  compare    compare two results files: paired, per split and family (exit 1 on regression)
  scenes     validate scene suites (and regenerate the committed ones with --generate)
  replay     re-simulate a recorded failure, check it bit for bit, and view it in a browser
  merge      combine the results of \`run --shard i/n\` runs into one
  offline    score a policy on the lab's recorded HDF5 episodes (per-frame match, baselines, probes)
  real       import the lab's real-robot trial log into the sim-to-real ledger
  sim2real   sim success beside real success per checkpoint and position (Pearson, MMRV, PPI)
  worker     run queued episodes for \`run --queue redis://…\` (any number, any machine)
  help       show this help

Run \`simgate <command> --help\` for a command's options.

Examples:
  npm run bench                                   # default config: bench.config.ts
  npm run bench -- --policy oracle --policy straight --episodes-per-scene 5
  npm run bench -- --suite scenes/lab-basket-v1.json --batch 16 --json > results.json
  npx simgate scenes scenes/*.json

Exit codes: 0 pass, 1 regression or failure, 2 usage/config error, 130 interrupted.
Environment: NO_COLOR disables colour; CI=1 prints plain progress lines; SIMGATE_CHROMIUM points at a browser.`;

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const cmd = !first || first.startsWith('-') ? 'run' : first;
  const args = !first || first.startsWith('-') ? argv : rest;
  if (cmd === 'help' || cmd === '-h' || cmd === '--help' || (cmd === 'run' && !first?.startsWith('run') && (args.includes('-h') || args.includes('--help')))) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const command = commands[cmd];
  if (!command) {
    process.stderr.write(`simgate: unknown command "${cmd}"\n\n${HELP}\n`);
    return EXIT.usage;
  }
  try {
    return await command(args);
  } catch (e) {
    const c = colours();
    if (e instanceof SimgateError) {
      process.stderr.write(`${c.red('error:')} ${e.message}\n${e.hint ? `${c.dim('hint:')} ${e.hint}\n` : ''}`);
      return e.exitCode;
    }
    if (e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${c.red('error:')} ${e.message}\nRun \`simgate ${cmd} --help\`.\n`);
      return EXIT.usage;
    }
    process.stderr.write(`${c.red('simgate crashed:')} ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failure;
  }
}

export { parseArgs };

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('src/cli/main.ts');
if (isMain) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
