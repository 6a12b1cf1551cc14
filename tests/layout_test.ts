/**
 * The repository's shape, as rules that name the offender:
 * - a chapter is its folder plus `shared/`: it imports no other chapter, and
 *   reaches `shared/` by its workspace name, never by a relative path; its
 *   tasks name no path outside the chapter, except `--allow-read` on the
 *   shared folder for a chapter whose Workers load shared modules (02, 10);
 * - `shared/` holds only what two or more chapters use.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { discoverChapters, ROOT } from "@echo-lab/harness/chapters";

const SHARED = join(ROOT, "shared");
const SHARED_EXPORTS: Record<string, string> = JSON.parse(
  Deno.readTextFileSync(join(SHARED, "deno.json")),
).exports;

/** Every module specifier in a TypeScript source: static and dynamic
 * imports, re-exports, and `new URL("...", import.meta.url)` (Workers). */
function specifiers(source: string): string[] {
  const patterns = [
    /(?:import|export)\s[^"';]*?from\s*"([^"]+)"/g,
    /import\s*\(?\s*"([^"]+)"/g,
    /new URL\(\s*"([^"]+)",\s*import\.meta\.url/g,
  ];
  return patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1]));
}

/** The file `specifier` in `file` names, or null for npm:, node: and the
 * like. */
function resolve(file: string, specifier: string): string | null {
  if (specifier.startsWith("@echo-lab/shared/")) {
    const target = SHARED_EXPORTS[`./${specifier.slice(17)}`];
    if (!target) throw new Error(`${rel(file)}: no export ${specifier}`);
    return join(SHARED, target);
  }
  if (specifier.startsWith(".")) return join(dirname(file), specifier);
  return null;
}

/** The .ts files under `dir`, recursively; tests and test data left out
 * when `withTests` is false. */
function sources(dir: string, withTests: boolean): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (withTests || entry.name !== "testdata") {
        files.push(...sources(path, withTests));
      }
    } else if (
      entry.name.endsWith(".ts") &&
      (withTests || !entry.name.endsWith("_test.ts"))
    ) files.push(path);
  }
  return files;
}

/** Every module reachable from `entries`, following imports. */
function reachable(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of specifiers(Deno.readTextFileSync(file))) {
      const target = resolve(file, specifier);
      if (target) queue.push(target);
    }
  }
  return seen;
}

const rel = (path: string) => relative(ROOT, path);
const inside = (path: string, dir: string) =>
  !relative(dir, path).startsWith("..");

Deno.test("no chapter imports another chapter or reaches shared/ by a relative path", () => {
  const offenders: string[] = [];
  for (const chapter of discoverChapters()) {
    for (const file of sources(chapter.dir, true)) {
      for (const specifier of specifiers(Deno.readTextFileSync(file))) {
        const target = resolve(file, specifier);
        if (!specifier.startsWith(".") || !target) continue;
        if (inside(target, SHARED)) {
          offenders.push(
            `${rel(file)} imports "${specifier}": use @echo-lab/shared/...`,
          );
        } else if (!inside(target, chapter.dir)) {
          offenders.push(
            `${rel(file)} imports "${specifier}", outside its chapter`,
          );
        }
      }
    }
    for (const [task, line] of Object.entries(chapter.tasks)) {
      // Deno loads a Worker's modules under the read permission (2.9.6:
      // "Requires read access to .../shared/socket.ts"), so a chapter whose
      // Workers import shared code grants `--allow-read` on shared/, and
      // that is the only path outside its folder a task may name.
      const outside = line.split(/[\s,=]+/).filter((word) =>
        word.startsWith("..") && word !== "../../shared"
      );
      if (outside.length > 0 || /\.\.\/\.\.\/shared(?!\s|,|$)/.test(line)) {
        offenders.push(
          `${chapter.name}/deno.json task "${task}" names a path outside the chapter: ${line}`,
        );
      }
      if (
        line.includes("../../shared") &&
        !/--allow-read=\S*\.\.\/\.\.\/shared\b/.test(line)
      ) {
        offenders.push(
          `${chapter.name}/deno.json task "${task}" names shared/ other than to let its Workers read it: ${line}`,
        );
      }
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("every module in shared/ is used by at least two chapters", () => {
  const users = discoverChapters().map(({ name, dir }) => ({
    name,
    modules: reachable(sources(dir, false)),
  }));
  const offenders = sources(SHARED, false).flatMap((module) => {
    const by = users.filter((u) => u.modules.has(module)).map((u) => u.name);
    return by.length >= 2
      ? []
      : [`${rel(module)} is used by ${by.join(", ") || "nothing"}`];
  });
  assert.deepEqual(offenders, []);
});
