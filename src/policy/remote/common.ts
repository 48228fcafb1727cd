/**
 * What the remote policies (the lab's HTTP servers, openpi websocket servers) share: the API key
 * (read from the environment, never written anywhere), one request at a time per server, HTTP
 * requests with a timeout that close() can abort, and readable network errors.
 */
import { ConfigError } from '../../util/errors';

/** The API key from `envName`; a ConfigError naming the variable when it is unset or empty. */
export function readApiKey(envName: string | undefined, policy: string): string | undefined {
  if (!envName) return undefined;
  const v = process.env[envName];
  if (!v) throw new ConfigError(`policy "${policy}": apiKeyEnv is ${envName} but ${envName} is not set in the environment`, `Export the server's API key first: export ${envName}=…`);
  return v;
}

const MASK = '***';

/**
 * Removes a secret from anything that may be echoed into results, logs or error messages (a
 * server's error body or a field that repeats the request's headers).
 */
export class Redactor {
  constructor(private readonly secret: string | undefined) {}

  text(s: string): string {
    return this.secret ? s.split(this.secret).join(MASK) : s;
  }

  /** A JSON-like value with the secret masked in every string and key (a copy only where needed). */
  value<T>(v: T): T {
    if (!this.secret) return v;
    const walk = (x: unknown): unknown => {
      if (typeof x === 'string') return this.text(x);
      if (Array.isArray(x)) return x.map(walk);
      if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
        return Object.fromEntries(Object.entries(x).map(([k, val]) => [this.text(k), walk(val)]));
      }
      return x;
    };
    return walk(v) as T;
  }
}

/**
 * Runs tasks one after another (one request in flight per server: the lab's servers keep one
 * episode's window, openpi's serve one request per socket). A failed task does not block the next.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private busy = 0;
  /** Most tasks ever running at once (1 unless the queue is bypassed): tests check it. */
  maxInFlight = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(async () => {
      this.busy++;
      this.maxInFlight = Math.max(this.maxInFlight, this.busy);
      try {
        return await task();
      } finally {
        this.busy--;
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export interface HttpResult {
  status: number;
  text: string;
}
export interface HttpFailure {
  error: string;
  retryable: boolean;
}

/**
 * One HTTP request with its own timeout, also aborted by `closed` (the policy closing: requests
 * still in flight must not keep the process alive).
 */
export async function httpRequest(url: string, init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }, timeoutMs: number, closed: AbortSignal): Promise<HttpResult | HttpFailure> {
  // One controller per request, aborted by our own timer or by close(). (AbortSignal.any with
  // AbortSignal.timeout did not fire reliably on Node 20.)
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
  const onClose = () => ac.abort(new Error('policy closed'));
  if (closed.aborted) onClose();
  else closed.addEventListener('abort', onClose, { once: true });
  try {
    const res = await fetch(url, { ...init, signal: ac.signal });
    return { status: res.status, text: await res.text() };
  } catch (e) {
    return { error: closed.aborted ? 'policy is closed' : describeFetchError(e, timeoutMs), retryable: !closed.aborted };
  } finally {
    clearTimeout(timer);
    closed.removeEventListener('abort', onClose);
  }
}

export function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no response within ${timeoutMs} ms (timeout)`;
  const code = err?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED): is the server running?';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection closed by the server (${code})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve host (${code})`;
  return `${err?.message ?? String(e)}${err?.cause?.message ? `: ${err.cause.message}` : ''}${code ? ` (${code})` : ''}`;
}

/** A server's text on one line, cut to `max` characters. */
export function snippet(s: string, max = 120): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The message for a server that refused the key (HTTP 401/403), naming the variable to set. */
export function authHint(apiKeyEnv: string | undefined, header: string): string {
  return apiKeyEnv
    ? `The server refused the key in ${apiKeyEnv}: export the server's key in ${apiKeyEnv} (sent as ${header}).`
    : `The server wants an API key: set apiKeyEnv: 'VLA_API_KEY' in the policy's config and export the key in VLA_API_KEY (sent as ${header}).`;
}

/** A finite number or undefined. */
export const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
