/**
 * Bench figures in the READMEs, rendered from bench/results/latest.json
 * instead of retyped (one number, one source), and their verdicts from the
 * data instead of from the writer.
 *
 * In the text, figures come in generated blocks between two HTML comments on
 * lines of their own, which GitHub and the site hide (bench/compare.ts
 * defines them): a `bench table` block holds a chapter's "Measured" tables,
 * a `bench compare` block a paragraph of comparison sentences whose verdict
 * ("level with", "1.30× ahead of", "behind") comes from the ratio's spread
 * over rounds:
 *
 *     <!-- bench compare a="05-select server:poll" b="06-epoll server" at="100x64" metric="rate" -->
 *     At 100 connections × 64 B, chapter 05's `server:poll` and …
 *     <!-- /bench -->
 *
 * In the front matter, which GitHub shows as a table and the site parses as
 * YAML, a comment line just above a key holds the value as a template, each
 * figure's name (figures.ts `figure`) in braces; the key's value is the
 * template rendered:
 *
 *     # connections: thousands (the bench held {06-epoll/held})
 *     connections: "thousands (the bench held 10,000)"
 *
 * `deno task readmes` rewrites both from the results (see readmes.ts); a
 * figure or cell the results lack stops it with the README line, never
 * writing a placeholder. Outside the generated blocks, a paragraph that
 * quotes a bench figure may not carry a comparison word (`handWritten`).
 *
 * @module
 */
import { type Block, blocks } from "@echo-lab/bench/compare";
import {
  comparisonText,
  countsText,
  figure,
  measuredTable,
} from "./figures.ts";
import type { BenchResults } from "@echo-lab/bench/results";

/** A generated part whose text differs from what the results say. */
export interface StaleFigure {
  /** Repository path of the Markdown file. */
  source: string;
  line: number;
  /** `front matter KEY`, or the block's marker without its comment. */
  name: string;
  /** A block's indent (inside a list item), which its lines carry. */
  indent?: string;
  /** What the text says, and what the results say. */
  was: string;
  now: string;
}

const TEMPLATE = /^# (\w+): (.*)$/;
const FRONT_MATTER = /^---\n([\s\S]*?)\n---\n/;
/** The inline markers of old (`<!-- fig NAME -->…<!-- /fig -->`). */
const INLINE = /<!-- \/?fig\b/;

/** Every generated part of `markdown` (at repository path `source`) with
 * the text it has and the text `results` give it. Throws, naming the file
 * and line, when the results lack a figure, or on an inline figure marker. */
export function figuresIn(
  markdown: string,
  source: string,
  results: BenchResults,
): StaleFigure[] {
  const found: StaleFigure[] = [];
  const frontMatter = markdown.match(FRONT_MATTER)?.[1].split("\n") ?? [];
  frontMatter.forEach((text, i) => {
    const template = text.match(TEMPLATE);
    const next = frontMatter[i + 1] ?? "";
    if (!template || !next.startsWith(`${template[1]}:`)) return;
    const line = i + 3; // after the opening `---`, 1-based, the key's line
    const value = template[2].replace(/\{([^}]+)\}/g, (_, name: string) => {
      try {
        return figure(results, name);
      } catch (error) {
        throw new Error(`${source}:${line}: ${(error as Error).message}`);
      }
    });
    found.push({
      source,
      line,
      name: `front matter ${template[1]}`,
      was: next,
      now: `${template[1]}: ${JSON.stringify(value)}`,
    });
  });
  markdown.split("\n").forEach((text, i) => {
    if (INLINE.test(text)) {
      throw new Error(
        `${source}:${i + 1}: an inline figure marker: bench figures come in ` +
          `generated blocks (<!-- bench table ... --> or ` +
          `<!-- bench compare ... -->, see bench/compare.ts)`,
      );
    }
  });
  for (const block of blocks(markdown, source)) {
    found.push({
      source,
      line: block.line,
      name: block.marker.replace(/^<!-- | -->$/g, ""),
      indent: block.indent,
      was: block.body,
      now: render(block, source, results),
    });
  }
  return found;
}

/** The text a block's markers enclose, from `results`. */
function render(block: Block, source: string, results: BenchResults): string {
  const text = block.kind === "table"
    ? measuredTable(results, block, source)
    : block.kind === "counts"
    ? countsText(results, block)
    : comparisonText(results, block, source);
  // Blank lines around it, as `deno fmt` sets them beside an HTML block.
  return `\n${text}\n`;
}

/** A table as `deno fmt` may pad it and as it is generated compare equal:
 * each row's cells trimmed, a rule row's dashes counted once. */
function normalize(text: string): string {
  return text.trim().split("\n").map((line) =>
    line.startsWith("|")
      ? line.split("|").map((cell) =>
        cell.trim().replace(/^(:?)-+(:?)$/, "$1-$2")
      ).join("|")
      : line
  ).join("\n");
}

/** The generated parts of `markdown` that `refreshFigures` would change. */
export function staleFigures(
  markdown: string,
  source: string,
  results: BenchResults,
): StaleFigure[] {
  return figuresIn(markdown, source, results).filter((f) =>
    normalize(f.was) !== normalize(f.now)
  );
}

/** `markdown` with every generated part rendered from `results` (its tables
 * not yet padded: readmes.ts runs `deno fmt` after). */
export function refreshFigures(
  markdown: string,
  source: string,
  results: BenchResults,
): string {
  const parts = staleFigures(markdown, source, results); // throws first
  const lines = markdown.split("\n");
  // From the bottom up, so earlier line numbers stay right.
  for (const part of parts.toReversed()) {
    if (part.name.startsWith("front matter ")) {
      lines[part.line - 1] = part.now;
      continue;
    }
    const indent = part.indent ?? "";
    const end = lines.indexOf(`${indent}<!-- /bench -->`, part.line);
    const body = part.now.split("\n").map((l) => l ? indent + l : l);
    lines.splice(part.line, end - part.line, ...body);
  }
  return lines.join("\n");
}

/** Comparison words a writer might set beside a figure; beside a bench
 * figure, only a generated block may say them. */
const VERDICT_WORDS =
  /\b(less|more|faster|slower|cheaper|dearer|costlier|twice|half|ahead|behind|better|worse|beats?|level with)\b/i;

/** A bench figure written in prose: a count of round trips per second, CPU
 * per round trip or per million round trips, or a ratio of two servers. */
const BENCH_FIGURE =
  /\d[\d,.]*\s*(round trips\/s|rt\/s|CPU s(econds)? per million|µs (of CPU )?per round trip)|\d\.\d+(×| times) (the|its|06|C)/;

/** Each sentence of `markdown`, outside code fences and generated blocks,
 * that quotes a bench figure with a comparison word in it or in the sentence
 * after: `file:line: what`.
 * Such a verdict is the writer's, and the next run can make it false; the
 * comparison belongs in a `bench compare` block. A paragraph that names its
 * own committed measurement (a `.txt` file) and not the bench is exempt. */
export function handWritten(markdown: string, source: string): string[] {
  return paragraphs(markdown).filter(({ text }) => !elsewhere(text)).flatMap((
    { line, text },
  ) =>
    text.split(/(?<=[.!?])\s+(?=[A-Z(_*`"])/).flatMap((sentence, i, all) => {
      // The verdict may follow in the next sentence ("That is more than …").
      const figure = sentence.match(BENCH_FIGURE);
      const word = figure &&
        (sentence.match(VERDICT_WORDS) ??
          (all[i + 1] ?? "").match(VERDICT_WORDS));
      return word
        ? [
          `${source}:${line}: "${word[0]}" beside the bench figure ` +
          `"${figure[0]}": put the comparison in a ` +
          `<!-- bench compare ... --> block`,
        ]
        : [];
    })
  );
}

/** Whether a paragraph's figures come from a committed measurement of its
 * own (a `.txt` file it names) rather than from the bench it does not name:
 * such a comparison is of figures that do not move with the next bench run. */
function elsewhere(paragraph: string): boolean {
  return /\.txt\b/.test(paragraph) && !/\bbench\b/i.test(paragraph);
}

/** The paragraphs (and list items) of `markdown` outside code fences and
 * generated blocks, each with its first line, joined into one line. */
function paragraphs(markdown: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  let fence = false;
  let inBlock = false;
  let current: { line: number; text: string } | null = null;
  markdown.split("\n").forEach((text, i) => {
    if (/^\s*(```|~~~)/.test(text)) fence = !fence;
    if (text.trimStart().startsWith("<!-- bench ")) inBlock = true;
    const skip = fence || inBlock || text.trim() === "" ||
      /^\s*```|^\s*~~~/.test(text);
    if (skip || /^\s*([-*]|\d+\.) /.test(text)) current = null;
    if (text.trim() === "<!-- /bench -->") inBlock = false;
    if (skip) return;
    if (!current) {
      current = { line: i + 1, text: "" };
      found.push(current);
    }
    current.text += ` ${text.trim()}`;
  });
  return found;
}
