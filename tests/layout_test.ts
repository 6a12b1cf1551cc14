/**
 * The repository's shape, as rules that name the offender:
 * - a chapter is its folder plus `shared/`: it imports no other chapter, and
 *   reaches `shared/` by its workspace name, never by a relative path; its
 *   tasks name no path outside the chapter, except `--allow-read` on the
 *   shared folder for a chapter whose Workers load shared modules;
 * - `shared/` holds only what two or more chapters use;
 * - a chapter folder holds the lesson (README, servers, client, chapter.ts,
 *   my_server.ts, the modules they load, tests); everything measured about
 *   it is under its `lab/` folder, and no V8 log is committed;
 * - a chapter states its own exceptions: no module outside the chapters
 *   names one, and no suite run on every chapter keeps a table keyed by one;
 * - workspace members (every one the root deno.json lists) reach each other
 *   by workspace name, never by a relative path, and no two depend on each
 *   other, directly or not;
 * - every chapter README has the same sections in the same order, one
 *   heading level for "Measured in the lab", a `loop` region as its core
 *   listing, and no line over 120 characters outside the front matter
 *   (which GitHub shows as a table), tables, listings and URLs.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { discoverChapters, ROOT } from "@echo-lab/harness/chapters";
import { loadFacts } from "@echo-lab/harness/facts";

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

/** The files of a chapter's folder that are the lesson's entry points; the
 * lesson is these and every module they load. */
const LESSON_ENTRIES = /^(server.*|client|chapter|model|my_server)\.ts$/;
/** The folders a chapter may have beside its lesson files: `lab/` for
 * everything measured, `fixit/` for the fix-its, `testdata/` for tests. */
const CHAPTER_FOLDERS = new Set(["lab", "fixit", "testdata"]);

/** The chapter modules `file` loads: its imports, and the `"NAME.ts"` of
 * its own folder it names in quotes (a Worker or a process it starts). */
function loads(file: string): string[] {
  const source = Deno.readTextFileSync(file);
  const targets = specifiers(source).flatMap((s) => {
    const target = resolve(file, s);
    return target ? [target] : [];
  });
  for (const [, name] of source.matchAll(/"([\w-]+\.ts)"/g)) {
    const path = join(dirname(file), name);
    if (existsSync(path)) targets.push(path);
  }
  return targets;
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a chapter folder holds the lesson; what is measured is under lab/", () => {
  const offenders: string[] = [];
  for (const chapter of discoverChapters()) {
    const top = [...Deno.readDirSync(chapter.dir)].filter((e) =>
      !e.name.startsWith(".")
    );
    const seen = new Set<string>();
    const queue = top.filter((e) => LESSON_ENTRIES.test(e.name))
      .map((e) => join(chapter.dir, e.name));
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file) || !inside(file, chapter.dir)) continue;
      seen.add(file);
      queue.push(...loads(file));
    }
    for (const entry of top) {
      const path = join(chapter.dir, entry.name);
      if (entry.isDirectory && !CHAPTER_FOLDERS.has(entry.name)) {
        offenders.push(`${rel(path)}/: what is measured goes under lab/`);
      } else if (
        entry.isFile && entry.name.endsWith(".ts") &&
        !entry.name.endsWith("_test.ts") && !seen.has(path)
      ) {
        offenders.push(
          `${rel(path)}: not loaded by the lesson: a script goes under lab/`,
        );
      }
    }
  }
  const logs = new Deno.Command("git", {
    args: ["ls-files", "*-v8.log"],
    cwd: ROOT,
  }).outputSync();
  const committed = new TextDecoder().decode(logs.stdout).trim();
  if (committed) offenders.push(`V8 logs committed: ${committed}`);
  assert.deepEqual(offenders, []);
});

/** `source` without its comments (a `//` that follows a colon, as in a URL,
 * is not one). */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "");
}

/** The folders of the workspace members, from the root deno.json. */
function members(): string[] {
  const { workspace } = JSON.parse(
    Deno.readTextFileSync(join(ROOT, "deno.json")),
  ) as { workspace: string[] };
  return workspace.flatMap((entry) => {
    if (!entry.endsWith("/*")) return [join(ROOT, entry)];
    const parent = join(ROOT, entry.slice(0, -2));
    return [...Deno.readDirSync(parent)]
      .filter((e) =>
        e.isDirectory && existsSync(join(parent, e.name, "deno.json"))
      )
      .map((e) => join(parent, e.name));
  });
}

Deno.test("no module outside the chapters names one, and no suite keeps a table keyed by one", () => {
  const names = discoverChapters().map((c) => c.name);
  const named = new RegExp(`\\b(${names.join("|")})\\b`);
  const keyed = new RegExp(
    `["'](${names.join("|")})[^"']*["']\\s*:|new (Set|Map)\\(\\[[^\\]]*\\b(${
      names.join("|")
    })\\b`,
  );
  const chapters = join(ROOT, "chapters");
  const offenders: string[] = [];
  for (const member of members().filter((m) => !inside(m, chapters))) {
    for (const file of sources(member, true)) {
      if (file.includes("/testdata/")) continue;
      const text = Deno.readTextFileSync(file);
      const lines = code(text).split("\n");
      if (!file.endsWith("_test.ts")) {
        for (const line of lines.filter((l) => named.test(l))) {
          offenders.push(`${rel(file)} names a chapter: ${line.trim()}`);
        }
      } else if (text.includes("discoverChapters(")) {
        // A suite run on every chapter: the chapter's chapter.ts states
        // where it departs from the suite (facts.suites).
        for (const line of lines.filter((l) => keyed.test(l))) {
          offenders.push(
            `${rel(file)} keeps a table keyed by chapter: ${line.trim()}`,
          );
        }
      }
    }
  }
  assert.deepEqual(offenders, []);
});

/** A workspace member as the import rules see it: its folder, its
 * workspace name (unnamed members cannot be imported), and its sources. */
interface Member {
  dir: string;
  name?: string;
  files: { path: string; source: string }[];
}

/** Every workspace member with its .ts files, tests included. */
function loadMembers(): Member[] {
  return members().map((dir) => ({
    dir,
    name: JSON.parse(Deno.readTextFileSync(join(dir, "deno.json"))).name,
    files: sources(dir, true).map((path) => ({
      path,
      source: Deno.readTextFileSync(path),
    })),
  }));
}

/** What breaks the rules between members: a relative import that leaves
 * its member (a member is reached by its workspace name, so its exports map
 * says what others may use), and a member that depends on itself through
 * others, named by the cycle. */
function memberOffenders(all: Member[]): string[] {
  const byName = new Map(all.flatMap((m) => m.name ? [[m.name, m.dir]] : []));
  const memberOf = (path: string) =>
    all.map((m) => m.dir).filter((dir) => inside(path, dir))
      .sort((a, b) => b.length - a.length)[0];
  const offenders: string[] = [];
  const edges = new Map(all.map((m) => [m.dir, new Set<string>()]));
  for (const member of all) {
    for (const { path, source } of member.files) {
      for (const specifier of specifiers(code(source))) {
        if (specifier.startsWith(".")) {
          if (memberOf(join(dirname(path), specifier)) !== member.dir) {
            offenders.push(
              `${rel(path)} imports "${specifier}", outside its member: ` +
                `use the other member's workspace name`,
            );
          }
          continue;
        }
        const name = specifier.match(/^(@echo-lab\/[\w-]+)/)?.[1];
        const target = name && byName.get(name);
        if (target && target !== member.dir) edges.get(member.dir)!.add(target);
      }
    }
  }
  for (const member of all) {
    const cycle = pathBack(member.dir, edges);
    if (cycle) {
      offenders.push(
        `${rel(member.dir)} depends on itself: ${cycle.map(rel).join(" → ")}`,
      );
    }
  }
  return offenders;
}

/** The shortest chain of imports from `start` back to itself, or null. */
function pathBack(
  start: string,
  edges: Map<string, Set<string>>,
): string[] | null {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of edges.get(at) ?? []) {
      if (next === start) {
        const chain = [at];
        while (chain[0] !== start) chain.unshift(from.get(chain[0])!);
        return [...chain, start];
      }
      if (from.has(next)) continue;
      from.set(next, at);
      queue.push(next);
    }
  }
  return null;
}

Deno.test("workspace members import each other by name, and none depends on itself through another", () => {
  const all = loadMembers();
  assert.ok(
    all.some((m) => m.name === "@echo-lab/docs") &&
      all.some((m) => inside(m.dir, join(ROOT, "chapters"))),
    "every member of the root deno.json's workspace is checked",
  );
  assert.deepEqual(memberOffenders(all), []);
});

Deno.test("the member rules catch a relative import across members and a cycle", () => {
  const dir = (name: string) => join(ROOT, "planted", name);
  // Built from parts, so that this file's own scan does not read them as
  // its imports.
  const from = (verb: string, specifier: string) =>
    `${verb} { x } from "${specifier}";\n`;
  const planted: Member[] = [
    {
      dir: dir("a"),
      name: "@echo-lab/a",
      files: [{
        path: join(dir("a"), "a.ts"),
        source: from("import", "@echo-lab/b/b") + from("import", "./own.ts"),
      }],
    },
    {
      dir: dir("b"),
      name: "@echo-lab/b",
      files: [{
        path: join(dir("b"), "b.ts"),
        source: from("import", "@echo-lab/c/c"),
      }],
    },
    {
      dir: dir("c"),
      name: "@echo-lab/c",
      files: [{
        path: join(dir("c"), "c.ts"),
        source: from("export", "../a/a.ts") + from("import", "@echo-lab/a/a"),
      }],
    },
    {
      dir: dir("d"),
      files: [{
        path: join(dir("d"), "d_test.ts"),
        source: from("import", "@echo-lab/a/a"),
      }],
    },
  ];
  assert.deepEqual(memberOffenders(planted), [
    `planted/c/c.ts imports "../a/a.ts", outside its member: use the other ` +
    `member's workspace name`,
    "planted/a depends on itself: planted/a → planted/b → planted/c → planted/a",
    "planted/b depends on itself: planted/b → planted/c → planted/a → planted/b",
    "planted/c depends on itself: planted/c → planted/a → planted/b → planted/c",
  ]);
  // Without the edge back, the same members are clean.
  planted[2].files[0].source = "export const c = 1;\n";
  assert.deepEqual(memberOffenders(planted), []);
});

/** The sections every chapter README ends with, in this order, after the
 * lesson's own (the first of which is "Run it"). */
const CLOSING = [
  "Where it breaks",
  "When this is the right choice",
  "Going deeper",
  "Your turn",
];

/** The headings of `markdown` outside code fences, with their level and
 * 1-based line. */
function headings(markdown: string) {
  const found: { level: number; title: string; line: number }[] = [];
  let fence: string | null = null;
  markdown.split("\n").forEach((text, i) => {
    const marker = text.match(/^\s*(`{3,}|~{3,})/)?.[1];
    if (marker) {
      if (fence === null) fence = marker;
      else if (text.trim() === fence) fence = null;
      return;
    }
    const heading = fence === null && text.match(/^(#{1,6}) (.*)$/);
    if (heading) {
      found.push({ level: heading[1].length, title: heading[2], line: i + 1 });
    }
  });
  return found;
}

Deno.test("every chapter README has the same sections in the same order; every server sets up below its loop", async () => {
  const offenders: string[] = [];
  for (const chapter of discoverChapters()) {
    const readme = join(chapter.dir, "README.md");
    const all = headings(Deno.readTextFileSync(readme));
    const h2 = all.filter((h) => h.level === 2).map((h) => h.title);
    const expected = [
      "Run it",
      ...h2.slice(1, -CLOSING.length),
      ...CLOSING,
    ];
    if (JSON.stringify(h2) !== JSON.stringify(expected)) {
      offenders.push(
        `${rel(readme)}: its sections are ${h2.join(" / ")}; they begin with ` +
          `"Run it" and end with ${CLOSING.join(" / ")}`,
      );
    }
    const lesson = h2.slice(1, -CLOSING.length);
    for (const title of CLOSING.filter((t) => lesson.includes(t))) {
      offenders.push(`${rel(readme)}: "${title}" twice`);
    }
    for (const h of all.filter((h) => /^Measured\b/.test(h.title))) {
      if (h.level !== 3) {
        offenders.push(
          `${rel(readme)}:${h.line}: "${h.title}" is a level-${h.level} ` +
            `heading; measurements are a level-3 section under Going deeper`,
        );
      }
    }
    const { loop } = await loadFacts(chapter);
    if (!loop.endsWith(":loop")) {
      offenders.push(
        `${chapter.name}/chapter.ts: the core loop is the region "loop", not ${loop}`,
      );
    }
    // Every server sets up in one place, setUp(), called in one line before
    // its first region and defined below the loop: the loop is what the
    // reader meets first. (A loop in a file of its own is the server's to
    // start: its first region.)
    const [file] = loop.split(":");
    const source = Deno.readTextFileSync(join(chapter.dir, file));
    const loopAt = source.indexOf("// #region loop\n");
    if (loopAt < 0) offenders.push(`${chapter.name}/${file}: no region "loop"`);
    const server = Deno.readTextFileSync(join(chapter.dir, "server.ts"));
    const firstRegion = server.indexOf("\n// #region ");
    const calledAt = server.search(/^const .* = (await )?setUp\(\);$/m);
    const setUpAt = server.search(/^(async )?function setUp\(/m);
    const below = file === "server.ts" ? loopAt : firstRegion;
    if (setUpAt < 0) {
      offenders.push(`${chapter.name}/server.ts: no function setUp()`);
    } else if (setUpAt < below) {
      offenders.push(`${chapter.name}/server.ts: setUp() is above the loop`);
    }
    if (calledAt < 0 || calledAt > firstRegion) {
      offenders.push(
        `${chapter.name}/server.ts: setUp() is not called before its first region`,
      );
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("no README line is over 120 characters outside tables, listings and URLs", () => {
  const offenders: string[] = [];
  const readmes = new TextDecoder().decode(
    new Deno.Command("git", { args: ["ls-files", "*README.md"], cwd: ROOT })
      .outputSync().stdout,
  ).trim().split("\n");
  for (const readme of readmes) {
    const lines = Deno.readTextFileSync(join(ROOT, readme)).split("\n");
    // The front matter: GitHub shows it as a table.
    const start = lines[0] === "---" ? lines.indexOf("---", 1) + 1 : 0;
    let fence: string | null = null;
    lines.forEach((text, i) => {
      if (i < start) return;
      const marker = text.match(/^\s*(`{3,}|~{3,})/)?.[1];
      if (marker) {
        if (fence === null) fence = marker;
        else if (text.trim() === fence) fence = null;
        return;
      }
      if (fence !== null || text.trimStart().startsWith("|")) return;
      const prose = text.replace(/\]\([^)\s]*\)/g, "]")
        .replace(/https?:\/\/\S+/g, "");
      if (prose.length > 120) {
        offenders.push(`${readme}:${i + 1}: ${prose.length} characters`);
      }
    });
  }
  assert.deepEqual(offenders, []);
});
