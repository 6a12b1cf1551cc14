/**
 * The run context: what every step of a run needs (its settings, the notes
 * for the reader, the progress line, the load generator, and what to stop
 * on Ctrl-C), passed as an argument instead of living in module state.
 *
 * @module
 */
import type { Settings } from "./results.ts";
import type { Progress } from "./progress.ts";

/** One bench run. */
export interface RunContext {
  settings: Settings;
  /** Things the reader should know, gathered as the run goes. */
  notes: string[];
  progress: Progress;
  /** The load generator's command (program and leading arguments). */
  loadgen: string[];
  /** Its threads (each cell's loadgenLimited depends on them). */
  loadgenThreads: number;
  /** Processes to stop if the run is interrupted. */
  cleanups: Cleanups;
}

/** Work units (one per server start and per timed round) in one cell. */
export function cellUnits(settings: Settings): number {
  return settings.rounds + 1;
}

/** Work units for one server: its probe, every closed-loop cell, and the
 * open-loop rounds (run in one of those cells). */
export function serverUnits(settings: Settings): number {
  return 2 +
    settings.connections.length * settings.sizes.length * cellUnits(settings) +
    (settings.connections.includes(settings.rateConnections)
      ? settings.rates.length * settings.rounds
      : 0);
}

/** What to stop when the run is interrupted: servers and load generators
 * register a stop function while they run. */
export class Cleanups {
  readonly #pending = new Set<() => Promise<unknown>>();

  add(cleanup: () => Promise<unknown>): void {
    this.#pending.add(cleanup);
  }

  delete(cleanup: () => Promise<unknown>): void {
    this.#pending.delete(cleanup);
  }

  /** On Ctrl-C, stops everything registered, then exits 130. */
  stopOnInterrupt(): void {
    Deno.addSignalListener("SIGINT", async () => {
      await Promise.allSettled([...this.#pending].map((stop) => stop()));
      Deno.exit(130);
    });
  }
}
