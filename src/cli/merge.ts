import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { mergeResults } from '../runner/merge';
import { familyTable, summaryTable } from '../report/table';
import { ConfigError, EXIT } from '../util/errors';

const MERGE_HELP = `simgate merge — combine the shards of a run

Usage: simgate merge <shard dirs or results.json…> --out <dir>

Each input is the --out folder (or results.json) of \`simgate run --shard i/n\`. The merged
results.json, episodes.jsonl and plan.json are what one unsharded run would have written (rows in
plan order; timing and timestamps aside). Refused (exit 2): shards of different plans, a shard
given twice, a missing shard, an unfinished shard (finish it with --resume).

Options:
  --out <dir>     where to write the merged results (required)
  --json          print the merged results JSON on stdout instead of tables
  -h, --help      this help

Example:
  for i in 1 2 3; do npm run bench -- --shard $i/3 --out out/shard-$i; done
  npx simgate merge out/shard-1 out/shard-2 out/shard-3 --out out/all`;

export async function mergeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(MERGE_HELP + '\n');
    return EXIT.ok;
  }
  if (!values.out) throw new ConfigError('merge: --out <dir> is required', 'Usage: simgate merge <shard dirs…> --out <dir>');
  const merged = mergeResults(positionals, values.out);
  if (values.json) process.stdout.write(JSON.stringify(merged) + '\n');
  else {
    process.stdout.write(summaryTable(merged));
    process.stdout.write(familyTable(merged));
    process.stdout.write(`Merged ${merged.mergedFrom!.length} shard(s), ${merged.episodes.length} episode rows: ${join(values.out, 'results.json')}\n`);
  }
  const errors = merged.aggregates.filter((a) => a.family === 'all').reduce((s, a) => s + a.errors, 0);
  return errors > 0 ? EXIT.failure : EXIT.ok;
}
