/**
 * `deno task bench --reproduce`, short: the quoted comparisons under a root
 * of our own, measured again on chapter 06 and the C reference, each printed
 * beside the committed ratio with the verdict its numbers give.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { compareLine, outcome, reproduce } from "./reproduce.ts";
import { parseOptions } from "./options.ts";
import { Cleanups, type RunContext } from "./context.ts";
import { Progress } from "./progress.ts";
import { buildLoadgen } from "./gcc.ts";
import { findServers } from "./servers.ts";
import { formatResults, parseResults } from "./results.ts";

const LATEST = join(import.meta.dirname!, "results", "latest.json");

Deno.test("outcome: reproduced within ±20% of the committed median", () => {
  const r = (median: number) => ({
    median,
    min: median,
    max: median,
    rounds: 3,
  });
  assert.equal(outcome(r(1), r(1.19)), "reproduced");
  assert.equal(outcome(r(1), r(0.81)), "reproduced");
  assert.equal(outcome(r(1), r(1.21)), "differs");
  assert.equal(outcome(r(2.08), r(0.98)), "differs");
  assert.equal(outcome(null, r(1)), "not in the committed run");
  assert.equal(outcome(r(1), null), "not measured");
  assert.equal(
    compareLine(
      { a: "x", b: "reference c", connections: 100, size: 64, metric: "cpu" },
      { median: 1.12, min: 1.05, max: 1.2, rounds: 5 },
      { median: 1.08, min: 1.01, max: 1.15, rounds: 5 },
    ),
    "x / reference c, cpu, 100 conn × 64 B: committed 1.12 (1.05-1.20), " +
      "fresh 1.08 (1.01-1.15): reproduced",
  );
});

Deno.test("--reproduce measures the quoted ratios again and says which hold", async () => {
  const dir = await Deno.makeTempDir({ prefix: "echo-lab-reproduce-test-" });
  try {
    // What the READMEs would quote: C against itself (1 in any run), and 06
    // against C, whose committed figure we make 1,000 times too fast.
    await Deno.writeTextFile(
      join(dir, "README.md"),
      [
        `<!-- bench compare a="reference c" b="reference c" at="1x64" metric="rate" -->`,
        `<!-- /bench -->`,
        `<!-- bench compare a="06-epoll server" b="reference c" at="1x64" metric="rate,cpu" -->`,
        `<!-- /bench -->`,
        `<!-- bench compare a="06-epoll server:edge" b="reference c" at="1x64" metric="rate" -->`,
        `<!-- /bench -->`,
      ].join("\n"),
    );
    const committed = parseResults(await Deno.readTextFile(LATEST));
    const row = committed.servers.find((s) => s.id === "06-epoll server")!
      .rows.find((r) => r.connections === 1 && r.size === 64)!;
    for (const round of row.rounds) round.roundTrips *= 1000;
    const against = join(dir, "latest.json");
    await Deno.writeTextFile(against, formatResults(committed));

    const { settings } = parseOptions([
      "--reproduce",
      "--rounds=2",
      "--round-ms=200",
      "--warmup-ms=100",
    ]);
    const notes: string[] = [];
    const ctx: RunContext = {
      settings,
      notes,
      attempts: 1,
      noisy: [],
      progress: new Progress(0),
      loadgen: await buildLoadgen(dir),
      loadgenThreads: 1,
      cleanups: new Cleanups(),
    };
    // 06's plain server and C; 06's edge variant is not among them.
    const servers = (await findServers(["06"], ["c"], dir, notes))
      .filter((s) => s.id !== "06-epoll server:edge");
    const lines: string[] = [];
    const code = await reproduce(ctx, servers, {
      against,
      root: dir,
      print: (line) => lines.push(line),
    });

    const ratios = lines.filter((l) => /, (rate|cpu), /.test(l));
    const ratio = String.raw`[\d.]+ \([\d.]+-[\d.]+\)`;
    assert.equal(ratios.length, 3, lines.join("\n"));
    for (const line of ratios) {
      const m = line.match(
        new RegExp(
          `^(.+) / (.+), (rate|cpu), 1 conn × 64 B: committed (${ratio}), ` +
            `fresh (${ratio}): (reproduced|differs)$`,
        ),
      );
      assert(m, line);
      // The verdict is the one the two medians give.
      const [was, now] = [m[4], m[5]].map((r) => Number(r.split(" ")[0]));
      assert.equal(
        m[6],
        Math.abs(now / was - 1) <= 0.2 ? "reproduced" : "differs",
        line,
      );
    }
    assert.match(
      ratios[0],
      /^reference c \/ reference c, rate, .*: committed 1\.00 \(1\.00-1\.00\), fresh 1\.00 \(1\.00-1\.00\): reproduced$/,
    );
    assert.match(
      ratios[1],
      /^06-epoll server \/ reference c, rate, .*: differs$/,
    );
    assert.match(
      ratios[2],
      /^06-epoll server \/ reference c, cpu, .*: differs$/,
    );
    assert.match(lines.at(-1)!, /^reproduce: 1 of 3 reproduced /);
    assert.equal(code, 1, "one differs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
