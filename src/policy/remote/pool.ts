/**
 * A pool of policy servers behind one Policy: the part the lab's HTTP servers (http-policy.ts) and
 * openpi's websocket servers (openpi-policy.ts) share, kept in one place so that the two cannot
 * drift apart. Slot i of the batch talks to server i (a stateful server runs one episode at a
 * time) or round-robin (stateless servers); one request queue per server; the latencies; a row
 * gets {error: "remote_error: <url>: …"} instead of a thrown error, with the API key masked; a key
 * refused during the run fails every later call. The wire protocol (checks at load, encoding,
 * requests, replies) is the subclass's.
 */
import type { Frame } from '../../image/frame';
import type { EpisodeSpec } from '../../sim/episode';
import type { Observation } from '../../sim/observation';
import type { ActionMode } from '../../sim/world';
import { ConfigError } from '../../util/errors';
import { LatencyRecorder, type LatencyReporting, type LatencyStats } from '../latency';
import type { RemotePolicySpec } from '../spec';
import type { ActResult, Policy, PolicyInfo } from '../types';
import { readApiKey, Redactor, SerialQueue } from './common';

/** One server of a pool. */
export class PoolServer {
  readonly queue = new SerialQueue();
  /** Has answered a request (later calls use the normal timeout, not firstTimeoutMs). */
  warm = false;
  health?: unknown;
  constructor(
    readonly url: string,
    /** Keeps per-episode state: runs one episode at a time, one request at a time. */
    public stateful: boolean,
  ) {}
}

/** Where a slot's requests go. */
export interface PoolSlot<S extends PoolServer> {
  server?: S;
  /** Why this slot cannot run (more slots than servers in a stateful pool). */
  error?: string;
  /** Awaited before each request where set (the lab's POST /reset): an error message, or undefined. */
  ready?: Promise<string | undefined>;
}

/** An observation that has its camera frame (checked before a subclass's request). */
export type FramedObservation = Observation & { image: Frame };

/** What every pool's options share. */
interface PoolOptions {
  url: string | readonly string[];
  name: string;
  timeoutMs?: number;
  firstTimeoutMs?: number;
  retries?: number;
  apiKeyEnv?: string;
  warn?: (line: string) => void;
}

/** The settings both policies resolve alike (only their default timeout differs). */
export function poolSettings(opts: PoolOptions, defaultTimeoutMs: number) {
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
  return {
    name: opts.name,
    timeoutMs,
    // The first request may take longer (cold grounding, openpi's first compile), never shorter.
    firstTimeoutMs: Math.max(timeoutMs, opts.firstTimeoutMs ?? timeoutMs),
    retries: opts.retries ?? 1,
    warn: opts.warn ?? ((line: string): void => void process.stderr.write(`${line}\n`)),
    ...(opts.apiKeyEnv ? { apiKeyEnv: opts.apiKeyEnv } : {}),
  };
}

/** The spec fields both server kinds have (OpenpiPolicySpec has them too, with its own defaults). */
type PoolSpec = Pick<RemotePolicySpec, 'name' | 'variant' | 'timeoutMs' | 'firstTimeoutMs' | 'retries' | 'stateless' | 'actionMode' | 'scale' | 'clamp' | 'imageSize' | 'apiKeyEnv' | 'chunk' | 'budgetMs'>;

/** Those fields as constructor options; each *OptionsFromSpec adds its URL field and its own. */
export function poolOptionsFromSpec(s: PoolSpec, extra: { warn?: (line: string) => void }) {
  return {
    name: s.name,
    variant: s.variant,
    timeoutMs: s.timeoutMs,
    firstTimeoutMs: s.firstTimeoutMs,
    retries: s.retries,
    stateless: s.stateless,
    actionMode: s.actionMode,
    scale: s.scale,
    clamp: s.clamp,
    ...(s.imageSize ? { imageSize: s.imageSize } : {}),
    ...(s.apiKeyEnv ? { apiKeyEnv: s.apiKeyEnv } : {}),
    ...(s.chunk ? { chunk: s.chunk } : {}),
    ...(s.budgetMs !== undefined ? { budgetMs: s.budgetMs } : {}),
    ...(extra.warn ? { warn: extra.warn } : {}),
  };
}

/** What describe() records for every pool; `endpoint` is appended to the first URL in details.url. */
interface PoolDescription {
  kind: 'remote' | 'openpi';
  name: string;
  variant?: string;
  actionMode?: ActionMode;
  budgetMs?: number;
  chunk?: { execute: number };
  endpoint?: string;
  timeoutMs: number;
  firstTimeoutMs: number;
  retries: number;
  apiKeyEnv?: string;
  stateless: boolean;
}

export abstract class ServerPool<S extends PoolServer, Slot extends PoolSlot<S>> implements Policy, LatencyReporting {
  abstract readonly info: PolicyInfo;
  readonly servers: readonly S[];
  protected readonly apiKey: string | undefined;
  protected readonly redact: Redactor;
  protected readonly slots = new Map<number, Slot>();
  protected readonly latency = new LatencyRecorder();
  protected readonly serverLatency = new LatencyRecorder();
  /** Aborted by close(): requests still in flight stop, later calls fail fast. */
  protected readonly closing = new AbortController();
  /** Set by the first refused API key during the run: every later call fails fast with it. */
  protected authFailure?: string;

  protected constructor(opts: PoolOptions, server: (url: string) => S) {
    const urls = (typeof opts.url === 'string' ? [opts.url] : [...opts.url]).map((u) => u.replace(/\/+$/, ''));
    if (!urls.length) throw new ConfigError(`policy "${opts.name}": no server URL`);
    this.apiKey = readApiKey(opts.apiKeyEnv, opts.name);
    this.redact = new Redactor(this.apiKey);
    this.servers = urls.map(server);
  }

  abstract begin(slot: number, episode: EpisodeSpec): void | Promise<void>;

  /** Checks every server at load (health, API key…); a refused key throws a ConfigError. */
  protected abstract checkServers(): Promise<void>;

  /** The state of a new slot, from the server it was given or why it has none. */
  protected abstract slotState(assigned: { server: S } | { error: string }): Slot;

  /** One request for a slot whose server is ready and whose observation has its frame. */
  protected abstract request(st: Slot, server: S, obs: FramedObservation): Promise<ActResult>;

  /** Load-time checks (checkServers), recorded in info.details. */
  async init(): Promise<this> {
    try {
      await this.checkServers();
    } catch (e) {
      // A refused key: stop what the other servers' checks still have in flight or open.
      await this.close();
      throw e;
    }
    const d = this.info.details as Record<string, unknown>;
    d.health = this.perServer((s) => s.health);
    this.checked(d);
    return this;
  }

  /** After checks that passed: what else they found. */
  protected checked(_details: Record<string, unknown>): void {}

  async act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    return Promise.all(batch.map(({ slot, obs }) => this.actOne(slot, obs)));
  }

  latencyStats(): LatencyStats {
    return this.latency.stats();
  }

  /** Latency the servers reported (the lab's latency_ms, openpi's infer_ms), for rows that reported it. */
  serverLatencyStats(): LatencyStats {
    return this.serverLatency.stats();
  }

  /** Most requests one server ever had in flight at once (1 for a stateful server). */
  maxInFlightPerServer(): number {
    return Math.max(...this.servers.map((s) => s.queue.maxInFlight));
  }

  async close(): Promise<void> {
    // Requests still in flight (an abandoned episode) must not keep the process alive.
    this.closing.abort();
  }

  protected get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** One value for a pool of one, else one per server: how info.details records a pool. */
  protected perServer(value: (s: S) => unknown): unknown {
    return this.servers.length === 1 ? value(this.servers[0]!) : this.servers.map(value);
  }

  /**
   * PolicyInfo with what every pool records: the pool, its timeouts, retries, key variable and
   * latencies; `own` (the protocol's settings) goes in the middle of details.
   */
  protected describe(p: PoolDescription, own: Record<string, unknown>): PolicyInfo {
    const shown = this.servers.map((s) => this.redact.text(s.url));
    const info: PolicyInfo = {
      name: p.name,
      kind: p.kind,
      variant: p.variant ?? p.kind,
      actionMode: p.actionMode ?? 'pulse',
      needsImage: true,
      ...(p.budgetMs !== undefined ? { budgetMs: p.budgetMs } : {}),
      ...(p.stateless ? {} : { maxConcurrent: this.servers.length }),
      ...(p.chunk ? { chunk: { execute: p.chunk.execute } } : {}),
      details: {
        url: `${shown[0]}${p.endpoint ?? ''}`,
        ...(shown.length > 1 ? { pool: shown } : {}),
        timeoutMs: p.timeoutMs,
        firstTimeoutMs: p.firstTimeoutMs,
        retries: p.retries,
        ...own,
        ...(p.apiKeyEnv ? { apiKeyEnv: p.apiKeyEnv } : {}),
        stateless: p.stateless,
      },
    };
    const d = info.details!;
    // Read by reports from info.details; computed when read, not every step.
    Object.defineProperty(d, 'latency', { enumerable: true, get: () => this.latency.stats() });
    Object.defineProperty(d, 'serverLatency', { enumerable: true, get: () => this.serverLatency.stats() });
    return info;
  }

  /** Slot i → server i: a stateful server holds one episode; stateless ones share round-robin. */
  protected newSlot(slot: number): Slot {
    const n = this.servers.length;
    const stateful = this.servers.some((s) => s.stateful);
    const st = this.slotState(
      stateful && slot >= n
        ? { error: `slot ${slot} has no server: the pool has ${n} server(s) and each runs one episode at a time (the loop must cap its batch at PolicyInfo.maxConcurrent = ${n})` }
        : { server: this.servers[slot % n]! },
    );
    this.slots.set(slot, st);
    return st;
  }

  /** A row's error naming the server (the first one when the slot has none), the key masked. */
  protected err(server: S | undefined, what: string): ActResult {
    return { error: this.redact.text(`remote_error: ${server?.url ?? this.servers[0]!.url}: ${what}`) };
  }

  private async actOne(slot: number, obs: Observation): Promise<ActResult> {
    if (this.closed) return this.err(undefined, 'policy is closed');
    const st = this.slots.get(slot) ?? this.newSlot(slot);
    if (st.error || !st.server) return this.err(undefined, st.error ?? 'no server');
    const server = st.server;
    if (st.ready) {
      const notReady = await st.ready;
      if (notReady) return this.err(server, notReady);
    }
    if (this.authFailure) return this.err(server, this.authFailure);
    if (!obs.image) return this.err(server, 'observation has no camera image (this policy needs the env to render)');
    return this.request(st, server, obs as FramedObservation);
  }
}
