/**
 * `deno task readmes`: rewrites the generated parts of every README:
 * listings from their source regions (listings.ts), figures from
 * bench/results/latest.json (figure_blocks.ts), and the diagrams the READMEs show
 * as SVG files in site/figures/ (figure_files.ts). Run it after changing a
 * region, a chapter's facts or the diagrams, or after a bench run that wrote
 * bench/results.
 *
 * `deno task readmes --check` changes nothing and exits 1 naming each stale
 * part, as `file:line: what`, and each paragraph that sets a hand-written
 * comparison word beside a bench figure (figure_blocks.ts `handWritten`). Either
 * way a figure the results lack stops it with the README line.
 *
 * @module
 */
import { posix } from "node:path";
import { parseResults } from "@echo-lab/bench/results";
import type { BenchResults } from "@echo-lab/bench/results";
import { markdownFiles, readText, ROOT } from "./files.ts";
import {
  figureChapters,
  figureFiles,
  staleFigureFiles,
  writeFigureFiles,
} from "./figure_files.ts";
import { handWritten, refreshFigures, staleFigures } from "./figure_blocks.ts";
import { refreshListings, staleListings } from "./listings.ts";

/** The results every README figure comes from. */
export const RESULTS = "bench/results/latest.json";

/** The committed bench results. */
export function latestResults(): BenchResults {
  const text = readText(RESULTS);
  if (text === null) throw new Error(`no ${RESULTS}: run \`deno task bench\``);
  return parseResults(text);
}

/** `markdown` with its listings and figures refreshed. */
export function refreshReadme(
  markdown: string,
  source: string,
  results: BenchResults,
): string {
  return refreshFigures(refreshListings(markdown, source), source, results);
}

/** Each stale part of `markdown`, and each hand-written verdict beside a
 * bench figure, as `file:line: what`. */
export function staleParts(
  markdown: string,
  source: string,
  results: BenchResults,
): string[] {
  return [
    ...staleListings(markdown, source).map((s) =>
      `${s.source}:${s.line}: include=${s.include} is stale`
    ),
    ...staleFigures(markdown, source, results).map((s) =>
      s.name.startsWith("front matter ")
        ? `${s.source}:${s.line}: ${s.name} says ${
          JSON.stringify(s.was)
        }, the results ${JSON.stringify(s.now)}`
        : `${s.source}:${s.line}: ${s.name}: its text is not what the ` +
          `results give`
    ),
    ...handWritten(markdown, source),
  ];
}

/** Rewrites every stale README, then lets `deno fmt` realign the tables
 * whose figures changed width; returns the files it wrote. Nothing is
 * written when any figure is missing. */
export async function refreshReadmes(
  results = latestResults(),
): Promise<string[]> {
  const fresh = markdownFiles()
    .map((source) => {
      const text = readText(source)!;
      return { source, text, fresh: refreshReadme(text, source, results) };
    })
    .filter((file) => file.fresh !== file.text);
  for (const { source, fresh: text } of fresh) {
    Deno.writeTextFileSync(posix.join(ROOT, source), text);
  }
  const written = fresh.map((file) => file.source);
  if (written.length === 0) return written;
  const fmt = await new Deno.Command("deno", {
    args: ["fmt", "--quiet", ...written],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!fmt.success) throw new Error(`deno fmt ${written.join(" ")} failed`);
  return written;
}

if (import.meta.main) {
  try {
    const diagrams = figureFiles(await figureChapters());
    if (Deno.args.includes("--check")) {
      const results = latestResults();
      const stale = [
        ...markdownFiles().flatMap((source) =>
          staleParts(readText(source)!, source, results)
        ),
        ...staleFigureFiles(diagrams).map((path) =>
          `${path}: differs from what docs/diagrams.ts draws`
        ),
      ];
      for (const line of stale) console.error(line);
      if (stale.length > 0) {
        console.error(
          `${stale.length} stale part(s): run \`deno task readmes\``,
        );
        Deno.exit(1);
      }
    } else {
      const written = [
        ...await refreshReadmes(),
        ...writeFigureFiles(diagrams),
      ];
      for (const source of written) console.log(`refreshed ${source}`);
      console.log(`${written.length} file(s) refreshed`);
    }
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
