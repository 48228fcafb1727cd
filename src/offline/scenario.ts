/**
 * The scenario of an episode, from the lab's file-name patterns (LAB.md §2; the collectors in the
 * lab's public repos minuum/vla, minuum/MoNaVLA, minuum/EdgeGroundVLA name files this way):
 *
 *   V1–V4  episode_20251203_042905_1box_hori_left_core_medium.h5
 *   V5     episode_260506_214859_target_right_left_path__core__fixed_right.h5
 *          episode_260506_214859_free_left__tag__pattern__far_left.h5
 *   V6     episode_20260716_105343_strong_left_straight.h5
 *
 * The file name only names the scenario; the schema is always detected from keys and attributes.
 */

/** The five V6 start positions (the basket's frame-0 cx), which are also simgate's basket families. */
export const POSITIONS = ['strong_left', 'weak_left', 'center', 'weak_right', 'strong_right'] as const;
export type Position = (typeof POSITIONS)[number];
export const isPosition = (s: string): s is Position => (POSITIONS as readonly string[]).includes(s);

export interface Scenario {
  /** Grouping key for per-scenario tables ("1box_hori_left_core_medium", "right_left", "strong_left_straight"). */
  key: string;
  /** Which naming pattern matched ("v1", "v5", "v5-free", "v6") or "attrs"/"unknown". */
  pattern: string;
  /** Side the instruction asks for (V1–V4: around the box on the left/right), when the name says. */
  side?: 'left' | 'right';
  /** V6 start position (simgate family), when known. */
  position?: Position;
  fields: Record<string, string>;
}

const V1 = /^episode_\d{8}_\d{6}_(1box|2box)_(hori|vert)_(left|right)_(core|variant)_(close|medium|far)$/;
const V5 = /^episode_\d{6}_\d{6}_target_(left|center|right)_(left|straight|right)_path__([a-z]+)__([a-z]+)_(left|center|right)$/;
const V5_FREE = /^episode_\d{6,8}_\d{6}_free_(left|center|right)__(.+?)__(.+?)__(.+?)_(left|center|right)$/;
const V6 = /^episode_\d{8}_\d{6}_(strong_left|weak_left|center|weak_right|strong_right)_(left_curve|straight|right_curve)$/;

/** The scenario from a file's base name (with or without .h5), falling back to its attributes. */
export function parseScenario(fileName: string, attrs: Record<string, unknown> = {}): Scenario {
  const stem = fileName.replace(/^.*[\\/]/, '').replace(/\.(h5|hdf5)$/i, '');
  let m = V1.exec(stem);
  if (m) {
    const [, boxes, layout, side, pattern, distance] = m as unknown as string[];
    return { key: `${boxes}_${layout}_${side}_${pattern}_${distance}`, pattern: 'v1', side: side as 'left' | 'right', fields: { boxes: boxes!, layout: layout!, side: side!, pattern: pattern!, distance: distance! } };
  }
  m = V5.exec(stem);
  if (m) {
    const [, target, path, pattern, fixed, end] = m as unknown as string[];
    return { key: `${target}_${path}`, pattern: 'v5', fields: { target: target!, path: path!, pattern: pattern!, fixed: fixed!, end: end! } };
  }
  m = V5_FREE.exec(stem);
  if (m) {
    const [, start, tag, pattern, distance, end] = m as unknown as string[];
    return { key: `free_${start}`, pattern: 'v5-free', fields: { start: start!, tag: tag!, pattern: pattern!, distance: distance!, end: end! } };
  }
  m = V6.exec(stem);
  if (m) {
    const [, position, path] = m as unknown as string[];
    return { key: `${position}_${path}`, pattern: 'v6', position: position as Position, fields: { position: position!, path: path! } };
  }
  // Not one of the lab's names (renamed, or a simgate export of a family that is not a position):
  // the V6 attributes, then V5's, say what the scenario was.
  const cx = typeof attrs.cx_position === 'string' ? attrs.cx_position : undefined;
  const cxPath = typeof attrs.cx_path === 'string' ? attrs.cx_path : undefined;
  if (cx) return { key: cxPath ? `${cx}_${cxPath}` : cx, pattern: 'attrs', ...(isPosition(cx) ? { position: cx } : {}), fields: { position: cx, ...(cxPath ? { path: cxPath } : {}) } };
  if (typeof attrs.scenario === 'string' && attrs.scenario) return { key: attrs.scenario, pattern: 'attrs', fields: { scenario: attrs.scenario } };
  return { key: 'unknown', pattern: 'unknown', fields: {} };
}
