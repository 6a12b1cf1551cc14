/**
 * The run context: what every step of a run needs (its settings, the notes
 * for the reader, the quiet check, the progress line, the load generator,
 * and what to stop on Ctrl-C), passed as an argument instead of living in
 * module state.
 *
 * @module
 */
import type { NoisyMeasurement, Settings } from "./results.ts";
import type { Progress } from "./progress.ts";

/** One bench run. */
export interface RunContext {
  settings: Settings;
  /** Things the reader should know, gathered as the run goes. */
  notes: string[];
  /** Tries per measurement to find a quiet machine. */
  attempts: number;
  /** Measurements that stayed above QUIET_LIMIT after every attempt. */
  noisy: NoisyMeasurement[];
  progress: Progress;
  /** The load generator's command (program and leading arguments). */
  loadgen: string[];
  /** Its threads (each cell's loadgenLimited depends on them). */
  loadgenThreads: number;
  /** Processes to stop if the run is interrupted. */
  cleanups: Cleanups;
}

/** Other work (cores) beside a measurement above which it is repeated. */
export const QUIET_LIMIT = 0.1;

/** Estimated seconds for one server's start, connections and stop. */
const START_SECONDS = 1.2;

/** The progress line counts estimated seconds: these are the estimates of
 * each kind of measurement, so the ETA is right from the start. */
export const estimate = {
  /** The capacity probe: steps, then a round's length of idle. */
  probe: (s: Settings) => START_SECONDS + 3 + s.roundMs / 1000,
  /** One server in one round of one closed-loop cell. */
  closed: (s: Settings) => START_SECONDS + (s.warmupMs + s.roundMs) / 1000,
  /** One server's open-loop measurement. */
  openLoop: (s: Settings) =>
    START_SECONDS + (s.warmupMs + s.roundMs) / 1000 +
    s.rates.length * (s.warmupMs + s.openLoopRounds * s.roundMs) / 1000,
};

/** Estimated seconds for a run of `servers` servers. */
export function runSeconds(settings: Settings, servers: number): number {
  const cells = settings.connections.length * settings.sizes.length;
  return servers * (estimate.probe(settings) +
    cells * settings.rounds * estimate.closed(settings) +
    (settings.rates.length ? estimate.openLoop(settings) : 0));
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
