/**
 * Helpers for the queue tests: a real redis-server on a free loopback port with a temporary
 * directory (no persistence), and simgate processes started in any working directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { killTree, ROOT, type CliResult } from './runner-helpers';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** PING over a plain socket (RESP inline command): true once the server answers PONG. */
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const end = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => end(false));
    s.once('error', () => end(false));
    s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    s.once('data', (d) => end(d.toString().startsWith('+PONG')));
  });
}

export interface RedisServer {
  port: number;
  url: string;
  stop: () => Promise<void>;
}

/** Debian's redis-server on 127.0.0.1 only, in a temp folder, nothing saved; stop() ends it and removes the folder. */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'simgate-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const t0 = Date.now();
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() - t0 > 10_000) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// tsx by absolute URL: a process started in another folder (a worker "on another machine") cannot resolve the bare name.
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

const live = new Set<ChildProcess>();

export interface Proc {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** stderr so far. */
  err: () => string;
}

/** `simgate <args>` in `cwd` (default: the repo), its output collected. */
export function simgate(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Proc {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, CI: '1', NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((res) =>
    child.on('close', (code, signal) => {
      live.delete(child);
      res({ code, signal, stdout, stderr });
    }),
  );
  return { child, done, err: () => stderr };
}

/** Kill every process `simgate()` started that is still running (afterEach). */
export async function killAll(): Promise<void> {
  const waits = [...live].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('close', r))));
  // Chromium and its helpers too (a worker's renderer), children first.
  for (const c of live) killTree(c);
  await Promise.all(waits);
  live.clear();
}

/** Resolve once `test()` holds, polling; throw after `timeoutMs` with `what`. */
export async function until(test: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
