import { readJsonFile } from '../util/json-file';
import { ConfigError } from '../util/errors';
import { formatZodError } from '../util/zod';
import { canonicalJson, sha256 } from '../util/hash';
import { Suite, type Scene } from './schema';
import { sceneProblem } from './geometry';
import { AssetError, assetRefs, readAsset, resolveAssetPath } from './assets';

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
    // Impossible scenes (outside the room, a box on the start or the target, a goal no robot
    // reaches) are refused here, so no policy — the oracle included — is scored on them.
    const problem = sceneProblem(s);
    if (problem) throw new ConfigError(`${file}: scenes[${i}].${problem.message}`, problem.hint);
  });
  const sceneHashes: Record<string, string> = {};
  const scenes = suite.scenes.map((s, i) => {
    const a = resolveSceneAssets(s, i, file);
    sceneHashes[s.id] = a.hash;
    return a.scene;
  });
  return { ...suite, scenes, file, sceneHashes };
}

/**
 * A scene's user assets (models, photos): paths resolved against the suite file's folder, files
 * checked and hashed, and a model's bounds filled in as the object's `size` when it has none (so
 * the Rapier collider matches the model). The hash of a scene without assets is sha256 of its
 * canonical JSON, as always (committed episode ids depend on it); with assets it is the scene as
 * written (relative paths) plus the sha256 of every file it uses, so a new scan under the same
 * name is a new episode id.
 */
function resolveSceneAssets(scene: Scene, index: number, file: string): { scene: Scene; hash: string } {
  const refs = assetRefs(scene);
  if (refs.length === 0) return { scene, hash: sha256(canonicalJson(scene)) };
  const out = structuredClone(scene);
  const files: Record<string, string> = {};
  for (const ref of refs) {
    const abs = resolveAssetPath(file, ref.path);
    const model = ref.field === 'target.model.file' ? scene.target.model : ref.field.startsWith('obstacles[') ? scene.obstacles[Number(/\d+/.exec(ref.field)![0])]!.model : undefined;
    let read: ReturnType<typeof readAsset>;
    try {
      read = readAsset(ref, abs, model);
    } catch (e) {
      if (!(e instanceof AssetError)) throw e;
      throw new ConfigError(
        `${file}: scenes[${index}].${ref.field}: ${e.message}`,
        ref.kind === 'model'
          ? 'Model paths are relative to the suite file; a model must be glTF 2.0 (.glb, or .gltf with its .bin and textures beside it).'
          : 'Image paths are relative to the suite file; use a PNG, JPEG or WebP photo.',
      );
    }
    for (const f of read.files) files[f.key] = f.sha256;
    if (ref.field === 'target.model.file') {
      out.target.model!.file = abs;
      if (!out.target.size) out.target.size = read.placement!.size;
    } else if (ref.field.startsWith('obstacles[')) {
      // Obstacles always have a size (the schema requires it): the model is drawn, the box collides.
      out.obstacles[Number(/\d+/.exec(ref.field)![0])]!.model!.file = abs;
    } else if (ref.field === 'appearance.floor.image') out.appearance.floor.image = abs;
    else out.appearance.walls.image = abs;
  }
  return { scene: out, hash: sha256(canonicalJson({ scene, files })) };
}

export function loadSuite(file: string): LoadedSuite {
  const raw = readJsonFile(file, 'scene suite', 'Check the path (suites live under scenes/).');
  return parseSuite(raw, file);
}

export type { Scene };
