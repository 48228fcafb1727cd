import { readJsonFile } from '../util/json-file';
import { ConfigError } from '../util/errors';
import { formatZodError } from '../util/zod';
import { canonicalJson, sha256 } from '../util/hash';
import { Suite, type Scene } from './schema';
import { checkSceneGeometry } from './geometry';

export interface LoadedSuite extends Suite {
  /** Path it was loaded from (for messages). */
  file: string;
  /** sha256 of each scene's canonical JSON, by scene id: part of the episode id. */
  sceneHashes: Record<string, string>;
}

export function parseSuite(raw: unknown, file: string): LoadedSuite {
  const r = Suite.safeParse(raw);
  if (!r.success) throw new ConfigError(formatZodError(file, r.error), 'Fix the field(s) named above; see README "Scene format".');
  const suite = r.data;
  const seen = new Set<string>();
  suite.scenes.forEach((s, i) => {
    if (seen.has(s.id)) throw new ConfigError(`${file}: scenes[${i}].id: duplicate scene id "${s.id}"`, 'Scene ids must be unique within a suite.');
    seen.add(s.id);
    const problem = checkSceneGeometry(s);
    if (problem) throw new ConfigError(`${file}: scenes[${i}].${problem}`, 'Move the object inside the room and clear of the others.');
  });
  const sceneHashes: Record<string, string> = {};
  for (const s of suite.scenes) sceneHashes[s.id] = sha256(canonicalJson(s));
  return { ...suite, file, sceneHashes };
}

export function loadSuite(file: string): LoadedSuite {
  const raw = readJsonFile(file, 'scene suite', 'Check the path (suites live under scenes/).');
  return parseSuite(raw, file);
}

export type { Scene };
