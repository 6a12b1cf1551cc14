/**
 * Build-time syntax highlighting with shiki: every token carries its light
 * colour inline and its dark colour in `--shiki-dark`, so the page switches
 * with `prefers-color-scheme` and ships no highlighter to the browser.
 *
 * @module
 */
import { type BundledLanguage, createHighlighter } from "shiki";

const LANGUAGES: BundledLanguage[] = [
  "typescript",
  "javascript",
  "json",
  "jsonc",
  "shellscript",
  "c",
  "yaml",
  "toml",
  "diff",
  "markdown",
  "html",
  "css",
];

const ALIASES: Record<string, string> = {
  ts: "typescript",
  js: "javascript",
  sh: "shellscript",
  bash: "shellscript",
  shell: "shellscript",
  console: "shellscript",
  yml: "yaml",
  md: "markdown",
  h: "c",
};

const highlighter = await createHighlighter({
  themes: ["github-light", "github-dark"],
  langs: LANGUAGES,
});

/** The shiki language for a fence info string or a file extension; "text"
 * for anything it does not know. */
export function languageOf(name: string): string {
  const lang = ALIASES[name] ?? name;
  return (LANGUAGES as string[]).includes(lang) ? lang : "text";
}

/** `code` as a highlighted `<pre>`. With `lineIds`, line N gets `id="LN"` so
 * a link can point at it. */
export function highlight(
  code: string,
  lang: string,
  options: { lineIds?: boolean } = {},
): string {
  return highlighter.codeToHtml(code, {
    lang: languageOf(lang),
    themes: { light: "github-light", dark: "github-dark" },
    transformers: [{
      pre(node) {
        // The <pre> is scrollable: keyboard users reach it with Tab.
        node.properties.tabindex = "0";
      },
      line(node, line) {
        if (options.lineIds) node.properties.id = `L${line}`;
      },
    }],
  });
}
