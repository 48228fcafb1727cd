import type { ActResult } from '../policy/types';
import type { RobotProfile } from '../sim/profile';

/** An action to execute this tick, and where it came from. */
export interface TickCommand {
  action: number[];
  /** Held (or coasting) while the policy computes: not a new decision, so never a STOP. */
  hold: boolean;
  stop?: boolean;
  info?: Record<string, unknown>;
}

/**
 * Robot-time latency of a policy's answers, in held control: a fixed or repeating pattern of
 * milliseconds (deterministic), or the measured wall-clock time of each call (not
 * deterministic: rows then carry `measuredLatency`).
 */
export type LatencyModel = { kind: 'none' } | { kind: 'pattern'; ms: readonly number[] } | { kind: 'measured' };

/**
 * One episode's command schedule: when the policy is asked, when its answer takes effect, what
 * the robot does meanwhile. Each control tick:
 * 1. an answer whose time has come joins the queue (a chunk queues its first `execute` actions);
 * 2. with nothing queued and nothing pending, the policy is asked with this tick's frame;
 *    an answer that takes d = ⌈latency / tick⌉ ticks arrives at tick t + d (d = 0: executed now) —
 *    so with latency the policy sees one frame per d + 1 ticks (a tick to grab the next frame);
 * 3. the tick executes the next queued action; else, in `held` control, the robot keeps executing
 *    the last one (the lab's V6 loop re-publishes it) until `coastSeconds` pass without a new one,
 *    then brakes (COAST); in `pulse` control the robot waits for the answer (latency is 0).
 * With no latency and no chunks this is exactly one query and one action per tick.
 */
export class SlotControl {
  private readonly queue: TickCommand[] = [];
  private pending?: { items: TickCommand[]; at: number };
  private last?: number[];
  private lastAt = 0;
  private tick = 0;
  private queries = 0;
  private readonly tickMs: number;
  private readonly coastTicks: number;
  private readonly held: boolean;

  constructor(
    profile: RobotProfile,
    private readonly latency: LatencyModel,
    private readonly execute: number | undefined,
  ) {
    this.held = profile.control.mode === 'held';
    this.tickMs = 1000 / profile.control.rateHz;
    this.coastTicks = Math.round((profile.control.coastSeconds * 1000) / this.tickMs);
  }

  /** Step 1; then true when the policy must be asked with this tick's frame (step 2). */
  wantsQuery(): boolean {
    if (this.pending && this.pending.at <= this.tick) {
      this.queue.push(...this.pending.items);
      this.pending = undefined;
    }
    return !this.queue.length && !this.pending;
  }

  /** The policy's answer to this tick's query; `callMs` is the call's wall-clock time (measured latency). */
  receive(result: Exclude<ActResult, { error: string }>, callMs: number): void {
    const stop = result.stop === true;
    const info = result.info;
    const actions = 'actions' in result ? result.actions.slice(0, Math.max(1, this.execute ?? result.actions.length)) : [result.action];
    const items: TickCommand[] = actions.map((action, i) => ({ action, hold: false, ...(stop && i === 0 ? { stop } : {}), ...(info && i === 0 ? { info } : {}) }));
    const ms = this.held ? this.latencyMs(callMs) : 0;
    this.queries++;
    const d = Math.ceil(ms / this.tickMs - 1e-9);
    if (d <= 0) this.queue.push(...items);
    else this.pending = { items, at: this.tick + d };
  }

  private latencyMs(callMs: number): number {
    const m = this.latency;
    if (m.kind === 'measured') return callMs;
    if (m.kind === 'pattern' && m.ms.length) return m.ms[this.queries % m.ms.length]!;
    return 0;
  }

  /** Step 3: what the robot executes this tick; then the clock advances. */
  next(): TickCommand {
    const t = this.tick++;
    const c = this.queue.shift();
    if (c) {
      this.last = c.stop ? [0, 0, 0] : c.action;
      this.lastAt = t;
      return c.stop ? { ...c, action: [0, 0, 0] } : c;
    }
    if (this.held && this.last && t - this.lastAt < this.coastTicks) return { action: this.last, hold: true };
    return { action: [0, 0, 0], hold: true };
  }
}

/** The latency model of a scene (its `cadence`) or the run (config `latency`). */
export function latencyModel(sceneCadence: { latencyMs: readonly number[] } | undefined, runLatency: number | readonly number[] | 'measured' | undefined): LatencyModel {
  if (sceneCadence?.latencyMs.length) return { kind: 'pattern', ms: sceneCadence.latencyMs };
  if (runLatency === 'measured') return { kind: 'measured' };
  if (typeof runLatency === 'number') return runLatency > 0 ? { kind: 'pattern', ms: [runLatency] } : { kind: 'none' };
  if (Array.isArray(runLatency) && runLatency.length) return { kind: 'pattern', ms: runLatency };
  return { kind: 'none' };
}
