/**
 * The lab's policy servers over HTTP (shared LAB.md §1; EdgeGroundVLA's stage2_v2 server is the
 * superset): GET /health once at load, POST /reset before every episode, POST /predict
 * {image: base64 JPEG|PNG, instruction, …extraFields} → action_3d | action | actions.
 *
 * The servers are stateful (a window of past frames, a goal fixed from the first frame, a STOP
 * latch), so a server runs one episode at a time: slot i of the batch talks to server i of the
 * pool and `maxConcurrent` is the pool size; a server declared `stateless` (or without /reset)
 * takes concurrent requests. Whatever a server does (down, slow, garbage), a row gets
 * {error: "remote_error: <url>: …"} instead of a thrown error — except a refused API key at load,
 * which is a ConfigError (exit 2) before any episode runs.
 */
import type { ChannelOrder } from '../../image/channels';
import type { ActionMode } from '../../sim/world';
import type { EpisodeSpec } from '../../sim/episode';
import { ConfigError } from '../../util/errors';
import { nowMs } from '../latency';
import type { RemotePolicySpec } from '../spec';
import type { ActResult, PolicyInfo } from '../types';
import { authHint, httpRequest, sleep, snippet, type HttpFailure, type HttpResult } from './common';
import { encodeImage, prepareFrame } from './frame-encode';
import { parseLabResponse, type LabAnswer } from './lab-response';
import { poolOptionsFromSpec, poolSettings, PoolServer, ServerPool, type FramedObservation, type PoolSlot } from './pool';

export interface HttpPolicyOptions {
  /** Server base URL(s); requests go to `${url}/predict`, `${url}/reset`, `${url}/health`. */
  url: string | readonly string[];
  name: string;
  variant?: string;
  /** Per attempt, covering connect, response and body. Default 5000. */
  timeoutMs?: number;
  /** The first /predict a server gets (cold grounding takes ~30 s). Default: timeoutMs. */
  firstTimeoutMs?: number;
  /** Extra attempts after a network error, timeout, HTTP 5xx or 429. Default 1. */
  retries?: number;
  /** First retry waits this long, doubling each time. Default 100. */
  backoffMs?: number;
  /** Replace the first action of an episode by zeros (the request is still sent). Default false. */
  firstActionZero?: boolean;
  /** Resize to [height, width] before encoding (default: send the frame as it is). */
  imageSize?: [number, number];
  /** BGR swaps red and blue before encoding (to reproduce a channel-order mismatch). Default RGB. */
  channelOrder?: ChannelOrder;
  /** Default "image" (the MoNa-pi server: "image_b64"). */
  imageField?: string;
  /** Default "jpeg". */
  imageFormat?: 'jpeg' | 'png';
  /** Default 85 (the lab's client doc). */
  jpegQuality?: number;
  /** Default "instruction". */
  instructionField?: string;
  extraFields?: Record<string, unknown>;
  /** Environment variable with the API key, sent as X-API-Key. */
  apiKeyEnv?: string;
  /** No /reset, concurrent requests allowed. Default false. */
  stateless?: boolean;
  chunk?: { execute: number };
  actionMode?: ActionMode;
  budgetMs?: number;
  /** Applied to the returned action: × scale, then clamp. Defaults 1 and [-1, 1]. */
  scale?: number;
  clamp?: [number, number];
  /** One-line notices (a server without /reset…). Default: stderr. */
  warn?: (line: string) => void;
}

const API_KEY_HEADER = 'X-API-Key';

/** One server of the pool; a stateful one is reset before each episode. */
class LabServer extends PoolServer {
  /** What we know about its /reset: "per episode", "none (HTTP 404)", "none (stateless)". */
  reset: string;
  constructor(url: string, stateless: boolean) {
    super(url, !stateless);
    this.reset = stateless ? 'none (declared stateless)' : 'per episode';
  }
}

interface SlotState extends PoolSlot<LabServer> {
  /** The episode's /reset: resolves to an error message, or undefined when it went through. */
  ready: Promise<string | undefined>;
  started: boolean;
}

type Attempt = { ok: HttpResult } | HttpFailure;

export class HttpPolicy extends ServerPool<LabServer, SlotState> {
  readonly info: PolicyInfo;
  private readonly o: Required<Omit<HttpPolicyOptions, 'imageSize' | 'budgetMs' | 'variant' | 'extraFields' | 'apiKeyEnv' | 'chunk' | 'url' | 'firstTimeoutMs'>> &
    Pick<HttpPolicyOptions, 'imageSize' | 'extraFields' | 'apiKeyEnv'> & { firstTimeoutMs: number };

  constructor(opts: HttpPolicyOptions) {
    const stateless = opts.stateless ?? false;
    super(opts, (u) => new LabServer(u, stateless));
    this.o = {
      ...poolSettings(opts, 5000),
      backoffMs: opts.backoffMs ?? 100,
      firstActionZero: opts.firstActionZero ?? false,
      channelOrder: opts.channelOrder ?? 'RGB',
      imageField: opts.imageField ?? 'image',
      imageFormat: opts.imageFormat ?? 'jpeg',
      jpegQuality: opts.jpegQuality ?? 85,
      instructionField: opts.instructionField ?? 'instruction',
      stateless,
      actionMode: opts.actionMode ?? 'pulse',
      scale: opts.scale ?? 1,
      clamp: opts.clamp ?? [-1, 1],
      ...(opts.imageSize ? { imageSize: opts.imageSize } : {}),
      ...(opts.extraFields ? { extraFields: opts.extraFields } : {}),
    };
    this.info = this.describe(
      { ...this.o, kind: 'remote', endpoint: '/predict', variant: opts.variant, budgetMs: opts.budgetMs, chunk: opts.chunk },
      {
        firstActionZero: this.o.firstActionZero,
        imageField: this.o.imageField,
        imageFormat: this.o.imageFormat,
        ...(this.o.imageFormat === 'jpeg' ? { jpegQuality: this.o.jpegQuality } : {}),
        channelOrder: this.o.channelOrder,
        ...(opts.imageSize ? { imageSize: opts.imageSize } : {}),
        instructionField: this.o.instructionField,
        ...(opts.extraFields ? { extraFields: this.redact.value(opts.extraFields) } : {}),
      },
    );
    Object.defineProperty(this.info.details!, 'reset', { enumerable: true, get: () => this.perServer((s) => s.reset) });
  }

  /**
   * Load-time checks: GET /health of every server (recorded in details.health), and a POST
   * /reset, which also checks the API key (401/403 → ConfigError naming the variable) and finds
   * servers without /reset (404: said once, then treated as stateless).
   */
  protected async checkServers(): Promise<void> {
    await Promise.all(
      this.servers.map(async (s) => {
        s.health = await this.fetchHealth(s);
        if (!s.stateful && !this.apiKey) return;
        const r = await this.send(s, '/reset', '{}', this.o.timeoutMs);
        if ('ok' in r) {
          if (r.ok.status === 401 || r.ok.status === 403) {
            const body = snippet(this.redact.text(r.ok.text));
            throw new ConfigError(`policy "${this.o.name}": ${this.redact.text(s.url)}/reset answered HTTP ${r.ok.status}${body ? ` (${body})` : ''}: the API key was refused`, authHint(this.o.apiKeyEnv, API_KEY_HEADER));
          }
          if (r.ok.status === 404) this.noReset(s);
          else if (r.ok.status >= 300 && s.stateful) this.o.warn(`policy "${this.o.name}": ${this.redact.text(s.url)}/reset answered HTTP ${r.ok.status} at load; each episode will try again`);
        } else if (s.stateful) this.o.warn(`policy "${this.o.name}": ${this.redact.text(s.url)}/reset: ${this.redact.text(r.error)} at load; each episode will try again`);
      }),
    );
  }

  /** Servers that all turned out stateless (no /reset) take any batch. */
  protected override checked(): void {
    if (this.servers.every((s) => !s.stateful)) delete this.info.maxConcurrent;
  }

  begin(slot: number, _episode: EpisodeSpec): Promise<void> {
    const st = this.newSlot(slot);
    const server = st.server;
    if (server?.stateful) st.ready = server.queue.run(() => this.resetServer(server));
    // Never rejects: a failed reset ends the episode through its first act().
    return st.ready.then(() => undefined);
  }

  /** Every slot awaits its episode's /reset before a request (already settled until begin() sends one). */
  protected slotState(assigned: { server: LabServer } | { error: string }): SlotState {
    return { ...assigned, ready: Promise.resolve(undefined), started: false };
  }

  private noReset(s: LabServer): void {
    if (!s.stateful) return;
    s.stateful = false;
    s.reset = 'none (HTTP 404)';
    this.o.warn(`policy "${this.o.name}": ${this.redact.text(s.url)} has no /reset (HTTP 404): treating it as a stateless server (no reset between episodes)`);
  }

  private async resetServer(s: LabServer): Promise<string | undefined> {
    if (!s.stateful) return undefined;
    if (this.authFailure) return this.authFailure;
    const r = await this.withRetries(() => this.send(s, '/reset', '{}', this.o.timeoutMs));
    if ('error' in r) return `POST /reset failed: ${r.error}`;
    const { status, text } = r.ok;
    if (status === 404) {
      this.noReset(s);
      return undefined;
    }
    if (status === 401 || status === 403) return (this.authFailure = `POST /reset: HTTP ${status}: ${authHint(this.o.apiKeyEnv, API_KEY_HEADER)}`);
    if (status >= 300) return `POST /reset failed: HTTP ${status}${snippet(text) ? `: ${snippet(text)}` : ''}`;
    return undefined;
  }

  protected async request(st: SlotState, server: LabServer, obs: FramedObservation): Promise<ActResult> {
    let body: string;
    try {
      const frame = prepareFrame(obs.image, { ...(this.o.imageSize ? { size: this.o.imageSize } : {}), channelOrder: this.o.channelOrder });
      const image = encodeImage(frame, this.o.imageFormat, this.o.jpegQuality).toString('base64');
      body = JSON.stringify({ ...this.o.extraFields, [this.o.imageField]: image, [this.o.instructionField]: obs.instruction });
    } catch (e) {
      return this.err(server, `cannot encode frame: ${(e as Error).message}`);
    }
    const first = !st.started;
    st.started = true;
    const predict = () => this.predict(server, body);
    const got = server.stateful ? await server.queue.run(predict) : await predict();
    if ('error' in got) return this.err(server, got.error);
    return this.toResult(got, first);
  }

  private async predict(s: LabServer, body: string): Promise<LabAnswer | { error: string }> {
    let t0 = 0;
    const r = await this.withRetries(async () => {
      t0 = nowMs();
      const timeout = s.warm ? this.o.timeoutMs : this.o.firstTimeoutMs;
      const a = await this.send(s, '/predict', body, timeout);
      if ('ok' in a && a.ok.status !== 404) s.warm = true;
      return a;
    });
    if ('error' in r) return { error: r.error };
    const { status, text } = r.ok;
    if (status === 401 || status === 403) return { error: (this.authFailure = `POST /predict: HTTP ${status}: ${authHint(this.o.apiKeyEnv, API_KEY_HEADER)}`) };
    if (status < 200 || status >= 300) return { error: `HTTP ${status}${snippet(text) ? `: ${snippet(text)}` : ''}` };
    this.latency.record(nowMs() - t0, 1);
    const ans = parseLabResponse(text);
    if ('error' in ans) return ans;
    if (ans.serverMs !== undefined) this.serverLatency.record(ans.serverMs, 1);
    return ans;
  }

  private toResult(ans: LabAnswer, first: boolean): ActResult {
    const [lo, hi] = this.o.clamp;
    const map = (a: number[]) => a.map((v) => Math.min(hi, Math.max(lo, v * this.o.scale)));
    const zero = (a: number[]) => a.map(() => 0);
    const info = this.redact.value(ans.info);
    const extra = { ...(ans.stop ? { stop: true } : {}), ...(Object.keys(info).length ? { info } : {}) };
    if (ans.actions) {
      const rows = ans.actions.map(map);
      if (first && this.o.firstActionZero) rows[0] = zero(rows[0]!);
      return { actions: rows, ...extra };
    }
    const a = map(ans.action!);
    return { action: first && this.o.firstActionZero ? zero(a) : a, ...extra };
  }

  /** GET /health (never needs auth): its JSON, or what went wrong. */
  private async fetchHealth(s: LabServer): Promise<unknown> {
    const r = await httpRequest(`${s.url}/health`, { method: 'GET' }, this.o.timeoutMs, this.closing.signal);
    let out: unknown;
    if ('error' in r) out = { error: r.error };
    else if (r.status !== 200) out = { error: `HTTP ${r.status}${snippet(r.text) ? `: ${snippet(r.text)}` : ''}` };
    else {
      try {
        out = JSON.parse(r.text) as unknown;
      } catch {
        out = { text: snippet(r.text, 500) };
      }
    }
    if (out && typeof out === 'object' && 'error' in out) this.o.warn(`policy "${this.o.name}": ${this.redact.text(s.url)}/health: ${this.redact.text(String((out as { error: unknown }).error))}`);
    return this.redact.value(out);
  }

  private send(s: LabServer, path: string, body: string, timeoutMs: number): Promise<Attempt> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.apiKey) headers[API_KEY_HEADER] = this.apiKey;
    return httpRequest(`${s.url}${path}`, { method: 'POST', headers, body }, timeoutMs, this.closing.signal).then((r) => ('error' in r ? r : { ok: r }));
  }

  /** Retries network errors, timeouts, 5xx and 429 with doubling backoff; says how many attempts failed. */
  private async withRetries(attempt: () => Promise<Attempt>): Promise<Attempt> {
    const attempts = 1 + Math.max(0, this.o.retries);
    let last: Attempt = { error: 'no attempt made', retryable: false };
    for (let a = 0; a < attempts; a++) {
      if (a > 0) await sleep(this.o.backoffMs * 2 ** (a - 1));
      if (this.closed) return { error: 'policy is closed', retryable: false };
      last = await attempt();
      const retryable = 'error' in last ? last.retryable : last.ok.status >= 500 || last.ok.status === 429;
      if (!retryable) return last;
    }
    if (attempts > 1 && 'error' in last) return { error: `${last.error} (${attempts} attempts)`, retryable: false };
    return last;
  }
}

export function createHttpPolicy(opts: HttpPolicyOptions): HttpPolicy {
  return new HttpPolicy(opts);
}

/** A policy whose servers were checked (health, key, /reset): what loadPolicy returns. */
export function openHttpPolicy(opts: HttpPolicyOptions): Promise<HttpPolicy> {
  return new HttpPolicy(opts).init();
}

export function httpOptionsFromSpec(s: RemotePolicySpec, extra: { warn?: (line: string) => void } = {}): HttpPolicyOptions {
  return {
    ...poolOptionsFromSpec(s, extra),
    url: s.remote,
    firstActionZero: s.instructionFirstActionZero,
    imageField: s.imageField,
    imageFormat: s.imageFormat,
    jpegQuality: s.jpegQuality,
    instructionField: s.instructionField,
    ...(s.backoffMs !== undefined ? { backoffMs: s.backoffMs } : {}),
    ...(s.channelOrder ? { channelOrder: s.channelOrder } : {}),
    ...(s.extraFields ? { extraFields: s.extraFields } : {}),
  };
}
