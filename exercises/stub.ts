/**
 * Making an exercise's stub from the chapter's server.ts: each
 * `// #region exercise-NAME` ... `// #endregion` becomes a TODO, the first
 * also the NOT_DONE line, and every other line stays as the chapter has it.
 * The stub therefore never drifts from the tested chapter; a test checks that
 * every shipped stub equals what this produces.
 *
 * @module
 */
import { type Exercise, EXERCISE_REGION, NOT_DONE } from "./exercise.ts";

const REGION_START = /^\s*\/\/\s*#region\b/;
const REGION_END = /^\s*\/\/\s*#endregion\b/;

/** The stub of `exercise`, from the text of its server.ts. */
export function makeStub(exercise: Exercise, source: string): string {
  const out = [
    `// Exercise ${exercise.number}, made from server.ts by \`deno task exercise:stubs\`.`,
    `// \`deno task exercise:reset ${exercise.number}\` puts this file back as it was.`,
  ];
  let notDone = true;
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i].match(EXERCISE_REGION);
    if (!start) {
      out.push(lines[i]);
      continue;
    }
    const [, indent, name] = start;
    i = endOfRegion(lines, i, name);
    out.push(
      `${indent}// TODO(${name}): your code. What it must do: "Your turn" in README.md;`,
      `${indent}// stuck? \`deno task hint ${exercise.number}\`.`,
    );
    if (notDone) {
      out.push(
        `${indent}${NOT_DONE}`,
        `${indent}// (delete the line above when you want your code checked)`,
      );
      notDone = false;
    }
  }
  return out.join("\n");
}

/** The chapter's server.ts as the reader would write it by hand: the same
 * code without the exercise markers (what the "solved by hand" test uses). */
export function solvedByHand(source: string): string {
  const lines = source.split("\n");
  const out: string[] = [];
  const ends = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i].match(EXERCISE_REGION);
    if (start) ends.add(endOfRegion(lines, i, start[2]));
    else if (!ends.has(i)) out.push(lines[i]);
  }
  return out.join("\n");
}

/** Where the answers are in the chapter's server.ts: each exercise region's
 * name and its first and last line (1-based, markers excluded). */
export function answerRegions(
  source: string,
): { name: string; from: number; to: number }[] {
  const lines = source.split("\n");
  return lines.flatMap((line, i) => {
    const start = line.match(EXERCISE_REGION);
    if (!start) return [];
    return [{
      name: start[2],
      from: i + 2,
      to: endOfRegion(lines, i, start[2]),
    }];
  });
}

/** The index of the `#endregion` that closes the region opened at `start`. */
function endOfRegion(lines: string[], start: number, name: string): number {
  let depth = 0;
  for (let i = start + 1; i < lines.length; i++) {
    if (REGION_START.test(lines[i])) depth++;
    else if (REGION_END.test(lines[i])) {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new Error(`region "exercise-${name}" has no matching #endregion`);
}
