/**
 * Console output: the progress display of a run that takes minutes: one status line,
 * rewritten in place on a terminal (elsewhere, e.g. in CI logs, a line per
 * measurement done), with elapsed time and an estimate of what is left.
 *
 * @module
 */
import type { ErrorCounts, ServerResult } from "./results.ts";

const encoder = new TextEncoder();

/** Counts work units (estimated seconds of measurement) and shows where the
 * run is. */
export class Progress {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #started = performance.now();
  #done = 0;
  #status = "";

  /** `total`: work units the whole run will take (an estimate, which the
   * run may correct as it learns more). */
  constructor(public total: number) {}

  /** Work units done so far. */
  get done(): number {
    return this.#done;
  }

  /** Marks `units` of work done and shows `status`. */
  advance(units: number, status: string): void {
    this.#done += units;
    if (this.#tty) this.show(status);
    else this.#write(`${this.#line(status)}\n`);
  }

  /** Shows `status` on the status line (only on a terminal). */
  show(status: string): void {
    this.#status = status;
    if (!this.#tty) return;
    // Never wider than the terminal: a wrapped line cannot be rewritten.
    const columns = Deno.consoleSize().columns || 1000;
    this.#write(`\r\x1b[2K${this.#line(status).slice(0, columns - 1)}`);
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

  #line(status: string): string {
    const elapsed = (performance.now() - this.#started) / 1000;
    const share = Math.min(1, this.#done / Math.max(1, this.total));
    const left = share > 0.02 ? elapsed / share - elapsed : NaN;
    const eta = Number.isFinite(left) ? `, ~${clock(left)} left` : "";
    return `[${Math.round(share * 100)}% ${clock(elapsed)}${eta}] ${status}`;
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

/** One line per measured server: what it held and its best rate. */
export function summaryLine(result: ServerResult): string {
  if (result.error) return `✗ ${result.label}: ${result.error}`;
  const held = result.capacity!.held.toLocaleString("en");
  const best = result.rows
    .filter((r) => r.summary)
    .sort((a, b) =>
      b.summary!.roundTripsPerSecond.median -
      a.summary!.roundTripsPerSecond.median
    )[0];
  const failed = result.rows.filter((r) => r.status === "failed").length;
  const peak = best
    ? `, best ${
      Math.round(best.summary!.roundTripsPerSecond.median).toLocaleString("en")
    } rt/s ` +
      `(${best.connections} conn × ${best.size} B)`
    : "";
  return `${failed ? "!" : "✓"} ${result.label}: held ${held}${peak}` +
    (failed ? `, ${failed} cells with failures` : "");
}

/** Failures by kind, e.g. `3× closed by server, 1× reset (ECONNRESET)`. */
export function describeErrors(errors: ErrorCounts): string {
  const parts = Object.entries(errors).map(([kind, n]) => `${n}× ${kind}`);
  return parts.length ? parts.join(", ") : "no error reported";
}
