/**
 * The lab's policy server: POST {url}/predict {image: base64 JPEG, instruction} →
 * {action: [lx, ly], latency_ms}. One request per row, sent concurrently. Whatever the server does
 * (down, slow, garbage), a row gets {error: "remote_error: <url>: …"} instead of a thrown error.
 */
import jpeg from 'jpeg-js';
import type { Frame } from '../../image/frame';
import type { ActionMode } from '../../sim/world';
import type { EpisodeSpec } from '../../sim/episode';
import type { Observation } from '../../sim/observation';
import { LatencyRecorder, nowMs, type LatencyReporting, type LatencyStats } from '../latency';
import { inChannelOrder, type ChannelOrder } from '../../image/channels';
import { resizeFrame } from '../../image/resize';
import type { ActResult, Policy, PolicyInfo } from '../types';

export interface HttpPolicyOptions {
  /** Server base URL; requests go to `${url}/predict`. */
  url: string;
  name: string;
  variant?: string;
  /** Per attempt, covering connect, response and body. Default 2000. */
  timeoutMs?: number;
  /** Extra attempts after a network error, timeout, HTTP 5xx or 429. Default 1. */
  retries?: number;
  /** First retry waits this long, doubling each time. Default 100. */
  backoffMs?: number;
  /** The lab's server forces the first action of an episode to [0, 0]; do the same (the request is still sent). Default true. */
  firstActionZero?: boolean;
  /** Resize to [height, width] before encoding (default: send the frame as it is). */
  imageSize?: [number, number];
  /** BGR swaps red and blue before encoding (to reproduce a channel-order mismatch). Default RGB. */
  channelOrder?: ChannelOrder;
  jpegQuality?: number;
  actionMode?: ActionMode;
  budgetMs?: number;
  /** Applied to the returned action: × scale, then clamp. Defaults 1 and [-1, 1]. */
  scale?: number;
  clamp?: [number, number];
}

interface Attempt {
  action?: number[];
  serverMs?: number;
  error?: string;
  retryable?: boolean;
}

export class HttpPolicy implements Policy, LatencyReporting {
  readonly info: PolicyInfo;
  private readonly endpoint: string;
  private readonly o: Required<Omit<HttpPolicyOptions, 'imageSize' | 'budgetMs' | 'variant'>> & Pick<HttpPolicyOptions, 'imageSize'>;
  private readonly started = new Set<number>();
  private readonly latency = new LatencyRecorder();
  private readonly serverLatency = new LatencyRecorder();
  private closed = false;

  constructor(opts: HttpPolicyOptions) {
    const base = opts.url.replace(/\/+$/, '');
    this.endpoint = `${base}/predict`;
    this.o = {
      url: base,
      name: opts.name,
      timeoutMs: opts.timeoutMs ?? 2000,
      retries: opts.retries ?? 1,
      backoffMs: opts.backoffMs ?? 100,
      firstActionZero: opts.firstActionZero ?? true,
      channelOrder: opts.channelOrder ?? 'RGB',
      jpegQuality: opts.jpegQuality ?? 90,
      actionMode: opts.actionMode ?? 'pulse',
      scale: opts.scale ?? 1,
      clamp: opts.clamp ?? [-1, 1],
      ...(opts.imageSize ? { imageSize: opts.imageSize } : {}),
    };
    this.info = {
      name: opts.name,
      kind: 'remote',
      variant: opts.variant ?? 'remote',
      actionMode: this.o.actionMode,
      needsImage: true,
      ...(opts.budgetMs !== undefined ? { budgetMs: opts.budgetMs } : {}),
      details: {
        url: this.endpoint,
        timeoutMs: this.o.timeoutMs,
        retries: this.o.retries,
        firstActionZero: this.o.firstActionZero,
        channelOrder: this.o.channelOrder,
        jpegQuality: this.o.jpegQuality,
        ...(opts.imageSize ? { imageSize: opts.imageSize } : {}),
      },
    };
    // Read by reports from info.details; computed when read, not every step.
    Object.defineProperty(this.info.details, 'latency', { enumerable: true, get: () => this.latency.stats() });
    Object.defineProperty(this.info.details, 'serverLatency', { enumerable: true, get: () => this.serverLatency.stats() });
  }

  begin(slot: number, _episode: EpisodeSpec): void {
    this.started.delete(slot);
  }

  async act(batch: readonly { slot: number; obs: Observation }[]): Promise<ActResult[]> {
    return Promise.all(batch.map(({ slot, obs }) => this.actOne(slot, obs)));
  }

  latencyStats(): LatencyStats {
    return this.latency.stats();
  }

  /** Latency the server reported (latency_ms), for rows that reported it. */
  serverLatencyStats(): LatencyStats {
    return this.serverLatency.stats();
  }

  async close(): Promise<void> {
    this.closed = true;
    // Requests still in flight (an abandoned episode) must not keep the process alive.
    this.inFlight.abort(new Error('policy closed'));
  }

  private readonly inFlight = new AbortController();

  private err(what: string): ActResult {
    return { error: `remote_error: ${this.o.url}: ${what}` };
  }

  private async actOne(slot: number, obs: Observation): Promise<ActResult> {
    if (this.closed) return this.err('policy is closed');
    if (!obs.image) return this.err('observation has no camera image (this policy needs the env to render)');
    let body: string;
    try {
      body = JSON.stringify({ image: this.encode(obs.image), instruction: obs.instruction });
    } catch (e) {
      return this.err(`cannot encode frame: ${(e as Error).message}`);
    }
    const first = !this.started.has(slot);
    this.started.add(slot);

    const attempts = 1 + Math.max(0, this.o.retries);
    let last: Attempt = { error: 'no attempt made' };
    for (let a = 0; a < attempts; a++) {
      if (a > 0) await sleep(this.o.backoffMs * 2 ** (a - 1));
      const t0 = nowMs();
      last = await this.post(body);
      if (!last.error) {
        this.latency.record(nowMs() - t0, 1);
        if (last.serverMs !== undefined) this.serverLatency.record(last.serverMs, 1);
        break;
      }
      if (!last.retryable || this.closed) break;
    }
    if (last.error) return this.err(attempts > 1 && last.retryable ? `${last.error} (${attempts} attempts)` : last.error);
    if (first && this.o.firstActionZero) return { action: (last.action as number[]).map(() => 0) };
    const [lo, hi] = this.o.clamp;
    return { action: (last.action as number[]).map((v) => Math.min(hi, Math.max(lo, v * this.o.scale))) };
  }

  private encode(frame: Frame): string {
    const img = inChannelOrder(this.o.imageSize ? resizeFrame(frame, this.o.imageSize) : frame, this.o.channelOrder);
    const { width, height, data } = img;
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0, j = 0; i < width * height; i++, j += 3) {
      rgba[i * 4] = data[j] as number;
      rgba[i * 4 + 1] = data[j + 1] as number;
      rgba[i * 4 + 2] = data[j + 2] as number;
      rgba[i * 4 + 3] = 255;
    }
    return jpeg.encode({ data: rgba, width, height }, this.o.jpegQuality).data.toString('base64');
  }

  private async post(body: string): Promise<Attempt> {
    let res: Response;
    let text: string;
    // One controller per request, aborted by our own timer or by close(). (AbortSignal.any with
    // AbortSignal.timeout did not fire reliably on Node 20.)
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new DOMException('timeout', 'TimeoutError')), this.o.timeoutMs);
    const onClose = () => ac.abort(new Error('policy closed'));
    this.inFlight.signal.addEventListener('abort', onClose, { once: true });
    try {
      res = await fetch(this.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ac.signal });
      text = await res.text();
    } catch (e) {
      return { error: describeFetchError(e, this.o.timeoutMs), retryable: true };
    } finally {
      clearTimeout(timer);
      this.inFlight.signal.removeEventListener('abort', onClose);
    }
    if (!res.ok) {
      return { error: `HTTP ${res.status}${snippet(text) ? `: ${snippet(text)}` : ''}`, retryable: res.status >= 500 || res.status === 429 };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { error: `response is not JSON: ${JSON.stringify(snippet(text))}` };
    }
    const action = (json as { action?: unknown } | null)?.action;
    if (!Array.isArray(action) || action.length < 2 || !action.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return { error: `response has no finite "action": [lx, ly]: ${JSON.stringify(snippet(text))}` };
    }
    const lat = (json as { latency_ms?: unknown }).latency_ms;
    return { action: action as number[], ...(typeof lat === 'number' && Number.isFinite(lat) ? { serverMs: lat } : {}) };
  }
}

export function createHttpPolicy(opts: HttpPolicyOptions): HttpPolicy {
  return new HttpPolicy(opts);
}

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no response within ${timeoutMs} ms (timeout)`;
  const code = err?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED): is the server running?';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection closed by the server (${code})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve host (${code})`;
  return `${err?.message ?? String(e)}${err?.cause?.message ? `: ${err.cause.message}` : ''}${code ? ` (${code})` : ''}`;
}

function snippet(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
