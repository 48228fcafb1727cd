import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { readRows } from '../results/read';
import type { EpisodeRow } from '../results/schema';
import { addToLedger, DEFAULT_LEDGER, readLedger } from '../real/ledger';
import { sim2realHtml } from '../real/plot';
import { POSITION_MAPPING_DOC } from '../real/positions';
import { renderImport, renderSim2Real, fmtSuccess } from '../real/report';
import { sim2real } from '../real/sim2real';
import { parseTrialLog, summarise } from '../real/trials';
import { wilson } from '../stats/wilson';
import { ConfigError, EXIT } from '../util/errors';

const REAL_HELP = `simgate real — the sim-to-real ledger of real-robot trials

Usage:
  simgate real import <trial log .csv> --checkpoint <name> [options]
  simgate real list [--ledger <file>] [--json]

import reads the lab's trial log as it is (columns of EdgeGroundVLA logs/episode_log.csv:
#, 경로, 결과 (성공/실패), steps, lat(ms), top액션, gnd%, area, cx, STOP, FPE, 메모, 날짜, session_id)
and appends one record per row to the ledger. Rows that cannot count are kept and flagged, never
counted: no result, 0 steps, a note asking to delete the trial (삭제), the same session id twice
with different results (or already in the ledger). The log does not say which checkpoint ran:
give it with --checkpoint, and pick its rows with --rows / --from / --to.

Options (import):
  --checkpoint <name>   the checkpoint these trials ran (required); name it as its sim policy
  --rows <a-b>          only trials #a to #b
  --from <date>         only trials dated on/after (e.g. 2026-07-23)
  --to <date>           only trials dated on/before
  --map <name=family>   map a path name to a position (repeatable), e.g. --map obj_far=strong_left
  --replace             replace an earlier import of the same log for the same checkpoint
  --ledger <file>       default ${DEFAULT_LEDGER}
  --json                print the imported records and the summary as JSON

Positions:
${POSITION_MAPPING_DOC}`;

const SIM2REAL_HELP = `simgate sim2real — simulated vs real success per checkpoint, and whether sim ranks them right

Usage: simgate sim2real --sim <results dir|results.json|episodes.jsonl>… [options]

Per checkpoint of the ledger and per position: sim success (the basket-position episodes of the
results: families ${'strong_left … strong_right'}, no probes, no error rows) next to real success,
each with its 95% Wilson interval and n; a real-success interval from sim and real together
(prediction-powered inference, PPI++); across checkpoints Pearson r and MMRV (SimplerEnv) with
bootstrap 95% intervals.

Options:
  --sim <file>          simgate results (repeatable)
  --match <real=sim>    pair a ledger checkpoint with a sim policy of another name (repeatable)
  --ledger <file>       default ${DEFAULT_LEDGER}
  --html <file>         also write a page with the sim-vs-real plot
  --json                print the report as JSON
  -h, --help            this help`;

export async function realCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '-h' || sub === '--help') {
    process.stdout.write(REAL_HELP + '\n');
    return sub ? EXIT.ok : EXIT.usage;
  }
  if (sub === 'import') return importCommand(rest);
  if (sub === 'list') return listCommand(rest);
  throw new ConfigError(`simgate real: unknown subcommand "${sub}"`, 'Use `simgate real import <csv> --checkpoint <name>` or `simgate real list`.');
}

function parseRange(s: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m) throw new ConfigError(`--rows ${s}: expected a-b (trial numbers), e.g. 125-145`);
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (b < a) throw new ConfigError(`--rows ${s}: the range ends before it starts`);
  return [a, b];
}

function parsePairs(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const i = item.indexOf('=');
    if (i <= 0 || i === item.length - 1) throw new ConfigError(`${flag} ${item}: expected name=value`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      checkpoint: { type: 'string' },
      rows: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      map: { type: 'string', multiple: true },
      replace: { type: 'boolean' },
      ledger: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(REAL_HELP + '\n');
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new ConfigError('simgate real import takes one trial log (.csv).', 'Example: simgate real import ../shared/lab-data/episode_log.csv --checkpoint exp73');
  if (!values.checkpoint) throw new ConfigError('simgate real import needs --checkpoint <name>: the log does not record which checkpoint ran.', 'Name it as its sim policy, so sim2real pairs them (or use --match there).');
  const file = positionals[0]!;
  if (!existsSync(file)) throw new ConfigError(`${file}: no such file`, 'Give the lab\'s trial log, e.g. ../shared/lab-data/episode_log.csv.');
  const bytes = readFileSync(file);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD')) throw new ConfigError(`${file}: not UTF-8 text`, 'Save the log as UTF-8 (the lab\'s log is UTF-8 with Korean results 성공/실패).');
  const sha = createHash('sha256').update(bytes).digest('hex');
  const trials = parseTrialLog(file, text, sha, {
    checkpoint: values.checkpoint,
    ...(values.rows ? { rows: parseRange(values.rows) } : {}),
    ...(values.from ? { from: values.from } : {}),
    ...(values.to ? { to: values.to } : {}),
    map: parsePairs(values.map, '--map'),
  });
  if (!trials.length) throw new ConfigError(`${file}: no trial rows${values.rows || values.from || values.to ? ' match --rows/--from/--to' : ''}`);
  const ledgerFile = values.ledger ?? DEFAULT_LEDGER;
  const { replaced } = addToLedger(ledgerFile, trials, { replace: Boolean(values.replace) });
  const summary = summarise(trials);
  if (values.json) process.stdout.write(JSON.stringify({ ledger: ledgerFile, checkpoint: values.checkpoint, replaced, summary, trials }) + '\n');
  else process.stdout.write(renderImport(file, values.checkpoint, ledgerFile, summary, replaced) + '\n');
  return EXIT.ok;
}

async function listCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ledger: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const ledgerFile = values.ledger ?? DEFAULT_LEDGER;
  const trials = readLedger(ledgerFile);
  const names = [...new Set(trials.map((t) => t.checkpoint))];
  const rows = names.map((c) => {
    const mine = trials.filter((t) => t.checkpoint === c);
    const s = summarise(mine);
    return { checkpoint: c, rows: s.rows, counted: s.counted, successes: s.successes, unusable: s.unusable, duplicates: s.duplicates, sources: [...new Set(mine.map((t) => t.source.file))] };
  });
  if (values.json) process.stdout.write(JSON.stringify({ ledger: ledgerFile, checkpoints: rows }) + '\n');
  else if (!rows.length) process.stdout.write(`${ledgerFile}: no trials yet (simgate real import <csv> --checkpoint <name>)\n`);
  else
    for (const r of rows) {
      const k = r.successes;
      process.stdout.write(`${r.checkpoint}: ${r.rows} rows from ${r.sources.join(', ')}; counted ${r.counted} — success ${fmtSuccess(r.counted ? { k, n: r.counted, rate: k / r.counted, ci95: wilson(k, r.counted) } : null)}; ${r.unusable} unusable, ${r.duplicates} duplicates\n`);
    }
  return EXIT.ok;
}

export async function sim2realCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      sim: { type: 'string', multiple: true },
      match: { type: 'string', multiple: true },
      ledger: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SIM2REAL_HELP + '\n');
    return EXIT.ok;
  }
  const ledgerFile = values.ledger ?? DEFAULT_LEDGER;
  if (!existsSync(ledgerFile)) throw new ConfigError(`${ledgerFile}: no ledger yet`, 'Import real trials first: simgate real import <csv> --checkpoint <name>.');
  const trials = readLedger(ledgerFile);
  const simFiles = values.sim ?? [];
  const simRows: EpisodeRow[] = [];
  for (const f of simFiles) simRows.push(...readRows(f).episodes);
  const report = sim2real({ ledgerFile, trials, simFiles, simRows, match: parsePairs(values.match, '--match') });
  const text = renderSim2Real(report);
  if (values.html) {
    mkdirSync(dirname(values.html), { recursive: true });
    writeFileSync(values.html, sim2realHtml(report, text));
  }
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
  else process.stdout.write(text + '\n');
  return EXIT.ok;
}
