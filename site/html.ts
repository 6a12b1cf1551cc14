/**
 * Small HTML helpers shared by the builder and its tests.
 *
 * @module
 */
import { posix } from "node:path";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` safe to put in HTML text or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The text a browser would show for an HTML fragment (tags dropped,
 * entities decoded). */
export function textOf(html: string): string {
  return html.replace(/<[^>]*>/g, "").replace(
    /&(#x[\da-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi,
    (_, e: string) => {
      if (e[0] === "#") {
        const code = e[1] === "x" || e[1] === "X"
          ? parseInt(e.slice(2), 16)
          : Number(e.slice(1));
        return String.fromCodePoint(code);
      }
      return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " })[
        e.toLowerCase() as "amp"
      ];
    },
  );
}

/** A link from page `from` to page `to`, both paths inside the site. Always
 * relative, so the site works from a file:// URL as well as a server. */
export function relativeUrl(from: string, to: string): string {
  const [path, hash] = to.split("#");
  const rel = posix.relative(posix.dirname(from), path) ||
    posix.basename(path);
  return hash === undefined ? rel : `${rel}#${hash}`;
}

/** GitHub-style heading slug: lower case, punctuation dropped, spaces to
 * hyphens. */
export function slugify(text: string): string {
  return text.toLowerCase().trim().replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The text of a heading's inner HTML, without its `#` anchor link. */
export function headingText(inner: string): string {
  return textOf(inner.replace(/<a class="anchor"[^>]*>#<\/a>/, "")).trim();
}
