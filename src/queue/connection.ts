import { Redis } from 'ioredis';
import { ConfigError, EXIT, SimgateError } from '../util/errors';

/** The BullMQ queue a run and its workers share, unless --queue-name says otherwise. */
export const DEFAULT_QUEUE_NAME = 'simgate';

/** The URL as the user wrote it, with any password masked: for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS); anything else is a usage error. */
export function checkQueueUrl(url: string, flag = '--queue'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`${flag} ${url}: not a URL`, 'Give the Redis server as redis://host:port (e.g. --queue redis://127.0.0.1:6379).');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`${flag} ${url}: expected a redis:// or rediss:// URL`, 'e.g. --queue redis://127.0.0.1:6379');
  if (!u.hostname) throw new ConfigError(`${flag} ${url}: no host`, 'e.g. --queue redis://127.0.0.1:6379');
  return url;
}

export const queueNameOf = (name: string | undefined): string => {
  const n = name ?? DEFAULT_QUEUE_NAME;
  // BullMQ keys are "<prefix>:<queue>:…": a colon in the name is refused by BullMQ itself.
  if (!/^[A-Za-z0-9_.-]+$/.test(n)) throw new ConfigError(`--queue-name ${n}: use letters, digits, '.', '_' or '-'`);
  return n;
};

/**
 * Connect to Redis, or fail at once with an error naming the URL. ioredis retries a refused
 * connection forever by default (and BullMQ requires `maxRetriesPerRequest: null`), so a wrong
 * URL would otherwise hang silently: a first, non-retrying connection checks the server answers
 * PING within `timeoutMs`, and only then is the long-lived, reconnecting client made. BullMQ
 * duplicates that client for its blocking reads and leaves the client itself to us to close.
 */
export async function connectRedis(url: string, opts: { timeoutMs?: number; flag?: string } = {}): Promise<Redis> {
  checkQueueUrl(url, opts.flag);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let last: Error | undefined;
  probe.on('error', (e: Error) => (last = e));
  try {
    await withTimeout(
      (async () => {
        await probe.connect();
        await probe.ping();
      })(),
      timeoutMs,
    );
  } catch (e) {
    const why = (last ?? (e as Error)).message || String(e);
    throw new SimgateError(
      `cannot reach Redis at ${redactUrl(url)} (${opts.flag ?? '--queue'}): ${why}`,
      'Start a Redis server there (Debian: apt-get install redis-server), or fix the URL.',
      EXIT.usage,
    );
  } finally {
    probe.disconnect();
  }
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on('error', () => undefined); // reconnects by itself; the caller watches 'close'/'ready'
  return client;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Watches a client for a lost server: `downForMs()` is how long it has been without a
 * connection (0 while connected), so long waits can give up with a clear error.
 */
export function watchConnection(client: Redis): { downForMs: () => number; lastError: () => string | undefined } {
  let downSince: number | undefined;
  let lastError: string | undefined;
  client.on('close', () => (downSince ??= Date.now()));
  client.on('end', () => (downSince ??= Date.now()));
  client.on('ready', () => (downSince = undefined));
  client.on('error', (e: Error) => (lastError = e.message));
  return { downForMs: () => (downSince === undefined ? 0 : Date.now() - downSince), lastError: () => lastError };
}
