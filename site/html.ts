/**
 * Small HTML helpers shared by the builder and its tests.
 *
 * @module
 */
import { posix } from "node:path";
import { escapeHtml } from "@echo-lab/docs/escape";

/** HTML that is already safe: what {@linkcode markup} returns, and what it
 * inserts as it is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Trusted markup, such as the output of another builder, to insert into
 * an {@linkcode markup} template as it is. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** A template of HTML whose inserted values are escaped, unless they are
 * {@linkcode SafeHtml}; arrays are joined, and null, undefined and false
 * insert nothing. (Not tagged `html`: deno fmt reformats the whitespace of
 * templates with that tag.)
 *
 * @example
 * ```ts
 * import { markup } from "./html.ts";
 * const name = "<b>";
 * console.log(String(markup`<p>${name}</p>`)); // <p>&lt;b&gt;</p>
 * ```
 */
export function markup(
  strings: TemplateStringsArray,
  ...values: unknown[]
): SafeHtml {
  let out = strings[0];
  values.forEach((value, i) => out += insert(value) + strings[i + 1]);
  return new SafeHtml(out);
}

function insert(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(insert).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
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
