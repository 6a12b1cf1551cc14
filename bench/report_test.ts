import assert from "node:assert/strict";
import { join } from "node:path";
import { focusRow, renderSummary, table } from "./report.ts";
import { inGrid, parseResults } from "./results.ts";

const LATEST = join(import.meta.dirname!, "results", "latest.json");

/** The Markdown tables of `text`: runs of lines that start with `|`. */
function tablesIn(text: string): string[][] {
  return text.split(/\n(?!\|)/).map((block) =>
    block.split("\n").filter((line) => line.startsWith("|"))
  ).filter((lines) => lines.length > 0);
}

Deno.test("table pads columns and aligns figures right", () => {
  assert.equal(
    table(["server", "rt/s"], [["06-epoll", "129,500"], ["C", "–"]]),
    [
      "| server   |    rt/s |",
      "| -------- | ------: |",
      "| 06-epoll | 129,500 |",
      "| C        |       – |",
    ].join("\n"),
  );
});

Deno.test("the committed latest.json renders well-formed tables", async () => {
  const results = parseResults(await Deno.readTextFile(LATEST));
  const summary = renderSummary(results);
  const measured = results.servers.filter((s) => !s.error);
  const tables = tablesIn(summary);
  // Footprint, one per message size, the focus row, the cells chapters asked
  // for beyond the grid when any did, open loop when any server ran at fixed
  // rates, and the counting pass's table when it ran.
  const sizes = results.settings.sizes.length;
  const asked = measured.some((s) =>
    s.rows.some((r) => !inGrid(results.settings, r))
  );
  const openLoop = results.settings.rates.length > 0 &&
    measured.some((s) => s.openLoop.length > 0);
  // Per size: CPU and rate as ratios to the reference, then both absolute.
  const counted = results.counts ? 1 : 0;
  assert.equal(
    tables.length,
    4 * sizes + 2 + (asked ? 1 : 0) + (openLoop ? 1 : 0) + counted,
  );
  for (const lines of tables) {
    const columns = lines[0].split(" | ").length;
    assert.match(lines[1], /^\| -+:? (\| -+:? )*\|$/, "separator row");
    for (const line of lines) {
      assert.match(line, /^\| .* \|$/);
      assert.equal(line.split(" | ").length, columns, line);
      assert.equal(line.length, lines[0].length, "padded to one width");
    }
  }
  // Every measured server has a row in the ratio, rate and footprint tables.
  for (const lines of tables.slice(0, 4 * sizes + 1)) {
    assert.equal(lines.length, 2 + measured.length);
  }
  for (const server of measured) {
    assert.ok(summary.includes(`| ${server.label} `), server.label);
  }
  // Every counted server has a row in the count table, the last one.
  if (results.counts) {
    const rows = tables.at(-1)!.slice(2).map((line) => line.split(" | ")[0]);
    assert.deepEqual(
      rows,
      results.counts.servers.map((s) => `| ${s.label}`.padEnd(rows[0].length)),
    );
  }
  assert.ok(summary.includes(results.date), "names the run");
  assert.ok(summary.includes(results.machine.cpu), "names the machine");
});

Deno.test("focusRow takes 100 connections, or the most held below", () => {
  const row = (connections: number, size = 64) => ({
    connections,
    size,
    status: "ok" as const,
    reason: null,
    rounds: [],
    errors: {},
    summary: {} as never,
  });
  const server = (rows: ReturnType<typeof row>[]) => ({
    id: "x",
    label: "x",
    chapter: null,
    task: "c",
    command: [],
    date: "2026-11-30T00:00:00.000Z",
    error: null,
    idle: null,
    capacity: null,
    rows,
    openLoop: [],
  });
  assert.equal(
    focusRow(server([row(1), row(100), row(1000)]))?.connections,
    100,
  );
  assert.equal(
    focusRow(server([row(1), row(10), row(10, 4096)]))?.connections,
    10,
  );
  assert.equal(focusRow(server([row(1000)])), undefined);
});

Deno.test("ratios to the reference, round by round, with noisy cells marked", async () => {
  const results = parseResults(await Deno.readTextFile(LATEST));
  results.quiet = {
    limitCores: 0.1,
    maxAttempts: 3,
    noisy: [{
      server: "06-epoll server",
      what: "100 conn × 64 B, round 2",
      otherCores: 0.5,
      attempts: 3,
    }],
  };
  results.settings.connections = [100];
  results.settings.sizes = [64];
  results.servers = results.servers.filter((s) =>
    ["06-epoll server", "reference c"].includes(s.id)
  );
  // Three rounds each: 06 at 2, 1 and 1 times C's rate, for 1.5 times C's
  // CPU per round trip in every round; 06's second round was noisy.
  const rates = {
    "06-epoll server": [200, 100, 100],
    "reference c": [100, 100, 100],
  };
  for (const server of results.servers) {
    const row = server.rows.find((r) =>
      r.connections === 100 && r.size === 64
    )!;
    server.rows = [row];
    const own = server.id === "reference c" ? 1 : 1.5;
    row.rounds = rates[server.id as keyof typeof rates].map((rate, i) => ({
      ...row.rounds[0],
      roundTrips: rate,
      seconds: 1,
      serverCpuSeconds: rate * own * 1e-5,
      otherCores: server.id !== "reference c" && i === 1 ? 0.5 : 0,
      attempts: server.id !== "reference c" && i === 1 ? 3 : 1,
    }));
  }
  const summary = renderSummary(results);
  const [cpu, rate] = tablesIn(summary);
  assert.match(cpu.join("\n"), /\| 06-epoll +\| +1\.50 \(1\.50-1\.50\) † \|/);
  assert.match(cpu.join("\n"), /\| C epoll +\| +1 \(reference\) \|/);
  assert.match(rate.join("\n"), /\| 06-epoll +\| +1\.00 \(1\.00-2\.00\) †/);
  assert.match(summary, /\*\*1 stayed noisy\*\*/);
  assert.match(
    summary,
    /- 06-epoll server, 100 conn × 64 B, round 2: 0\.50 cores of other work \(attempts: 3\)/,
  );
});

Deno.test("an older file reads as schema 3: otherCores per round, no quiet check", async () => {
  // The committed file as schema 2 wrote it, whichever schema it has now.
  const old = JSON.parse(await Deno.readTextFile(LATEST));
  old.schema = 2;
  delete old.quiet;
  delete old.reference;
  for (const server of old.servers) {
    for (const row of server.rows) {
      for (const round of row.rounds) {
        delete round.otherCores;
        delete round.otherTasksCpuSeconds;
        delete round.attempts;
      }
    }
  }
  const results = parseResults(JSON.stringify(old));
  assert.equal(results.schema, 3);
  assert.equal(results.quiet, null);
  assert.equal(results.reference, "reference c");
  const round = results.servers[0].rows[0].rounds[0];
  assert.equal(round.attempts, 1);
  assert.equal(
    round.otherCores,
    (round.machineCpuSeconds - round.serverCpuSeconds! -
      round.loadgenCpuSeconds) / round.seconds,
  );
  assert.match(renderSummary(results), /predates interleaved rounds/);
});
