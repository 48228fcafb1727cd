/**
 * The renderer's side of user assets (models and photos named by scenes): each file is read,
 * hashed and handed to the page server, which serves it at /assets/<sha256>.<ext> and nothing
 * else; the page gets those URLs plus each model's placement (from the same bounds the loader
 * used for the collider).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Scene } from '../scene/schema';
import { AssetError, assetRefs, readAsset, type AssetRef, type ModelPlacement } from '../scene/assets';
import { ConfigError } from '../util/errors';
import type { PageServer } from './server';

/** What the page needs to draw a model. */
export interface PageModel {
  url: string;
  /** The model's external files: URI as written in the glTF → served URL. */
  deps: Record<string, string>;
  /** Move the model by minus these (object frame) so its bounds sit centred on the footprint, on the floor. */
  centre: [number, number];
  minZ: number;
  scale: number;
  yaw: number;
}

/** Per scene: URLs of its models and photos (absent when the scene has none). */
export interface PageAssets {
  target?: PageModel;
  /** By obstacle index. */
  obstacles?: Record<number, PageModel>;
  floor?: string;
  walls?: string;
}

interface Read {
  url: string;
  deps: Record<string, string>;
  placement?: ModelPlacement;
}

export class AssetHost {
  private readonly cache = new Map<string, Read>();

  constructor(private readonly server: PageServer) {}

  /** Register a scene's assets with the server; undefined when it has none. */
  forScene(scene: Scene): PageAssets | undefined {
    const refs = assetRefs(scene);
    if (refs.length === 0) return undefined;
    const out: PageAssets = {};
    for (const ref of refs) {
      const obstacle = /^obstacles\[(\d+)\]/.exec(ref.field);
      const model = ref.field === 'target.model.file' ? scene.target.model : obstacle ? scene.obstacles[Number(obstacle[1])]?.model : undefined;
      const r = this.read(scene, ref, model);
      if (ref.kind === 'image') {
        if (ref.field === 'appearance.floor.image') out.floor = r.url;
        else out.walls = r.url;
        continue;
      }
      const pm: PageModel = { url: r.url, deps: r.deps, centre: r.placement!.centre, minZ: r.placement!.minZ, scale: model!.scale, yaw: model!.yaw };
      if (obstacle) (out.obstacles ??= {})[Number(obstacle[1])] = pm;
      else out.target = pm;
    }
    return out;
  }

  private read(scene: Scene, ref: AssetRef, model?: { scale: number; yaw: number }): Read {
    // A loaded suite holds absolute paths; a scene made in code may hold paths relative to the cwd.
    const abs = resolve(ref.path);
    let stamp = 'missing';
    try {
      const st = statSync(abs);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      // readAsset reports it
    }
    const key = [ref.kind, abs, stamp, model?.scale ?? '', model?.yaw ?? ''].join('|');
    const hit = this.cache.get(key);
    if (hit) return hit;
    let a: ReturnType<typeof readAsset>;
    try {
      a = readAsset(ref, abs, model);
    } catch (e) {
      if (e instanceof AssetError) throw new ConfigError(`scene "${scene.id}": ${ref.field}: ${e.message}`, 'Load scenes with assets through a suite file (paths relative to it), or give absolute paths.');
      throw e;
    }
    const main = a.files[0]!;
    const deps: Record<string, string> = {};
    for (const [uri, f] of Object.entries(a.deps)) deps[uri] = this.server.addAsset(f.sha256, f.ext, f.bytes);
    const r: Read = { url: this.server.addAsset(main.sha256, main.ext, main.bytes), deps, ...(a.placement ? { placement: a.placement } : {}) };
    this.cache.set(key, r);
    return r;
  }
}
