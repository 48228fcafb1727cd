// User assets in the page: glTF/GLB models (three's GLTFLoader) and floor/wall photos
// (TextureLoader). Node serves each file at /assets/<sha256>.<ext> and says where; the page
// fetches nothing else (a model's own external files are mapped to their served URLs, anything
// else fails the load). Loads are cached by URL and awaited before a scene is built, so frames do
// not depend on load timing.
import * as THREE from 'three';

const textures = new Map();
const models = new Map();
let loaders = null;

// What differs where this module runs. The browser page uses three's loaders as they are; the
// WebGPU renderer in Node (src/render/webgpu/) has no <img> and no workers, so it decodes images
// itself and turns a model's image textures into data textures (setLoaderHooks).
const hooks = {
  /** url → Promise<Texture> of the decoded photo. */
  imageTexture: (url) => new THREE.TextureLoader().loadAsync(url),
  /** A loaded glTF scene → the scene to use (e.g. its textures re-made for the renderer). */
  adaptModel: (scene) => scene,
  /** Called with each new GLTFLoader (e.g. to register a plugin that loads its images). */
  configureGltf: (loader) => loader,
  /** Where the Draco decoder lives (null: Draco-compressed models cannot be loaded here). */
  dracoPath: '/addons/libs/draco/',
};

export function setLoaderHooks(h) {
  Object.assign(hooks, h);
}

/** GLTFLoader and the decoders it may need, imported on first use (most runs have no models). */
function gltfModules() {
  loaders ??= Promise.all([
    import('three/addons/loaders/GLTFLoader.js'),
    import('three/addons/loaders/DRACOLoader.js'),
    import('three/addons/libs/meshopt_decoder.module.js'),
  ]).then(([g, d, m]) => {
    let draco = null;
    if (hooks.dracoPath) {
      draco = new d.DRACOLoader();
      draco.setDecoderPath(hooks.dracoPath);
    }
    return { GLTFLoader: g.GLTFLoader, draco, meshopt: m.MeshoptDecoder };
  });
  return loaders;
}

function loadError(url, e) {
  const why = e && e.message ? e.message : e && e.target && e.target.status ? `HTTP ${e.target.status}` : String(e);
  return new Error(`simgate page: could not load ${url}: ${why}`);
}

/** A photo as a repeating sRGB texture (shared by every scene that uses it). */
export function loadTexture(url) {
  let p = textures.get(url);
  if (!p) {
    p = hooks.imageTexture(url).then(
      (tex) => {
        tex.colorSpace = THREE.SRGBColorSpace;
        tex.wrapS = tex.wrapT = THREE.RepeatWrapping;
        tex.magFilter = THREE.LinearFilter;
        tex.minFilter = THREE.LinearMipmapLinearFilter;
        tex.generateMipmaps = true;
        tex.anisotropy = 1;
        tex.needsUpdate = true;
        return tex;
      },
      (e) => {
        textures.delete(url);
        throw loadError(url, e);
      },
    );
    textures.set(url, p);
  }
  return p;
}

const DEP = 'simgate-dep:';

/** The parsed glTF scene of a model (shared; callers clone it). */
function loadGltf(pm) {
  let p = models.get(pm.url);
  if (!p) {
    p = gltfModules().then(({ GLTFLoader, draco, meshopt }) => {
      const manager = new THREE.LoadingManager();
      // Only the model itself, its declared external files, and inline (data:/blob:) data.
      manager.setURLModifier((url) => {
        if (url === pm.url || /^(data|blob):/.test(url)) return url;
        if (url.startsWith(DEP)) {
          const mapped = pm.deps[url.slice(DEP.length)];
          if (mapped) return mapped;
        }
        return '/assets/refused'; // a 404: the load fails
      });
      const loader = new GLTFLoader(manager);
      loader.setResourcePath(DEP);
      if (draco) loader.setDRACOLoader(draco);
      hooks.configureGltf(loader);
      loader.setMeshoptDecoder(meshopt);
      return loader.loadAsync(pm.url).then(
        (gltf) => {
          if (!gltf.scene) throw new Error('the model has no scene');
          return hooks.adaptModel(gltf.scene);
        },
        (e) => {
          models.delete(pm.url);
          throw loadError(pm.url, e);
        },
      );
    });
    models.set(pm.url, p);
  }
  return p;
}

/**
 * A model ready to place at an object's pose: glTF's y-up turned to z-up (+90° about x), scaled,
 * turned by its yaw, and moved so its bounds (measured in Node, src/scene/assets.ts) sit centred
 * on the object's footprint with the bottom on the floor. Geometry and materials are shared
 * between scenes (marked so disposeScene leaves them); lights and cameras in the file are dropped.
 */
export async function loadModel(pm) {
  const src = await loadGltf(pm);
  const inner = src.clone(true);
  const drop = [];
  inner.traverse((o) => {
    if (o.isLight || o.isCamera) drop.push(o);
    if (o.isMesh) o.userData.simgateShared = true;
  });
  for (const o of drop) o.removeFromParent();
  inner.rotation.set(Math.PI / 2, 0, pm.yaw, 'ZYX'); // Rz(yaw) · Rx(90°)
  inner.scale.setScalar(pm.scale);
  inner.position.set(-pm.centre[0], -pm.centre[1], -pm.minZ);
  return new THREE.Group().add(inner);
}

/** Everything a scene's assets need, loaded: { floor, walls, target, obstacles: {i: model} }. */
export async function loadSceneAssets(assets) {
  if (!assets) return { obstacles: {} };
  const jobs = [];
  const out = { obstacles: {} };
  if (assets.floor) jobs.push(loadTexture(assets.floor).then((t) => (out.floor = t)));
  if (assets.walls) jobs.push(loadTexture(assets.walls).then((t) => (out.walls = t)));
  if (assets.target) jobs.push(loadModel(assets.target).then((m) => (out.target = m)));
  for (const [i, pm] of Object.entries(assets.obstacles ?? {})) jobs.push(loadModel(pm).then((m) => (out.obstacles[i] = m)));
  await Promise.all(jobs);
  return out;
}
