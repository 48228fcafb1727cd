import { parseArgs } from 'node:util';
import { compareJson, compareRows, compareTable, policyRows } from '../compare';
import { readRows } from '../results/read';
import { ConfigError, EXIT } from '../util/errors';

const HELP = `simgate compare — paired comparison of two results files (B against baseline A)

Usage: simgate compare <a/results.json> <b/results.json> [options]

Episodes are paired by episode id (suite, version, scene, seed, scene hash, probe), so batch
size, order and sharding do not matter; episodes in only one file are reported, not dropped.

Options:
  --policy-a <name>     policy to take from A (needed when A holds several)
  --policy-b <name>     policy to take from B (default: the one in B, or --policy-a's name)
  --tolerance <x>       allowed drop in success, absolute 0–1 (default: A's config, else 0.05)
  --json                print the comparison as JSON
  -h, --help            this help

Verdict per split: REGRESSION if success(B) − success(A) < −tolerance with exact McNemar
p < 0.05; PASS if the 95% interval's lower bound ≥ −tolerance; else INCONCLUSIVE.
Exit codes: 0 PASS or INCONCLUSIVE, 1 REGRESSION, 2 bad input.`;

export function parseTolerance(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Number(v);
  if (!(t >= 0 && t <= 1)) throw new ConfigError(`--tolerance ${v}: expected a number in [0, 1] (0.05 = 5 points)`);
  return t;
}

export async function compareCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'policy-a': { type: 'string' },
      'policy-b': { type: 'string' },
      tolerance: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length !== 2) throw new ConfigError(`compare needs two results files, got ${positionals.length}`, 'Usage: simgate compare <a/results.json> <b/results.json>');
  const [fa, fb] = positionals as [string, string];
  const ra = readRows(fa);
  const rb = readRows(fb);
  const a = policyRows(ra, values['policy-a'], '--policy-a');
  // B defaults to its only policy, else to A's policy name (same checkpoint, another run).
  const bNames = new Set(rb.episodes.map((r) => r.policy));
  const bName = values['policy-b'] ?? (bNames.size > 1 && bNames.has(a.policy.name) ? a.policy.name : undefined);
  const b = policyRows(rb, bName, '--policy-b');
  const tolerance = parseTolerance(values.tolerance) ?? ra.tolerance ?? 0.05;
  const cmp = compareRows(
    { policy: a.policy.name, variant: a.policy.variant, source: fa, rows: a.rows },
    { policy: b.policy.name, variant: b.policy.variant, source: fb, rows: b.rows },
    tolerance,
  );
  if (!cmp.groups.length) throw new ConfigError(`No episodes in common between ${fa} and ${fb}`, 'Were they run on the same suites (and suite versions) and seeds?');
  if (values.json) process.stdout.write(JSON.stringify(compareJson([cmp]), null, 1) + '\n');
  else process.stdout.write(compareTable(cmp));
  return cmp.verdict === 'REGRESSION' ? EXIT.failure : EXIT.ok;
}
