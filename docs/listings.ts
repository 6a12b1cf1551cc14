/**
 * Keeps the code in the READMEs equal to the tested source.
 *
 * A listing in a README is a fenced block that names its source:
 *
 *     ```ts include=server.ts:accept
 *     ...the lines of region `accept` of server.ts...
 *     ```
 *
 * so the code reads on GitHub and in an editor, not only on the site.
 * `deno task readmes` (readmes.ts) rewrites every such block from its region
 * (FILE is relative to the README, or a workspace module such as
 * `@echo-lab/shared/socket`; the shorthand `{{#include server.ts:accept}}`,
 * alone in a fence with no language, is expanded into one), along with the
 * bench figures; `deno task readmes --check` changes nothing and exits 1
 * naming each stale part. `readmes_test.ts` runs the check, so a README that
 * drifted from its source fails `deno task test`.
 *
 * @module
 */
import { posix } from "node:path";
import { readText, workspaceFile } from "./files.ts";
import { type Fence, fences } from "./fences.ts";
import { extractRegion } from "./regions.ts";

const SHORTHAND = /^\{\{#include\s+([^}\s]+)\s*\}\}$/;

/** A listing whose text differs from its region. */
export interface StaleListing {
  /** Repository path of the Markdown file. */
  source: string;
  line: number;
  include: string;
}

/** `markdown` (at repository path `source`) with every listing refreshed.
 * Throws, naming the file, line and include, when a file or region is
 * missing. */
export function refreshListings(markdown: string, source: string): string {
  const lines = markdown.split("\n");
  // From the end, so earlier line numbers stay valid as bodies change size.
  for (const fence of fences(markdown).reverse()) {
    const include = includeOf(fence);
    if (include === null) continue;
    const where = `${source}:${fence.line}: include=${include}`;
    const { text, lang } = regionText(include, posix.dirname(source), where);
    lines.splice(
      fence.start - 1,
      fence.end - fence.start + 1,
      `${lines[fence.start - 1].match(/^[`~]+/)![0]}${lang} include=${include}`,
      ...text.split("\n"),
    );
  }
  return lines.join("\n");
}

/** The listings of `markdown` that `refreshListings` would change. */
export function staleListings(
  markdown: string,
  source: string,
): StaleListing[] {
  const fresh = fences(refreshListings(markdown, source));
  return fences(markdown).flatMap((fence, i) => {
    const include = includeOf(fence);
    if (include === null) return [];
    const same = fence.attrs.include === include &&
      fence.body === fresh[i].body;
    return same ? [] : [{ source, line: fence.line, include }];
  });
}

/** `FILE:REGION` of a listing (or of the shorthand), else null. */
export function includeOf(fence: Fence): string | null {
  if (typeof fence.attrs.include === "string") return fence.attrs.include;
  if (fence.lang !== "") return null;
  return fence.body.trim().match(SHORTHAND)?.[1] ?? null;
}

/** The text a listing shows, and the language of its file. */
export function regionText(
  include: string,
  dir: string,
  where: string,
): { text: string; lang: string; path: string; startLine: number } {
  const [file, region = ""] = include.split(":");
  // A workspace module by its import name, as the chapters import it.
  const member = file.startsWith("@") ? workspaceFile(file) : undefined;
  if (member === null) throw new Error(`${where}: no workspace module ${file}`);
  const path = member ?? posix.normalize(posix.join(dir, file));
  const source = readText(path);
  if (source === null) throw new Error(`${where}: no file ${path}`);
  const lang = posix.extname(path).slice(1);
  if (!region) {
    return { text: source.replace(/\n$/, ""), lang, path, startLine: 1 };
  }
  try {
    return { ...extractRegion(source, region), lang, path };
  } catch (error) {
    throw new Error(`${where}: ${path}: ${(error as Error).message}`);
  }
}
