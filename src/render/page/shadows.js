// Cheaper soft shadows. three's PCFShadowMap takes 17 taps of the (RGBA-packed, nearest-filtered)
// shadow map per fragment and light, which on SwiftShader cost ~5 ms of a 224² frame. This swaps
// in bilinear PCF: the 4 nearest texels, compared and blended by the fragment's position between
// them. Edges stay soft (one shadow-map texel wide), for a quarter of the taps. Applied once, before
// any shader is compiled; throws if three's shader chunk no longer has the expected shape.
import * as THREE from 'three';

const PCF_START = '#if defined( SHADOWMAP_TYPE_PCF )';
const PCF_END = ') * ( 1.0 / 17.0 );';

const BILINEAR_PCF = `#if defined( SHADOWMAP_TYPE_PCF )

			// simgate: bilinear PCF (4 taps) instead of three's 17.
			vec2 texelSize = vec2( 1.0 ) / shadowMapSize;
			vec2 st = shadowCoord.xy * shadowMapSize - 0.5;
			vec2 f = fract( st );
			vec2 c = ( floor( st ) + 0.5 ) * texelSize;
			float s00 = texture2DCompare( shadowMap, c, shadowCoord.z );
			float s10 = texture2DCompare( shadowMap, c + vec2( texelSize.x, 0.0 ), shadowCoord.z );
			float s01 = texture2DCompare( shadowMap, c + vec2( 0.0, texelSize.y ), shadowCoord.z );
			float s11 = texture2DCompare( shadowMap, c + texelSize, shadowCoord.z );
			shadow = mix( mix( s00, s10, f.x ), mix( s01, s11, f.x ), f.y );`;

let installed = false;

export function installBilinearPcf() {
  if (installed) return;
  const src = THREE.ShaderChunk.shadowmap_pars_fragment;
  const a = src.indexOf(PCF_START);
  const b = a < 0 ? -1 : src.indexOf(PCF_END, a);
  if (a < 0 || b < 0) throw new Error(`simgate page: three r${THREE.REVISION} shadowmap_pars_fragment has no 17-tap PCF block to replace`);
  THREE.ShaderChunk.shadowmap_pars_fragment = src.slice(0, a) + BILINEAR_PCF + src.slice(b + PCF_END.length);
  installed = true;
}
