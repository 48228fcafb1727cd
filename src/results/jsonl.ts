import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { ConfigError } from '../util/errors';
import type { EpisodeRow } from './schema';

/**
 * Appends one JSON line per finished episode with one unbuffered write(2) before returning: once
 * a row is reported it is in the kernel, so a killed or crashed run (SIGKILL, OOM, an exception)
 * loses nothing; at worst the last line is cut short, and readJsonlRows drops it. Against a power
 * cut or a kernel crash the file is also fdatasync'ed, at most every `syncEveryMs` (default
 * 1000 ms; 0 = after every row) and on close — a sync per row costs 1–30 ms on a busy disk,
 * which for short scripted episodes would be most of the run.
 */
export class JsonlWriter {
  private fd: number | undefined;
  private readonly syncEveryMs: number;
  private lastSync = performance.now();
  private dirty = false;

  constructor(
    readonly file: string,
    opts: { truncate?: boolean; syncEveryMs?: number } = {},
  ) {
    this.syncEveryMs = opts.syncEveryMs ?? 1000;
    this.fd = openSync(file, opts.truncate ? 'w' : 'a');
  }

  append(row: unknown): void {
    if (this.fd === undefined) throw new Error(`${this.file}: append after close`);
    // One write call per line: a line is never interleaved with another.
    writeSync(this.fd, JSON.stringify(row) + '\n');
    this.dirty = true;
    if (performance.now() - this.lastSync >= this.syncEveryMs) this.flush();
  }

  /** fdatasync what was written. */
  flush(): void {
    if (this.fd === undefined || !this.dirty) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
    this.lastSync = performance.now();
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface JsonlRead {
  rows: EpisodeRow[];
  /** Bytes of complete lines; anything after (a cut-off last line) is not a row. */
  goodBytes: number;
  /** A partial last line was found (the writer was killed mid-line). */
  partialTail: boolean;
}

/**
 * Read an episodes.jsonl. A last line without its newline (killed mid-write) is ignored; any
 * other line that is not a row is an error naming the line.
 */
export function readJsonlRows(file: string): JsonlRead {
  if (!existsSync(file)) return { rows: [], goodBytes: 0, partialTail: false };
  const buf = readFileSync(file);
  const end = buf.lastIndexOf(0x0a) + 1; // bytes up to and including the last newline
  const text = buf.subarray(0, end).toString('utf8');
  const rows: EpisodeRow[] = [];
  const lines = text.split('\n');
  lines.pop(); // after the last newline: ''
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new ConfigError(`${file}:${i + 1}: not a JSON row (${(e as Error).message})`, 'The file is damaged in the middle; fix or delete that line, or rerun without --resume.');
    }
    if (!row || typeof row !== 'object' || typeof (row as EpisodeRow).episodeId !== 'string' || typeof (row as EpisodeRow).policy !== 'string') {
      throw new ConfigError(`${file}:${i + 1}: not an episode row (no episodeId/policy)`);
    }
    rows.push(row as EpisodeRow);
  });
  return { rows, goodBytes: end, partialTail: end < buf.length };
}

/** Cut a partial last line off, so that appends start on a fresh line. */
export function dropPartialTail(file: string, read: JsonlRead): void {
  if (read.partialTail) truncateSync(file, read.goodBytes);
}

/** Write a whole file so that readers never see half of it (write to a temp file, then rename). */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r+');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
