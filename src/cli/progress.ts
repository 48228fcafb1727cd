import type { PolicyInfo } from '../policy/types';
import type { EpisodeRow } from '../runner/results';
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
  private readonly tty: boolean;

  constructor(private readonly quiet: boolean) {
    this.tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  start(info: PolicyInfo, total: number): void {
    Object.assign(this, { total, done: 0, ok: 0, errors: 0, t0: performance.now(), name: info.name });
  }

  episode(row: EpisodeRow): void {
    this.done++;
    if (row.outcome === 'success') this.ok++;
    if (row.outcome === 'error' || row.outcome === 'policy_error') this.errors++;
    const now = performance.now();
    if (this.quiet || !this.tty || (now - this.lastDraw < 100 && this.done < this.total)) return;
    this.lastDraw = now;
    const w = 24;
    const f = this.total ? this.done / this.total : 1;
    const bar = '█'.repeat(Math.round(f * w)).padEnd(w, '░');
    const rate = this.done / ((now - this.t0) / 1000);
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    process.stderr.write(`\r${this.name.padEnd(22).slice(0, 22)} ${bar} ${this.done}/${this.total}  success ${((100 * this.ok) / this.done).toFixed(0)}%  ETA ${eta.toFixed(0)}s `);
  }

  end(): void {
    if (this.quiet) return;
    const s = ((performance.now() - this.t0) / 1000).toFixed(1);
    const c = colours();
    const line = `${this.name}: ${this.done} episodes, ${this.ok} succeeded${this.errors ? `, ${c.red(`${this.errors} errors`)}` : ''} (${s}s)`;
    process.stderr.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}
