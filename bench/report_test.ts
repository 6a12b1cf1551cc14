import assert from "node:assert/strict";
import { join } from "node:path";
import { focusRow, renderSummary, table } from "./report.ts";
import { parseResults } from "./results.ts";

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
  // Footprint, one per message size, the focus row, open loop when any
  // server ran at fixed rates, and the counting pass's table when it ran.
  const sizes = results.settings.sizes.length;
  const openLoop = results.settings.rates.length > 0 &&
    measured.some((s) => s.openLoop.length > 0);
  const counted = results.counts ? 1 : 0;
  assert.equal(tables.length, sizes + 2 + (openLoop ? 1 : 0) + counted);
  for (const lines of tables) {
    const columns = lines[0].split(" | ").length;
    assert.match(lines[1], /^\| -+:? (\| -+:? )*\|$/, "separator row");
    for (const line of lines) {
      assert.match(line, /^\| .* \|$/);
      assert.equal(line.split(" | ").length, columns, line);
      assert.equal(line.length, lines[0].length, "padded to one width");
    }
  }
  // Every measured server has a row in the footprint and rate tables.
  for (const lines of tables.slice(0, sizes + 1)) {
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
