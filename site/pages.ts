/**
 * The site's pages: home, one per chapter, the comparison, and a page per
 * source file or other markdown document that a chapter links to.
 *
 * @module
 */
import { posix } from "node:path";
import { readText } from "@echo-lab/docs/files";
import { type Chapter, chapterTitle } from "./content.ts";
import {
  fiveModelFigure,
  narrowSequenceDiagram,
  sequenceDiagram,
} from "@echo-lab/docs/diagrams";
import { readFigure } from "@echo-lab/docs/figure_files";
import { highlight } from "./highlight.ts";
import { markup, raw, relativeUrl, type SafeHtml } from "./html.ts";
import { chapterPage, renderShell } from "./layout.ts";
import {
  aboutList,
  chapterList,
  COLUMNS,
  comparisonTable,
  dataTable,
  figure,
  modelMap,
  notesList,
} from "./fragments.ts";
import {
  codeBlock,
  type Heading,
  type Rendered,
  renderMarkdown,
} from "./markdown.ts";
import {
  type BenchView,
  loadTrace,
  rowsFor,
  type TraceResults,
} from "./results.ts";
import { type SearchDoc, sectionsOf } from "./search.ts";
import { NARROW_DIR } from "@echo-lab/bench/results";

/** What every page may need from the site being built. */
export interface SiteContext {
  chapters: Chapter[];
  bench: BenchView | null;
  /** See `RenderContext.resolve`. */
  resolve(repoPath: string, as: "link" | "image"): string | null;
}

/** A finished page: its HTML, what the search index gets, and what the
 * build checks. */
export interface Page {
  path: string;
  html: string;
  search: SearchDoc[];
  rendered?: Rendered;
  source?: string;
}

/** The home page, from `site/home.md` and its directives. */
export function homePage(site: SiteContext): Page {
  const path = "index.html";
  const rendered = renderMarkdown(
    Deno.readTextFileSync(new URL("home.md", import.meta.url)),
    {
      source: "site/home.md",
      page: path,
      resolve: site.resolve,
      directives: {
        figure: () =>
          figure(
            fiveModelFigure("five-models", site.chapters),
            fiveModelCaption,
            fiveModelFigure("five-models-narrow", site.chapters, undefined, 2),
          ),
        map: () => modelMap(site.chapters, path),
        comparison: () => comparisonTable(site.chapters, path, site.bench),
        chapters: () => chapterList(site.chapters, path),
      },
    },
  );
  const title = "echo-lab: I/O models you can run, trace and measure";
  return {
    path,
    rendered,
    source: "site/home.md",
    search: sectionsOf(rendered.html, "Home", path),
    html: renderShell({
      page: path,
      title,
      description:
        "One TCP echo server per I/O model, in Deno and TypeScript, each tested and explained.",
      main: `<article class="prose home">${rendered.html}</article>`,
      chapters: site.chapters,
      current: "index",
    }),
  };
}

const fiveModelCaption =
  "The five I/O models, after figure 6.6 of Stevens' UNIX Network Programming. " +
  "Each column is the application's thread during one read; the bands are the two phases every read goes through.";

/** One chapter's page, from its README (or a stub while it is written):
 * the facts at a glance after the title, the model's diagram after the
 * introduction, then what the tracer and the bench measured. */
export function chapterPageFor(site: SiteContext, index: number): Page {
  const chapter = site.chapters[index];
  const path = chapterPage(chapter.slug);
  const title = chapterTitle(chapter);
  const facts = glance(chapter, path, site);
  const seq = chapter.facts.sequence;
  const diagram = raw(figure(
    sequenceDiagram(seq, `seq-${chapter.slug}`),
    `One read under ${seq.name}. ${seq.gist}`,
    narrowSequenceDiagram(seq, `seq-${chapter.slug}-narrow`),
  ));
  const rendered = chapter.readme
    ? renderMarkdown(chapter.body, {
      source: chapter.readme,
      page: path,
      resolve: site.resolve,
      afterTitle: facts.value,
      beforeFirstSection: diagram.value,
      figureImage: readFigure(chapter),
    })
    : null;
  const sections = [
    traceSection(loadTrace(chapter.slug), site, path),
    benchSection(site, chapter.slug, path),
  ].filter((section) => section !== null);
  const body = String(
    rendered
      ? markup`${rendered.placed.afterTitle ? null : facts}${
        raw(rendered.html)
      }${rendered.placed.beforeFirstSection ? null : diagram}${
        sections.map((s) => s.html)
      }`
      : markup`<h1 id="title">${title}</h1>${facts}
<p>This chapter's text is being written. Its source is already here.</p>${diagram}${
        sections.map((s) => s.html)
      }`,
  );
  const toc: Heading[] = [
    ...(rendered?.headings ?? []).filter((h) => h.depth === 2),
    ...sections.map(({ id, title }) => ({ depth: 2, id, text: title })),
  ];

  const prev = site.chapters[index - 1], next = site.chapters[index + 1];
  const link = (rel: string, target: string, label: string, title: string) =>
    markup`<a rel="${rel}" href="${
      relativeUrl(path, target)
    }"><span>${label}</span>${title}</a>`;
  const pager =
    markup`<nav class="pager" aria-label="Previous and next chapter">${
      prev
        ? link("prev", chapterPage(prev.slug), "Previous", chapterTitle(prev))
        : link("prev", "index.html", "Back to", "Home: the I/O models")
    }${
      next
        ? link("next", chapterPage(next.slug), "Next", chapterTitle(next))
        : link("next", CLOSING_PAGE, "Next", CLOSING_TITLE)
    }</nav>`;

  return {
    path,
    rendered: rendered ?? undefined,
    source: chapter.readme ?? undefined,
    search: sectionsOf(body, title, path),
    html: renderShell({
      page: path,
      title: `${title} · echo-lab`,
      description: chapter.meta.summary ?? title,
      main: `<article class="prose chapter">${body}</article>\n${pager}`,
      chapters: site.chapters,
      current: chapter.slug,
      toc,
    }),
  };
}

/** The closing page's Markdown, its site path and its title. */
export const CLOSING = "chapters/choosing-a-model.md";
export const CLOSING_PAGE = "choosing-a-model.html";
export const CLOSING_TITLE = "Choosing a model";

/** The closing page, after the last chapter: every model side by side, the
 * real servers built on each, and when to choose it. */
export function closingPage(site: SiteContext): Page {
  const path = CLOSING_PAGE;
  const rendered = renderMarkdown(readText(CLOSING) ?? "", {
    source: CLOSING,
    page: path,
    resolve: site.resolve,
  });
  const last = site.chapters.at(-1);
  const link = (rel: string, target: string, label: string, title: string) =>
    markup`<a rel="${rel}" href="${
      relativeUrl(path, target)
    }"><span>${label}</span>${title}</a>`;
  const pager = markup`<nav class="pager" aria-label="Previous and next page">${
    last
      ? link("prev", chapterPage(last.slug), "Previous", chapterTitle(last))
      : link("prev", "index.html", "Back to", "Home: the I/O models")
  }${link("next", "compare.html", "Next", "Compare the models")}</nav>`;
  return {
    path,
    rendered,
    source: CLOSING,
    search: sectionsOf(rendered.html, CLOSING_TITLE, path),
    html: renderShell({
      page: path,
      title: `${CLOSING_TITLE} · echo-lab`,
      description:
        "Every I/O model side by side, the real servers built on each, and when each is the right choice.",
      main: `<article class="prose wide">${rendered.html}</article>\n${pager}`,
      chapters: site.chapters,
      current: "choosing",
      toc: rendered.headings,
    }),
  };
}

/** Results side by side: the front-matter table, benchmark results and
 * every chapter's syscall timeline. */
export function comparePage(site: SiteContext): Page {
  const path = "compare.html";
  const parts = [
    `<h1 id="compare">Compare the models</h1>`,
    `<p class="lede">What each chapter's README claims, then what the benchmark and the syscall traces measured, when they have been run.</p>`,
    `<h2 id="at-a-glance">At a glance</h2>`,
    comparisonTable(site.chapters, path, site.bench),
    `<h2 id="benchmarks">Benchmarks</h2>`,
  ];
  const bench = site.bench;
  if (bench) {
    parts.push(aboutList(bench.about), notesList(bench.notes));
    for (const chart of bench.charts) {
      parts.push(chartFigure(chart, site, path));
    }
    for (const { title, table } of bench.tables) {
      parts.push(dataTable(table, title));
    }
  } else {
    parts.push(
      `<p class="empty">No benchmark results yet: <code>bench/results/</code> is empty. This page shows them once the benchmark has run.</p>`,
    );
  }
  parts.push(`<h2 id="traces">Syscall traces</h2>`);
  const traced = site.chapters.map((c) => [c, loadTrace(c.slug)] as const)
    .filter(([, t]) => t?.timeline);
  if (traced.length === 0) {
    parts.push(
      `<p class="empty">No syscall traces yet: <code>trace/results/</code> is empty.</p>`,
    );
  }
  for (const [chapter, trace] of traced) {
    parts.push(
      String(
        markup`<h3 id="trace-${chapter.slug}"><a href="${
          relativeUrl(path, chapterPage(chapter.slug))
        }">${chapterTitle(chapter)}</a></h3>`,
      ),
      chartFigure(trace!.timeline!, site, path),
    );
  }
  const body = parts.join("\n");
  return {
    path,
    search: sectionsOf(body, "Compare", path),
    html: renderShell({
      page: path,
      title: "Compare the models · echo-lab",
      description:
        "Every I/O model side by side: threads, connections, CPU, measured results.",
      main: `<article class="prose wide">${body}</article>`,
      chapters: site.chapters,
      current: "compare",
    }),
  };
}

/** A repository file as a page: markdown rendered, anything else
 * highlighted with line anchors. */
export function filePage(
  site: SiteContext,
  repoPath: string,
  path: string,
): Page {
  const text = readText(repoPath) ?? "";
  const owner = site.chapters.find((c) => repoPath.startsWith(`${c.dir}/`));
  const back = owner
    ? markup`<p class="crumbs">From <a href="${
      relativeUrl(path, chapterPage(owner.slug))
    }">${chapterTitle(owner)}</a></p>`
    : "";
  let main: string, rendered: Rendered | undefined;
  if (repoPath.endsWith(".md")) {
    rendered = renderMarkdown(text.replace(/^---\n[\s\S]*?\n---\n/, ""), {
      source: repoPath,
      page: path,
      resolve: site.resolve,
    });
    main = `<article class="prose">${back}${rendered.html}</article>`;
  } else {
    const ext = posix.extname(repoPath).slice(1);
    const lines = text.split("\n").length - 1;
    const listing = codeBlock(
      ext,
      highlight(text.replace(/\n$/, ""), ext, { lineIds: true }),
      String(
        markup`${
          posix.basename(repoPath)
        } <span class="region">${lines} lines</span>`,
      ),
    );
    main = String(
      markup`<article class="source">${back}<h1 id="file"><code>${repoPath}</code></h1>${
        raw(listing)
      }</article>`,
    );
  }
  return {
    path,
    rendered,
    source: repoPath,
    search: [],
    html: renderShell({
      page: path,
      title: `${repoPath} · echo-lab`,
      description: repoPath,
      main,
      chapters: site.chapters,
      current: owner?.slug,
    }),
  };
}

function glance(chapter: Chapter, page: string, site: SiteContext): SafeHtml {
  const m = chapter.meta;
  const facts = [["model", "Model"] as const, ...COLUMNS]
    .filter(([key]) => m[key])
    .map(([key, label]) =>
      markup`<div><dt>${raw(label)}</dt><dd>${m[key]}</dd></div>`
    );
  const files = [
    ...new Set(
      ["server.ts", "client.ts", "deno.json"].map((f) => `${chapter.dir}/${f}`),
    ),
  ].flatMap((f) => {
    const target = site.resolve(f, "link");
    return target
      ? [
        markup`<a href="${relativeUrl(page, target)}"><code>${
          posix.basename(f)
        }</code></a>`,
      ]
      : [];
  });
  const tasks = Object.keys(chapter.tasks).map((t) =>
    markup`<code>${t}</code>`
  );
  return markup`
${m.summary ? markup`<p class="lede">${m.summary}</p>` : ""}
${facts.length ? markup`<dl class="glance">${facts}</dl>` : ""}
<div class="where">
<p>The code is in <code>${chapter.dir}/</code> (${
    join(files, " · ")
  }); its tasks: ${
    join(tasks, " ")
  }. Every command on this page runs from that folder, and the lab's own tasks (<code>deno task exercise</code>, <code>hint</code>, <code>bench</code>) from the repository root as well, so start from the root with:</p>
${raw(codeBlock("sh", highlight(`cd ${chapter.dir}`, "sh")))}
</div>`;
}

/** `parts` with `separator` between them. */
function join(parts: SafeHtml[], separator: string): SafeHtml[] {
  return parts.flatMap((part, i) => i === 0 ? [part] : [raw(separator), part]);
}

/** A section appended to a chapter page: its heading (for the table of
 * contents) and its HTML, heading included. */
interface Section {
  id: string;
  title: string;
  html: SafeHtml;
}

function traceSection(
  trace: TraceResults | null,
  site: SiteContext,
  page: string,
): Section | null {
  if (!trace) return null;
  const id = "syscall-trace", title = "What the kernel saw";
  const parts = [
    `<h2 id="${id}">${title}</h2>`,
    `<p>A trace of this server's system calls while it echoed, recorded by the lab's tracer.</p>`,
    aboutList(trace.about),
  ];
  if (trace.timeline) parts.push(chartFigure(trace.timeline, site, page));
  if (trace.counts) {
    parts.push(
      `<p class="about-title">System calls during the trace</p>`,
      aboutList(trace.counts),
    );
  }
  if (trace.trace) {
    const listing = highlight(trace.trace.replace(/\n$/, ""), "text");
    parts.push(`<div class="trace">${codeBlock("trace.txt", listing)}</div>`);
  }
  return { id, title, html: raw(parts.join("\n")) };
}

function benchSection(
  site: SiteContext,
  slug: string,
  page: string,
): Section | null {
  const bench = site.bench;
  const tables = (bench?.tables ?? []).flatMap(({ title, table }) => {
    const rows = rowsFor(table, slug);
    return rows ? [dataTable(rows, title)] : [];
  });
  if (tables.length === 0) return null;
  // The chapter's own charts: closed loop, and open loop where it ran.
  const charts = bench!.charts.filter((chart) =>
    posix.basename(chart).startsWith(`chapter-${slug}`)
  ).map((chart) => chartFigure(chart, site, page));
  const id = "measured", title = "Measured";
  return {
    id,
    title,
    html: markup`<h2 id="${id}">${title}</h2>
<p>From the benchmark lab's latest run; <a href="${
      relativeUrl(page, "compare.html#benchmarks")
    }">all models side by side</a>.</p>
${raw(aboutList(bench!.about))}
${raw(charts.join("\n"))}
${raw(tables.join("\n"))}`,
  };
}

function chartFigure(
  repoPath: string,
  site: SiteContext,
  page: string,
): string {
  const target = site.resolve(repoPath, "image");
  if (!target) return "";
  const name = posix.basename(repoPath, ".svg").replace(/[-_]/g, " ");
  const url = relativeUrl(page, target);
  const img =
    markup`<img src="${url}" alt="Chart: ${name} (${repoPath})" loading="lazy">`;
  // A bench chart has a narrow form drawn for a phone; a timeline has none,
  // so on a phone it scrolls sideways at a size it reads at, and says so.
  const narrowPath = posix.join(
    posix.dirname(repoPath),
    NARROW_DIR,
    posix.basename(repoPath),
  );
  const narrow = readText(narrowPath) === null
    ? null
    : site.resolve(narrowPath, "image");
  const picture = narrow
    ? markup`<picture><source media="${NARROW_MEDIA}" srcset="${
      relativeUrl(page, narrow)
    }">${img}</picture>`
    : img;
  const open =
    markup`<a class="open-full" href="${url}" title="Open full size">${picture}</a>`;
  return String(
    narrow
      ? markup`<figure class="chart">${open}<figcaption>${name} · <code>${repoPath}</code></figcaption></figure>`
      : markup`<figure class="chart wide-chart"><div class="chart-scroll" tabindex="0" role="region" aria-label="Chart: ${name} (scrolls sideways on small screens)">${open}</div><figcaption>${name} · <code>${repoPath}</code><span class="open-note"> · <a class="open-full" href="${url}">open full screen</a></span></figcaption></figure>`,
  );
}

/** Where a chart's narrow form replaces it: the width at which the wide
 * form's labels would shrink below the narrow form's. */
const NARROW_MEDIA = "(max-width: 40rem)";
