/**
 * Bench results with known figures for the figure tests: the committed run
 * with chapter 06's probe and its 100 × 64 B rounds set by the test, so no
 * assertion depends on the last bench run.
 *
 * @module
 */
import type { BenchResults, Round } from "@echo-lab/bench/results";
import { latestResults } from "../readmes.ts";

/** A round of `rate` round trips in 1 s at `cpu` s of server CPU, with
 * `otherCores` of other work beside it (schema 3's per-round field). */
export function round(rate: number, cpu: number, otherCores = 0): Round {
  return {
    roundTrips: rate,
    bytes: rate * 64,
    seconds: 1,
    p50Us: 100,
    p99Us: 900,
    p999Us: 1000,
    serverCpuSeconds: cpu,
    loadgenCpuSeconds: 0.3,
    machineCpuSeconds: cpu + 0.3 + otherCores,
    otherCores,
    attempts: 1,
    rssBytes: null,
    threads: null,
    processes: null,
    errors: {},
  } as Round;
}

/** The committed results with 06's probe and its 100 x 64 B rounds set to
 * known values (and its 10 x 64 B cell not run), so the test does not depend
 * on the last bench run. `rates` are 06's rounds; C's stay at 100,000 round
 * trips/s at 1 s of CPU. */
export function results(
  rates = [100_000, 100_000, 100_000],
  rssPerConnection = 1055,
): BenchResults {
  const latest = latestResults();
  const cell = (rounds: Round[]) => ({
    connections: 100,
    size: 64,
    status: "ok" as const,
    reason: null,
    rounds,
    errors: {},
    summary: {
      ...latest.servers[0].rows[0].summary!,
      loadgenLimited: false,
      otherCores: { median: 0, min: 0, max: 0 },
    },
  });
  const servers = latest.servers.map((server) => {
    if (server.id === "reference c") {
      return {
        ...server,
        rows: [cell([1, 2, 3].map(() => round(100_000, 1)))],
      };
    }
    if (server.id !== "06-epoll server") return server;
    return {
      ...server,
      capacity: {
        ...server.capacity!,
        held: 10000,
        rssPerConnectionBytes: rssPerConnection,
      },
      rows: [
        cell(rates.map((rate) => round(rate, 1))),
        {
          ...cell([]),
          connections: 10,
          status: "not run" as const,
          reason: "x",
          summary: null,
        },
      ],
    };
  });
  // No quiet check unless a test adds one (the committed run has one).
  return { ...latest, quiet: null, servers };
}
