/**
 * Text made safe to put in HTML or SVG: the diagrams the READMEs show as
 * files and the pages the site builds escape it the same way.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./escape.ts";
 * console.log(escapeHtml('<a title="x">')); // &lt;a title=&quot;x&quot;&gt;
 * ```
 *
 * @module
 */

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
