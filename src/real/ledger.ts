/**
 * The sim-to-real ledger: real-robot trials per checkpoint, one JSON object per line, in the
 * repo's results area (`benchmarks/real/ledger.jsonl`, beside benchmarks/baselines/), so it is
 * versioned with the code and the stored baselines it is compared with.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../util/errors';
import { isCounted, LEDGER_SCHEMA_VERSION, type RealTrial } from './trials';

export const DEFAULT_LEDGER = 'benchmarks/real/ledger.jsonl';

export function readLedger(file: string): RealTrial[] {
  if (!existsSync(file)) return [];
  const out: RealTrial[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let t: RealTrial;
      try {
        t = JSON.parse(line) as RealTrial;
      } catch (e) {
        throw new ConfigError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`, 'The ledger is written by `simgate real import`; restore it from git if it was edited by hand.');
      }
      if (t?.kind !== 'real-trial' || typeof t.checkpoint !== 'string') throw new ConfigError(`${file}:${i + 1}: not a real-trial record`, 'The ledger holds only `simgate real import` records.');
      if (t.schemaVersion !== LEDGER_SCHEMA_VERSION) throw new ConfigError(`${file}:${i + 1}: ledger schema ${t.schemaVersion}, this simgate reads ${LEDGER_SCHEMA_VERSION}`);
      out.push(t);
    });
  return out;
}

export interface AddResult {
  added: RealTrial[];
  /** Records of the same log and checkpoint that --replace removed. */
  replaced: number;
  ledger: RealTrial[];
}

/**
 * Adds imported trials. Importing the same log (same content hash) for the same checkpoint twice
 * is refused unless `replace`, which swaps the earlier import for this one. A session id already
 * counted in the ledger (another import) is flagged and not counted again.
 */
export function addToLedger(file: string, trials: RealTrial[], opts: { replace?: boolean } = {}): AddResult {
  const existing = readLedger(file);
  const sha = trials[0]?.source.sha256;
  const checkpoint = trials[0]?.checkpoint;
  const same = (t: RealTrial) => t.source.sha256 === sha && t.checkpoint === checkpoint;
  const previous = existing.filter(same);
  if (previous.length && !opts.replace) {
    throw new ConfigError(
      `${trials[0]!.source.file} (sha256 ${sha!.slice(0, 12)}…) is already imported for checkpoint "${checkpoint}" (${previous.length} rows in ${file}).`,
      'Pass --replace to import it again (e.g. with other --rows/--from/--to), or give another --checkpoint.',
    );
  }
  const kept = existing.filter((t) => !same(t));
  const counted = new Map<string, RealTrial>();
  for (const t of kept) if (t.counted && t.sessionId) counted.set(t.sessionId, t);
  for (const t of trials) {
    if (t.sessionId && counted.has(t.sessionId) && !t.flags.includes('duplicate:already_in_ledger')) {
      t.flags.push('duplicate:already_in_ledger');
      t.counted = isCounted(t.flags);
    }
  }
  const ledger = [...kept, ...trials];
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, ledger.map((t) => JSON.stringify(t)).join('\n') + (ledger.length ? '\n' : ''));
  renameSync(tmp, file);
  return { added: trials, replaced: previous.length, ledger };
}
