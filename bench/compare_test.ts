import assert from "node:assert/strict";
import { join } from "node:path";
import {
  blocks,
  comparisonsOf,
  quotedComparisons,
  ratio,
  verdict,
} from "./compare.ts";
import type { BenchResults, Round, ServerResult } from "./results.ts";

/** A round with `rate` round trips in 1 s at `cpu` s of server CPU. */
function round(rate: number, cpu: number): Round {
  return {
    roundTrips: rate,
    bytes: rate * 64,
    seconds: 1,
    p50Us: 1,
    p99Us: 1,
    p999Us: 1,
    serverCpuSeconds: cpu,
    loadgenCpuSeconds: 0.5,
    machineCpuSeconds: 2,
    otherCores: 1.5 - cpu,
    attempts: 1,
    rssBytes: null,
    threads: null,
    processes: null,
    errors: {},
  } as Round; // schema 3's fields too, so the fixture fits either schema
}

function server(id: string, rounds: Round[]): ServerResult {
  return {
    id,
    rows: [{
      connections: 100,
      size: 64,
      status: "ok",
      reason: null,
      rounds,
      summary: null,
      errors: {},
    }],
  } as unknown as ServerResult;
}

const results = {
  servers: [
    server("fast", [round(130, 0.5), round(120, 0.5), round(140, 0.5)]),
    server("even", [round(110, 1), round(95, 1), round(100, 1)]),
    server("base", [round(100, 1), round(100, 1), round(100, 1)]),
  ],
} as unknown as BenchResults;
const at = { connections: 100, size: 64 };

Deno.test("ratio: a over b round by round; verdict from its spread", () => {
  const fast = ratio(results, { a: "fast", b: "base", ...at, metric: "rate" });
  assert.deepEqual(fast, { median: 1.3, min: 1.2, max: 1.4, rounds: 3 });
  assert.equal(verdict(fast!), "1.30× ahead of");
  const slow = ratio(results, { a: "base", b: "fast", ...at, metric: "rate" });
  assert.match(verdict(slow!), /^behind \(0\.77×\)$/);
  const even = ratio(results, { a: "even", b: "base", ...at, metric: "rate" });
  assert.equal(verdict(even!), "level with");
  // CPU per round trip: fast spent 0.5 s on 130 round trips, base 1 s on 100.
  const cpu = ratio(results, { a: "fast", b: "base", ...at, metric: "cpu" });
  assert.ok(Math.abs(cpu!.median - 0.5 / 130 / 0.01) < 1e-9);
  assert.equal(
    ratio(results, { a: "fast", b: "none", ...at, metric: "rate" }),
    null,
  );
  assert.equal(
    ratio(results, {
      a: "fast",
      b: "base",
      connections: 1,
      size: 64,
      metric: "rate",
    }),
    null,
  );
});

Deno.test("blocks: markers parsed, errors name the line", () => {
  const md = [
    "Text.",
    "",
    '<!-- bench compare a="x server" b="reference c" at="1x64, 100x64" metric="rate,cpu" -->',
    "old sentence",
    "<!-- /bench -->",
    "",
    "```md",
    '<!-- bench table servers="in a fence" at="1x64" -->',
    "```",
    '<!-- bench table servers="x server, reference c" at="100x64" -->',
    "<!-- /bench -->",
    "- an item:",
    '  <!-- bench table servers="*" at="1x64" rates="1000" -->',
    "  | old |",
    "  <!-- /bench -->",
  ].join("\n");
  const [compare, table, all] = blocks(md, "a.md");
  // A block inside a list item: its body without the item's indent, and
  // "*" for every server the lab has (each chapter's, then the references).
  assert.equal(all.indent, "  ");
  assert.equal(all.body, "| old |");
  assert.deepEqual(all.rates, [1000]);
  assert.ok(all.servers.includes("06-epoll server:edge"));
  assert.equal(all.servers.at(-1), "reference c");
  assert.equal(compare.line, 3);
  assert.equal(compare.body, "old sentence");
  assert.equal(comparisonsOf(compare).length, 4);
  assert.deepEqual(comparisonsOf(table), [
    { a: "x server", b: "reference c", ...at, metric: "cpu" },
  ]);
  assert.throws(
    () =>
      blocks(
        'x\n<!-- bench compare a="x" b="y" at="100" metric="rate" -->\n<!-- /bench -->',
        "b.md",
      ),
    /b\.md:2: .*CONNECTIONSxSIZE/,
  );
  assert.throws(
    () => blocks('<!-- bench table servers="x" at="1x64" -->\n', "c.md"),
    /c\.md:1: .*no <!-- \/bench -->/,
  );
});

Deno.test("quotedComparisons: every marker under a root, each once", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "chapters/01"), { recursive: true });
    const marker =
      '<!-- bench compare a="a" b="b" at="100x64" metric="rate" -->\n<!-- /bench -->\n';
    await Deno.writeTextFile(join(root, "chapters/01/README.md"), marker);
    await Deno.writeTextFile(join(root, "README.md"), marker + marker);
    assert.deepEqual(await quotedComparisons(root), [
      { a: "a", b: "b", ...at, metric: "rate" },
    ]);
    // With results, a pair not measured in its cell quotes nothing.
    await Deno.writeTextFile(
      join(root, "chapters/01/README.md"),
      '<!-- bench table servers="fast" at="1x64, 100x64" -->\n<!-- /bench -->\n',
    );
    const withC = {
      servers: [...results.servers, {
        ...results.servers[2],
        id: "reference c",
      }],
    } as BenchResults;
    assert.deepEqual(await quotedComparisons(root, withC), [
      { a: "fast", b: "reference c", ...at, metric: "cpu" },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
