/**
 * Bench figures in the READMEs, rendered from bench/results/latest.json
 * instead of retyped (one number, one source).
 *
 * In the text, a figure sits between two HTML comments, which GitHub and the
 * site hide, so the sentence reads as plain text:
 *
 *     held 10,000 at <!-- fig 06-epoll/rss-per-connection -->1.03 KiB<!-- /fig --> each
 *
 * In the front matter, which GitHub shows as a table and the site parses as
 * YAML, a comment line just above a key holds the value as a template, each
 * figure's name in braces; the key's value is the template rendered:
 *
 *     # connections: thousands (the bench held {06-epoll/held})
 *     connections: "thousands (the bench held 10,000)"
 *
 * A marker never starts a line: Markdown would take it for an HTML block and
 * end the paragraph (the repository's `deno fmt` keeps line breaks as
 * written, `proseWrap: preserve`, so it never moves one there).
 *
 * Figure names are those of bench/figures.ts. `deno task readmes` rewrites
 * both from the results (see readmes.ts); a figure the results lack stops it
 * with the README line and the figure's name, never writing a placeholder.
 *
 * @module
 */
import { figure } from "../bench/figures.ts";
import type { BenchResults } from "../bench/results.ts";

/** A figure whose text differs from what the results say. */
export interface StaleFigure {
  /** Repository path of the Markdown file. */
  source: string;
  line: number;
  /** The figure's name, or `front matter KEY` for a templated value. */
  name: string;
  /** What the text says, and what the results say. */
  was: string;
  now: string;
}

const MARKER = /<!-- fig (.+?) -->([\s\S]*?)<!-- \/fig -->/g;
const TEMPLATE = /^# (\w+): (.*)$/;
const FRONT_MATTER = /^---\n([\s\S]*?)\n---\n/;

/** Every figure in `markdown` (at repository path `source`) with the text
 * it has and the text `results` give it. Throws, naming the file, line and
 * figure, when the results lack one. */
export function figuresIn(
  markdown: string,
  source: string,
  results: BenchResults,
): StaleFigure[] {
  const found: StaleFigure[] = [];
  const render = (name: string, line: number) => {
    try {
      return figure(results, name);
    } catch (error) {
      throw new Error(`${source}:${line}: ${(error as Error).message}`);
    }
  };
  const frontMatter = markdown.match(FRONT_MATTER)?.[1].split("\n") ?? [];
  frontMatter.forEach((text, i) => {
    const template = text.match(TEMPLATE);
    const next = frontMatter[i + 1] ?? "";
    if (!template || !next.startsWith(`${template[1]}:`)) return;
    const line = i + 3; // after the opening `---`, 1-based, the key's line
    const value = template[2].replace(
      /\{([^}]+)\}/g,
      (_, name: string) => render(name, line),
    );
    found.push({
      source,
      line,
      name: `front matter ${template[1]}`,
      was: next,
      now: `${template[1]}: ${JSON.stringify(value)}`,
    });
  });
  for (const match of markdown.matchAll(MARKER)) {
    const before = markdown.slice(0, match.index).split("\n");
    const line = before.length;
    if (before.at(-1)!.trim() === "") {
      // CommonMark reads a line that starts with `<!--` as an HTML block,
      // which ends the paragraph there.
      throw new Error(
        `${source}:${line}: figure ${match[1]}: a marker must not start a ` +
          `line (Markdown would break the paragraph): join it to the line above`,
      );
    }
    found.push({
      source,
      line,
      name: match[1],
      was: match[2],
      now: render(match[1], line),
    });
  }
  return found;
}

/** The figures of `markdown` that `refreshFigures` would change. */
export function staleFigures(
  markdown: string,
  source: string,
  results: BenchResults,
): StaleFigure[] {
  return figuresIn(markdown, source, results).filter((f) => f.was !== f.now);
}

/** `markdown` with every figure rendered from `results`. */
export function refreshFigures(
  markdown: string,
  source: string,
  results: BenchResults,
): string {
  figuresIn(markdown, source, results); // throws before anything changes
  const fresh = markdown.replace(
    MARKER,
    (_, name: string) =>
      `<!-- fig ${name} -->${figure(results, name)}<!-- /fig -->`,
  );
  const frontMatter = fresh.match(FRONT_MATTER);
  if (!frontMatter) return fresh;
  const lines = frontMatter[1].split("\n");
  for (const f of figuresIn(fresh, source, results)) {
    if (f.name.startsWith("front matter ")) lines[f.line - 2] = f.now;
  }
  return `---\n${lines.join("\n")}\n---\n` +
    fresh.slice(frontMatter[0].length);
}
