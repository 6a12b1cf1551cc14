/**
 * The fenced code blocks of a Markdown file, with where they sit and what
 * their info string says.
 *
 * The info string is the language, then attributes: `key=value`,
 * `key="a value with spaces"`, or a bare `flag`. The lab uses these:
 *
 * - `include=FILE:REGION` on a listing: the block holds the region of a
 *   source file (relative to the Markdown file), kept fresh by
 *   `deno task readmes`.
 * - `leave-running` on a `sh` block that starts a server the reader leaves
 *   running in its own terminal while trying the next blocks.
 * - `not-run="why"` on a `sh` block the copy-paste test cannot run, and
 *   `output` on the `text` block that shows what the `sh` block above prints,
 *   with `from=FILE` naming the committed run its figures come from
 *   (tests/text_output_test.ts checks them).
 *
 * @example
 * ```ts
 * import { fences } from "./fences.ts";
 * const [block] = fences("```ts include=server.ts:accept\nlet x;\n```\n");
 * console.log(block.lang, block.attrs.include, block.body); // ts server.ts:accept let x;
 * ```
 *
 * @module
 */

/** One fenced block. */
export interface Fence {
  /** 1-based line number of the opening fence. */
  line: number;
  /** 0-based index of the first body line; the body runs to `end`. */
  start: number;
  /** 0-based index of the closing fence line. */
  end: number;
  /** The info string's first word, or "" when there is none. */
  lang: string;
  /** The info string's other words. */
  attrs: Record<string, string | true>;
  /** The lines between the fences, joined with "\n". */
  body: string;
}

const OPEN = /^(`{3,}|~{3,})\s*(.*)$/;

/** Every fenced block of `markdown` that starts at the left margin, in
 * order. An unclosed fence runs to the end of the file, as CommonMark has
 * it. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split("\n");
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(OPEN);
    if (!open) continue;
    const [, marker, info] = open;
    let end = i + 1;
    while (end < lines.length && !closes(lines[end], marker)) end++;
    const [lang = "", ...words] = splitInfo(info);
    found.push({
      line: i + 1,
      start: i + 1,
      end,
      lang,
      attrs: Object.fromEntries(words.map(parseAttr)),
      body: lines.slice(i + 1, end).join("\n"),
    });
    i = end;
  }
  return found;
}

function closes(line: string, marker: string): boolean {
  const trimmed = line.trimEnd();
  return trimmed.startsWith(marker) &&
    /^(`+|~+)$/.test(trimmed) && trimmed[0] === marker[0];
}

/** Splits an info string into words; double quotes group spaces. */
function splitInfo(info: string): string[] {
  return [...info.matchAll(/(?:[^\s"]+|"[^"]*")+/g)].map((m) => m[0]);
}

function parseAttr(word: string): [string, string | true] {
  const eq = word.indexOf("=");
  if (eq < 0) return [word, true];
  return [word.slice(0, eq), word.slice(eq + 1).replace(/^"(.*)"$/, "$1")];
}
