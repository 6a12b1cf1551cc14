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

/** Estimated seconds for one server's start and stop. */
const START_SECONDS = 0.8;
/** Estimated seconds to open and check one connection. */
const CONNECT_SECONDS = 1 / 5000;

/** The progress line counts estimated seconds: these are the estimates of
 * each kind of measurement, so the ETA is right from the start. */
export const estimate = {
  /** The capacity probe: steps, then a round's length of idle. */
  probe: (s: Settings) =>
    START_SECONDS + 1 + s.maxConnections * CONNECT_SECONDS + s.roundMs / 1000,
  /** One server in one round of a closed-loop cell of `connections`. */
  closed: (s: Settings, connections: number) =>
    START_SECONDS + connections * CONNECT_SECONDS +
    (s.warmupMs + s.roundMs) / 1000,
  /** One server's open-loop measurement. */
  openLoop: (s: Settings) =>
    estimate.closed(s, s.rateConnections) +
    s.rates.length * (s.warmupMs + s.openLoopRounds * s.roundMs) / 1000,
  /** One server's counting pass (count.ts): three connection counts, each an
   * untraced and a traced window, with starts and pauses (measured: 3.5 min
   * for 19 servers). */
  count: () => 11,
};

/** Estimated seconds for a run of servers that hold `held` connections
 * each (Infinity before the capacity probe says). */
export function runSeconds(settings: Settings, held: number[]): number {
  return held.reduce(
    (sum, most) =>
      sum + estimate.probe(settings) +
      settings.sizes.length * settings.connections
          .filter((connections) => connections <= most)
          .reduce(
            (cells, connections) =>
              cells + settings.rounds * estimate.closed(settings, connections),
            0,
          ) +
      (settings.rates.length && settings.rateConnections <= most
        ? estimate.openLoop(settings)
        : 0) +
      (settings.quick ? 0 : estimate.count()),
    0,
  );
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
