import type { PolicyInfo } from '../policy/types';
import type { EpisodeRow } from '../results/schema';
import { colours } from './style';

/**
 * Progress on stderr: a redrawn bar on a TTY, one line per policy in CI or when piped,
 * nothing with --quiet. Results themselves go to stdout.
 */
export class Progress {
  private total = 0;
  private done = 0;
  private ok = 0;
  private errors = 0;
  private t0 = 0;
  private name = '';
  private lastDraw = 0;
  /** Rows done before this process started (resume): counted in done/success, not in the rate. */
  private resumed = 0;
  private lastLine = 0;
  private readonly tty: boolean;

  constructor(private readonly quiet: boolean) {
    this.tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  start(info: PolicyInfo, total: number, already: readonly EpisodeRow[] = []): void {
    const ok = already.filter((r) => r.outcome === 'success').length;
    const errors = already.filter((r) => r.outcome === 'error' || r.outcome === 'policy_error').length;
    Object.assign(this, { total, done: already.length, resumed: already.length, ok, errors, t0: performance.now(), lastLine: performance.now(), name: info.name });
    if (!this.quiet && !this.tty) {
      process.stderr.write(`${info.name}: ${total} episodes${already.length ? ` (${already.length} already done, resuming)` : ''}\n`);
    }
  }

  /** A message between progress updates (resume, renderer restart…). */
  notice(msg: string): void {
    if (this.quiet) return;
    process.stderr.write(this.tty ? `\r\x1b[2K${msg}\n` : `${msg}\n`);
  }

  /** Ctrl-C: end the bar's line so the message after it starts clean. */
  interrupt(): void {
    if (!this.quiet && this.tty) process.stderr.write('\n');
  }

  episode(row: EpisodeRow): void {
    this.done++;
    if (row.outcome === 'success') this.ok++;
    if (row.outcome === 'error' || row.outcome === 'policy_error') this.errors++;
    const now = performance.now();
    if (this.quiet) return;
    const rate = (this.done - this.resumed) / ((now - this.t0) / 1000);
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    const success = `success ${((100 * this.ok) / this.done).toFixed(0)}%${this.errors ? ` errors ${this.errors}` : ''}`;
    if (!this.tty) {
      // CI: a quiet line every 30 s at most, no redraws.
      if (now - this.lastLine < 30_000 || this.done >= this.total) return;
      this.lastLine = now;
      process.stderr.write(`${this.name}: ${this.done}/${this.total} ${success} ETA ${eta.toFixed(0)}s\n`);
      return;
    }
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const w = 24;
    const f = this.total ? this.done / this.total : 1;
    const bar = '█'.repeat(Math.round(f * w)).padEnd(w, '░');
    process.stderr.write(`\r${this.name.padEnd(22).slice(0, 22)} ${bar} ${this.done}/${this.total}  ${success}  ETA ${eta.toFixed(0)}s `);
  }

  end(): void {
    if (this.quiet) return;
    const s = ((performance.now() - this.t0) / 1000).toFixed(1);
    const c = colours();
    const line = `${this.name}: ${this.done}/${this.total} episodes${this.resumed ? ` (${this.resumed} resumed)` : ''}, ${this.ok} succeeded${this.errors ? `, ${c.red(`${this.errors} errors`)}` : ''} (${s}s)`;
    process.stderr.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}
