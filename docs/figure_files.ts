/**
 * The site's diagrams as committed SVG files, so that a README read on
 * GitHub or in an editor shows them too:
 *
 * - `site/figures/five-models.svg`: the five models side by side (the home
 *   page's figure; the root README shows it);
 * - `site/figures/read-NN-name.svg`: the two phases of one read under a
 *   chapter's model (the figure its page draws after the introduction; its
 *   README shows it near the top).
 *
 * Both come from the generator the site uses too (diagrams.ts) and the chapters'
 * facts (`chapter.ts`), with the site's own colours from site/assets/style.css
 * embedded. `deno task readmes` rewrites them with the READMEs; `--check` and
 * docs/readmes_test.ts fail when a committed file differs.
 *
 * @module
 */
import { posix } from "node:path";
import { discoverChapters } from "@echo-lab/harness/chapters";
import type { ChapterFacts } from "@echo-lab/lesson/facts";
import { loadFacts } from "@echo-lab/harness/facts";
import { readText, ROOT } from "./files.ts";
import { fiveModelFigure, sequenceDiagram } from "./diagrams.ts";

/** What the figures draw of a chapter. */
export interface FigureChapter {
  /** Folder name, e.g. `01-blocking`. */
  slug: string;
  /** `01`. */
  number: string;
  facts: ChapterFacts;
}

/** The site's style sheet, whose colours the figures carry. */
export const STYLE_SHEET = "site/assets/style.css";

/** Where the figure files live, from the repository root. */
export const FIGURES = "site/figures";

/** The five-model figure's file. */
export const FIVE_MODELS = `${FIGURES}/five-models.svg`;

/** The file of `chapter`'s read diagram, e.g.
 * `site/figures/read-01-blocking.svg`. */
export function readFigure(chapter: { slug: string }): string {
  return `${FIGURES}/read-${chapter.slug}.svg`;
}

/** Every chapter, in reading order, with its facts. */
export function figureChapters(): Promise<FigureChapter[]> {
  return Promise.all(
    discoverChapters().map(async (chapter) => ({
      slug: chapter.name,
      number: chapter.name.match(/^\d+/)?.[0] ?? "",
      facts: await loadFacts(chapter),
    })),
  );
}

/** Every figure file as it should be: repository path → SVG text. */
export function figureFiles(chapters: FigureChapter[]): Map<string, string> {
  const css = diagramCss(readText(STYLE_SHEET) ?? "");
  const files = new Map<string, string>();
  files.set(
    FIVE_MODELS,
    `${fiveModelFigure("five-models", chapters, css)}\n`,
  );
  for (const chapter of chapters) {
    const seq = chapter.facts.sequence;
    files.set(
      readFigure(chapter),
      `${sequenceDiagram(seq, `seq-${chapter.slug}`, css)}\n`,
    );
  }
  return files;
}

/** The figure files that are missing or differ from `files`, or that are
 * in the folder but no longer generated. */
export function staleFigureFiles(files: Map<string, string>): string[] {
  const stale = [...files].filter(([path, svg]) => readText(path) !== svg)
    .map(([path]) => path);
  const left = committed().filter((path) => !files.has(path));
  return [...stale, ...left];
}

/** Writes the stale figure files, deletes the ones no longer generated;
 * returns what it changed. */
export function writeFigureFiles(files: Map<string, string>): string[] {
  const changed = staleFigureFiles(files);
  Deno.mkdirSync(posix.join(ROOT, FIGURES), { recursive: true });
  for (const path of changed) {
    const svg = files.get(path);
    if (svg === undefined) Deno.removeSync(posix.join(ROOT, path));
    else Deno.writeTextFileSync(posix.join(ROOT, path), svg);
  }
  return changed;
}

function committed(): string[] {
  try {
    return [...Deno.readDirSync(posix.join(ROOT, FIGURES))]
      .filter((entry) => entry.isFile && entry.name.endsWith(".svg"))
      .map((entry) => `${FIGURES}/${entry.name}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/**
 * The part of the site's style sheet a figure needs on its own: the custom
 * properties of `:root`, light and dark, and every rule for the figures'
 * `d-` classes, plus the figure's font, colour and background, which an
 * inline figure takes from the page.
 */
export function diagramCss(styleSheet: string): string {
  const blocks = topLevel(styleSheet);
  const vars = (body: string) =>
    body.match(/--[\w-]+:[^;]+;/g)?.join("").replace(/\s+/g, " ") ?? "";
  const light = blocks.find((b) => b.prelude === ":root");
  const media = blocks.find((b) =>
    b.prelude === "@media (prefers-color-scheme: dark)"
  );
  const dark = media && topLevel(media.body).find((b) => b.prelude === ":root");
  if (!light || !dark) {
    throw new Error(`${STYLE_SHEET}: no :root colours, light and dark`);
  }
  const rules = blocks.filter((b) =>
    /^\.d-[\w-]+(\.d-[\w-]+)*$/.test(b.prelude)
  )
    .map((b) => `${b.prelude}{${b.body.trim().replace(/\s*\n\s*/g, "")}}`);
  return [
    `:root{${vars(light.body)}}`,
    `@media (prefers-color-scheme: dark){:root{${vars(dark.body)}}}`,
    "svg{font-family:var(--sans);color:var(--text)}",
    ".d-page{fill:var(--bg)}",
    ...rules,
  ].join("");
}

/** The top-level blocks of a style sheet (comments dropped), each as the
 * text before its `{` and the text inside its braces. */
function topLevel(css: string): { prelude: string; body: string }[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const blocks: { prelude: string; body: string }[] = [];
  let depth = 0, start = 0, open = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{" && depth++ === 0) open = i;
    else if (text[i] === "}" && --depth === 0) {
      blocks.push({
        prelude: text.slice(start, open).trim(),
        body: text.slice(open + 1, i),
      });
      start = i + 1;
    }
  }
  return blocks;
}
