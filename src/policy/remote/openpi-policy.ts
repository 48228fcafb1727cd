/**
 * openpi policy servers (Physical-Intelligence/openpi `src/openpi/serving/websocket_policy_server.py`,
 * client `packages/openpi-client/src/openpi_client/websocket_client_policy.py`):
 * - a websocket at ws://host:port, binary frames, no compression; optional header
 *   `Authorization: Api-Key <key>`; `GET /healthz` → 200 "OK" before any upgrade;
 * - on connect the server sends one frame, msgpack(metadata);
 * - then msgpack(observation dict) → msgpack({actions: ndarray (horizon, dims), server_timing: {infer_ms, prev_total_ms?}, …});
 * - a server error is a *text* frame (the traceback) followed by close 1011.
 * One request in flight per connection (openpi's infer blocks its event loop): one connection per
 * server, requests queued. There is no reset message upstream: episodes are implicit.
 */
import WebSocket from 'ws';
import type { ChannelOrder } from '../../image/channels';
import type { EpisodeSpec } from '../../sim/episode';
import type { ActionMode } from '../../sim/world';
import { ConfigError } from '../../util/errors';
import { nowMs } from '../latency';
import type { OpenpiPolicySpec } from '../spec';
import type { ActResult, PolicyInfo } from '../types';
import { authHint, finite, httpRequest, snippet } from './common';
import { prepareFrame } from './frame-encode';
import { NdArray, packb, unpackb } from './msgpack-numpy';
import { poolOptionsFromSpec, poolSettings, PoolServer, ServerPool, type FramedObservation, type PoolSlot } from './pool';

export interface OpenpiPolicyOptions {
  url: string | readonly string[];
  name: string;
  variant?: string;
  /** Per request (send → reply). Default 10 000. */
  timeoutMs?: number;
  /** The first inference on each server (openpi compiles on its first call). Default: timeoutMs. */
  firstTimeoutMs?: number;
  /** Extra attempts, on a fresh connection, after a network error or timeout. Default 1. */
  retries?: number;
  imageKeys?: readonly string[];
  blankImageKeys?: readonly string[];
  imageSize?: [number, number];
  channelOrder?: ChannelOrder;
  /** null: send no instruction. Default "prompt". */
  promptKey?: string | null;
  state?: { key: string; dims: number };
  extra?: Record<string, unknown>;
  actionsKey?: string;
  actionDims?: 2 | 3;
  chunk?: { execute: number };
  apiKeyEnv?: string;
  /** Default true. false: one episode per server, and a fresh connection for every episode. */
  stateless?: boolean;
  actionMode?: ActionMode;
  budgetMs?: number;
  scale?: number;
  clamp?: [number, number];
  warn?: (line: string) => void;
}

type Msg = { binary: true; data: Uint8Array } | { binary: false; text: string };
type Failure = { error: string; retryable: boolean; auth?: boolean };

/** One websocket to one server: a queue of received frames and the close, if it came. */
class Connection {
  private inbox: Msg[] = [];
  private waiter?: (m: Msg | { closed: string }) => void;
  closedWith?: string;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const m: Msg = isBinary ? { binary: true, data: toBytes(data) } : { binary: false, text: toBytes(data).toString() };
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(m);
      } else this.inbox.push(m);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closedWith = `connection closed by the server (code ${code}${reason.length ? `: ${reason.toString()}` : ''})`;
      const w = this.waiter;
      this.waiter = undefined;
      w?.({ closed: this.closedWith });
    });
    ws.on('error', () => {
      /* 'close' follows and says it */
    });
  }

  /** Connects and reads the metadata frame. */
  static open(url: string, headers: Record<string, string>, timeoutMs: number): Promise<{ conn: Connection; metadata: unknown } | Failure> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: { conn: Connection; metadata: unknown } | Failure) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if ('error' in r) ws.terminate();
        resolve(r);
      };
      const ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: 1 << 30, handshakeTimeout: timeoutMs });
      const timer = setTimeout(() => finish({ error: `no connection and metadata within ${timeoutMs} ms (timeout)`, retryable: true }), timeoutMs);
      ws.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        finish({ error: `websocket upgrade refused: HTTP ${status}`, retryable: status >= 500, ...(status === 401 || status === 403 ? { auth: true } : {}) });
      });
      ws.on('error', (e: Error & { code?: string }) =>
        finish({ error: e.code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED): is the server running?' : `${e.message}${e.code ? ` (${e.code})` : ''}`, retryable: true }),
      );
      ws.on('open', () => {
        const conn = new Connection(ws);
        conn.next(timeoutMs).then((m) => {
          if ('error' in m) return finish(m);
          if (!m.binary) return finish({ error: `server error: ${lastLine(m.text)}`, retryable: false });
          try {
            finish({ conn, metadata: unpackb(m.data) });
          } catch (e) {
            finish({ error: `metadata frame is not msgpack: ${(e as Error).message}`, retryable: false });
          }
        });
      });
    });
  }

  /** The next frame, or why there is none. */
  next(timeoutMs: number): Promise<Msg | Failure> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedWith) return Promise.resolve({ error: this.closedWith, retryable: true });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ error: `no reply within ${timeoutMs} ms (timeout)`, retryable: true });
      }, timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        resolve('closed' in m ? { error: m.closed, retryable: true } : m);
      };
    });
  }

  send(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  close(): void {
    this.ws.terminate();
  }
}

function toBytes(d: WebSocket.RawData): Buffer {
  return Array.isArray(d) ? Buffer.concat(d) : Buffer.isBuffer(d) ? d : Buffer.from(d as ArrayBuffer);
}

/** The exception line of a Python traceback (its last non-empty line). */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return snippet(lines.at(-1) ?? text, 300);
}

/** One server of the pool; a stateful one gets a fresh connection for every episode. */
class OpenpiServer extends PoolServer {
  conn?: Connection;
  metadata?: unknown;
}

type SlotState = PoolSlot<OpenpiServer>;

export class OpenpiPolicy extends ServerPool<OpenpiServer, SlotState> {
  readonly info: PolicyInfo;
  private readonly o: {
    name: string;
    timeoutMs: number;
    firstTimeoutMs: number;
    retries: number;
    imageKeys: readonly string[];
    blankImageKeys: readonly string[];
    imageSize?: [number, number];
    channelOrder: ChannelOrder;
    promptKey: string | null;
    state?: { key: string; dims: number };
    extra: Record<string, unknown>;
    actionsKey: string;
    actionDims?: 2 | 3;
    stateless: boolean;
    scale: number;
    clamp: [number, number];
    warn: (line: string) => void;
    apiKeyEnv?: string;
  };
  private readonly headers: Record<string, string> = {};

  constructor(opts: OpenpiPolicyOptions) {
    const stateless = opts.stateless ?? true;
    super(opts, (u) => new OpenpiServer(u, !stateless));
    if (this.apiKey) this.headers.Authorization = `Api-Key ${this.apiKey}`;
    this.o = {
      ...poolSettings(opts, 10_000),
      imageKeys: opts.imageKeys ?? ['observation/image'],
      blankImageKeys: opts.blankImageKeys ?? [],
      channelOrder: opts.channelOrder ?? 'RGB',
      promptKey: opts.promptKey === undefined ? 'prompt' : opts.promptKey,
      extra: opts.extra ?? {},
      actionsKey: opts.actionsKey ?? 'actions',
      stateless,
      scale: opts.scale ?? 1,
      clamp: opts.clamp ?? [-1, 1],
      ...(opts.imageSize ? { imageSize: opts.imageSize } : {}),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.actionDims ? { actionDims: opts.actionDims } : {}),
    };
    this.info = this.describe(
      { ...this.o, kind: 'openpi', variant: opts.variant, actionMode: opts.actionMode, budgetMs: opts.budgetMs, chunk: opts.chunk },
      {
        imageKeys: this.o.imageKeys,
        ...(this.o.blankImageKeys.length ? { blankImageKeys: this.o.blankImageKeys } : {}),
        ...(opts.imageSize ? { imageSize: opts.imageSize } : {}),
        channelOrder: this.o.channelOrder,
        promptKey: this.o.promptKey,
        ...(opts.state ? { state: opts.state } : {}),
        ...(opts.extra ? { extra: this.redact.value(opts.extra) } : {}),
        actionsKey: this.o.actionsKey,
        ...(opts.actionDims ? { actionDims: opts.actionDims } : {}),
      },
    );
  }

  /**
   * Load-time checks: GET /healthz, then a connection to every server (its metadata frame is
   * recorded; a refused API key is a ConfigError naming the variable).
   */
  protected async checkServers(): Promise<void> {
    await Promise.all(
      this.servers.map(async (s) => {
        s.health = await this.fetchHealth(s);
        const r = await Connection.open(s.url, this.headers, this.o.timeoutMs);
        if ('error' in r) {
          if (r.auth) throw new ConfigError(`policy "${this.o.name}": ${this.redact.text(s.url)}: ${r.error}: the API key was refused`, authHint(this.o.apiKeyEnv, 'Authorization: Api-Key'));
          this.o.warn(`policy "${this.o.name}": ${this.redact.text(s.url)}: ${this.redact.text(r.error)} at load; episodes will try again`);
          return;
        }
        if (this.closed) return r.conn.close();
        s.conn = r.conn;
        s.metadata = this.redact.value(summarise(r.metadata));
      }),
    );
  }

  protected override checked(details: Record<string, unknown>): void {
    details.metadata = this.perServer((s) => s.metadata);
  }

  begin(slot: number, _episode: EpisodeSpec): void {
    const st = this.newSlot(slot);
    const server = st.server;
    // No reset message in openpi: a server that keeps state per connection starts afresh.
    if (server && !this.o.stateless) void server.queue.run(async () => this.drop(server));
  }

  /** Nothing to wait for before a request: openpi has no reset. */
  protected slotState(assigned: { server: OpenpiServer } | { error: string }): SlotState {
    return assigned;
  }

  override async close(): Promise<void> {
    // What super.close() does, and the sockets closed in the same synchronous step (no await between).
    this.closing.abort();
    for (const s of this.servers) this.drop(s);
  }

  private drop(s: OpenpiServer): void {
    s.conn?.close();
    s.conn = undefined;
  }

  protected async request(_st: SlotState, server: OpenpiServer, obs: FramedObservation): Promise<ActResult> {
    let bytes: Uint8Array;
    try {
      bytes = packb(this.observation(obs));
    } catch (e) {
      return this.err(server, `cannot encode the observation: ${(e as Error).message}`);
    }
    const reply = await server.queue.run(() => this.infer(server, bytes));
    if ('error' in reply) return this.err(server, reply.error);
    return this.toResult(reply.value, server);
  }

  private observation(obs: FramedObservation): Record<string, unknown> {
    const f = prepareFrame(obs.image, { ...(this.o.imageSize ? { size: this.o.imageSize } : {}), channelOrder: this.o.channelOrder });
    const shape = [f.height, f.width, 3];
    const px = f.data.subarray(0, f.width * f.height * 3);
    const out: Record<string, unknown> = { ...this.o.extra };
    for (const k of this.o.imageKeys) out[k] = NdArray.uint8(shape, px);
    if (this.o.blankImageKeys.length) {
      const blank = NdArray.uint8(shape, new Uint8Array(px.length));
      for (const k of this.o.blankImageKeys) out[k] = blank;
    }
    if (this.o.state) out[this.o.state.key] = NdArray.float32([this.o.state.dims], new Float32Array(this.o.state.dims));
    if (this.o.promptKey !== null) out[this.o.promptKey] = obs.instruction;
    return out;
  }

  /** One request on the server's connection (reconnecting when needed), with retries. */
  private async infer(s: OpenpiServer, bytes: Uint8Array): Promise<{ value: unknown } | { error: string }> {
    const attempts = 1 + Math.max(0, this.o.retries);
    let last: Failure = { error: 'no attempt made', retryable: false };
    for (let a = 0; a < attempts; a++) {
      if (this.closed) return { error: 'policy is closed' };
      if (this.authFailure) return { error: this.authFailure };
      if (!s.conn || s.conn.closedWith) {
        this.drop(s);
        const r = await Connection.open(s.url, this.headers, this.o.timeoutMs);
        if ('error' in r) {
          if (r.auth) return { error: (this.authFailure = `${r.error}: ${authHint(this.o.apiKeyEnv, 'Authorization: Api-Key')}`) };
          last = r;
          if (!r.retryable) break;
          continue;
        }
        if (this.closed) {
          r.conn.close();
          return { error: 'policy is closed' };
        }
        s.conn = r.conn;
        s.metadata ??= this.redact.value(summarise(r.metadata));
      }
      const conn = s.conn;
      const t0 = nowMs();
      conn.send(bytes);
      const m = await conn.next(s.warm ? this.o.timeoutMs : this.o.firstTimeoutMs);
      if ('error' in m) {
        // A late reply would be read as the answer to the next request: never reuse this socket.
        this.drop(s);
        last = m;
        continue;
      }
      if (!m.binary) {
        // openpi's error: the traceback as a text frame, then close 1011.
        this.drop(s);
        return { error: `server error: ${lastLine(m.text)}` };
      }
      s.warm = true;
      this.latency.record(nowMs() - t0, 1);
      try {
        return { value: unpackb(m.data) };
      } catch (e) {
        return { error: `reply is not msgpack: ${(e as Error).message}` };
      }
    }
    return { error: attempts > 1 && last.retryable ? `${last.error} (${attempts} attempts)` : last.error };
  }

  private toResult(reply: unknown, s: OpenpiServer): ActResult {
    const fail = (what: string) => this.err(s, what);
    if (!reply || typeof reply !== 'object' || Array.isArray(reply) || reply instanceof NdArray) return fail(`reply is not a map: ${snippet(String(reply))}`);
    const r = reply as Record<string, unknown>;
    const key = this.o.actionsKey;
    const raw = r[key];
    let rows: number[][];
    try {
      if (raw instanceof NdArray) rows = raw.rows();
      else if (Array.isArray(raw) && raw.every(Array.isArray)) rows = raw as number[][];
      else return fail(`reply has no "${key}" array (keys: ${Object.keys(r).join(', ') || 'none'})`);
    } catch (e) {
      return fail(`reply field "${key}": ${(e as Error).message}`);
    }
    const shape = raw instanceof NdArray ? `(${raw.shape.join(', ')})` : `${rows.length} × ${rows[0]?.length ?? 0}`;
    if (!rows.length) return fail(`reply field "${key}" is empty ${shape}`);
    const dims = rows[0]!.length;
    const want = this.o.actionDims;
    if (want ? dims < want : dims !== 2 && dims !== 3) {
      return fail(want ? `reply field "${key}" has shape ${shape}: fewer than actionDims = ${want} numbers per action` : `reply field "${key}" has shape ${shape}: actions must have 2 or 3 numbers (set actionDims to keep the first 2 or 3)`);
    }
    const [lo, hi] = this.o.clamp;
    const out: number[][] = [];
    for (const [i, row] of rows.entries()) {
      const a = want ? row.slice(0, want) : row;
      if (a.length !== (want ?? dims) || !a.every((v) => finite(v) !== undefined)) return fail(`reply field "${key}"[${i}] is not ${want ?? dims} finite numbers: ${snippet(JSON.stringify(row))}`);
      out.push(a.map((v) => Math.min(hi, Math.max(lo, v * this.o.scale))));
    }
    const info = this.redact.value(summarise(Object.fromEntries(Object.entries(r).filter(([k]) => k !== key))) as Record<string, unknown>);
    const timing = r.server_timing as { infer_ms?: unknown } | undefined;
    const inferMs = finite(timing?.infer_ms);
    if (inferMs !== undefined) this.serverLatency.record(inferMs, 1);
    return { actions: out, ...(Object.keys(info).length ? { info } : {}) };
  }

  /** GET /healthz on the same host and port (http for ws, https for wss). */
  private async fetchHealth(s: OpenpiServer): Promise<unknown> {
    const u = new URL(s.url);
    u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
    u.pathname = '/healthz';
    const r = await httpRequest(u.toString(), { method: 'GET' }, this.o.timeoutMs, new AbortController().signal);
    const out = 'error' in r ? { error: r.error } : r.status === 200 ? snippet(r.text) : { error: `HTTP ${r.status}` };
    if (typeof out === 'object') this.o.warn(`policy "${this.o.name}": ${this.redact.text(u.toString())}: ${this.redact.text(out.error)}`);
    return this.redact.value(out);
  }
}

/** Small arrays as numbers, big ones as dtype and shape: what goes into results. */
function summarise(v: unknown): unknown {
  if (v instanceof NdArray) {
    const n = v.shape.reduce((a, b) => a * b, 1);
    if (n <= 32) {
      try {
        return v.shape.length === 2 ? v.rows() : v.values();
      } catch {
        /* unsupported dtype: describe it */
      }
    }
    return { dtype: v.dtype, shape: [...v.shape] };
  }
  if (v instanceof Uint8Array) return { bytes: v.byteLength };
  if (Array.isArray(v)) return v.map(summarise);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, summarise(x)]));
  return v;
}

export function createOpenpiPolicy(opts: OpenpiPolicyOptions): OpenpiPolicy {
  return new OpenpiPolicy(opts);
}

/** Connected and checked (healthz, metadata, API key): what loadPolicy returns. */
export function openOpenpiPolicy(opts: OpenpiPolicyOptions): Promise<OpenpiPolicy> {
  return new OpenpiPolicy(opts).init();
}

export function openpiOptionsFromSpec(s: OpenpiPolicySpec, extra: { warn?: (line: string) => void } = {}): OpenpiPolicyOptions {
  return {
    ...poolOptionsFromSpec(s, extra),
    url: s.openpi,
    imageKeys: s.imageKeys,
    blankImageKeys: s.blankImageKeys,
    channelOrder: s.channelOrder ?? 'RGB',
    promptKey: s.promptKey,
    actionsKey: s.actionsKey,
    ...(s.state ? { state: s.state } : {}),
    ...(s.extra ? { extra: s.extra } : {}),
    ...(s.actionDims ? { actionDims: s.actionDims } : {}),
  };
}
