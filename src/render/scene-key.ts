import type { Scene } from '../scene/schema';
import { canonicalJson, sha256 } from '../util/hash';

/** The key renderers cache a built scene by: sha256 of its canonical JSON (16 hex digits). */
export function sceneKeyOf(scene: Scene): string {
  return sha256(canonicalJson(scene)).slice(0, 16);
}
