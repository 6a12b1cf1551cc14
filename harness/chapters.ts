/**
 * Discovers the chapters and runs their deno.json tasks the way
 * `deno task` would, but as direct child processes the tests can signal.
 *
 * A chapter is any `chapters/NN-name/` with a deno.json; each task named
 * `server` or `server:VARIANT` is a server the suites test.
 *
 * @module
 */
import { join } from "node:path";

/** The repository root. */
export const ROOT: string = join(import.meta.dirname!, "..");

/** One chapter folder and its tasks. */
export interface Chapter {
  /** Folder name, e.g. `07-async`. */
  name: string;
  dir: string;
  tasks: Record<string, string>;
}

/** Every chapter, in reading order. */
export function discoverChapters(): Chapter[] {
  const dir = join(ROOT, "chapters");
  const chapters: Chapter[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const config = join(dir, entry.name, "deno.json");
    if (!entry.isDirectory || !exists(config)) continue;
    const { tasks = {} } = JSON.parse(Deno.readTextFileSync(config));
    chapters.push({ name: entry.name, dir: join(dir, entry.name), tasks });
  }
  return chapters.sort((a, b) => a.name.localeCompare(b.name));
}

/** The chapter in folder `name`, e.g. `06-epoll`. */
export function chapterNamed(name: string): Chapter {
  const chapter = discoverChapters().find((c) => c.name === name);
  if (!chapter) throw new Error(`no chapter folder ${name} with a deno.json`);
  return chapter;
}

/** The chapter's server tasks: `server` first, then `server:*` variants. */
export function serverTasks(chapter: Chapter): string[] {
  return Object.keys(chapter.tasks)
    .filter((task) => /^server(:[\w-]+)?$/.test(task))
    .sort();
}

/** A task's command line as [executable, ...args], with `deno` resolved to
 * the running Deno so the tests use the same version. */
export function taskCommand(
  chapter: Chapter,
  task: string,
  extraArgs: string[] = [],
): string[] {
  const line = chapter.tasks[task];
  if (!line) throw new Error(`${chapter.name} has no task "${task}"`);
  if (/["'$|&;<>]/.test(line)) {
    throw new Error(`${chapter.name}:${task}: tasks must be plain commands`);
  }
  const [program, ...args] = line.trim().split(/\s+/);
  if (program !== "deno") throw new Error(`${task} must start with "deno"`);
  return [Deno.execPath(), ...args, ...extraArgs];
}

/** Whether `path` names a file or folder. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
