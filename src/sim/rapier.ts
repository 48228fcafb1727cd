import RAPIER from '@dimforge/rapier3d-compat';

let ready: Promise<typeof RAPIER> | undefined;

/** Rapier's WASM must be initialised once per process before any world is built. */
export function loadRapier(): Promise<typeof RAPIER> {
  ready ??= RAPIER.init().then(() => RAPIER);
  return ready;
}

export type Rapier = typeof RAPIER;
