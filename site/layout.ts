/**
 * The frame around every page: header with search, the chapter list, the
 * main column, and the footer. All URLs are relative to the page, so the
 * site works from disk (file://) as well as from a server.
 *
 * @module
 */
import { type Chapter, chapterTitle } from "./content.ts";
import { escapeHtml } from "@echo-lab/docs/escape";
import { relativeUrl } from "./html.ts";
import type { Heading } from "./markdown.ts";

/** A page's place in the site and its content. */
export interface Shell {
  /** Site path, e.g. `chapters/07-async.html`. */
  page: string;
  title: string;
  description: string;
  /** HTML inside `<main>`. */
  main: string;
  chapters: Chapter[];
  /** Which nav entry is this page: a chapter slug, `index`, `choosing` or
   * `compare`. */
  current?: string;
  /** Sections of the current chapter, listed under it in the nav. */
  toc?: Heading[];
}

/** The site path of a chapter's page. */
export function chapterPage(slug: string): string {
  return `chapters/${slug}.html`;
}

/** A complete HTML document. */
export function renderShell(shell: Shell): string {
  const url = (to: string) => escapeHtml(relativeUrl(shell.page, to));
  const current = (key: string) =>
    shell.current === key ? ' aria-current="page"' : "";
  const toc = shell.toc?.filter((h) => h.depth === 2) ?? [];
  // The current page's sections, listed under its nav entry.
  const sections = (key: string) =>
    shell.current === key && toc.length
      ? `<ol class="toc">${
        toc.map((h) => `<li><a href="#${h.id}">${escapeHtml(h.text)}</a></li>`)
          .join("")
      }</ol>`
      : "";
  const chapterItems = shell.chapters.map((c) =>
    `<li><a href="${url(chapterPage(c.slug))}"${current(c.slug)}>${
      escapeHtml(chapterTitle(c))
    }</a>${sections(c.slug)}</li>`
  ).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(shell.title)}</title>
<meta name="description" content="${escapeHtml(shell.description)}">
<link rel="stylesheet" href="${url("assets/style.css")}">
<link rel="icon" href="${url("assets/icon.svg")}" type="image/svg+xml">
<script src="${url("assets/minisearch.js")}" defer></script>
<script src="${url("search-index.js")}" defer></script>
<script src="${url("assets/site.js")}" defer></script>
</head>
<body data-root="${url("index.html").replace(/index\.html$/, "")}">
<a class="skip" href="#content">Skip to content</a>
<header class="top">
  <a class="brand" href="${
    url("index.html")
  }"><span class="logo" aria-hidden="true">⇄</span> echo-lab</a>
  <div class="search" role="search">
    <label for="search-input" class="sr-only">Search the tutorial</label>
    <input id="search-input" type="search" placeholder="Search" autocomplete="off" spellcheck="false" aria-controls="search-results" aria-expanded="false" aria-keyshortcuts="/">
    <kbd class="search-key" aria-hidden="true">/</kbd>
    <ul id="search-results" class="search-results" aria-label="Search results" hidden></ul>
    <p id="search-status" class="sr-only" aria-live="polite"></p>
  </div>
  <a class="to-nav" href="#chapters">Chapters</a>
</header>
<div class="frame">
<main id="content" tabindex="-1">
${shell.main}
</main>
<nav class="side" id="chapters" aria-label="Chapters">
  <ol class="nav-list">
    <li><a href="${url("index.html")}"${
    current("index")
  }>Home: the I/O models</a></li>
    ${chapterItems}
    <li><a href="${url("choosing-a-model.html")}"${
    current("choosing")
  }>Choosing a model</a>${sections("choosing")}</li>
    <li><a href="${url("compare.html")}"${
    current("compare")
  }>Compare: results side by side</a></li>
  </ol>
</nav>
</div>
<footer class="bottom">
  <p>Every listing on this site is included from the tested source when the site is built.
  Rebuild with <code>deno task site</code>.</p>
</footer>
</body>
</html>
`;
}
