/**
 * Offline search: a MiniSearch index built here, shipped as a classic script
 * (`search-index.js`) next to MiniSearch's own browser build, so search
 * works from a file:// URL where `fetch` and ES modules do not.
 *
 * @module
 */
import MiniSearch from "minisearch";
import { headingText, textOf } from "./html.ts";

/** One searchable section of a page. */
export interface SearchDoc {
  id: string;
  /** Section heading. */
  title: string;
  /** The page it is on, e.g. `07 · Async I/O with Deno`. */
  page: string;
  /** Site path with anchor. */
  url: string;
  text: string;
}

/** Options shared by the build and the browser (which must match). */
export const SEARCH_OPTIONS = {
  fields: ["title", "page", "text"],
  storeFields: ["title", "page", "url"],
};

/** The sections of a rendered page: split at each `<h2>`. */
export function sectionsOf(
  html: string,
  page: string,
  url: string,
): SearchDoc[] {
  return html.split(/(?=<h2 )/).map((chunk, i) => {
    const h2 = chunk.match(/^<h2 id="([^"]+)">(.*?)<\/h2>/s);
    const title = h2 ? headingText(h2[2]) : page;
    return {
      id: `${url}#${i}`,
      title,
      page,
      url: h2 ? `${url}#${h2[1]}` : url,
      text: textOf(chunk).replace(/\s+/g, " ").trim(),
    };
  });
}

/** The index as a script that sets `globalThis.SEARCH`. */
export function searchScript(docs: SearchDoc[]): string {
  const index = new MiniSearch(SEARCH_OPTIONS);
  index.addAll(docs);
  return `globalThis.SEARCH = ${
    JSON.stringify({ options: SEARCH_OPTIONS, index: index.toJSON() })
  };\n`;
}

/** MiniSearch's browser build (UMD: a classic script defining
 * `window.MiniSearch`), from the pinned npm package. */
export function miniSearchBrowserScript(): string {
  const es = new URL(import.meta.resolve("minisearch"));
  const umd = new URL("../umd/index.js", es);
  return Deno.readTextFileSync(umd).replace(/\/\/# sourceMappingURL=.*$/m, "");
}
