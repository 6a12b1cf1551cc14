/**
 * Loading a chapter's `chapter.ts` (its types: `@echo-lab/lesson/facts`).
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ChapterFacts } from "@echo-lab/lesson/facts";
import type { Chapter } from "./chapters.ts";

/** The facts in `chapter`'s `chapter.ts`; throws, naming the file, when it
 * is missing or exports no `facts`. */
export async function loadFacts(chapter: Chapter): Promise<ChapterFacts> {
  const file = join(chapter.dir, "chapter.ts");
  let module: { facts?: ChapterFacts };
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    throw new Error(`${chapter.name}: cannot load ${file}: ${error}`);
  }
  if (!module.facts) throw new Error(`${file} exports no \`facts\``);
  return module.facts;
}
