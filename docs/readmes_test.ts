/**
 * The generated parts of the READMEs are current: every listing equals its
 * region today, every bench figure equals what bench/results/latest.json
 * says, the diagram files are what the site's generator draws, and the
 * TypeScript blocks that are not listings type-check.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { markdownFiles, readText, ROOT } from "./files.ts";
import { fences } from "./fences.ts";
import {
  diagramCss,
  figureChapters,
  figureFiles,
  FIVE_MODELS,
  staleFigureFiles,
  STYLE_SHEET,
} from "./figure_files.ts";
import { includeOf, refreshListings, staleListings } from "./listings.ts";
import { latestResults, staleParts } from "./readmes.ts";
import { extractRegion } from "./regions.ts";

const SOURCE = "chapters/07-async/README.md";
const listen = extractRegion(
  readText("chapters/07-async/server.ts")!,
  "listen",
).text;

Deno.test("listings: the shorthand and a stale body are rewritten from the region", () => {
  const shorthand = "Intro\n\n```\n{{#include server.ts:listen}}\n```\n";
  const expected =
    `Intro\n\n\`\`\`ts include=server.ts:listen\n${listen}\n\`\`\`\n`;
  assert.equal(refreshListings(shorthand, SOURCE), expected);
  const stale = "```ts include=server.ts:listen\nold code\n```\n";
  assert.deepEqual(staleListings(stale, SOURCE), [
    { source: SOURCE, line: 1, include: "server.ts:listen" },
  ]);
  assert.deepEqual(staleListings(expected, SOURCE), []);
});

Deno.test("listings: a missing region names the README, line, file and region", () => {
  assert.throws(
    () => refreshListings("\n```ts include=server.ts:nope\n```\n", SOURCE),
    /chapters\/07-async\/README\.md:2: include=server\.ts:nope: chapters\/07-async\/server\.ts: no region "nope"/,
  );
});

Deno.test("every README listing and figure is current (else run `deno task readmes`)", () => {
  const results = latestResults();
  const stale = markdownFiles().flatMap((source) =>
    staleParts(readText(source)!, source, results)
  );
  assert.deepEqual(stale, [], "stale parts: run `deno task readmes`");
});

Deno.test("TypeScript in the READMEs that is not a listing type-checks", async () => {
  // Listings are regions of files `deno check .` already checks, and do not
  // stand alone; everything else a reader copies must compile on its own.
  const blocks = markdownFiles().flatMap((source) =>
    fences(readText(source)!)
      .filter((f) => ["ts", "typescript"].includes(f.lang))
      .filter((f) => includeOf(f) === null && f.attrs.ignore !== true)
      .map((f) => `<!-- ${source}:${f.line} -->\n\`\`\`ts\n${f.body}\n\`\`\`\n`)
  );
  if (blocks.length === 0) return;
  // Inside the workspace, so `@echo-lab/...` imports resolve as in a chapter.
  const file = join(ROOT, `.readme-code-${crypto.randomUUID()}.md`);
  Deno.writeTextFileSync(file, blocks.join("\n"));
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--doc-only", file],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("the diagrams in site/figures are what docs/diagrams.ts draws (else run `deno task readmes`)", async () => {
  const files = figureFiles(await figureChapters());
  assert(files.has(FIVE_MODELS), "no five-model figure generated");
  assert.deepEqual(
    staleFigureFiles(files),
    [],
    "stale figure files: run `deno task readmes`",
  );
  // The check can fail: a figure drawn differently is reported by path.
  const changed = new Map(files).set(FIVE_MODELS, "<svg/>\n");
  assert.deepEqual(staleFigureFiles(changed), [FIVE_MODELS]);
});

Deno.test("a figure file carries the site's colours, light and dark, and a background", () => {
  const css = diagramCss(readText(STYLE_SHEET)!);
  for (
    const want of [
      ":root{",
      "--d-blocked:",
      "prefers-color-scheme: dark",
      ".d-app.d-blocked{",
      ".d-page{",
    ]
  ) {
    assert(css.includes(want), `the figure's CSS lacks ${want}`);
  }
  assert(!/[{}]\s*[{}]/.test(css.replace(/\}\}/g, "")), "an empty rule");
});
