import assert from "node:assert/strict";
import { benchFrom, rowsFor } from "./results.ts";
import { parseResults } from "@echo-lab/bench/results";

const spread = (median: number) => ({ median, min: median, max: median });
const summary = (rate: number, loadgenCores: number) => ({
  roundTripsPerSecond: spread(rate),
  p99Us: spread(80),
  cpuSecondsPerMillion: spread(5),
  serverCores: spread(0.25),
  loadgenCores: spread(loadgenCores),
});

/** A trimmed `bench/results/latest.json` of schema 1 (the Deno load
 * generator, no open loop), as the reader upgrades it. */
const SCHEMA_1 = {
  schema: 1,
  date: "2026-11-23T17:00:00.000Z",
  args: ["--quick"],
  machine: { cpu: "AMD EPYC", cores: 2, kernel: "linux 6.18", deno: "2.9.6" },
  backgroundCores: 0,
  settings: { sizes: [64], connections: [1, 100] },
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
          summary: summary(20000.5, 0.5),
        },
        { connections: 10, size: 64, status: "ok", summary: summary(90000, 1) },
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

Deno.test("benchFrom reads a schema 1 file through the bench's reader", () => {
  const bench = benchFrom(parseResults(JSON.stringify(SCHEMA_1)));
  assert.deepEqual(bench.about, {
    date: "2026-11-23 17:00",
    machine: "AMD EPYC, 2 cores, linux 6.18, Deno 2.9.6",
    run: "--quick",
    "load generator": "deno, 1 thread",
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
    "10 conn × 64 B",
    "100 conn × 64 B",
  ]);
  assert.equal(throughput.table.rows[0]["1 conn × 64 B"], "20,001");
  // A whole core of load generator: marked, and the title says what it means.
  assert.equal(throughput.table.rows[0]["10 conn × 64 B"], "90,000 ‡");
  assert.match(throughput.title, /‡ = limited by the load generator/);
  assert.equal(throughput.table.rows[0]["100 conn × 64 B"], "not run");
  assert.equal(rowsFor(footprint.table, "06-epoll")?.rows.length, 1);
  assert.equal(rowsFor(footprint.table, "07-async"), null);
  assert(!bench.tables.some((t) => t.title.startsWith("Open loop")));
});

Deno.test("benchFrom shows the open-loop runs of schema 2", () => {
  const results = parseResults(JSON.stringify(SCHEMA_1));
  results.settings.rateConnections = 10;
  results.servers[0].openLoop = [{
    connections: 10,
    size: 64,
    rate: 5000,
    status: "ok",
    reason: null,
    rounds: [],
    errors: {},
    summary: { ...results.servers[0].rows[0].summary! },
  }];
  const open = benchFrom(results).tables.at(-1)!;
  assert.match(open.title, /^Open loop, 10 connections/);
  assert.deepEqual(open.table.columns, ["server", "5,000 rt/s"]);
  assert.equal(open.table.rows[0]["5,000 rt/s"], "0.250 cores / 80 µs");
});

Deno.test("parseResults refuses what is not a results file", () => {
  assert.throws(() => parseResults('{"runs": []}'), /not a bench results/);
});
