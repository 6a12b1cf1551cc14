/**
 * The repository's files as the generated parts and their readers see them:
 * a file's text by repository path, the Markdown files a reader reads, and
 * the file behind a workspace module's import name (a listing may include
 * `@echo-lab/shared/socket:REGION`).
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "@echo-lab/harness/chapters";

export { ROOT };

/** The text of a repository file, or null if there is none. */
export function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(join(ROOT, path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** The repository path of a workspace module named by its import
 * specifier, e.g. `@echo-lab/shared/socket` → `shared/socket.ts`, or null
 * when no workspace member of that name exports it. */
export function workspaceFile(specifier: string): string | null {
  const root = JSON.parse(readText("deno.json") ?? "{}");
  for (const member of (root.workspace ?? []) as string[]) {
    if (member.includes("*")) continue;
    const dir = member.replace(/^\.\//, "");
    const config = JSON.parse(readText(`${dir}/deno.json`) ?? "{}");
    if (!config.name || !specifier.startsWith(`${config.name}/`)) continue;
    const target = config.exports?.[`.${specifier.slice(config.name.length)}`];
    return target ? `${dir}/${target.replace(/^\.\//, "")}` : null;
  }
  return null;
}

/** Repository paths of every Markdown file a reader reads: the READMEs and
 * the site's own pages (not build output, results or dependencies). */
export function markdownFiles(dir = ""): string[] {
  const skip = new Set([
    ".git",
    "node_modules",
    "dist",
    "results",
    "screenshots",
  ]);
  const found: string[] = [];
  for (const entry of Deno.readDirSync(join(ROOT, dir || "."))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !skip.has(entry.name)) {
      found.push(...markdownFiles(path));
    } else if (entry.isFile && entry.name.endsWith(".md")) found.push(path);
  }
  return found.sort();
}
