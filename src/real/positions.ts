/**
 * The lab's names for where a real trial started → simgate's basket families (the five positions
 * of scenes/lab-basket-v1.json, defined as the lab defines them: where the basket appears in the
 * first frame, cx = 0.10 / 0.20 / 0.50 / 0.80 / 0.90).
 *
 * | lab name (trial log `경로`)                 | family       | match       | why |
 * |---------------------------------------------|--------------|-------------|-----|
 * | trackA_<position>, trackF_<position>[_path] | <position>   | exact       | the V6 tracks name the position itself |
 * | <position>_<path> (V6 scenario)             | <position>   | exact       | same |
 * | obj_left / obj_right                        | strong_left / strong_right | approximate | the lab's real tests of the extreme positions (EdgeGroundVLA docs/DATASET_V6_STATUS.md calls obj_right "극단 우측", extreme right) |
 * | obj_center                                  | center       | exact       | basket straight ahead |
 * | left_<path> / right_<path> (V5 target_*)    | weak_left / weak_right | approximate | V5 targets covered cx 0.24–0.74, the nearest of the five positions |
 * | center_<path>                               | center       | exact       | |
 *
 * Anything else is unmapped: counted in the checkpoint's overall real success, not per position.
 */
import { POSITIONS, isPosition, type Position } from '../offline/scenario';

export { POSITIONS, type Position };

export interface PositionMatch {
  family: Position;
  match: 'exact' | 'approximate';
  rule: string;
}

const PATHS = '(?:left_curve|straight|right_curve|left|right)';

export function mapPosition(name: string, overrides: Readonly<Record<string, string>> = {}): PositionMatch | null {
  const raw = name.trim();
  const over = overrides[raw];
  if (over !== undefined) return isPosition(over) ? { family: over, match: 'exact', rule: `--map ${raw}=${over}` } : null;
  const s = raw.toLowerCase();
  let m = /^track[a-z]_(strong_left|weak_left|center|weak_right|strong_right)(?:_.*)?$/.exec(s);
  if (m) return { family: m[1] as Position, match: 'exact', rule: 'track<X>_<position>' };
  m = new RegExp(`^(strong_left|weak_left|center|weak_right|strong_right)(?:_${PATHS})?$`).exec(s);
  if (m) return { family: m[1] as Position, match: 'exact', rule: '<position>[_<path>]' };
  m = /^obj_(left|center|right)$/.exec(s);
  if (m) return m[1] === 'center' ? { family: 'center', match: 'exact', rule: 'obj_center' } : { family: `strong_${m[1]}` as Position, match: 'approximate', rule: `obj_${m[1]} (the extreme position)` };
  m = new RegExp(`^(left|center|right)_${PATHS}$`).exec(s);
  if (m) return m[1] === 'center' ? { family: 'center', match: 'exact', rule: 'center_<path> (V5)' } : { family: `weak_${m[1]}` as Position, match: 'approximate', rule: `${m[1]}_<path> (V5 target, cx 0.24–0.74)` };
  return null;
}

/** The mapping table, for docs and `simgate real --help`. */
export const POSITION_MAPPING_DOC = `lab name (trial log 경로)              → simgate family (scenes/lab-basket-v1.json)
  trackA_<pos>, trackF_<pos>[_path], <pos>_<path>  → <pos>                  exact
  obj_left / obj_right                     → strong_left / strong_right  approximate (the lab's extreme-position tests)
  obj_center, center_<path>                → center                      exact
  left_<path> / right_<path> (V5 targets)  → weak_left / weak_right      approximate (V5 covered cx 0.24–0.74)
  anything else                            → unmapped (overall only); --map name=family to add one
  (<pos> = ${POSITIONS.join(' | ')})`;
