/**
 * Pieces of pages: tables, figures and lists that more than one page
 * shows (the comparison table is on Home and on Compare).
 *
 * @module
 */
import { type Chapter, chapterTitle, type FrontMatter } from "./content.ts";
import { escapeHtml } from "@echo-lab/docs/escape";
import { relativeUrl } from "./html.ts";
import { chapterPage } from "./layout.ts";
import type { BenchView, Table } from "./results.ts";

/** The front-matter columns of the comparison, with their headings. */
export const COLUMNS: [keyof FrontMatter, string][] = [
  ["threads", "Threads"],
  ["connections", "Connections per process"],
  ["idle_cpu", "CPU while idle"],
  ["complexity", "Complexity"],
];

export function notesList(notes: string[]): string {
  return notes.length
    ? `<ul class="notes">${
      notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")
    }</ul>`
    : "";
}

export function aboutList(about: Record<string, string>): string {
  const entries = Object.entries(about);
  if (entries.length === 0) return "";
  return `<dl class="about">${
    entries.map(([k, v]) =>
      `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`
    )
      .join("")
  }</dl>`;
}

/** A table of measurements, its title above it; numbers align right. */
export function dataTable(table: Table, caption: string): string {
  const cell = (value = "") =>
    /^[\d,.]+(e[+-]\d+)?( [KMG]i?B)?$/.test(value)
      ? `<td class="num">${value}</td>`
      : `<td>${escapeHtml(value)}</td>`;
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="${
    escapeHtml(caption)
  }"><table class="data"><caption>${escapeHtml(caption)}</caption><thead><tr>${
    table.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join("")
  }</tr></thead><tbody>${
    table.rows.map((row) =>
      `<tr>${table.columns.map((c) => cell(row[c])).join("")}</tr>`
    ).join("")
  }</tbody></table></div>`;
}

/** A diagram and its caption; given `narrow`, the same diagram laid out for
 * a phone, which the style sheet shows instead on a narrow screen. */
export function figure(svg: string, caption: string, narrow?: string): string {
  return `<figure class="diagram-figure${
    narrow ? " has-narrow" : ""
  }"><div class="diagram-scroll" tabindex="0" role="region" aria-label="Figure (scrolls sideways on small screens)">${svg}</div>${
    narrow ? `<div class="diagram-narrow">${narrow}</div>` : ""
  }<figcaption>${escapeHtml(caption)}</figcaption></figure>\n`;
}

/** The front matter of every chapter side by side, with the benchmark's
 * measurements beside the claims when there are any. */
export function comparisonTable(
  chapters: Chapter[],
  page: string,
  bench: BenchView | null,
): string {
  const rows = chapters.map((c) => {
    const m = bench?.measured[c.slug] ?? {};
    const measured: Partial<Record<keyof FrontMatter, string>> = {
      threads: m.threads && `measured idle: ${m.threads}`,
      connections: m.held &&
        `measured: ${m.held} held${m.rss ? `, ${m.rss} each` : ""}`,
    };
    return `<tr><th scope="row"><a href="${
      relativeUrl(page, chapterPage(c.slug))
    }">${escapeHtml(chapterTitle(c))}</a></th>${
      COLUMNS.map(([key]) =>
        `<td>${escapeHtml(c.meta[key] ?? "—")}${
          measured[key]
            ? `<span class="measured">${escapeHtml(measured[key])}</span>`
            : ""
        }</td>`
      ).join("")
    }</tr>`;
  }).join("");
  const caption = bench
    ? "Every chapter's model at a glance, as its README states it and as the benchmark measured it"
    : "Every chapter's model at a glance, as its README states it";
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="Chapters compared"><table class="compare"><caption>${caption}</caption><thead><tr><th scope="col">Chapter</th>${
    COLUMNS.map(([, label]) => `<th scope="col">${label}</th>`).join("")
  }</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** Where a chapter sits on the (a)synchronous × (non-)blocking map, read
 * from its front matter's `model`. */
function mapCell(model: string): string {
  const m = model.toLowerCase();
  if (/thread|process|worker/.test(m)) return "concurrency";
  const sync = /\basynchronous|\basync\b/.test(m) && !/\bsynchronous/.test(m)
    ? "async"
    : "sync";
  // An asynchronous call returns at once unless the model says otherwise.
  const blocking =
    /non-?blocking/.test(m) || (sync === "async" && !/blocking/.test(m))
      ? "nonblocking"
      : "blocking";
  return `${sync}-${blocking}`;
}

export function modelMap(chapters: Chapter[], page: string): string {
  const cells = new Map<string, string[]>();
  for (const c of chapters) {
    if (!c.meta.model) continue; // placed once its README says where
    const key = mapCell(c.meta.model);
    cells.set(key, [
      ...(cells.get(key) ?? []),
      `<li><a href="${relativeUrl(page, chapterPage(c.slug))}">${
        escapeHtml(chapterTitle(c))
      }</a></li>`,
    ]);
  }
  const cell = (key: string, hint: string) =>
    `<td><p class="hint">${hint}</p><ul>${
      (cells.get(key) ?? []).join("")
    }</ul></td>`;
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="Map of the models"><table class="model-map"><caption>The map of I/O models, with the chapters placed by their own <code>model</code> line</caption>
<thead><tr><td></td><th scope="col">synchronous<br><small>the caller does the copy</small></th><th scope="col">asynchronous<br><small>the kernel does both phases</small></th></tr></thead>
<tbody>
<tr><th scope="row">blocking<br><small>the call waits</small></th>${
    cell("sync-blocking", "the call sleeps until the data is copied")
  }${
    cell(
      "async-blocking",
      "the kernel does the I/O while the caller waits for its completion (io_uring_enter with a wait count)",
    )
  }</tr>
<tr><th scope="row">non-blocking<br><small>the call returns at once</small></th>${
    cell(
      "sync-nonblocking",
      "the call returns at once: EAGAIN, or what is ready; you do the copy",
    )
  }${cell("async-nonblocking", "submit, carry on, collect the completion")}</tr>
<tr><th scope="row">concurrency<br><small>more waiters</small></th><td colspan="2"><p class="hint">blocking calls, but many threads or processes, each waiting on its own connection</p><ul>${
    (cells.get("concurrency") ?? []).join("")
  }</ul></td></tr>
</tbody></table></div>`;
}

export function chapterList(chapters: Chapter[], page: string): string {
  return `<ol class="chapter-list">${
    chapters.map((c) =>
      `<li><a href="${
        relativeUrl(page, chapterPage(c.slug))
      }"><span class="num">${c.number}</span><span class="name">${
        escapeHtml(c.meta.title ?? c.slug)
      }</span><span class="sum">${
        escapeHtml(c.meta.summary ?? "Being written.")
      }</span></a></li>`
    ).join("")
  }</ol>`;
}
