/**
 * The progress display of a run that takes minutes: one status line,
 * rewritten in place on a terminal (plain lines elsewhere, e.g. in CI logs),
 * with elapsed time and an estimate of what is left.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Counts work units (one per timed round, probe step or server start) and
 * shows where the run is. */
export class Progress {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #started = performance.now();
  #done = 0;
  #status = "";

  constructor(readonly total: number) {}

  /** Work units done so far. */
  get done(): number {
    return this.#done;
  }

  /** Marks `units` of work done and shows `status`. */
  advance(units: number, status: string): void {
    this.#done += units;
    this.show(status);
  }

  /** Shows `status` on the status line (only on a terminal). */
  show(status: string): void {
    this.#status = status;
    if (!this.#tty) return;
    // Never wider than the terminal: a wrapped line cannot be rewritten.
    const columns = Deno.consoleSize().columns || 1000;
    this.#write(`\r\x1b[2K${this.#line().slice(0, columns - 1)}`);
  }

  /** Prints a line that stays (above the status line on a terminal). */
  log(line: string): void {
    this.#write(this.#tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    if (this.#tty) this.show(this.#status);
  }

  /** Clears the status line. */
  end(): void {
    if (this.#tty) this.#write("\r\x1b[2K");
  }

  #line(): string {
    const elapsed = (performance.now() - this.#started) / 1000;
    const share = Math.min(1, this.#done / Math.max(1, this.total));
    const left = share > 0.02 ? elapsed / share - elapsed : NaN;
    const eta = Number.isFinite(left) ? `, ~${clock(left)} left` : "";
    return `[${Math.round(share * 100)}% ${
      clock(elapsed)
    }${eta}] ${this.#status}`;
  }

  #write(text: string) {
    const bytes = encoder.encode(text);
    for (let off = 0; off < bytes.length;) {
      off += Deno.stderr.writeSync(bytes.subarray(off));
    }
  }
}

/** Seconds as m:ss. */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
