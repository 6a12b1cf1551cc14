/**
 * The exercises: one per chapter whose server.ts marks the parts a reader
 * writes (`// #region exercise-NAME`). The reader's file is `my_server.ts`
 * beside the chapter's `server.ts`, so its imports resolve the same way and
 * the chapter's `server` task runs it with the same permissions. The task,
 * the hints and the experiments live in the "Your turn" section of the
 * chapter's README, where the site shows them too.
 *
 * @module
 */
import { join } from "node:path";
import { type Chapter, discoverChapters } from "@echo-lab/harness/chapters";

/** The line a stub carries until the reader asks for their code to be
 * checked (rustlings' "I AM NOT DONE"). */
export const NOT_DONE = "// I AM NOT DONE";

/** The marker that opens a part of server.ts the reader writes. */
export const EXERCISE_REGION = /^(\s*)\/\/\s*#region\s+exercise-([\w.-]+)\s*$/;

export interface Exercise {
  chapter: Chapter;
  /** The chapter's two-digit number, e.g. `06`. */
  number: string;
  /** The chapter's name after the number, e.g. `epoll`. */
  title: string;
  /** The chapter's server.ts: the solution, and what the stub is made from. */
  solution: string;
  /** The reader's file, `my_server.ts` beside it. */
  file: string;
  /** The README, whose "Your turn" section holds the task and the hints. */
  readme: string;
}

/** Every chapter with exercise regions in its server.ts, in reading order. */
export function discoverExercises(): Exercise[] {
  return discoverChapters().flatMap((chapter) => {
    const solution = join(chapter.dir, "server.ts");
    const source = readOrNull(solution);
    if (!source?.split("\n").some((line) => EXERCISE_REGION.test(line))) {
      return [];
    }
    const [number, ...title] = chapter.name.split("-");
    return [{
      chapter,
      number,
      title: title.join("-"),
      solution,
      file: join(chapter.dir, "my_server.ts"),
      readme: join(chapter.dir, "README.md"),
    }];
  });
}

/** Exercise `number` (`6`, `06` or `06-epoll`), or an error naming those
 * that exist. */
export function exerciseNamed(number: string): Exercise {
  const all = discoverExercises();
  const wanted = number.split("-")[0].padStart(2, "0");
  const found = all.find((exercise) => exercise.number === wanted);
  if (!found) {
    throw new Error(
      `no exercise ${number}; there are ${all.map((e) => e.number).join(", ")}`,
    );
  }
  return found;
}

/** Whether the reader has asked for checks: the NOT_DONE line is gone. */
export function isStarted(exercise: Exercise): boolean {
  const text = readOrNull(exercise.file);
  return text !== null &&
    !text.split("\n").some((line) => line.trim() === NOT_DONE);
}

/** What the README's "Your turn" section says: the task (its first
 * paragraph), the parts to write (a list of `` - `NAME`: what it does ``,
 * one per exercise region) and the hints (`<details><summary>Hint N</summary>`
 * blocks). */
export function yourTurn(
  exercise: Exercise,
): { task: string; parts: Record<string, string>; hints: string[] } {
  const readme = Deno.readTextFileSync(exercise.readme);
  const section = readme.split(/^## Your turn\s*$/m)[1]?.split(/^## /m)[0];
  if (!section) {
    throw new Error(`${exercise.readme} has no "## Your turn" section`);
  }
  const task = section.trim().split(/\n\s*\n/)[0].replace(/\s*\n\s*/g, " ");
  const hints = [
    ...section.matchAll(
      /<details>\s*<summary>Hint \d<\/summary>\s*([\s\S]*?)<\/details>/g,
    ),
  ].map((match) => match[1].trim());
  const parts = Object.fromEntries(
    [...section.matchAll(/^- `([\w.-]+)`: ([\s\S]*?)(?=\n- |\n\n)/gm)]
      .map((match) => [match[1], match[2].replace(/\s+/g, " ")]),
  );
  return { task, parts, hints };
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}
