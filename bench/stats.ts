/**
 * The few statistics the bench reports: percentiles of latencies within a
 * round, and the median and spread of a figure across rounds.
 *
 * @example
 * ```ts
 * import { percentile, spread } from "./stats.ts";
 * console.log(percentile(Float64Array.of(3, 1, 2), 0.5)); // 2
 * console.log(spread([10, 12, 11])); // { median: 11, min: 10, max: 12 }
 * ```
 *
 * @module
 */

/** A figure across rounds: the median, and the lowest and highest round. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The `q`-quantile (0..1) of sorted `values` by the nearest-rank method:
 * the smallest value with at least `q` of all values at or below it. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
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

/** A growing list of latencies in microseconds, sorted on demand. */
export class LatencyLog {
  #values = new Float64Array(1 << 16);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(micros: number): void {
    if (this.#length === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#length++] = micros;
  }

  /** p50, p99 and p99.9 of what was added since the last clear. */
  percentiles(): { p50: number; p99: number; p999: number } {
    const sorted = this.#values.subarray(0, this.#length).sort();
    return {
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      p999: percentile(sorted, 0.999),
    };
  }

  clear(): void {
    this.#length = 0;
  }
}
