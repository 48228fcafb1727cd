import { parseArgs } from 'node:util';
import { BASELINE_DIR, listBaselines, updateBaseline } from '../compare';
import { ConfigError, EXIT } from '../util/errors';

const HELP = `simgate baseline — stored baselines (${BASELINE_DIR}/<name>.json)

Usage:
  simgate baseline update <name> <results.json> [--policy P]   store policy P's rows as <name>
  simgate baseline list                                          list stored baselines

Then: npm run bench -- --baseline <name>   (or simgate compare ${BASELINE_DIR}/<name>.json out/results.json)`;

export async function baselineCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { policy: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    process.stdout.write(HELP + '\n');
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (sub === 'list') {
    const names = listBaselines();
    process.stdout.write(names.length ? names.join('\n') + '\n' : `(no baselines in ${BASELINE_DIR})\n`);
    return EXIT.ok;
  }
  if (sub === 'update') {
    if (rest.length !== 2) throw new ConfigError('baseline update needs <name> <results.json>', HELP);
    const [name, file] = rest as [string, string];
    const r = updateBaseline(name, file, values.policy);
    process.stdout.write(`Baseline "${name}": ${r.episodes} episodes of ${r.policy} → ${r.file}\n`);
    return EXIT.ok;
  }
  throw new ConfigError(`Unknown baseline subcommand "${sub}"`, 'Use `update` or `list`.');
}
