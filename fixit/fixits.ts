/**
 * The fix-it exercises: each a chapter's own server with one classic bug put
 * back in. A fix-it lives in its chapter, `chapters/NN-name/fixit/NAME/`, as
 * one file, `fixit.json`: the symptom as a user reported it, three hints,
 * where real code shipped the bug, which check shows it, and the bug itself
 * as a marked change to one of the chapter's files (`find` → `replace`).
 *
 * The chapter's files are the fixed version; the buggy copy the learner
 * edits is generated beside `fixit.json` from them and the change (and is
 * not committed), so `deno task fixit:reset NAME` and the CI test that
 * proves every bug build from one source.
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { applyChanges, type Change } from "@echo-lab/harness/change";
import { type Chapter, discoverChapters } from "@echo-lab/harness/chapters";

/** What `fixit.json` holds. */
export interface FixitSpec {
  /** One line: what is wrong, without giving the fix away. */
  title: string;
  /** The report a user filed, in their words. */
  symptom: string;
  /** How that user saw it, by hand (shell lines). */
  reproduce: string[];
  /** Three hints, each more specific. */
  hints: [string, string, string];
  /** Where real code shipped this bug: issue, commit or man page. */
  cite: { what: string; url: string }[];
  /** The name of the check (fixit/checks.ts) that shows the symptom. */
  check: string;
  /** Arguments for the server, e.g. `["--edge"]`. */
  args?: string[];
  /** The chapter files copied beside fixit.json; the first is the entry. */
  files: string[];
  /** The bug: in `file` (one of `files`), `find` replaced by `replace`. */
  change: Change & { file: string };
}

/** One fix-it, found on disk. */
export interface Fixit extends FixitSpec {
  name: string;
  chapter: Chapter;
  /** `chapters/NN-name/fixit/NAME/`. */
  dir: string;
  /** The buggy file the learner edits. */
  file: string;
}

/** Every fix-it of every chapter, in chapter order, then by name. */
export function discoverFixits(): Fixit[] {
  const found: Fixit[] = [];
  for (const chapter of discoverChapters()) {
    const root = join(chapter.dir, "fixit");
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(root)];
    } catch {
      continue;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = join(root, entry.name);
      let spec: FixitSpec;
      try {
        spec = JSON.parse(Deno.readTextFileSync(join(dir, "fixit.json")));
      } catch {
        continue;
      }
      const file = join(dir, spec.change.file);
      found.push({ ...spec, name: entry.name, chapter, dir, file });
    }
  }
  return found;
}

/** The fix-it called `name`. */
export function fixitNamed(name: string): Fixit {
  const all = discoverFixits();
  const fixit = all.find((f) => f.name === name);
  if (!fixit) {
    throw new Error(
      `no fix-it named ${name}; there are: ${
        all.map((f) => f.name).join(", ")
      }`,
    );
  }
  return fixit;
}

/** The text of `file` (one of `fixit.files`) as it goes into `dir`: the
 * chapter's own, with the bug put in when `buggy`, and its relative imports
 * of files that are not copied pointed back at the chapter. Throws when the
 * change no longer applies (the chapter's code moved on). */
export function sourceOf(
  fixit: Fixit,
  file: string,
  dir: string,
  buggy: boolean,
): string {
  let text = Deno.readTextFileSync(join(fixit.chapter.dir, file));
  if (buggy && file === fixit.change.file) {
    text = applyChanges(
      text,
      [fixit.change],
      `fix-it ${fixit.name}, on ${fixit.chapter.name}/${file} (fixit.json)`,
    );
  }
  return text.replace(
    /(from\s+|import\(|new URL\()"(\.\.?\/[^"]+)"/g,
    (whole, before: string, path: string) => {
      if (fixit.files.includes(path.replace(/^\.\//, ""))) return whole;
      const target = join(fixit.chapter.dir, path);
      let moved = relative(dir, target);
      if (!moved.startsWith(".")) moved = `./${moved}`;
      return `${before}"${moved}"`;
    },
  );
}

/** Writes the fix-it's files into `dir` (default: its own folder): buggy,
 * as shipped, or `buggy: false` for the fixed version the CI test runs. */
export function writeFixit(
  fixit: Fixit,
  { dir = fixit.dir, buggy = true } = {},
): void {
  for (const file of fixit.files) {
    const path = join(dir, file);
    Deno.mkdirSync(dirname(path), { recursive: true });
    Deno.writeTextFileSync(path, sourceOf(fixit, file, dir, buggy));
  }
}

/** Writes the shipped files of every fix-it whose file is missing. */
export function ensureWritten(fixits: Fixit[]): void {
  for (const fixit of fixits) {
    try {
      Deno.statSync(fixit.file);
    } catch {
      writeFixit(fixit);
    }
  }
}

/** Whether the learner's file still is the file as shipped. */
export function isUntouched(fixit: Fixit): boolean {
  try {
    return Deno.readTextFileSync(fixit.file) ===
      sourceOf(fixit, fixit.change.file, fixit.dir, true);
  } catch {
    return true;
  }
}
