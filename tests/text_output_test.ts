/**
 * The figures a `text output` block shows come from a committed run.
 *
 * A `text output` block shows what the `sh` block above it printed on our
 * machine (tests/copy_paste_test.ts runs the pair, numbers free). Each
 * number it shows must be one of:
 *
 * - in the command itself (a port, a count: `seq 20` prints 20 lines);
 * - the lab's default address, `127.0.0.1:7007`, which every server prints;
 * - in the committed file the block names with `from=PATH` (relative to the
 *   Markdown file), the measurement that printed it: ```` ```text output
 *   from=lab/x.txt ````. Its comment lines (`# ...`: when, where,
 *   under what load) and `(exit N)` trailers do not count: the figure must be
 *   one the run printed. tests/record_block.ts records such a run.
 *
 * Where a figure varies from run to run and no committed run is shown, the
 * block writes `…` (any text, for the copy-paste suite) in its place, and the
 * prose beside it names the range the measurement holds.
 *
 * Numbers are compared as written, commas dropped (`97,616` is `97616`).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { markdownFiles, readText, ROOT } from "@echo-lab/docs/files";
import { fences } from "@echo-lab/docs/fences";

/** The default address every server prints (`listening on 127.0.0.1:7007`). */
const DEFAULT_ADDRESS = ["127.0.0.1", "7007"];

/** The numbers of `text`, as written, commas dropped. */
export function numbersIn(text: string): string[] {
  return (text.match(/\d[\d,.]*/g) ?? []).map((n) =>
    n.replace(/[.,]+$/, "").replaceAll(",", "")
  );
}

/** `measured` without its comment lines and `(exit N)` trailers. */
export function printedLines(measured: string): string {
  return measured.split("\n").filter((line) =>
    !line.startsWith("#") && !/^\(exit \d+\)$/.test(line.trim())
  ).join("\n");
}

for (const source of markdownFiles()) {
  const markdown = readText(source)!;
  const all = fences(markdown);
  const blocks = all.flatMap((fence, i) =>
    fence.lang === "text" && fence.attrs.output === true
      ? [{ fence, command: all[i - 1] }]
      : []
  );
  if (!blocks.some(({ fence }) => numbersIn(fence.body).length > 0)) continue;
  Deno.test(`text output figures: ${source}`, () => {
    for (const { fence, command } of blocks) {
      const known = new Set([
        ...DEFAULT_ADDRESS,
        // Character classes (`[0-9]`) are patterns, not figures.
        ...numbersIn((command?.body ?? "").replace(/\[[^\]\s]*\]/g, "")),
      ]);
      const from = fence.attrs.from;
      if (typeof from === "string") {
        const path = join(dirname(source), from);
        const measured = readText(path);
        assert(
          measured !== null,
          `${source}:${fence.line}: from=${from}: no such file (${
            join(ROOT, path)
          })`,
        );
        for (const n of numbersIn(printedLines(measured))) known.add(n);
      }
      const unknown = numbersIn(fence.body).filter((n) => !known.has(n));
      assert.deepEqual(
        unknown,
        [],
        `${source}:${fence.line}: the \`text output\` block shows ${
          unknown.join(", ")
        }, ${
          typeof from === "string"
            ? `which ${from} does not contain`
            : "with no from=FILE naming the committed run that printed it"
        }: show a figure the run printed, or write … where it varies and name the range in the prose`,
      );
    }
  });
}

Deno.test("text output figures: a run's header and exit line are not what it printed", () => {
  assert.equal(
    printedLines("# 2026-12-06, load average 0.5\n1 ticks\n(exit 0)\n"),
    "1 ticks\n",
  );
});

Deno.test("text output figures: numbersIn reads numbers as written", () => {
  assert.deepEqual(numbersIn("real\t0m0.353s, 97,616 calls; 1.5."), [
    "0",
    "0.353",
    "97616",
    "1.5",
  ]);
});
