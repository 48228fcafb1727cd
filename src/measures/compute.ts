import { NAVIGATION_MEASURES } from './navigation';
import { STOP_MEASURES } from './stop';
import { FAILURE_MEASURES } from './failure';
import type { Measure, MeasureContext, MeasureValue } from './types';

/** Order measures so that each comes after its dependencies; unknown or cyclic deps throw. */
export function orderMeasures(measures: readonly Measure[]): Measure[] {
  const byName = new Map(measures.map((m) => [m.name, m]));
  const out: Measure[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: Measure, path: string[]) => {
    if (state.get(m.name) === 'done') return;
    if (state.get(m.name) === 'visiting') throw new Error(`measure dependency cycle: ${[...path, m.name].join(' → ')}`);
    state.set(m.name, 'visiting');
    for (const d of m.deps) {
      const dep = byName.get(d);
      if (!dep) throw new Error(`measure "${m.name}" depends on unknown measure "${d}"`);
      visit(dep, [...path, m.name]);
    }
    state.set(m.name, 'done');
    out.push(m);
  };
  for (const m of measures) visit(m, []);
  return out;
}

/** Every measure simgate computes per episode. */
export const ALL_MEASURES = [...NAVIGATION_MEASURES, ...STOP_MEASURES, ...FAILURE_MEASURES];

const DEFAULT_ORDER = orderMeasures(ALL_MEASURES);

export function computeMeasures(ctx: MeasureContext, measures: readonly Measure[] = DEFAULT_ORDER): Record<string, MeasureValue> {
  const values: Record<string, MeasureValue> = {};
  for (const m of measures) values[m.name] = m.compute(ctx, values);
  return values;
}
