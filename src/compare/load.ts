import type { PolicyInfo } from '../policy/types';
import type { LoadedRows } from '../results/read';
import type { EpisodeRow } from '../results/schema';
import { ConfigError } from '../util/errors';

/**
 * The rows of one policy. Without a name the file must hold exactly one policy, so a
 * comparison never silently picks the wrong one.
 */
export function policyRows(res: LoadedRows, name: string | undefined, flag: string): { policy: PolicyInfo; rows: EpisodeRow[] } {
  const names = [...new Set(res.episodes.map((r) => r.policy))];
  if (name === undefined) {
    if (names.length !== 1) {
      throw new ConfigError(`${res.file} holds ${names.length} policies (${names.join(', ') || 'none'}): say which with ${flag}`);
    }
    name = names[0]!;
  }
  const rows = res.episodes.filter((r) => r.policy === name);
  if (!rows.length) throw new ConfigError(`${res.file}: no episodes of policy "${name}" (it has: ${names.join(', ') || 'none'})`);
  const policy = res.policies.find((p) => p.name === name) ?? { name, kind: 'scripted', variant: rows[0]!.variant, actionMode: 'pulse', needsImage: false };
  return { policy, rows };
}
