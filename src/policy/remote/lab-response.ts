/**
 * A lab server's /predict response → what the episode executes (shared LAB.md §1). Which action
 * field wins: `action_3d` (stage2_v2: [vx, vy, wz]) when present, else `action` (2 numbers by the
 * documented contract, 3 on the MoNaVLA server), else `actions` (a chunk, the MoNa-pi server).
 * Every other field is what the server said about the step (predicted_label, stop_latched,
 * goal_near_proxy, bbox, latency_ms…): it goes with the step into the trace.
 */
import { finite, snippet } from './common';

export interface LabAnswer {
  action?: number[];
  actions?: number[][];
  /** stop_latched: true — the server holds STOP until its next /reset. */
  stop: boolean;
  info: Record<string, unknown>;
  /** latency_ms: the server's own compute time. */
  serverMs?: number;
}

const ACTION_FIELDS = ['action_3d', 'action', 'actions'] as const;

const isVector = (v: unknown, sizes: readonly number[]): v is number[] => Array.isArray(v) && sizes.includes(v.length) && v.every((x) => finite(x) !== undefined);

const show = (v: unknown) => snippet(JSON.stringify(v) ?? String(v), 80);

/** Parses a response body; an error names the field that is missing or malformed. */
export function parseLabResponse(text: string): LabAnswer | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: `response is not JSON: ${JSON.stringify(snippet(text))}` };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { error: `response is not a JSON object: ${show(json)}` };
  const o = json as Record<string, unknown>;
  const info = Object.fromEntries(Object.entries(o).filter(([k]) => !(ACTION_FIELDS as readonly string[]).includes(k)));
  const stop = o.stop_latched === true;
  const serverMs = finite(o.latency_ms);
  const base = { stop, info, ...(serverMs !== undefined ? { serverMs } : {}) };
  if (o.action_3d !== undefined && o.action_3d !== null) {
    if (!isVector(o.action_3d, [3])) return { error: `response field "action_3d" is not 3 finite numbers [vx, vy, wz]: ${show(o.action_3d)}` };
    return { ...base, action: o.action_3d };
  }
  if (o.action !== undefined && o.action !== null) {
    if (!isVector(o.action, [2, 3])) return { error: `response has no finite "action": expected 2 or 3 numbers [lx, ly(, az)], got ${show(o.action)}` };
    return { ...base, action: o.action };
  }
  if (o.actions !== undefined && o.actions !== null) {
    const a = o.actions;
    if (!Array.isArray(a) || a.length === 0) return { error: `response field "actions" is not a non-empty list of actions: ${show(a)}` };
    const dims = Array.isArray(a[0]) ? (a[0] as unknown[]).length : 0;
    const bad = a.findIndex((row) => !isVector(row, [2, 3]) || row.length !== dims);
    if (bad >= 0) return { error: `response field "actions"[${bad}] is not ${dims === 2 || dims === 3 ? dims : '2 or 3'} finite numbers: ${show(a[bad])}` };
    return { ...base, actions: a as number[][] };
  }
  return { error: `response has none of "action_3d", "action", "actions" (fields: ${Object.keys(o).join(', ') || 'none'})` };
}
