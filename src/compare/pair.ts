import type { EpisodeRow } from '../results/schema';
import { ConfigError } from '../util/errors';

export interface Pairing {
  pairs: { a: EpisodeRow; b: EpisodeRow }[];
  /** Episodes only one side ran: reported, never silently dropped. */
  onlyA: EpisodeRow[];
  onlyB: EpisodeRow[];
}

/**
 * Pair the rows of two policies by episode id (sha256 of suite, version, scene, seed, scene
 * hash, probe): the same episode whatever batch size, order or shard produced it, and whatever
 * the policy. Pairs come in A's order.
 */
export function pairRows(a: readonly EpisodeRow[], b: readonly EpisodeRow[]): Pairing {
  const index = (rows: readonly EpisodeRow[], side: string) => {
    const m = new Map<string, EpisodeRow>();
    for (const r of rows) {
      if (m.has(r.episodeId)) throw new ConfigError(`${side}: episode ${r.episodeId} (${r.sceneId}, seed ${r.seed}) appears twice for policy "${r.policy}"`, 'Merge shards with `simgate merge` rather than concatenating files.');
      m.set(r.episodeId, r);
    }
    return m;
  };
  const ia = index(a, 'A');
  const ib = index(b, 'B');
  const pairs: Pairing['pairs'] = [];
  const onlyA: EpisodeRow[] = [];
  for (const r of ia.values()) {
    const other = ib.get(r.episodeId);
    if (other) pairs.push({ a: r, b: other });
    else onlyA.push(r);
  }
  const onlyB = [...ib.values()].filter((r) => !ia.has(r.episodeId));
  return { pairs, onlyA, onlyB };
}
