/**
 * Builds the tutorial site into `site/dist/`: `deno task site`.
 *
 * Every chapter with a deno.json gets a page rendered from its README.md;
 * listings come from the source files' named regions, and a missing file or
 * region stops the build. Files the pages link to get pages of their own
 * (highlighted source, rendered markdown) or are copied (images), so every
 * link works offline.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { kindOf, loadChapters, ROOT } from "./content.ts";
import { chapterPage } from "./layout.ts";
import {
  chapterPageFor,
  CLOSING,
  CLOSING_PAGE,
  closingPage,
  comparePage,
  filePage,
  homePage,
  type Page,
  type SiteContext,
} from "./pages.ts";
import { loadBench } from "./results.ts";
import { miniSearchBrowserScript, searchScript } from "./search.ts";

/** The default output folder. */
export const DIST: string = join(ROOT, "site", "dist");

const ASSETS = new URL("assets/", import.meta.url);
const IMAGE = /\.(svg|png|jpe?g|gif|webp)$/i;

/** What a build produced, for the caller and the tests. */
export interface BuildReport {
  outDir: string;
  pages: Page[];
  /** Relative links in markdown whose target does not exist. */
  broken: { source: string; href: string }[];
}

/** Builds the site into `outDir` (emptied first). */
export async function buildSite(outDir: string = DIST): Promise<BuildReport> {
  const chapters = await loadChapters();
  const targets = new Map<string, string>(); // repository path → site path
  const copies = new Map<string, string>(); // site path → repository path
  const pending: string[] = [];
  for (const c of chapters) {
    if (c.readme) targets.set(c.readme, chapterPage(c.slug));
  }
  targets.set(CLOSING, CLOSING_PAGE);

  const site: SiteContext = {
    chapters,
    bench: loadBench(),
    resolve(repoPath, as) {
      const known = targets.get(repoPath);
      if (known) return known;
      const kind = kindOf(repoPath);
      if (kind === "dir") return site.resolve(`${repoPath}/README.md`, as);
      if (kind === null) return null;
      let target: string;
      if (as === "image" || IMAGE.test(repoPath)) {
        target = `files/${repoPath}`;
        copies.set(target, repoPath);
      } else {
        target = `src/${repoPath}.html`;
        pending.push(repoPath);
      }
      targets.set(repoPath, target);
      return target;
    },
  };

  const pages: Page[] = [
    homePage(site),
    ...chapters.map((_, i) => chapterPageFor(site, i)),
    closingPage(site),
    comparePage(site),
  ];
  // Source and document pages, including those their own links discover.
  for (let repoPath; (repoPath = pending.shift()) !== undefined;) {
    pages.push(filePage(site, repoPath, targets.get(repoPath)!));
  }

  try {
    Deno.removeSync(outDir, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  write(
    outDir,
    "search-index.js",
    searchScript(pages.flatMap((p) => p.search)),
  );
  write(outDir, "assets/minisearch.js", miniSearchBrowserScript());
  for (const entry of Deno.readDirSync(ASSETS)) {
    write(
      outDir,
      `assets/${entry.name}`,
      Deno.readFileSync(new URL(entry.name, ASSETS)),
    );
  }
  for (const page of pages) write(outDir, page.path, page.html);
  for (const [target, repoPath] of copies) {
    write(outDir, target, Deno.readFileSync(join(ROOT, repoPath)));
  }
  const broken = [
    ...new Set(
      pages.flatMap((p) =>
        (p.rendered?.broken ?? []).map((href) => `${p.source}\n${href}`)
      ),
    ),
  ].map((line) => {
    const [source, href] = line.split("\n");
    return { source, href };
  });
  return { outDir, pages, broken };
}

function write(outDir: string, path: string, data: string | Uint8Array) {
  const file = join(outDir, path);
  Deno.mkdirSync(dirname(file), { recursive: true });
  if (typeof data === "string") Deno.writeTextFileSync(file, data);
  else Deno.writeFileSync(file, data);
}

/** Tells the user what a build did: each link to a missing file, then a
 * one-line summary. */
export function logBuild(report: BuildReport, started: number): void {
  for (const { source, href } of report.broken) {
    console.error(`warning: ${source}: link to ${href}: no such file yet`);
  }
  console.log(
    `built ${report.pages.length} pages into ${report.outDir} in ${
      Math.round(performance.now() - started)
    } ms`,
  );
}

if (import.meta.main) {
  const started = performance.now();
  try {
    logBuild(await buildSite(), started);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
