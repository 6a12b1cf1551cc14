/**
 * The few statistics the bench reports beyond the load generator's own
 * latency percentiles: the median and spread of a figure across rounds, and
 * the summary of a cell's rounds.
 *
 * @example
 * ```ts
 * import { spread } from "./stats.ts";
 * console.log(spread([10, 12, 11])); // { median: 11, min: 10, max: 12 }
 * ```
 *
 * @module
 */
import { LOADGEN_LIMIT, type Round, type RowSummary } from "./results.ts";

/** A figure across rounds: the median, and the lowest and highest round. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median, min and max of `values` (NaN for none). */
export function spread(values: number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

// #region summarize
/** Medians and spread over the rounds of a cell, driven by a load generator
 * with `loadgenThreads` threads. */
export function summarize(
  rounds: Round[],
  loadgenThreads: number,
): RowSummary | null {
  if (rounds.length === 0) return null;
  const over = (f: (r: Round) => number) => spread(rounds.map(f));
  const loadgenCores = over((r) => r.loadgenCpuSeconds / r.seconds);
  const cpu = rounds.every((r) => r.serverCpuSeconds !== null);
  const max = (f: (r: Round) => number | null) =>
    rounds.some((r) => f(r) !== null)
      ? Math.max(...rounds.map((r) => f(r) ?? 0))
      : null;
  return {
    roundTripsPerSecond: over((r) => r.roundTrips / r.seconds),
    megabytesPerSecond: over((r) => r.bytes / r.seconds / 1e6),
    p50Us: over((r) => r.p50Us),
    p99Us: over((r) => r.p99Us),
    p999Us: over((r) => r.p999Us),
    cpuSecondsPerMillion: cpu
      ? over((r) => r.serverCpuSeconds! / r.roundTrips * 1e6)
      : null,
    serverCores: cpu ? over((r) => r.serverCpuSeconds! / r.seconds) : null,
    loadgenCores,
    loadgenLimited: loadgenCores.median / loadgenThreads >= LOADGEN_LIMIT,
    otherCores: cpu ? over((r) => r.otherCores) : null,
    rssBytes: max((r) => r.rssBytes),
    threads: max((r) => r.threads),
    processes: max((r) => r.processes),
  };
}
// #endregion

/** The ratio of two servers' figures measured in the same rounds: round i of
 * `a` over round i of `b`, so the slow drift of a shared machine divides out.
 * Its spread is the lowest and highest round's ratio; a spread that holds 1
 * says the two are level on this machine.
 *
 * @example
 * ```ts
 * import { pairedRatio } from "./stats.ts";
 * pairedRatio([110, 90, 100], [100, 100, 100]); // { median: 1, min: 0.9, max: 1.1 }
 * ```
 */
export function pairedRatio(a: number[], b: number[]): Spread {
  if (a.length !== b.length) {
    throw new Error(
      `pairedRatio: ${a.length} rounds against ${b.length}; ratios pair rounds`,
    );
  }
  return spread(a.map((value, i) => value / b[i]));
}
