import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropPartialTail, JsonlWriter, readJsonlRows } from '../src/results/jsonl';
import { parseShard, shardEpisodes } from '../src/runner/plan';
import { lockDir } from '../src/runner/resume';
import { aggregateRows } from '../src/measures/aggregate';
import type { EpisodeRow } from '../src/results/schema';
import { tempDir } from './helpers/suites';

const row = (id: string, outcome: EpisodeRow['outcome'] = 'success'): EpisodeRow =>
  ({ episodeId: id, policy: 'p', variant: 'v', suite: 's', suiteVersion: 1, sceneId: id, sceneHash: 'h', seed: 0, split: 'in-distribution', family: 'f', side: 'left', outcome, measures: { success: outcome === 'success', steps: 3 } }) as EpisodeRow;

describe('episodes.jsonl', () => {
  it('a cut-off last line is ignored and cut away; appends then start on a clean line', () => {
    const f = join(tempDir('simgate-jsonl-'), 'episodes.jsonl');
    const w = new JsonlWriter(f, { truncate: true, syncEveryMs: 0 });
    w.append(row('a'));
    w.append(row('b'));
    w.close();
    appendFileSync(f, '{"episodeId":"c","pol');
    const r = readJsonlRows(f);
    expect(r.rows.map((x) => x.episodeId)).toEqual(['a', 'b']);
    expect(r.partialTail).toBe(true);
    dropPartialTail(f, r);
    const w2 = new JsonlWriter(f);
    w2.append(row('c'));
    w2.close();
    expect(readJsonlRows(f).rows.map((x) => x.episodeId)).toEqual(['a', 'b', 'c']);
    expect(readFileSync(f, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('a damaged line in the middle is an error naming the line', () => {
    const f = join(tempDir('simgate-jsonl-'), 'episodes.jsonl');
    writeFileSync(f, `${JSON.stringify(row('a'))}\nnot json\n${JSON.stringify(row('b'))}\n`);
    expect(() => readJsonlRows(f)).toThrow(/episodes.jsonl:2: not a JSON row/);
  });
});

describe('shards', () => {
  it('--shard i/n parses strictly', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, total: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '1/2/3']) expect(() => parseShard(bad)).toThrow(/expected i\/n/);
  });

  it('shards partition the plan: round-robin, sizes within one, every episode once', () => {
    const plan = [...Array(17).keys()];
    for (const n of [1, 2, 3, 5, 17, 20]) {
      const parts = [...Array(n).keys()].map((i) => shardEpisodes(plan, { index: i + 1, total: n }));
      expect(parts.flat().sort((a, b) => a - b)).toEqual(plan);
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(shardEpisodes(plan, { index: 2, total: 5 })).toEqual([1, 6, 11, 16]);
  });
});

describe('output folder lock', () => {
  it('one run per folder; the lock of a dead process is taken over', () => {
    const dir = tempDir('simgate-lock-');
    const release = lockDir(dir);
    // Held by a live process (this test's parent stands in for another run).
    writeFileSync(join(dir, '.simgate.lock'), String(process.ppid));
    expect(() => lockDir(dir)).toThrow(/in use by another simgate run \(pid \d+\)/);
    // A pid that is not running: stale, taken over.
    writeFileSync(join(dir, '.simgate.lock'), '2147483646');
    const again = lockDir(dir);
    expect(readFileSync(join(dir, '.simgate.lock'), 'utf8')).toBe(String(process.pid));
    again();
    release();
  });
});

describe('error accounting', () => {
  it('error rows are neither successes nor failures: outside n, counted in errors', () => {
    const a = aggregateRows([row('a'), row('b', 'collision'), row('c', 'policy_error'), row('d', 'error')], { policy: 'p', variant: 'v', split: 'x', family: 'all' });
    expect(a).toMatchObject({ n: 2, successes: 1, success: 0.5, errors: 2 });
    const none = aggregateRows([row('c', 'policy_error')], { policy: 'p', variant: 'v', split: 'x', family: 'all' });
    expect(none).toMatchObject({ n: 0, successes: 0, success: 0, errors: 1 });
  });
});
