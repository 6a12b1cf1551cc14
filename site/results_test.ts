import assert from "node:assert/strict";
import { benchFrom, rowsFor } from "./results.ts";

const spread = (median: number) => ({ median, min: median, max: median });

/** A trimmed `bench/results/latest.json` in the benchmark's schema 1. */
const LATEST = {
  schema: 1,
  date: "2026-11-23T17:00:00.000Z",
  args: ["--quick"],
  machine: { cpu: "AMD EPYC", cores: 2, kernel: "linux 6.18", deno: "2.9.6" },
  notes: ["gcc missing: C reference skipped"],
  servers: [
    {
      id: "06-epoll server",
      chapter: "06-epoll",
      task: "server",
      error: null,
      idle: { rssBytes: 40_000_000, threads: 7, processes: 1 },
      capacity: { held: 1000, failure: null, rssPerConnectionBytes: 29_000 },
      rows: [
        {
          connections: 1,
          size: 64,
          status: "ok",
          summary: { roundTripsPerSecond: spread(20000.5), p99Us: spread(80) },
        },
        { connections: 100, size: 64, status: "not run", summary: null },
      ],
    },
    {
      id: "reference node",
      chapter: null,
      task: "node",
      error: null,
      idle: { rssBytes: 50_000_000, threads: 11, processes: 1 },
      capacity: null,
      rows: [],
    },
  ],
};

Deno.test("benchFrom reads schema 1", () => {
  const bench = benchFrom(LATEST);
  assert.deepEqual(bench.about, {
    date: "2026-11-23 17:00",
    machine: "AMD EPYC, 2 cores, linux 6.18, Deno 2.9.6",
    run: "--quick",
  });
  assert.deepEqual(bench.notes, ["gcc missing: C reference skipped"]);
  assert.deepEqual(bench.measured, {
    "06-epoll": { threads: "7", held: "1,000", rss: "29 KB" },
  });
  const [footprint, throughput] = bench.tables;
  assert.equal(footprint.table.rows[0]["RSS idle"], "40 MB");
  assert.equal(footprint.table.rows[1]["connections held"], "");
  assert.deepEqual(throughput.table.columns, [
    "server",
    "1 conn × 64 B",
    "100 conn × 64 B",
  ]);
  assert.equal(throughput.table.rows[0]["1 conn × 64 B"], "20,001");
  assert.equal(throughput.table.rows[0]["100 conn × 64 B"], "not run");
  assert.equal(rowsFor(footprint.table, "06-epoll")?.rows.length, 1);
  assert.equal(rowsFor(footprint.table, "07-async"), null);
});

Deno.test("benchFrom shows any other list of records as it is", () => {
  const bench = benchFrom({ runs: [{ server: "01-blocking", rps: 5 }] });
  assert.deepEqual(bench.tables, [{
    title: "Results",
    table: {
      columns: ["server", "rps"],
      rows: [{ server: "01-blocking", rps: "5" }],
    },
  }]);
  assert.deepEqual(benchFrom(undefined).tables, []);
});
