/**
 * The lab's real-robot trial log (EdgeGroundVLA logs/episode_log.csv; columns in LAB.md §1c:
 * `#, 경로, 결과, steps, lat(ms), top액션, gnd%, area, cx, STOP, FPE, 메모, 날짜, session_id`, or the
 * English names of the lab's analysis script) → one trial record per row, imported as it is.
 * Nothing is dropped silently: a row that cannot count (no result, a trial with 0 steps, a note
 * asking to delete it, the same session saved twice) is kept with its flags and `counted: false`.
 */
import { basename } from 'node:path';
import { ConfigError } from '../util/errors';
import { parseCsv } from './csv';
import { mapPosition, type Position } from './positions';

export const LEDGER_SCHEMA_VERSION = 1;

export interface RealTrial {
  kind: 'real-trial';
  schemaVersion: typeof LEDGER_SCHEMA_VERSION;
  checkpoint: string;
  /** Where the row came from: the CSV's name, its content hash and the row's line. */
  source: { file: string; sha256: string; line: number };
  /** The log's trial number (`#`). */
  trial: string;
  /** The lab's position/path name as written (`경로`), and the simgate family it maps to. */
  path: string;
  position: Position | null;
  positionMatch?: 'exact' | 'approximate';
  result: 'success' | 'failure' | null;
  /** The result cell as written (성공 / 실패 / …). */
  resultRaw: string;
  steps: number | null;
  latencyMs: number | null;
  topAction: string | null;
  groundedPct: number | null;
  area: number | null;
  cx: number | null;
  stop: boolean | null;
  fpe: number | null;
  note: string;
  date: string | null;
  sessionId: string | null;
  /** Why the row does not count or deserves a look (codes: see FLAG_TEXT). */
  flags: string[];
  /** In every success rate? False for unusable rows and duplicates. */
  counted: boolean;
  importedAt: string;
}

/** What each flag means; `unusable:*` and `duplicate:*` rows are not counted, `info:*` rows are. */
export const FLAG_TEXT: Record<string, string> = {
  'unusable:no_result': 'the result is neither 성공 (success) nor 실패 (failure)',
  'unusable:zero_steps': 'the trial has 0 steps: the policy never drove',
  'unusable:note_says_delete': 'the note asks to delete the trial (삭제)',
  'duplicate:conflict': 'the same session id appears on another row with a different result: neither is counted until resolved',
  'duplicate:repeat': 'the same session id appears on an earlier row with the same result: counted once',
  'duplicate:already_in_ledger': 'this session id is already counted in the ledger (another import)',
  'info:no_session_id': 'no session id: duplicates of this trial cannot be detected',
  'info:operator_unsure': 'the note says the operator was unsure of the result (애매)',
  'info:unmapped_position': 'the path name maps to no simgate family: counted overall, not per position',
  'info:approximate_position': 'the path name maps to the nearest simgate family, not an exact one',
  'info:extra_fields': 'the row had more fields than the header (a note with unquoted commas): the extra ones were joined into the note',
};

export const isCounted = (flags: readonly string[]): boolean => !flags.some((f) => f.startsWith('unusable:') || f.startsWith('duplicate:'));

const COLUMNS: Record<string, string[]> = {
  trial: ['#', 'n', 'no', 'trial'],
  path: ['경로', 'path', 'position'],
  result: ['결과', 'result', 'result(성공/실패)'],
  steps: ['steps'],
  latency: ['lat(ms)', 'lat_ms', 'latency_ms'],
  top: ['top액션', 'top_action'],
  gnd: ['gnd%', 'gnd_pct'],
  area: ['area'],
  cx: ['cx'],
  stop: ['stop'],
  fpe: ['fpe'],
  note: ['메모', 'note'],
  date: ['날짜', 'date'],
  session: ['session_id', 'session'],
};

const SUCCESS = new Set(['성공', 'success', 'succeeded', 's', 'o', '1', 'true', 'pass', 'y', 'yes']);
const FAILURE = new Set(['실패', 'failure', 'fail', 'failed', 'f', 'x', '0', 'false', 'n', 'no']);

export function parseResult(cell: string): 'success' | 'failure' | null {
  const v = cell.trim().toLowerCase();
  if (SUCCESS.has(v)) return 'success';
  if (FAILURE.has(v)) return 'failure';
  return null;
}

const num = (s: string | undefined): number | null => {
  const t = (s ?? '').trim();
  if (!t || t === '—' || t === '-') return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
};

export interface ParseOptions {
  checkpoint: string;
  /** Only rows whose `#` is in this inclusive range. */
  rows?: [number, number];
  /** Only rows dated on/after `from` and on/before `to` (compared as text: "2026-07-23" matches that day). */
  from?: string;
  to?: string;
  /** Extra path-name → family mappings (`--map obj_far=strong_left`). */
  map?: Record<string, string>;
  importedAt?: string;
}

/** Parses a trial log. Throws ConfigError (exit 2) when the header lacks the path or result column. */
export function parseTrialLog(file: string, text: string, sha256: string, opts: ParseOptions): RealTrial[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header) throw new ConfigError(`${file}: empty file`, 'Give the lab\'s trial log (episode_log.csv).');
  const names = header.fields.map((h) => h.trim().toLowerCase());
  const col = (key: string) => names.findIndex((n) => COLUMNS[key]!.includes(n));
  const at: Record<string, number> = Object.fromEntries(Object.keys(COLUMNS).map((k) => [k, col(k)]));
  const missing = ['path', 'result'].filter((k) => at[k]! < 0);
  if (missing.length) {
    throw new ConfigError(
      `${file}: no ${missing.map((k) => `"${COLUMNS[k]![0]}"/"${COLUMNS[k]![1]}"`).join(' or ')} column (header: ${header.fields.join(', ')})`,
      'The log needs the columns of the lab\'s episode_log.csv (LAB.md §1c): #, 경로, 결과, steps, …, session_id.',
    );
  }
  const importedAt = opts.importedAt ?? new Date().toISOString();
  const out: RealTrial[] = [];
  rows.slice(1).forEach((row, k) => {
    let fields = row.fields;
    const flags: string[] = [];
    // A note with unquoted commas spills into the next columns: join the spill back into the note.
    if (fields.length > names.length && at.note! >= 0) {
      const extra = fields.length - names.length;
      fields = [...fields.slice(0, at.note!), fields.slice(at.note!, at.note! + extra + 1).join(','), ...fields.slice(at.note! + extra + 1)];
      flags.push('info:extra_fields');
    }
    const get = (key: string) => (at[key]! >= 0 ? (fields[at[key]!] ?? '').trim() : '');
    const trial = get('trial') || String(k + 1);
    const trialNo = Number(trial);
    if (opts.rows && !(trialNo >= opts.rows[0] && trialNo <= opts.rows[1])) return;
    const date = get('date') || null;
    if ((opts.from || opts.to) && !date) return;
    if (opts.from && date! < opts.from) return;
    if (opts.to && date!.slice(0, opts.to.length) > opts.to) return;

    const resultRaw = get('result');
    const result = parseResult(resultRaw);
    if (!result) flags.push('unusable:no_result');
    const steps = num(get('steps'));
    if (steps === 0) flags.push('unusable:zero_steps');
    const note = get('note');
    if (/삭제/.test(note)) flags.push('unusable:note_says_delete');
    if (/애매/.test(note)) flags.push('info:operator_unsure');
    const sessionId = get('session') || null;
    if (!sessionId) flags.push('info:no_session_id');
    const path = get('path');
    const pos = mapPosition(path, opts.map);
    if (!pos) flags.push('info:unmapped_position');
    else if (pos.match === 'approximate') flags.push('info:approximate_position');
    const stopCell = get('stop').toUpperCase();
    out.push({
      kind: 'real-trial',
      schemaVersion: LEDGER_SCHEMA_VERSION,
      checkpoint: opts.checkpoint,
      source: { file: basename(file), sha256, line: row.line },
      trial,
      path,
      position: pos?.family ?? null,
      ...(pos ? { positionMatch: pos.match } : {}),
      result,
      resultRaw,
      steps,
      latencyMs: num(get('latency')),
      topAction: get('top') && get('top') !== '—' ? get('top') : null,
      groundedPct: num(get('gnd')),
      area: num(get('area')),
      cx: num(get('cx')),
      stop: stopCell === 'Y' ? true : stopCell === 'N' ? false : null,
      fpe: num(get('fpe')),
      note,
      date,
      sessionId,
      flags,
      counted: false,
      importedAt,
    });
  });
  markDuplicates(out);
  for (const t of out) t.counted = isCounted(t.flags);
  return out;
}

/**
 * The same session saved twice (the lab found such rows): with different results, neither row
 * counts (which is right is unknowable from the log); with the same result, the first counts.
 */
export function markDuplicates(trials: RealTrial[]): void {
  const bySession = new Map<string, RealTrial[]>();
  for (const t of trials) if (t.sessionId && t.result) bySession.set(t.sessionId, [...(bySession.get(t.sessionId) ?? []), t]);
  for (const group of bySession.values()) {
    if (group.length < 2) continue;
    const conflict = new Set(group.map((t) => t.result)).size > 1;
    group.forEach((t, i) => {
      if (conflict) t.flags.push('duplicate:conflict');
      else if (i > 0) t.flags.push('duplicate:repeat');
    });
  }
}

export interface ImportSummary {
  rows: number;
  counted: number;
  successes: number;
  failures: number;
  unusable: number;
  duplicates: number;
  /** Rows per flag code. */
  flags: Record<string, number>;
  /** The flagged rows: line, trial number, flags. */
  flagged: { line: number; trial: string; path: string; result: string; flags: string[] }[];
}

export function summarise(trials: readonly RealTrial[]): ImportSummary {
  const flags: Record<string, number> = {};
  for (const t of trials) for (const f of t.flags) flags[f] = (flags[f] ?? 0) + 1;
  const counted = trials.filter((t) => t.counted);
  return {
    rows: trials.length,
    counted: counted.length,
    successes: counted.filter((t) => t.result === 'success').length,
    failures: counted.filter((t) => t.result === 'failure').length,
    unusable: trials.filter((t) => t.flags.some((f) => f.startsWith('unusable:'))).length,
    duplicates: trials.filter((t) => t.flags.some((f) => f.startsWith('duplicate:'))).length,
    flags,
    flagged: trials.filter((t) => t.flags.some((f) => !f.startsWith('info:no_session_id') && !f.startsWith('info:approximate'))).map((t) => ({ line: t.source.line, trial: t.trial, path: t.path, result: t.resultRaw, flags: t.flags })),
  };
}
