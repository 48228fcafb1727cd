import type { Action } from '../sim/world';

/**
 * The lab's 8 action classes (their loader, servers and kinematic sim share the mapping):
 * 0 STOP, 1 FORWARD, 2 LEFT, 3 RIGHT, 4 FWD+L, 5 FWD+R, 6 ROT_L, 7 ROT_R, with a translation
 * component counting when |x| or |y| > 0.3 and a rotation when |az| > 0.1. Backward moves (the
 * 9-class variant) are BACKWARD; their diagonals fold into it.
 */
export const ACTION_CLASSES = ['STOP', 'FORWARD', 'LEFT', 'RIGHT', 'FWD_L', 'FWD_R', 'ROT_L', 'ROT_R', 'BACKWARD'] as const;
export type ActionClass = (typeof ACTION_CLASSES)[number];

export const CLASS_THRESHOLDS = { translation: 0.3, rotation: 0.1 } as const;

export function actionClass(a: Action): ActionClass {
  const x = a[0] ?? 0;
  const y = a[1] ?? 0;
  const az = a[2] ?? 0;
  const fx = x > CLASS_THRESHOLDS.translation ? 1 : x < -CLASS_THRESHOLDS.translation ? -1 : 0;
  const fy = y > CLASS_THRESHOLDS.translation ? 1 : y < -CLASS_THRESHOLDS.translation ? -1 : 0;
  if (fx < 0) return 'BACKWARD';
  if (fx > 0) return fy > 0 ? 'FWD_L' : fy < 0 ? 'FWD_R' : 'FORWARD';
  if (fy !== 0) return fy > 0 ? 'LEFT' : 'RIGHT';
  if (az > CLASS_THRESHOLDS.rotation) return 'ROT_L';
  if (az < -CLASS_THRESHOLDS.rotation) return 'ROT_R';
  return 'STOP';
}
