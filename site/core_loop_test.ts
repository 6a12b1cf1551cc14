/**
 * The lesson before the depth: every chapter's README shows its model's core
 * loop (the listing its `chapter.ts` names as `facts.loop`) within its first
 * ~120 lines, before the side-notes. A reader who stops after the first
 * screens has still seen the loop.
 */
import assert from "node:assert/strict";
import { discoverChapters } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";
import { readText } from "@echo-lab/docs/files";
import { fences } from "@echo-lab/docs/fences";
import { includeOf } from "@echo-lab/docs/listings";

/** The last README line the core loop's listing may start on. */
export const LOOP_BY_LINE = 120;

/** The line (1-based) of the first listing of `include` in `markdown`, or
 * null when the README never shows it. */
export function firstListing(markdown: string, include: string): number | null {
  return fences(markdown).find((fence) => includeOf(fence) === include)
    ?.line ?? null;
}

Deno.test("firstListing finds the first listing of a region, by line", () => {
  const md = "# t\n\n```ts include=server.ts:accept\nx\n```\n\n" +
    "```\n{{#include server.ts:loop}}\n```\n```ts include=server.ts:loop\ny\n```\n";
  assert.equal(firstListing(md, "server.ts:loop"), 7);
  assert.equal(firstListing(md, "server.ts:accept"), 3);
  assert.equal(firstListing(md, "server.ts:serve"), null);
});

for (const chapter of discoverChapters()) {
  Deno.test(`${chapter.name}: the core loop appears by README line ${LOOP_BY_LINE}`, async () => {
    const { loop } = await loadFacts(chapter);
    const readme = `chapters/${chapter.name}/README.md`;
    const text = readText(readme);
    assert(text !== null, `${readme}: missing`);
    const line = firstListing(text, loop);
    assert(
      line !== null,
      `${chapter.name}: its README never lists its core loop ${loop} (facts.loop in chapter.ts)`,
    );
    assert(
      line <= LOOP_BY_LINE,
      `${chapter.name}: the core loop ${loop} first appears at ${readme}:${line}, ` +
        `after line ${LOOP_BY_LINE}: move it up, the depth below it`,
    );
  });
}
