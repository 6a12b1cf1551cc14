/**
 * README figures come from the results: a stale block or front-matter value
 * is named with its line, the verdict of a comparison follows the data and
 * its spread, a missing figure stops the refresh, and a hand-written verdict
 * beside a bench figure is caught.
 */
import assert from "node:assert/strict";
import {
  figuresIn,
  handWritten,
  refreshFigures,
  staleFigures,
} from "./figure_blocks.ts";
import type { BenchResults } from "@echo-lab/bench/results";
import { results, round } from "./testdata/bench_results.ts";

const SOURCE = "chapters/06-epoll/README.md";

const COMPARE =
  '<!-- bench compare a="06-epoll server" b="reference c" at="100x64" metric="rate" -->';
const README = `---
title: epoll
# connections: thousands (held {06-epoll/held} at {06-epoll/rss-per-connection} each)
connections: "thousands (held 10,000 at 0.6 KB each)"
---

# 06

Measured:

${COMPARE}
old words
<!-- /bench -->

- In a list:

  <!-- bench table servers="06-epoll server" at="100x64" -->
  <!-- /bench -->
`;

Deno.test("figures: the verdict follows the data and its spread", () => {
  const text = (rates: number[]) =>
    figuresIn(README, SOURCE, results(rates)).find((f) =>
      f.name.startsWith("bench compare")
    )!.now.replaceAll("\n", " ");
  // Each round 06 over C: 1.3, 1.2, 1.4: ahead in every round.
  assert.match(
    text([130_000, 120_000, 140_000]),
    /At 100 connections × 64 B, chapter 06's `server` was 1\.30× ahead of the C epoll reference in round trips\/s \(1\.20 to 1\.40 over 3 rounds\)\./,
  );
  // 1.3, 0.95, 1.1: the spread holds 1, so the two are level, whatever the
  // median says.
  assert.match(
    text([130_000, 95_000, 110_000]),
    /chapter 06's `server` and the C epoll reference were level in round trips\/s on this machine \(ratio 1\.10, 0\.95 to 1\.30 over 3 rounds\)\./,
  );
  assert.match(
    text([70_000, 80_000, 75_000]),
    /was behind the C epoll reference in round trips\/s, at 0\.75× its rate/,
  );
});

Deno.test("figures: each stale part is reported with its line, and the refresh is idempotent", () => {
  const r = results();
  const stale = staleFigures(README, SOURCE, r);
  assert.deepEqual(stale.map((s) => [s.line, s.name.split(" ")[0]]), [
    [4, "front"],
    [11, "bench"],
    [17, "bench"],
  ]);
  assert.equal(
    stale[0].now,
    'connections: "thousands (held 10,000 at 1.03 KiB each)"',
  );
  const fresh = refreshFigures(README, SOURCE, r);
  assert.deepEqual(staleFigures(fresh, SOURCE, r), []);
  assert.equal(refreshFigures(fresh, SOURCE, r), fresh);
  // The table in the list item keeps the item's indent, and names the run.
  assert.match(
    fresh,
    /\n {2}\| 06-epoll `server` \| 100 connections × 64 B \| 1\.00 \(1\.00–1\.00\) \|/,
  );
  assert.match(
    fresh,
    /\n {2}\| C epoll \(reference\) \| 100 connections × 64 B \| 1 \|/,
  );
  assert.match(fresh, /Measured \d{4}-\d\d-\d\d on /);
  // A new run moves the figures, front matter and verdicts included.
  const moved = refreshFigures(
    fresh,
    SOURCE,
    results([50_000, 60_000, 55_000], 2048),
  );
  assert.match(moved, /held 10,000 at 2 KiB each/);
  assert.match(moved, /behind the C epoll reference/);
  // A table padded by `deno fmt` is not stale.
  const padded = fresh.replace("| --- | --- |", "| ------ | ----- |");
  assert.notEqual(padded, fresh);
  assert.deepEqual(staleFigures(padded, SOURCE, r), []);
});

Deno.test("figures: a round the quiet check let through is marked †, with why", () => {
  const r = results();
  const c = r.servers.find((s) => s.id === "reference c")!;
  c.rows[0].rounds[1] = round(100_000, 1, 0.5);
  const quiet = { ...r, quiet: { limitCores: 0.1 } } as BenchResults;
  const table = figuresIn(README, SOURCE, quiet).at(-1)!.now
    .replace(/\n(?!\|)/g, " ");
  assert.match(
    table,
    /\| C epoll \(reference\) \| 100 connections × 64 B \|.* †/,
  );
  assert.doesNotMatch(table, /\| 06-epoll `server` \| 100 connections .* †/);
  assert.match(
    table,
    /†: other work beside it stayed above the quiet check's 0\.1 cores/,
  );
  // A file older than the check marks nothing.
  assert.doesNotMatch(figuresIn(README, SOURCE, r).at(-1)!.now, /†/);
});

Deno.test("figures: what the results lack stops the refresh, named", () => {
  const notRun = README.replace('at="100x64"', 'at="10x64"');
  assert.throws(
    () => refreshFigures(notRun, SOURCE, results()),
    /README\.md:11: 06-epoll server and reference c were not both measured at 10 connections × 64 B/,
  );
  // A server the lab has, newer than the run: the block says so instead.
  const newer = README.replace(
    'a="06-epoll server"',
    'a="09-io-uring server:zc"',
  );
  const without = results();
  without.servers = without.servers.filter((s) =>
    s.id !== "09-io-uring server:zc"
  );
  assert.match(
    figuresIn(newer, SOURCE, without).find((f) => f.line === 11)!.now
      .replace(/\s+/g, " "),
    /^ This run did not include chapter 09's `server:zc`: the comparison appears here once `deno task readmes` renders a run that did\. $/,
  );
  const noServer = README.replace('a="06-epoll server"', 'a="11-nope server"');
  assert.throws(
    () => figuresIn(noServer, SOURCE, results()),
    /README\.md:11: no server "11-nope server" in the results/,
  );
  assert.throws(
    () =>
      figuresIn(
        "Held <!-- fig 06-epoll/held -->1<!-- /fig -->.\n",
        SOURCE,
        results(),
      ),
    /README\.md:1: an inline figure marker/,
  );
});

Deno.test("handWritten: a comparison word beside a bench figure, outside a generated block, is caught", () => {
  const said = handWritten(
    [
      "It did 63,760 round trips/s, faster than C.",
      "",
      "Chapter 08 spent 33.4 CPU s per million. That is more than 06.",
      "",
      "Our own run: 30 µs per round trip, less than at 100 (lab/x.txt).",
      "",
      "```text",
      "more 5 round trips/s",
      "```",
      "",
      COMPARE,
      "It was 1.30× ahead of C, 5 round trips/s more.",
      "<!-- /bench -->",
      "",
      "- 06 did 9 round trips/s.",
      "- C did more.",
    ].join("\n"),
    "a.md",
  );
  assert.deepEqual(said, [
    'a.md:1: "faster" beside the bench figure "63,760 round trips/s": put the comparison in a <!-- bench compare ... --> block',
    'a.md:3: "more" beside the bench figure "33.4 CPU s per million": put the comparison in a <!-- bench compare ... --> block',
  ]);
  // A sentence two away is no longer beside the figure.
  assert.deepEqual(
    handWritten(
      "It did 5 round trips/s. It was busy. Then it did more.",
      "b.md",
    ),
    [],
  );
});

Deno.test("the READMEs carry no hand-written verdict beside a bench figure", async () => {
  const { markdownFiles, readText } = await import("./files.ts");
  const said = markdownFiles().flatMap((source) =>
    handWritten(readText(source)!, source)
  );
  assert.deepEqual(said, []);
});
