/**
 * Photos and glTF images for the WebGPU renderer. Node has no <img> or ImageBitmap that Dawn can
 * upload, so images are decoded here (pngjs, jpeg-js) and handed to three.js as DataTextures.
 */
import { resolveObjectURL } from 'node:buffer';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import * as THREE from 'three/webgpu';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** PNG or JPEG bytes → RGBA8, rows top first. */
export function decodeImage(bytes: Uint8Array, where: string): Rgba {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) {
    const png = PNG.sync.read(b);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    const img = jpeg.decode(b, { useTArray: true, formatAsRGBA: true });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error(`${where}: only PNG and JPEG images can be decoded by the webgpu renderer (use --renderer chromium for other formats)`);
}

/** Rows in reverse order (a copy). */
function flipRows(img: Rgba): Uint8Array {
  const row = img.width * 4;
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray(y * row, (y + 1) * row), (img.height - 1 - y) * row);
  return out;
}

/**
 * An image as a texture that looks like three's TextureLoader result in WebGL (flipY = true: the
 * image's top row at v = 1). The rows are flipped here, since the upload path of a DataTexture
 * in the WebGPU backend is not the one that honours flipY.
 */
export function photoTexture(img: Rgba): THREE.DataTexture {
  const tex = new THREE.DataTexture(flipRows(img), img.width, img.height, THREE.RGBAFormat);
  tex.flipY = false;
  return tex;
}

/** Bytes behind a URL: http(s) and data: through fetch, blob: (glTF's embedded images) from memory. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  if (url.startsWith('blob:')) {
    const blob = resolveObjectURL(url);
    if (!blob) throw new Error(`${url}: no such blob`);
    return new Uint8Array(await blob.arrayBuffer());
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * A loader for GLTFLoader's images (installed as the parser's textureLoader): decodes in Node and
 * gives a DataTexture with the image's rows as they are (glTF textures have flipY = false).
 */
export const gltfImageLoader = {
  load(url: string, onLoad: (t: THREE.Texture) => void, _onProgress: unknown, onError: (e: unknown) => void): void {
    fetchBytes(url).then(
      (bytes) => {
        try {
          const img = decodeImage(bytes, url.startsWith('blob:') ? 'an embedded glTF image' : url);
          const tex = new THREE.DataTexture(img.data, img.width, img.height, THREE.RGBAFormat);
          tex.needsUpdate = true;
          onLoad(tex);
        } catch (e) {
          onError(e);
        }
      },
      onError,
    );
  },
  setCrossOrigin() {
    return this;
  },
  setRequestHeader() {
    return this;
  },
};
