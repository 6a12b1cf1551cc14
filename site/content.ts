/**
 * What the site is made of: the chapters (their README, its front matter,
 * their tasks) and any benchmark or trace results other tools have left in
 * the repository. Results are optional; the site builds without them.
 *
 * @module
 */
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { discoverChapters, ROOT } from "@echo-lab/harness/chapters";
import type { ChapterFacts } from "@echo-lab/lesson/facts";
import { loadFacts } from "@echo-lab/harness/facts";
import { readText } from "@echo-lab/docs/files";

export { ROOT };

/** The keys every chapter README starts with (all strings). */
export interface FrontMatter {
  title: string;
  summary: string;
  model: string;
  threads: string;
  connections: string;
  idle_cpu: string;
  complexity: string;
}

/** One chapter, ready to render. */
export interface Chapter {
  /** Folder name, e.g. `07-async`. */
  slug: string;
  /** `07`. */
  number: string;
  /** Repository path of the folder, e.g. `chapters/07-async`. */
  dir: string;
  /** Repository path of README.md, or null while it is not written. */
  readme: string | null;
  meta: Partial<FrontMatter>;
  /** The README without its front matter. */
  body: string;
  tasks: Record<string, string>;
  /** What its `chapter.ts` states: family, trace promise, sequence. */
  facts: ChapterFacts;
}

/** Every chapter with a deno.json, in reading order. */
export function loadChapters(): Promise<Chapter[]> {
  return Promise.all(
    discoverChapters().map(async (chapter) => {
      const { name, tasks } = chapter;
      const dir = `chapters/${name}`;
      const readme = `${dir}/README.md`;
      const text = readText(readme);
      const { meta, body } = text === null
        ? { meta: {}, body: "" }
        : splitFrontMatter(text, readme);
      return {
        slug: name,
        number: name.match(/^\d+/)?.[0] ?? "",
        dir,
        readme: text === null ? null : readme,
        meta,
        body,
        tasks,
        facts: await loadFacts(chapter),
      };
    }),
  );
}

/** A chapter's display title, e.g. `07 · Async I/O with Deno`. */
export function chapterTitle(chapter: Chapter): string {
  const title = chapter.meta.title ?? chapter.slug.replace(/^\d+-/, "");
  return chapter.number ? `${chapter.number} · ${title}` : title;
}

/** Splits YAML front matter (between `---` lines) from the markdown. */
export function splitFrontMatter(
  text: string,
  source: string,
): { meta: Partial<FrontMatter>; body: string } {
  const match = text.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n/);
  if (!match) return { meta: {}, body: text };
  let meta: unknown;
  try {
    meta = parseYaml(match[1]);
  } catch (error) {
    throw new Error(
      `${source}: front matter is not valid YAML: ${(error as Error).message}`,
    );
  }
  if (typeof meta !== "object" || meta === null) {
    throw new Error(`${source}: front matter must be key: value lines`);
  }
  const strings = Object.fromEntries(
    Object.entries(meta).map(([key, value]) => [key, String(value)]),
  );
  return { meta: strings, body: text.slice(match[0].length) };
}

/** What a repository path is: a file, a folder, or nothing. */
export function kindOf(path: string): "file" | "dir" | null {
  try {
    const info = Deno.statSync(join(ROOT, path));
    return info.isDirectory ? "dir" : "file";
  } catch {
    return null;
  }
}

/** The files in a repository folder (not recursive), sorted; empty if the
 * folder does not exist. */
export function filesIn(dir: string): string[] {
  try {
    return [...Deno.readDirSync(join(ROOT, dir))]
      .filter((entry) => entry.isFile)
      .map((entry) => `${dir}/${entry.name}`)
      .sort();
  } catch {
    return [];
  }
}
